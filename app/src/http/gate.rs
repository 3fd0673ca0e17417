//! Which plan-gated operation each route is. Core gates by [`Endpoint`]; this is the one place that
//! knows their paths. Each gated handler names its gate in its extractor type
//! (`KeyAuth<gate::Salary>`), so admission never looks at the request path.

use jobin_core::domain::Endpoint;

/// A handler's plan gate: the gated operation it is, or `None` for ungated (account) operations.
pub trait Gate: Send + Sync + 'static {
    const ENDPOINT: Option<Endpoint>;
}

macro_rules! gates {
    ($($(#[$m:meta])* $name:ident => $endpoint:expr;)*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl Gate for $name {
            const ENDPOINT: Option<Endpoint> = $endpoint;
        }
    )*};
}

gates! {
    /// Open to every plan; not counted against the monthly quota (account and billing operations).
    Ungated => None;
    Search => Some(Endpoint::JobsSearch);
    Salary => Some(Endpoint::JobsSalary);
    Trends => Some(Endpoint::JobsTrends);
    Insight => Some(Endpoint::JobsInsight);
    Providers => Some(Endpoint::JobsProviders);
    Feed => Some(Endpoint::JobsFeed);
    Expired => Some(Endpoint::JobsExpired);
}

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
    }
}

/// The gated operation at `path` (the catalog file's keys).
pub fn at_path(path: &str) -> Option<Endpoint> {
    let path = path.trim_end_matches('/');
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
        assert_eq!(at_path("/auth/me"), None);
    }
}
