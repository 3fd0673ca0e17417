//! Each gated handler names its plan gate in its extractor type (`KeyAuth<gate::Salary>`), so
//! admission never looks at the request path. Core gates by [`Endpoint`]; `crate::endpoints` is the
//! one map of each gated operation to its route.

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

pub use crate::endpoints::{at_path, path};
