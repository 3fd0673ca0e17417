//! The OpenAPI document, assembled once above the handlers and below the server: every operation
//! (`api_service`), its `/v1` spec with the deprecated unversioned copies, the response headers,
//! the value-set rules, the error examples and the idempotency and scope notes
//! ([`with_deprecated_paths`]), and the docs page's view of it ([`for_the_docs_page`]). Nothing in
//! the HTTP layer imports this module; the server reads it once into the route table the layers
//! are handed (`routes::RouteTable`).

use poem_openapi::OpenApiService;
use serde_json::Value;

use crate::endpoints::API_VERSION;
use crate::http::auth::AuthApi;
use crate::http::billing::BillingApi;
use crate::http::corpus::CorpusApi;
use crate::http::feed::FeedApi;
use crate::http::jobo::JoboApi;
use crate::http::jobs::JobsApi;
use crate::http::paths::{JOBO_PREFIX, is_v1_only, unversioned};
use crate::http::searches::SearchesApi;
use crate::http::system::SystemApi;
use crate::http::tracker::TrackerApi;

/// The operations of the JobIn document (also served at their unversioned, deprecated paths).
type Documented = (AuthApi, JobsApi, FeedApi, JoboApi, BillingApi, SystemApi);

/// Every operation, as served under `/v1` (the tracker, saved searches and the corpus search exist
/// under `/v1` only).
pub fn api_service() -> OpenApiService<(Documented, (TrackerApi, SearchesApi, CorpusApi)), ()> {
    described(OpenApiService::new(
        ((AuthApi, JobsApi, FeedApi, JoboApi, BillingApi, SystemApi), (TrackerApi, SearchesApi, CorpusApi)),
        "JobIn API",
        env!("CARGO_PKG_VERSION"),
    ))
}

/// The operations also served at their unversioned paths.
pub fn unversioned_service() -> OpenApiService<Documented, ()> {
    described(OpenApiService::new(
        (AuthApi, JobsApi, FeedApi, JoboApi, BillingApi, SystemApi),
        "JobIn API",
        env!("CARGO_PKG_VERSION"),
    ))
}

fn described<T: poem_openapi::OpenApi>(service: OpenApiService<T, ()>) -> OpenApiService<T, ()> {
    service
        .description(
            "Self-hostable job-market data API. Aggregated job postings, salary statistics and market analytics. Every error response carries the \
             envelope `{\"error\", \"code\", \"details\", \"request_id\"}`; branch on `code`. Every response carries \
             `X-Request-Id`.",
        )
}

/// The OpenAPI document as served at `/openapi.json` (what `jobin openapi` prints): the `/v1`
/// operations, and the unversioned paths marked deprecated.
pub fn openapi_json() -> String {
    document().to_owned()
}

/// The docs page's title (Swagger UI's own is "Swagger UI").
pub const DOCS_TITLE: &str = "<title>JobIn API v1 — reference</title>";

/// The document, built once per process.
pub fn document() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| with_deprecated_paths(&api_service().url_prefix(API_VERSION).spec()))
}

/// What the layers around the handlers need of the operations, read once per process from the
/// document (it is the same for every server of a process; the table keeps `'static` labels).
pub fn route_table() -> std::sync::Arc<crate::http::routes::RouteTable> {
    static TABLE: std::sync::OnceLock<std::sync::Arc<crate::http::routes::RouteTable>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::sync::Arc::new(crate::http::routes::RouteTable::of(document()))).clone()
}

/// The `/v1` document with a deprecated copy of each operation at its unversioned path (operation
/// ids suffixed `_unversioned`, so generated clients keep unique method names).
pub fn with_deprecated_paths(v1_spec: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(v1_spec) else { return v1_spec.to_owned() };
    crate::http::idempotency::document(&mut doc);
    crate::http::gate::document(&mut doc);
    let Some(paths) = doc.get("paths").and_then(Value::as_object).cloned() else { return v1_spec.to_owned() };
    let mut all = serde_json::Map::new();
    for (path, item) in &paths {
        // The Jobo-compatible pair lives at Jobo's own paths (`/api/…`), outside the versioning.
        let path = match path.strip_prefix(API_VERSION) {
            Some(jobo) if jobo.starts_with(JOBO_PREFIX) => jobo.to_owned(),
            _ => path.clone(),
        };
        all.insert(path, item.clone());
    }
    for (path, item) in paths {
        let old = unversioned(&path).to_owned();
        if old == path || old.starts_with(JOBO_PREFIX) || is_v1_only(&old) {
            continue;
        }
        let mut item = item;
        if let Some(ops) = item.as_object_mut() {
            for op in ops.values_mut().filter_map(Value::as_object_mut) {
                op.insert("deprecated".into(), Value::Bool(true));
                if let Some(id) = op.get("operationId").and_then(Value::as_str).map(str::to_owned) {
                    op.insert("operationId".into(), Value::String(format!("{id}_unversioned")));
                }
                let note = format!(
                    "Deprecated: the unversioned path answers like `{path}`, with `Deprecation`, `Sunset` and \
                     `Link` headers; use `{path}`."
                );
                let description = match op.get("description").and_then(Value::as_str) {
                    Some(d) => format!("{note}\n\n{d}"),
                    None => note,
                };
                op.insert("description".into(), Value::String(description));
            }
        }
        all.insert(old, item);
    }
    // Public operations say so (`security: []`) rather than leaving it unsaid.
    for item in all.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut().filter_map(Value::as_object_mut) {
            op.entry("security").or_insert_with(|| Value::Array(vec![]));
        }
    }
    doc["paths"] = Value::Object(all);
    crate::http::doc_headers::document(&mut doc, crate::http::middleware::per_ip_limited);
    crate::http::doc_headers::plain_refs(&mut doc);
    let missed = crate::http::doc_rules::declare(&mut doc);
    debug_assert!(missed.is_empty(), "document rules naming nothing: {missed:?}");
    crate::http::doc_headers::nullable_optionals(&mut doc);
    crate::http::error_examples::document(&mut doc);
    // Paths are relative to the server that serves the document (every deployment has its own).
    doc["servers"] = serde_json::json!([{"url": "/", "description": "The server this document is served from."}]);
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| v1_spec.to_owned())
}

/// The document as the docs page shows it: the current operations only. The deprecated
/// unversioned copies stay in `/openapi.json` (for clients that still call them); the page says
/// where they are instead of opening on them.
pub fn for_the_docs_page(document: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(document) else { return document.to_owned() };
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            item.retain(|_, op| op.get("deprecated") != Some(&Value::Bool(true)));
        }
        paths.retain(|_, item| item.as_object().is_some_and(|ops| !ops.is_empty()));
    }
    if let Some(info) = doc.get_mut("info").and_then(Value::as_object_mut) {
        let note = format!(
            "This page shows the current operations, under `{API_VERSION}`. The same operations without \
             `{API_VERSION}` still answer, deprecated (with `Deprecation`, `Sunset` and `Link` headers); \
             [/openapi.json](/openapi.json) lists them too."
        );
        let description = match info.get("description").and_then(Value::as_str) {
            Some(d) => format!("{d}\n\n{note}"),
            None => note,
        };
        info.insert("description".into(), Value::String(description));
    }
    serde_json::to_string(&doc).unwrap_or_else(|_| document.to_owned())
}
