//! Middleware (as `around` functions): request id + error envelope (outermost), body size limit, and the per-IP limits of
//! the public account endpoints.

use futures::FutureExt;
use jobin_core::Code;
use jobin_core::ports::UsageRecord;
use jobin_core::usecases::{PublicEndpoint, ThrottleError};
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

use crate::http::client_ip::client_ip;
use crate::http::context::RequestSlot;
use crate::http::error::{ApiError, Extra, REQUEST_ID, iso_millis};
use crate::state::AppState;

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
        ApiError::new(
            Code::MissingCredentials,
            "Send an API key as `X-API-Key: jl_live_…` or `Authorization: Bearer jl_live_…`.",
        )
    } else {
        match err.status() {
            StatusCode::NOT_FOUND => ApiError::new(Code::NotFound, "No such endpoint; see /openapi.json."),
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
                ApiError::new(Code::Internal, "An unexpected error occurred. Quote the request id when reporting it.")
            }
        }
    };
    api.into_response()
}

/// Outermost layer: request id (echoed or generated) on every response, a tracing span per
/// request, and the envelope for every error.
pub async fn envelope<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(sane_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %loggable_path(&path));
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
    security_headers(&path, seen.operation, &mut resp);
    // The document's methods of the path, unless the endpoint named its own (`/mcp`).
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED && !resp.headers().contains_key(poem::http::header::ALLOW) {
        let allow = crate::http::doc_headers::allowed_methods(crate::http::doc_headers::served(), &path).join(", ");
        if let Ok(v) = HeaderValue::from_str(&allow) {
            resp.headers_mut().insert(poem::http::header::ALLOW, v);
        }
    }
    let route = match seen.operation {
        Some(op) if crate::http::paths::is_unversioned_api_path(&path) => unversioned_operation(op),
        Some(op) => op,
        None => page_route(&path),
    };
    jobin_adapters::metrics::http_request(route, method.as_str(), resp.status().as_u16(), started.elapsed());
    let key = seen.key.map(|k| String::from_utf8_lossy(&k.0).into_owned());
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            latency_ms = started.elapsed().as_millis() as u64,
            account = seen.account.map(|a| a.0),
            key = key.as_deref(),
            "served"
        );
    });
    Ok(resp)
}

/// The stand-in's checkout and portal links carry their only credential in the path: the log gets
/// the route (`/billing/local-portal/{id}/cancel`), never the id.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for route in ["/billing/local-checkout/", "/billing/local-portal/"] {
        if let Some(rest) = path.strip_prefix(route) {
            let after = rest.split_once('/').map(|(_, a)| format!("/{a}")).unwrap_or_default();
            return format!("{route}{{id}}{after}").into();
        }
    }
    path.into()
}

/// `X-Content-Type-Options: nosniff` everywhere; `Cache-Control: no-store` on account and billing
/// answers (keys, tokens, payment links) and on every operation whose answer can show a secret
/// once (webhook secrets, feed tokens: the document tells which); a strict policy on the
/// stand-in's HTML pages.
fn security_headers(path: &str, operation: Option<&'static str>, resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    let route = crate::http::paths::unversioned(path);
    if route.starts_with("/auth/")
        || route.starts_with("/billing/")
        || operation.is_some_and(crate::http::doc_headers::shows_secret)
    {
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

fn too_large(max: usize) -> poem::Error {
    ApiError::new(Code::PayloadTooLarge, format!("The request body exceeds the limit of {max} bytes."))
        .with_details(json!({"max_bytes": max}))
        .into()
}

/// Rejects bodies over the configured size with 413 (by `Content-Length` up front, or while
/// reading a body sent without one), and reads every body whole within the body-read timeout of
/// its head: a client trickling its body cannot hold a connection (408 `request_timeout`, and the
/// connection is closed).
pub async fn body_limit<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<E::Output> {
    let (max, within) = req
        .data::<Arc<AppState>>()
        .map(|s| (s.http.max_body_bytes, s.http.connections.body_read_timeout))
        .unwrap_or((64 * 1024, crate::listener::ConnectionSettings::default().body_read_timeout));
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let chunked = req.headers().contains_key(poem::http::header::TRANSFER_ENCODING);
    match declared {
        Some(n) if n > max as u64 => return Err(too_large(max)),
        Some(0) => {}
        None if !chunked => {}
        _ => {
            let read = tokio::time::timeout(within, req.take_body().into_bytes_limit(max)).await;
            let bytes = match read {
                Err(_) => return Err(body_timeout(within)),
                Ok(Err(poem::error::ReadBodyError::PayloadTooLarge)) => return Err(too_large(max)),
                // A broken chunked encoding or a body cut short is a bad request, not a big one.
                Ok(Err(_)) => {
                    return Err(ApiError::new(
                        Code::ValidationFailed,
                        "The request body could not be read (malformed chunked encoding or an incomplete body).",
                    )
                    .into());
                }
                Ok(Ok(bytes)) => bytes,
            };
            req.set_body(bytes);
        }
    }
    next.call(req).await
}

fn body_timeout(within: std::time::Duration) -> poem::Error {
    let secs = within.as_secs();
    let err = ApiError::new(
        Code::RequestTimeout,
        format!("The request body did not arrive whole within {secs} s of its head; send it again."),
    )
    .with_details(json!({"body_read_timeout_secs": secs}));
    let mut resp = poem::Error::from(err).into_response();
    resp.headers_mut().insert(poem::http::header::CONNECTION, HeaderValue::from_static("close"));
    poem::Error::from_response(resp)
}

/// Whether the public operation at `method` `path` has a per-IP limit (for the document).
pub(crate) fn per_ip_limited(method: &str, path: &str) -> bool {
    Method::from_bytes(method.to_ascii_uppercase().as_bytes()).is_ok_and(|m| public_endpoint(&m, path).is_some())
}

fn public_endpoint(method: &Method, path: &str) -> Option<PublicEndpoint> {
    if method == Method::GET {
        // `/v1/searches/{id}/feed.atom` (a request's path, or the document's template).
        let mut parts = path.trim_end_matches('/').split('/');
        let feed = parts.next() == Some("")
            && parts.next() == Some(&crate::endpoints::API_VERSION[1..])
            && parts.next() == Some("searches")
            && parts.next().is_some_and(|id| !id.is_empty())
            && parts.next() == Some("feed.atom")
            && parts.next().is_none();
        return feed.then_some(PublicEndpoint::Feed);
    }
    if method != Method::POST {
        return None;
    }
    match crate::http::paths::unversioned(path).trim_end_matches('/') {
        "/auth/register" => Some(PublicEndpoint::Register),
        "/auth/login" => Some(PublicEndpoint::Login),
        "/auth/refresh" => Some(PublicEndpoint::Refresh),
        _ => None,
    }
}

pub(crate) fn rate_headers(resp: &mut Response, limit: u32, remaining: u32, reset: i64) {
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", limit.into());
    h.insert("x-ratelimit-remaining", remaining.into());
    h.insert("x-ratelimit-reset", reset.into());
}

/// The per-IP minute limits of `POST /auth/register`, `/auth/login` and `/auth/refresh` and of
/// `GET /v1/searches/{id}/feed.atom`, with `X-RateLimit-*` headers on their responses and
/// `Retry-After` on a 429.
pub async fn public_limits<E: Endpoint>(next: Arc<E>, req: Request) -> poem::Result<Response> {
    let Some(endpoint) = public_endpoint(req.method(), req.uri().path()) else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let Some(state) = req.data::<Arc<AppState>>().cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let header = state.http.forwarded_header;
    let hops = header.hops(req.headers().get_all(header.name()).iter().filter_map(|v| v.to_str().ok()));
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let Some(ip) = client_ip(peer, &hops, &state.http.trusted_proxies) else {
        // No socket address (not over TCP): nothing to key a per-IP limit on.
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let now = state.clock.now();
    match state.access.throttle.execute(endpoint, ip).await {
        Ok(d) => {
            let mut resp = match next.call(req).await {
                Ok(r) => r.into_response(),
                Err(e) => render_error(e),
            };
            rate_headers(&mut resp, d.limit, d.remaining(), d.resets_at.timestamp());
            Ok(resp)
        }
        Err(ThrottleError::Limited(d)) => {
            jobin_adapters::metrics::rate_limit_refusal("per_ip");
            let retry = d.retry_after_secs(now);
            let mut e = ApiError::new(
                Code::RateLimited,
                format!(
                    "Too many requests from this address: the limit is {} per minute. Retry in {retry} s.",
                    d.limit
                ),
            );
            e.retry_after = Some(retry);
            e.extra = Some(Box::new(Extra {
                limit: Some(u64::from(d.limit)),
                used: Some(u64::from(d.used)),
                resets: Some(iso_millis(d.resets_at)),
                ..Extra::default()
            }));
            let mut resp = e.into_response();
            rate_headers(&mut resp, d.limit, 0, d.resets_at.timestamp());
            Ok(resp)
        }
        Err(e) => Ok(ApiError::from_usecase(e).into_response()),
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

/// The document's id of an operation served at its deprecated unversioned path (`search_jobs` →
/// `search_jobs_unversioned`), so that the metrics name each documented operation apart.
fn unversioned_operation(op: &'static str) -> &'static str {
    static NAMES: std::sync::OnceLock<std::collections::HashMap<&'static str, &'static str>> =
        std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let doc = crate::http::doc_headers::served();
        let mut names = std::collections::HashMap::new();
        for item in doc.get("paths").and_then(serde_json::Value::as_object).into_iter().flat_map(|p| p.values()) {
            for op in item.as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(id) = op.get("operationId").and_then(serde_json::Value::as_str)
                    && let Some(base) = id.strip_suffix("_unversioned")
                {
                    // Leaked once per documented operation: a fixed, small set.
                    let id: &'static str = Box::leak(id.to_owned().into_boxed_str());
                    let base: &'static str = Box::leak(base.to_owned().into_boxed_str());
                    names.insert(base, id);
                }
            }
        }
        names
    });
    names.get(op).copied().unwrap_or(op)
}

/// The `route` label of a request no operation answered: the server's own pages by name, anything
/// else `unmatched` (a label never carries a raw path).
fn page_route(path: &str) -> &'static str {
    match path {
        "/" => "root",
        "/docs" => "docs",
        "/openapi.json" => "openapi_json",
        "/metrics" => "metrics",
        "/mcp" => "mcp",
        p if p.starts_with("/billing/local-") => "local_billing_pages",
        _ => "unmatched",
    }
}

/// `GET /auth/keys/jl_live_ab12****` → `/auth/keys/{prefix}`: routes, not raw paths, in the log.
fn route_of(path: &str) -> String {
    let version = &path[..path.len() - crate::http::paths::unversioned(path).len()];
    match crate::http::paths::unversioned(path).strip_prefix("/auth/keys/") {
        Some(rest) if rest != "rotate" && !rest.is_empty() => format!("{version}/auth/keys/{{prefix}}"),
        _ => path.chars().take(100).collect(),
    }
}

/// For authenticated requests: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`
/// (the account's minute window) and `X-Plan` on the response, errors included; and a usage-log
/// row (account, key prefix, route, status, cache hit, latency).
pub async fn account_rate_headers<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<Response> {
    // The envelope's slot when there is one (its log line reads it too).
    let slot = req.extensions().get::<RequestSlot>().cloned().unwrap_or_default();
    req.extensions_mut().insert(slot.clone());
    let state = req.data::<Arc<AppState>>().cloned();
    let endpoint = format!("{} {}", req.method(), route_of(req.uri().path()));
    let started = Instant::now();
    let mut resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => render_error(e),
    };
    let seen = slot.get();
    if let Some(status) = seen.rate {
        rate_headers(&mut resp, status.minute.limit, status.minute.remaining(), status.minute.resets_at.timestamp());
        resp.headers_mut().insert("x-plan", HeaderValue::from_static(status.plan.as_str()));
    }
    if let (Some(account), Some(state)) = (seen.account, state) {
        state
            .usage
            .writer
            .record(UsageRecord {
                at: state.clock.now(),
                account,
                key_prefix: seen.key.map(|k| String::from_utf8_lossy(&k.0).into_owned()),
                endpoint,
                status: resp.status().as_u16(),
                cache_hit: resp.headers().get("x-cache").is_some_and(|v| v == "HIT"),
                latency_ms: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
                monthly: seen.rate.is_some_and(|r| r.monthly),
            })
            .await;
    }
    Ok(resp)
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
            .around(envelope);
        let resp = app.call(Request::builder().uri("/boom".parse().unwrap()).finish()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(resp.headers().contains_key(REQUEST_ID_HEADER));
        let body: serde_json::Value = serde_json::from_slice(&resp.into_body().into_vec().await.unwrap()).unwrap();
        assert_eq!(body["code"], "internal");
        assert!(!body["error"].as_str().unwrap().contains("a defect"), "the panic's text stays in the log");
    }

    #[test]
    fn payment_link_ids_never_reach_the_log() {
        assert_eq!(loggable_path("/billing/local-checkout/cs_local_secret"), "/billing/local-checkout/{id}");
        assert_eq!(
            loggable_path("/billing/local-checkout/cs_local_secret/complete"),
            "/billing/local-checkout/{id}/complete"
        );
        assert_eq!(loggable_path("/billing/local-portal/bps_secret/cancel"), "/billing/local-portal/{id}/cancel");
        assert_eq!(loggable_path("/v1/jobs/search"), "/v1/jobs/search");
    }
}
