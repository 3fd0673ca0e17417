//! The one map of each plan-gated operation ([`Endpoint`]) to its route: core gates by operation and
//! names no path; the HTTP layer, `/pricing`, `/auth/me` and the catalog file's `[endpoints]` keys
//! use the paths. Also where the MCP endpoint is and which of its tools write (the HTTP layer's
//! idempotency reads both; `mcp` is held to them by a test). A leaf module: it imports nothing
//! from the app.

use jobin_core::domain::Endpoint;

/// The version prefix every current operation is served under (unversioned paths are deprecated).
pub const API_VERSION: &str = "/v1";

/// Where the MCP endpoint is served.
pub const MCP_PATH: &str = "/mcp";

/// The MCP tools whose calls change state (only those pass the idempotency layer).
pub const MCP_WRITE_TOOLS: [&str; 2] = ["save_application", "create_saved_search"];

/// The route of a gated operation, as clients call it and as the catalog file names it.
pub const fn path(e: Endpoint) -> &'static str {
    match e {
        Endpoint::JobsSearch => "/jobs/search",
        Endpoint::JobsSalary => "/jobs/salary",
        Endpoint::JobsTrends => "/jobs/trends",
        Endpoint::JobsInsight => "/jobs/insight",
        Endpoint::JobsProviders => "/jobs/providers",
        Endpoint::JobsFeed => "/jobs/feed",
        Endpoint::JobsExpired => "/jobs/expired",
        Endpoint::JobsGet => "/jobs/{id}",
        Endpoint::SearchMatches => "/searches/{id}/matches",
        Endpoint::JobsCorpus => "/jobs",
    }
}

/// The route a client should call (under [`API_VERSION`]): what `/v1/pricing`, `/v1/auth/me` and
/// every message name.
pub fn current_path(e: Endpoint) -> String {
    format!("{API_VERSION}{}", path(e))
}

/// The gated operation at `path` (the catalog file's keys).
pub fn at_path(path: &str) -> Option<Endpoint> {
    let path = path.trim_end_matches('/');
    // The versioned path names the same operation.
    let path = path.strip_prefix("/v1").filter(|rest| rest.starts_with('/')).unwrap_or(path);
    Endpoint::ALL.into_iter().find(|e| self::path(*e) == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_has_its_own_path_and_round_trips() {
        let paths: std::collections::HashSet<_> = Endpoint::ALL.iter().map(|e| path(*e)).collect();
        assert_eq!(paths.len(), Endpoint::ALL.len());
        for e in Endpoint::ALL {
            assert_eq!(at_path(path(e)), Some(e));
            assert_eq!(at_path(&format!("{}/", path(e))), Some(e));
        }
        assert_eq!(at_path("/v1/jobs/salary"), Some(Endpoint::JobsSalary));
        assert_eq!(at_path("/auth/me"), None);
    }
}
