//! Names the field when a JSON body does not fit its schema. The framework reports such a body as
//! "failed to parse \"CheckoutBody\": Expected input type \"string\", found null" — the schema,
//! not the field. This layer keeps the body, and on that error compares it with the named schema
//! of the OpenAPI document: the first required field missing (or null) or the first field of the
//! wrong JSON type becomes a 400 `validation_failed` naming it, like every other invalid field.

use jobin_core::Code;
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::ParseRequestPayloadError;
use serde_json::Value;
use std::sync::Arc;

use crate::http::error::ApiError;
use crate::http::routes::RouteTable;

/// The schema named in a parse error's reason (`… (occurred while parsing "CheckoutBody")` or
/// `failed to parse "CheckoutBody": …`).
fn schema_name(reason: &str) -> Option<&str> {
    let rest = ["(occurred while parsing \"", "failed to parse \""].iter().find_map(|m| reason.split(m).nth(1))?;
    rest.split('"').next().filter(|n| !n.is_empty())
}

/// Whether `v` has the JSON type an OpenAPI `type` names.
fn fits(ty: &str, v: &Value) -> bool {
    match ty {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

/// The first field of `body` that breaks `schema` (of `schemas`, the document's
/// `components.schemas`), with why.
pub fn offending_field(schemas: &Value, schema: &str, body: &Value) -> Option<(String, String)> {
    let schema = schemas.get(schema)?;
    let obj = body.as_object()?;
    let required = schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
    for name in required.iter().filter_map(Value::as_str) {
        if obj.get(name).is_none_or(Value::is_null) {
            return Some((name.to_owned(), "is required".to_owned()));
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object)?;
    for (name, value) in obj {
        let Some(ty) = properties.get(name).and_then(|p| p.get("type")).and_then(Value::as_str) else { continue };
        let nullable = properties[name].get("nullable").and_then(Value::as_bool).unwrap_or(false);
        if !(value.is_null() && (nullable || !required.iter().any(|r| r == name))) && !fits(ty, value) {
            let article = if ty.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            return Some((name.clone(), format!("must be {article} {ty}")));
        }
    }
    None
}

pub async fn name_body_fields<E: Endpoint>(
    next: Arc<E>,
    mut req: Request,
    routes: Arc<RouteTable>,
) -> poem::Result<Response> {
    if !crate::http::text_guard::is_json(&req) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let bytes = req.take_body().into_bytes().await?;
    req.set_body(bytes.clone());
    match next.call(req).await {
        Ok(r) => Ok(r.into_response()),
        Err(e) => {
            let named = e
                .downcast_ref::<ParseRequestPayloadError>()
                .and_then(|p| schema_name(&p.reason))
                .zip(serde_json::from_slice::<Value>(&bytes).ok())
                .and_then(|(schema, body)| offending_field(routes.schemas(), schema, &body));
            match named {
                Some((field, reason)) => Ok(ApiError::field(Code::ValidationFailed, &field, reason).into_response()),
                None => Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_missing_or_mistyped_field_of_the_named_schema() {
        let doc = json!({"CheckoutBody": {
            "type": "object", "required": ["plan", "success_url", "cancel_url"],
            "properties": {"plan": {"type": "string"}, "success_url": {"type": "string"}, "cancel_url": {"type": "string"},
                           "quantity": {"type": "integer"}}}});
        let reason = "failed to parse \"CheckoutBody\": Expected input type \"string\", found null.";
        assert_eq!(schema_name(reason), Some("CheckoutBody"));
        let reason = "Expected input type \"string\", found null. (occurred while parsing \"CheckoutBody\")";
        assert_eq!(schema_name(reason), Some("CheckoutBody"));
        let missing = offending_field(&doc, "CheckoutBody", &json!({"plan": "pro", "cancel_url": "https://a"}));
        assert_eq!(missing, Some(("success_url".into(), "is required".into())));
        let null = offending_field(&doc, "CheckoutBody", &json!({"plan": null, "success_url": "x", "cancel_url": "y"}));
        assert_eq!(null.map(|f| f.0), Some("plan".into()));
        let typed = offending_field(&doc, "CheckoutBody", &json!({"plan": "pro", "success_url": "x", "cancel_url": 5}));
        assert_eq!(typed, Some(("cancel_url".into(), "must be a string".into())));
        let ok = json!({"plan": "pro", "success_url": "x", "cancel_url": "y", "quantity": 2});
        assert_eq!(offending_field(&doc, "CheckoutBody", &ok), None);
        assert_eq!(offending_field(&doc, "Nope", &ok), None);
    }
}
