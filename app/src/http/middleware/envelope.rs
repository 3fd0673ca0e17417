//! The outermost layer: the request id (echoed or generated) on every answer, a tracing span per
//! request, the security headers, the error envelope for every error that escaped a handler, and
//! the 405's `Allow`; then the access log (`access_log`) records what was served.

use futures::FutureExt;
use jobin_core::Code;
use poem::http::{HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

use crate::http::context::RequestSlot;
use crate::http::error::{ApiError, REQUEST_ID};
use crate::http::routes::RouteTable;

use super::access_log;

const REQUEST_ID_HEADER: &str = "x-request-id";

/// Accepts an incoming request id if it is 1–128 characters of `[A-Za-z0-9._:-]`.
fn sane_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)))
        .then(|| s.to_owned())
}

/// Renders any error that escaped a handler (framework errors included) into the envelope.
pub fn render_error(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let api = if let Some(e) = err.downcast_ref::<ApiError>() {
        e.clone()
    } else if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        // poem-openapi reports schema mismatches as "failed to parse …" and JSON syntax errors
        // with serde's message.
        if e.reason.starts_with("failed to parse") || e.reason.contains("(occurred while parsing") {
            ApiError::new(Code::ValidationFailed, format!("The request body does not match the schema: {}", e.reason))
                .with_details(json!({"reason": e.reason}))
        } else {
            ApiError::new(Code::InvalidJson, format!("The request body is not valid JSON: {}", e.reason))
                .with_details(json!({"reason": e.reason}))
        }
    } else if let Some(e) = err.downcast_ref::<ContentTypeError>() {
        ApiError::new(Code::UnsupportedMediaType, format!("{e}; send `Content-Type: application/json`"))
    } else if let Some(e) = err.downcast_ref::<ParseParamError>() {
        ApiError::field(Code::ValidationFailed, e.name, &e.reason)
    } else if let Some(e) = err.downcast_ref::<ParsePathError>() {
        ApiError::field(Code::ValidationFailed, e.name, &e.reason)
    } else if err.is::<AuthorizationError>() {
        ApiError::missing_credentials()
    } else {
        match err.status() {
            StatusCode::NOT_FOUND => ApiError::no_such_endpoint(),
            StatusCode::METHOD_NOT_ALLOWED => {
                ApiError::new(Code::MethodNotAllowed, "This endpoint does not accept that method.")
            }
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(Code::PayloadTooLarge, "The request body is too large."),
            StatusCode::BAD_REQUEST => ApiError::new(Code::ValidationFailed, err.to_string()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(Code::UnsupportedMediaType, err.to_string()),
            s if s.is_client_error() => {
                tracing::warn!(status = %s, error = %err, "unmapped client error");
                ApiError::new(Code::ValidationFailed, err.to_string())
            }
            s => {
                tracing::error!(status = %s, error = %err, "unhandled error");
                ApiError::internal()
            }
        }
    };
    api.into_response()
}

/// Outermost layer: request id (echoed or generated) on every response, a tracing span per
/// request, and the envelope for every error.
pub async fn envelope<E: Endpoint>(next: Arc<E>, mut req: Request, routes: Arc<RouteTable>) -> poem::Result<Response> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(sane_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %access_log::loggable_path(&path));
    let started = Instant::now();
    // Filled by the authentication layers: the log line names the account and key prefix.
    let slot = RequestSlot::default();
    req.extensions_mut().insert(slot.clone());
    let inner = REQUEST_ID.scope(id.clone(), async move {
        // A handler that panics (a defect) still answers: a 500 in the envelope, logged, instead
        // of a connection closed without a response.
        match std::panic::AssertUnwindSafe(next.call(req)).catch_unwind().await {
            Ok(Ok(r)) => r.into_response(),
            Ok(Err(e)) => render_error(e),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %what, "a request handler panicked");
                ApiError::new(Code::Internal, "An unexpected error occurred; it has been logged.").into_response()
            }
        }
    });
    let mut resp = tracing::Instrument::instrument(inner, span.clone()).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    let seen = slot.get();
    security_headers(&path, seen.operation.filter(|op| routes.shows_secret(op)).is_some(), &mut resp);
    // The document's methods of the path, unless the endpoint named its own (`/mcp`).
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED && !resp.headers().contains_key(poem::http::header::ALLOW) {
        let allow = routes.allow(&path);
        if let Ok(v) = HeaderValue::from_str(&allow) {
            resp.headers_mut().insert(poem::http::header::ALLOW, v);
        }
    }
    access_log::served(&span, &seen, &routes, &path, method.as_str(), resp.status().as_u16(), started);
    Ok(resp)
}

/// `X-Content-Type-Options: nosniff` everywhere; `Cache-Control: no-store` on account and billing
/// answers (keys, tokens, payment links) and on every operation whose answer can show a secret
/// once (webhook secrets, feed tokens: the document tells which); a strict policy on the
/// stand-in's HTML pages.
fn security_headers(path: &str, shows_secret: bool, resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    let route = crate::http::paths::unversioned(path);
    if route.starts_with("/auth/") || route.starts_with("/billing/") || shows_secret {
        h.insert(poem::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if route.starts_with("/billing/local-") {
        h.insert(
            "content-security-policy",
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        );
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    }
}

/// Innermost: notes which operation answered (the framework marks its answers and errors with
/// the operation id) in the request's slot, for the metrics of the outermost layer.
pub async fn operation_of<E: Endpoint>(next: Arc<E>, req: Request) -> poem::Result<Response> {
    let slot = req.extensions().get::<RequestSlot>().cloned();
    let result = next.call(req).await.map(IntoResponse::into_response);
    let id = match &result {
        Ok(resp) => resp.data::<poem_openapi::OperationId>().map(|o| o.0),
        Err(e) => e.data::<poem_openapi::OperationId>().map(|o| o.0),
    };
    if let (Some(slot), Some(id)) = (slot, id) {
        slot.update(|s| s.operation = Some(id));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_handler_that_panics_still_answers_a_500_in_the_envelope() {
        use poem::EndpointExt;
        let app = poem::Route::new()
            .at(
                "/boom",
                poem::endpoint::make(|_| async {
                    if std::hint::black_box(true) {
                        panic!("a defect");
                    }
                    "unreachable"
                }),
            )
            .around(|next, req| envelope(next, req, Arc::default()));
        let resp = app.call(Request::builder().uri("/boom".parse().unwrap()).finish()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(resp.headers().contains_key(REQUEST_ID_HEADER));
        let body: serde_json::Value = serde_json::from_slice(&resp.into_body().into_vec().await.unwrap()).unwrap();
        assert_eq!(body["code"], "internal");
        assert!(!body["error"].as_str().unwrap().contains("a defect"), "the panic's text stays in the log");
    }
}
