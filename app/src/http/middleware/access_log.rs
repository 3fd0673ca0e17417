//! The access log: one line per request served (status, latency, the account and key prefix the
//! authentication layers noted) and the request metric under its route label — the operation that
//! answered (its unversioned copy's id at a deprecated path), the server's own pages by name,
//! anything else `unmatched`, so a label never carries a raw path.

use std::time::Instant;

use crate::http::context::Seen;
use crate::http::routes::RouteTable;

/// Records one answered request: the metric, then the log line in the request's span.
pub fn served(
    span: &tracing::Span,
    seen: &Seen,
    routes: &RouteTable,
    path: &str,
    method: &str,
    status: u16,
    started: Instant,
) {
    let route = match seen.operation {
        Some(op) if crate::http::paths::is_unversioned_api_path(path) => routes.unversioned(op),
        Some(op) => op,
        None => page_route(path),
    };
    crate::metrics::http_request(route, method, status, started.elapsed());
    let key = seen.key.map(|k| String::from_utf8_lossy(&k.0).into_owned());
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = started.elapsed().as_millis() as u64,
            account = seen.account.map(|a| a.0),
            key = key.as_deref(),
            "served"
        );
    });
}

/// The stand-in's checkout and portal links carry their only credential in the path: the log gets
/// the route (`/billing/local-portal/{id}/cancel`), never the id.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for route in ["/billing/local-checkout/", "/billing/local-portal/"] {
        if let Some(rest) = path.strip_prefix(route) {
            let after = rest.split_once('/').map(|(_, a)| format!("/{a}")).unwrap_or_default();
            return format!("{route}{{id}}{after}").into();
        }
    }
    path.into()
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

#[cfg(test)]
mod tests {
    use super::*;

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
