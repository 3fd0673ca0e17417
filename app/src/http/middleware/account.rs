//! Authenticated requests: the account's rate headers (`X-RateLimit-*`, `X-Plan`) on every answer,
//! errors included, and the request's row in the usage log.

use jobin_core::ports::UsageRecord;
use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;
use std::time::Instant;

use super::envelope::render_error;
use super::limits::rate_headers;
use crate::http::context::RequestSlot;
use crate::state::AppState;

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
