//! Response headers in the OpenAPI document: the ones every answer carries (`X-Request-Id`), the
//! rate-limit headers of authenticated and per-IP-limited operations (`X-RateLimit-Limit`,
//! `X-RateLimit-Remaining`, `X-RateLimit-Reset`, and `X-Plan` when authenticated; not on answers
//! given before the limit is known, such as a 401, hence not required), and every
//! header name in its usual spelling (the framework writes them upper-cased).

use serde_json::{Map, Value, json};
use std::sync::OnceLock;

/// The served document, parsed once.
pub fn served() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(&crate::server::openapi_json()).unwrap_or(Value::Null))
}

/// The methods `doc` documents at `path`, upper-case and sorted, for a 405's `Allow`. `{param}`
/// segments match any one segment; like the router, the template with the most literal segments
/// wins (`/applications/analytics` over `/applications/{id}`).
pub fn allowed_methods(doc: &Value, path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut best: Option<(usize, &Value)> = None;
    for (template, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        let t: Vec<&str> = template.split('/').collect();
        let param = |a: &&str| a.starts_with('{') && a.ends_with('}');
        let fits =
            t.len() == segments.len() && t.iter().zip(&segments).all(|(a, b)| (param(a) && !b.is_empty()) || a == b);
        let literal = t.iter().filter(|a| !param(a)).count();
        if fits && best.is_none_or(|(n, _)| literal > n) {
            best = Some((literal, item));
        }
    }
    let mut out: Vec<String> = Vec::new();
    if let Some((_, item)) = best {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m.to_ascii_uppercase()) {
            if !out.contains(&method) {
                out.push(method);
            }
        }
    }
    out.sort();
    out
}

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

/// Adds the headers to every response of every operation of `doc`. `per_ip_limited` tells the
/// public operations with per-IP limits by method and path.
pub fn document(doc: &mut Value, per_ip_limited: impl Fn(&str, &str) -> bool) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else { continue };
            let secured = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
            let mut extra = vec![(
                "X-Request-Id",
                header("This request's id, also in error bodies as `request_id`.", "string", true),
            )];
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
    fn the_allowed_methods_of_a_path_come_from_its_template() {
        let doc = json!({"paths": {"/v1/applications/{id}": {"get": {}, "patch": {}, "delete": {}},
                                   "/v1/applications/analytics": {"get": {}}}});
        assert_eq!(allowed_methods(&doc, "/v1/applications/7"), ["DELETE", "GET", "PATCH"]);
        assert_eq!(allowed_methods(&doc, "/v1/applications/analytics"), ["GET"]);
        assert!(allowed_methods(&doc, "/v1/nothing").is_empty());
    }

    #[test]
    fn header_names_take_their_usual_spelling() {
        assert_eq!(canonical("RETRY-AFTER"), "Retry-After");
        assert_eq!(canonical("X-HAS-MORE"), "X-Has-More");
        assert_eq!(canonical("LOCATION"), "Location");
    }
}
