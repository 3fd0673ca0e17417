//! `GET /metrics`: every series (`crate::metrics` and the adapters') in the Prometheus text
//! format, for a scraper holding `JOBIN_METRICS_TOKEN` (`Authorization: Bearer …`). Without a
//! configured token the path answers 404 like any unknown path: metrics are opt-in and never
//! public.

use poem::http::StatusCode;
use poem::{Request, Response};
use secrecy::ExposeSecret;
use std::sync::Arc;
use subtle::ConstantTimeEq;

use crate::http::error::ApiError;
use crate::state::AppState;
use jobin_core::Code;

fn bearer(req: &Request) -> Option<&str> {
    let v = req.headers().get(poem::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// The scrape endpoint.
pub async fn endpoint(req: &Request) -> Response {
    let Some(token) = req.data::<Arc<AppState>>().and_then(|s| s.http.metrics_token.clone()) else {
        return ApiError::no_such_endpoint().into_response();
    };
    let sent = bearer(req).unwrap_or_default();
    if !bool::from(sent.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
        let mut resp = ApiError::new(
            Code::InvalidCredentials,
            "Send the metrics token (JOBIN_METRICS_TOKEN) as `Authorization: Bearer …`.",
        )
        .into_response();
        resp.headers_mut().insert("www-authenticate", poem::http::HeaderValue::from_static("Bearer"));
        return resp;
    }
    let body = crate::metrics::render();
    Response::builder().status(StatusCode::OK).content_type("text/plain; version=0.0.4; charset=utf-8").body(body)
}
