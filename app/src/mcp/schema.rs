//! A tool's input schema from the type its arguments are parsed into: the schema poem-openapi
//! gives that type (the REST document's, for the request bodies the tools share with REST), as a
//! self-contained JSON Schema (references point into its own `$defs`).

use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde_json::{Map, Value};

const OPENAPI_REFS: &str = "#/components/schemas/";
const OWN_REFS: &str = "#/$defs/";

/// The JSON Schema of `T` (an object type).
pub fn of<T: Type>() -> Map<String, Value> {
    let mut registry = Registry::new();
    T::register(&mut registry);
    let mut defs: Map<String, Value> = registry
        .schemas
        .iter()
        .map(|(name, schema)| (name.clone(), serde_json::to_value(schema).unwrap_or_default()))
        .collect();
    let root = match T::schema_ref() {
        MetaSchemaRef::Reference(name) => defs.remove(&name).unwrap_or_default(),
        inline @ MetaSchemaRef::Inline(_) => serde_json::to_value(&inline).unwrap_or_default(),
    };
    let mut root = match root {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    root.entry("type").or_insert_with(|| "object".into());
    if !defs.is_empty() {
        root.insert("$defs".into(), Value::Object(defs));
    }
    let mut value = Value::Object(root);
    own_refs(&mut value);
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Points every OpenAPI component reference at `$defs`.
fn own_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if key == "$ref" => {
                        if let Some(name) = s.strip_prefix(OPENAPI_REFS) {
                            *s = format!("{OWN_REFS}{name}");
                        }
                    }
                    other => own_refs(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(own_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem_openapi::Object;

    /// An inner object.
    #[derive(Object)]
    struct Inner {
        /// A number.
        n: u32,
    }

    /// An outer object.
    #[derive(Object)]
    struct Outer {
        /// Words.
        q: String,
        inner: Option<Inner>,
        list: Option<Vec<Inner>>,
    }

    #[test]
    fn an_object_is_a_self_contained_schema() {
        let s = Value::Object(of::<Outer>());
        assert_eq!(s["type"], "object");
        assert_eq!(s["required"], serde_json::json!(["q"]));
        assert_eq!(s["properties"]["q"]["description"], "Words.");
        assert_eq!(s["properties"]["inner"]["$ref"], "#/$defs/Inner");
        assert_eq!(s["properties"]["list"]["items"]["$ref"], "#/$defs/Inner");
        assert_eq!(s["$defs"]["Inner"]["properties"]["n"]["type"], "integer");
        assert!(s["$defs"].get("Outer").is_none(), "the root is not repeated in $defs: {s}");
        assert!(!s.to_string().contains("#/components/"), "{s}");
    }
}
