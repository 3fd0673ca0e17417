//! The per-IP minute limits of the public operations (register, login, refresh, the Atom feed),
//! with their rate headers.

use jobin_core::Code;
use jobin_core::usecases::{PublicEndpoint, ThrottleError};
use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;

use super::envelope::render_error;
use crate::http::client_ip::client_ip;
use crate::http::error::{ApiError, Extra, iso_millis};
use crate::state::AppState;

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
            crate::metrics::rate_limit_refusal("per_ip");
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
