//! Text a store cannot hold is bad input: a NUL character (PostgreSQL text has none) in the path,
//! in a query parameter or in a string of a JSON body is answered 400 `validation_failed` naming
//! the parameter or field, before any handler or store sees it. Raw control bytes in JSON are
//! already invalid JSON; HTTP header values cannot carry NUL at all.

use poem::{Endpoint, IntoResponse, Request, Response};
use serde_json::Value;
use std::sync::Arc;

use crate::http::error::ApiError;
use jobin_core::Code;

const REASON: &str = "must not contain NUL (U+0000) characters";

/// The first query parameter whose name or value holds a NUL (as `form_urlencoded` decodes it:
/// percent escapes, `+` as space).
fn nul_in_query(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| name.replace('\0', "\\u0000"))
}

/// The path (`q`, `scopes[1]`, `filters.title`) of the first string or key holding a NUL.
fn nul_in_json(value: &Value, at: &str) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then(|| at.to_owned()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| nul_in_json(v, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if at.is_empty() { k.replace('\0', "\\u0000") } else { format!("{at}.{k}") };
            if k.contains('\0') { Some(here) } else { nul_in_json(v, &here) }
        }),
        _ => None,
    }
}

/// Whether the request's body is JSON by its media type: `application/json` or a `+json` type,
/// in any case and with any parameters (`Application/JSON ; charset=UTF-8`), as the framework reads
/// it when it accepts a JSON body.
pub(crate) fn is_json(req: &Request) -> bool {
    req.content_type().is_some_and(json_media_type)
}

fn json_media_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.contains('/') && essence.ends_with("+json"))
}

fn refuse(field: &str) -> Response {
    ApiError::field(Code::ValidationFailed, field, REASON).into_response()
}

/// Rejects NUL in the path, the query and JSON bodies (not the Stripe webhook, whose body is
/// Stripe's and is checked by its signature).
pub async fn reject_nul<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<Response> {
    if percent_encoding::percent_decode_str(req.uri().path()).any(|b| b == 0) {
        return Ok(refuse("path"));
    }
    if let Some(field) = req.uri().query().and_then(nul_in_query) {
        return Ok(refuse(&field));
    }
    let webhook = crate::http::paths::unversioned(req.uri().path()) == "/billing/webhook";
    if is_json(&req) && !webhook {
        let bytes = req.take_body().into_bytes().await?;
        // Only a `\u0000` escape can put a NUL in a JSON string; parse only then.
        if bytes.windows(6).any(|w| w == b"\\u0000")
            && let Ok(value) = serde_json::from_slice::<Value>(&bytes)
            && let Some(field) = nul_in_json(&value, "")
        {
            return Ok(refuse(if field.is_empty() { "body" } else { &field }));
        }
        req.set_body(bytes);
    }
    next.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_nul_wherever_the_query_puts_it() {
        assert_eq!(nul_in_query("q=python%00&country=gb"), Some("q".into()));
        assert_eq!(nul_in_query("country=gb&location=Lon%00don"), Some("location".into()));
        assert_eq!(nul_in_query("a%00b=1"), Some("a\\u0000b".into()));
        assert_eq!(nul_in_query("q=python%2500"), None, "%25 is a literal percent sign");
        assert_eq!(nul_in_query("q=rust+dev&remote=true"), None);
        assert_eq!(nul_in_query("q=%ZZ"), None);
    }

    #[test]
    fn json_is_known_in_any_spelling_of_its_media_type() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "APPLICATION/JSON;charset=UTF-8",
            " application/json ",
            "application/problem+json",
            "Application/Vnd.Api+JSON; v=1",
        ] {
            assert!(json_media_type(json), "{json}");
        }
        for other in ["text/plain", "application/jsonx", "application/x-www-form-urlencoded", "json", ""] {
            assert!(!json_media_type(other), "{other}");
        }
    }

    #[test]
    fn names_the_json_field() {
        assert_eq!(nul_in_json(&json!({"q": "python\u{0}"}), ""), Some("q".into()));
        assert_eq!(nul_in_json(&json!({"scopes": ["jobs:read", "x\u{0}"]}), ""), Some("scopes[1]".into()));
        assert_eq!(nul_in_json(&json!({"a": {"b": "\u{0}"}}), ""), Some("a.b".into()));
        assert_eq!(nul_in_json(&json!("\u{0}"), ""), Some(String::new()));
        assert_eq!(nul_in_json(&json!({"q": "python", "n": 1, "x": null}), ""), None);
    }
}
