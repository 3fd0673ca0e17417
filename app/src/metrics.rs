//! `GET /metrics`: every series of `jobin_adapters::metrics` in the Prometheus text format, for a
//! scraper holding `JOBIN_METRICS_TOKEN` (`Authorization: Bearer …`). Without a configured token
//! the path answers 404 like any unknown path: metrics are opt-in and never public.

use jobin_adapters::metrics::HISTOGRAMS;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poem::http::StatusCode;
use poem::{Request, Response};
use secrecy::ExposeSecret;
use std::sync::{Arc, OnceLock};
use subtle::ConstantTimeEq;

use crate::http::error::ApiError;
use crate::state::AppState;
use jobin_core::Code;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed once (every server of a process shares it). Called only when
/// metrics are on (`JOBIN_METRICS_TOKEN`): until then nothing is recorded.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let mut builder = PrometheusBuilder::new();
            for (name, buckets) in HISTOGRAMS {
                builder = builder.set_buckets_for_metric(Matcher::Full((*name).to_owned()), buckets).ok()?;
            }
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "a metrics recorder was already installed; /metrics stays empty");
                    None
                }
            }
        })
        .as_ref()
}

/// The recorder, if metrics were turned on (never installs one).
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE.get().and_then(Option::as_ref)
}

/// Keeps the recorder's histograms bounded between scrapes.
pub async fn upkeep() {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        if let Some(h) = handle() {
            h.run_upkeep();
        }
    }
}

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
    let body = handle().map(PrometheusHandle::render).unwrap_or_default();
    Response::builder().status(StatusCode::OK).content_type("text/plain; version=0.0.4; charset=utf-8").body(body)
}
