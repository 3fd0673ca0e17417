//! Which paths are which: the unversioned (deprecated) API paths, the `/v1`-only ones, the
//! Jobo-compatible pair's prefix, and a path without its version. A leaf of the HTTP layer.

use crate::endpoints::API_VERSION;

/// Whether `path` is an unversioned API path (not `/v1/…`, the document, the docs or the local
/// checkout pages).
pub fn is_unversioned_api_path(path: &str) -> bool {
    let api = ["/auth/", "/jobs/", "/billing/", "/pricing", "/health"];
    !path.starts_with(&format!("{API_VERSION}/"))
        && !path.starts_with("/billing/local-")
        && !is_v1_only(path)
        && api.iter().any(|p| path == p.trim_end_matches('/') || path.starts_with(p))
}

/// Whether an unversioned `path` names an operation that exists under `/v1` only.
pub fn is_v1_only(path: &str) -> bool {
    V1_ONLY_PATHS.contains(&path.trim_end_matches('/')) || V1_ONLY_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Where the Jobo-compatible sync pair lives (Jobo's own paths, unversioned and not deprecated).
pub const JOBO_PREFIX: &str = "/api/";

/// Operations that exist under `/v1` only (added after versioning): no unversioned copy.
pub const V1_ONLY_PREFIXES: &[&str] = &["/applications", "/searches"];

/// Single operations that exist under `/v1` only (`GET /v1/jobs`, the corpus search).
pub const V1_ONLY_PATHS: &[&str] = &["/jobs"];

/// The path without the version prefix, for code that classifies routes.
pub fn unversioned(path: &str) -> &str {
    match path.strip_prefix(API_VERSION) {
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unversioned_api_paths_are_deprecated() {
        for p in ["/auth/me", "/jobs/search", "/billing/checkout", "/pricing", "/health", "/auth/keys/jl_live_ab12****"]
        {
            assert!(is_unversioned_api_path(p), "{p}");
        }
        for p in
            ["/v1/auth/me", "/v1/health", "/openapi.json", "/docs", "/billing/local-checkout/cs_1", "/nope", "/jobs"]
        {
            assert!(!is_unversioned_api_path(p), "{p}");
        }
        assert_eq!(unversioned("/v1/auth/login"), "/auth/login");
        assert_eq!(unversioned("/v1"), "/v1");
        assert_eq!(unversioned("/auth/login"), "/auth/login");
    }
}
