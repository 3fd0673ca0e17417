//! Response headers in the OpenAPI document: the ones every answer carries (`X-Request-Id`,
//! `X-Content-Type-Options`; `Cache-Control` on account and billing answers; `Deprecation`,
//! `Sunset` and `Link` on the deprecated unversioned paths), the
//! rate-limit headers of authenticated and per-IP-limited operations (`X-RateLimit-Limit`,
//! `X-RateLimit-Remaining`, `X-RateLimit-Reset`, and `X-Plan` when authenticated; not on answers
//! given before the limit is known, such as a 401, hence not required), and every
//! header name in its usual spelling (the framework writes them upper-cased).

use serde_json::{Map, Value, json};

/// `RETRY-AFTER` → `Retry-After`.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Fields whose value is a credential shown once: an answer that can carry one is never cached.
const SECRET_FIELDS: [&str; 7] = ["key", "api_key", "access_token", "refresh_token", "secret", "token", "feed_url"];

/// Whether a 2xx answer of the operation `op` has a field of [`SECRET_FIELDS`] anywhere in its
/// schema (through `$ref`s of `schemas`).
fn reveals_secret(op: &Map<String, Value>, schemas: &Value) -> bool {
    fn walk(s: &Value, schemas: &Value, seen: &mut Vec<String>) -> bool {
        match s {
            Value::Object(o) => {
                if let Some(name) = o.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()) {
                    if seen.iter().any(|n| n == name) {
                        return false;
                    }
                    seen.push(name.to_owned());
                    return schemas.get(name).is_some_and(|t| walk(t, schemas, seen));
                }
                if o.get("properties").and_then(Value::as_object).is_some_and(|p| {
                    p.keys().any(|k| SECRET_FIELDS.contains(&k.as_str())) || p.values().any(|v| walk(v, schemas, seen))
                }) {
                    return true;
                }
                ["items", "allOf", "oneOf", "anyOf", "additionalProperties"]
                    .iter()
                    .filter_map(|k| o.get(*k))
                    .any(|v| walk(v, schemas, seen))
            }
            Value::Array(a) => a.iter().any(|v| walk(v, schemas, seen)),
            _ => false,
        }
    }
    op.get("responses").and_then(Value::as_object).into_iter().flatten().any(|(code, r)| {
        code.starts_with('2')
            && r.get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .any(|(_, c)| c.get("schema").is_some_and(|schema| walk(schema, schemas, &mut Vec::new())))
    })
}

fn header(description: &str, ty: &str, required: bool) -> Value {
    json!({"description": description, "required": required, "schema": {"type": ty}})
}

fn rate_headers(plan: bool) -> Vec<(&'static str, Value)> {
    let mut h = vec![
        (
            "X-RateLimit-Limit",
            header("Requests allowed in the current window of this request's limit class.", "integer", false),
        ),
        ("X-RateLimit-Remaining", header("Requests left in that window.", "integer", false)),
        ("X-RateLimit-Reset", header("When that window resets (unix seconds).", "integer", false)),
    ];
    if plan {
        h.push(("X-Plan", header("The account's plan: free, starter, pro or scale.", "string", false)));
    }
    h
}

/// `{"allOf": [{"$ref": …}, {"description": …}], …}` → `{"$ref": …}` for every schema property
/// (the framework wraps a described reference so): generators refuse `allOf` over an enum (a string),
/// and a lone `allOf` says nothing a plain reference does not.
pub fn plain_refs(doc: &mut Value) {
    fn unwrap(v: &mut Value) {
        match v {
            Value::Object(map) => {
                // One reference, the other parts only words (`description`, `title`).
                let words =
                    |p: &Value| p.as_object().is_some_and(|o| o.keys().all(|k| k == "description" || k == "title"));
                let single = map.get("allOf").and_then(Value::as_array).and_then(|parts| {
                    let refs: Vec<&Value> = parts.iter().filter_map(|p| p.get("$ref")).collect();
                    let rest_words = parts.iter().filter(|p| p.get("$ref").is_none()).all(words);
                    (refs.len() == 1 && rest_words).then(|| refs[0].clone())
                });
                if let Some(r) = single {
                    *v = json!({ "$ref": r });
                    return;
                }
                for child in map.values_mut() {
                    unwrap(child);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(unwrap),
            _ => {}
        }
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas") {
        unwrap(schemas);
    }
}

/// The alternative that lets an optional field be `null` (`nullable` widens only the `type` beside it).
fn null_branch(ty: impl Into<Value>) -> Value {
    json!({"type": ty.into(), "nullable": true, "enum": [null]})
}

/// One rule for optional fields, stated in the document: a property an object does not require
/// may be absent or `null`. A plain property says so with `nullable: true`. OpenAPI 3.0.3 lets
/// `nullable` widen only a `type` beside it, so a reference (to an object or a value set) becomes
/// `oneOf: [$ref, {type: …, nullable: true, enum: [null]}]`, the form the OpenAPI clarification
/// gives, which linters, validators and generators read as "that, or null"; its description stays
/// on the wrapper. A required reference is a plain `$ref` (3.0 ignores a reference's siblings).
pub fn nullable_optionals(doc: &mut Value) {
    let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object).cloned() else { return };
    let target = |r: &str| r.strip_prefix("#/components/schemas/").and_then(|n| schemas.get(n));
    let Some(out) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    for schema in out.values_mut().filter_map(Value::as_object_mut) {
        let required: Vec<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else { continue };
        for (name, prop) in props.iter_mut() {
            let Some(p) = prop.as_object_mut() else { continue };
            let optional = !required.contains(name);
            if let Some(r) = p.get("$ref").and_then(Value::as_str).map(str::to_owned) {
                if !optional {
                    *prop = json!({ "$ref": r });
                    continue;
                }
                let ty = target(&r).and_then(|t| t.get("type")).and_then(Value::as_str).unwrap_or("object");
                let mut wrapper = json!({"oneOf": [{"$ref": r}, null_branch(ty)]});
                if let Some(d) = p.get("description") {
                    wrapper["description"] = d.clone();
                }
                *prop = wrapper;
            } else if optional && p.contains_key("type") {
                p.insert("nullable".into(), Value::Bool(true));
            } else if let Some(choices) = p.get_mut("anyOf").and_then(Value::as_array_mut).filter(|_| optional) {
                // Alternatives (a date or a date-time): `null` is one more.
                if !choices.iter().any(|c| c.get("nullable") == Some(&Value::Bool(true))) {
                    let ty = choices.first().and_then(|c| c.get("type")).cloned().unwrap_or(json!("string"));
                    choices.push(null_branch(ty));
                }
            }
        }
    }
}

/// Adds the headers to every response of every operation of `doc`. `per_ip_limited` tells the
/// public operations with per-IP limits by method and path.
pub fn document(doc: &mut Value, per_ip_limited: impl Fn(&str, &str) -> bool) {
    let schemas = doc.pointer("/components/schemas").cloned().unwrap_or(Value::Null);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else { continue };
            let secured = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
            let mut extra = vec![
                ("X-Request-Id", header("This request's id, also in error bodies as `request_id`.", "string", true)),
                ("X-Content-Type-Options", header("Always `nosniff`.", "string", true)),
            ];
            let route = crate::http::paths::unversioned(path);
            if route.starts_with("/auth/") || route.starts_with("/billing/") {
                extra.push((
                    "Cache-Control",
                    header("`no-store`: account and billing answers are never cached.", "string", true),
                ));
            } else if reveals_secret(op, &schemas) {
                extra.push((
                    "Cache-Control",
                    header(
                        "`no-store`: this answer can show a secret (a key, token or signing secret) once.",
                        "string",
                        true,
                    ),
                ));
            }
            if crate::http::paths::is_unversioned_api_path(path) {
                extra.extend([
                    ("Deprecation", header("`true`: this unversioned path is deprecated.", "string", true)),
                    ("Sunset", header("When the unversioned path stops answering (an HTTP date).", "string", true)),
                    ("Link", header("The successor: `</v1/…>; rel=\"successor-version\"`.", "string", true)),
                ]);
            }
            if secured {
                extra.extend(rate_headers(true));
            } else if per_ip_limited(method, path) {
                extra.extend(rate_headers(false));
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            for response in responses.values_mut().filter_map(Value::as_object_mut) {
                let headers = response.entry("headers").or_insert_with(|| Value::Object(Map::new()));
                let Some(headers) = headers.as_object_mut() else { continue };
                let named: Map<String, Value> =
                    std::mem::take(headers).into_iter().map(|(k, v)| (canonical(&k), v)).collect();
                *headers = named;
                for (name, h) in &extra {
                    headers.entry(*name).or_insert_with(|| h.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn described_references_are_plain_and_optional_fields_nullable() {
        let mut doc = json!({"components": {"schemas": {
            "Kind": {"type": "string", "enum": ["a", "b"]},
            "Money": {"type": "object", "properties": {"min": {"type": "number"}}, "required": ["min"]},
            "Thing": {"type": "object", "required": ["code"], "properties": {
                "code": {"allOf": [{"$ref": "#/components/schemas/Kind"}, {"description": "A code."}], "description": "A code."},
                "kind": {"$ref": "#/components/schemas/Kind"},
                "salary": {"$ref": "#/components/schemas/Money"},
                "note": {"type": "string"}}}}}});
        plain_refs(&mut doc);
        nullable_optionals(&mut doc);
        let p = &doc["components"]["schemas"]["Thing"]["properties"];
        assert_eq!(p["code"], json!({"$ref": "#/components/schemas/Kind"}), "required: a plain reference");
        assert_eq!(
            p["kind"],
            json!({"oneOf": [{"$ref": "#/components/schemas/Kind"}, {"type": "string", "nullable": true, "enum": [null]}]})
        );
        assert_eq!(
            p["salary"],
            json!({"oneOf": [{"$ref": "#/components/schemas/Money"}, {"type": "object", "nullable": true, "enum": [null]}]})
        );
        assert_eq!(p["note"], json!({"type": "string", "nullable": true}));
        assert!(doc["components"]["schemas"]["Money"]["properties"]["min"].get("nullable").is_none());
    }

    #[test]
    fn header_names_take_their_usual_spelling() {
        assert_eq!(canonical("RETRY-AFTER"), "Retry-After");
        assert_eq!(canonical("X-HAS-MORE"), "X-Has-More");
        assert_eq!(canonical("LOCATION"), "Location");
    }
}
