//! What the layers around the handlers need to know of the operations, read once from the served
//! document by the server and handed down ([`RouteTable`]): each path template's methods (a 405's
//! `Allow`), the operations whose answers can show a secret (`Cache-Control: no-store`), each
//! operation's deprecated unversioned copy (its metrics label), and the request bodies' schemas
//! (the field a body that does not fit is refused for). No layer reads the document itself, so
//! none depends on the operations it documents.

use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// The served document's routes, prebuilt.
#[derive(Debug, Default)]
pub struct RouteTable {
    /// Path templates split at `/`, each with its methods (upper-case, sorted).
    paths: Vec<(Vec<String>, Vec<String>)>,
    /// Operations whose answers carry `Cache-Control` in the document.
    no_store: HashSet<String>,
    /// Operation id → its unversioned copy's id (`search_jobs` → `search_jobs_unversioned`).
    unversioned: HashMap<String, &'static str>,
    /// `components.schemas`.
    schemas: Value,
}

impl RouteTable {
    /// The table of `document` (the served OpenAPI JSON; an unreadable one is an empty table).
    pub fn of(document: &str) -> Self {
        let doc: Value = serde_json::from_str(document).unwrap_or(Value::Null);
        let mut table = RouteTable {
            schemas: doc.pointer("/components/schemas").cloned().unwrap_or(Value::Null),
            ..Default::default()
        };
        for (template, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
            let mut methods: Vec<String> = Vec::new();
            for (method, op) in item.as_object().into_iter().flatten() {
                let method = method.to_ascii_uppercase();
                if !methods.contains(&method) {
                    methods.push(method);
                }
                let Some(id) = op.get("operationId").and_then(Value::as_str) else { continue };
                let documented = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|r| r.values())
                    .any(|r| r.pointer("/headers/Cache-Control").is_some());
                if documented {
                    table.no_store.insert(id.to_owned());
                }
                if let Some(base) = id.strip_suffix("_unversioned") {
                    // Leaked once per documented operation (the table is built once per process:
                    // `document::route_table`): a fixed, small set.
                    let id: &'static str = Box::leak(id.to_owned().into_boxed_str());
                    table.unversioned.insert(base.to_owned(), id);
                }
            }
            methods.sort();
            table.paths.push((template.split('/').map(str::to_owned).collect(), methods));
        }
        table
    }

    /// The methods documented at `path`, for a 405's `Allow` (`GET, POST`). `{param}` segments
    /// match any one segment; like the router, the template with the most literal segments wins
    /// (`/applications/analytics` over `/applications/{id}`).
    pub fn allow(&self, path: &str) -> String {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let param = |a: &str| a.starts_with('{') && a.ends_with('}');
        let mut best: Option<(usize, &Vec<String>)> = None;
        for (t, methods) in &self.paths {
            let fits = t.len() == segments.len()
                && t.iter().zip(&segments).all(|(a, b)| (param(a) && !b.is_empty()) || a == b);
            let literal = t.iter().filter(|a| !param(a)).count();
            if fits && best.is_none_or(|(n, _)| literal > n) {
                best = Some((literal, methods));
            }
        }
        best.map(|(_, m)| m.join(", ")).unwrap_or_default()
    }

    /// Whether answers of the operation `id` can show a secret (`Cache-Control: no-store`).
    pub fn shows_secret(&self, id: &str) -> bool {
        self.no_store.contains(id)
    }

    /// The id of `op` served at its deprecated unversioned path, so that the metrics name each
    /// documented operation apart; `op` itself when it has no such copy.
    pub fn unversioned(&self, op: &'static str) -> &'static str {
        self.unversioned.get(op).copied().unwrap_or(op)
    }

    /// `components.schemas`, by name.
    pub fn schemas(&self) -> &Value {
        &self.schemas
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_table_answers_what_the_document_says() {
        let doc = json!({
            "paths": {
                "/v1/applications/{id}": {"get": {"operationId": "get_application", "responses": {}},
                                          "patch": {"operationId": "update_application", "responses": {}}},
                "/v1/applications/analytics": {"get": {"operationId": "tracker_analytics", "responses": {}}},
                "/v1/auth/keys": {"post": {"operationId": "create_key",
                                           "responses": {"201": {"headers": {"Cache-Control": {}}}}}},
                "/auth/keys": {"post": {"operationId": "create_key_unversioned", "responses": {}}}
            },
            "components": {"schemas": {"CheckoutBody": {"type": "object"}}}
        });
        let t = RouteTable::of(&doc.to_string());
        assert_eq!(t.allow("/v1/applications/42"), "GET, PATCH");
        assert_eq!(t.allow("/v1/applications/analytics"), "GET", "the most literal template wins");
        assert_eq!(t.allow("/v1/applications/"), "", "an empty segment is no id");
        assert_eq!(t.allow("/v1/nothing"), "");
        assert!(t.shows_secret("create_key") && !t.shows_secret("get_application"));
        assert_eq!(t.unversioned("create_key"), "create_key_unversioned");
        assert_eq!(t.unversioned("get_application"), "get_application");
        assert!(t.schemas().get("CheckoutBody").is_some());
        assert_eq!(RouteTable::of("not json").allow("/v1/applications/1"), "");
    }
}
