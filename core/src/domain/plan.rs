//! Plans and the plan-gated endpoints. What each plan includes is the catalog's business
//! (`catalog.rs`).

use std::fmt;

/// A subscription plan, ordered from smallest to largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Plan {
    Free,
    Starter,
    Pro,
    Scale,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown plan `{0}`; valid plans: free, starter, pro, scale")]
pub struct UnknownPlan(pub String);

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Free, Plan::Starter, Plan::Pro, Plan::Scale];

    pub fn parse(raw: &str) -> Result<Self, UnknownPlan> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "free" => Ok(Plan::Free),
            "starter" => Ok(Plan::Starter),
            "pro" => Ok(Plan::Pro),
            "scale" => Ok(Plan::Scale),
            _ => Err(UnknownPlan(raw.to_owned())),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Starter => "starter",
            Plan::Pro => "pro",
            Plan::Scale => "scale",
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The plan-gated data operations of the Quick Reference (the HTTP layer maps each to its route).
/// Account operations are open to every plan and are not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    JobsSearch,
    JobsSalary,
    JobsTrends,
    JobsInsight,
    JobsProviders,
    JobsFeed,
    JobsExpired,
    /// One stored job by id.
    JobsGet,
    /// The jobs a saved search matched (issue 20).
    SearchMatches,
    /// The stored corpus searched: filters, sort, pages and facets.
    JobsCorpus,
}

impl Endpoint {
    pub const ALL: [Endpoint; 10] = [
        Endpoint::JobsSearch,
        Endpoint::JobsSalary,
        Endpoint::JobsTrends,
        Endpoint::JobsInsight,
        Endpoint::JobsProviders,
        Endpoint::JobsFeed,
        Endpoint::JobsExpired,
        Endpoint::JobsGet,
        Endpoint::SearchMatches,
        Endpoint::JobsCorpus,
    ];

    /// Minimum plan from the Quick Reference.
    pub const fn min_plan(self) -> Plan {
        match self {
            Endpoint::JobsSearch
            | Endpoint::JobsProviders
            | Endpoint::JobsGet
            | Endpoint::SearchMatches
            | Endpoint::JobsCorpus => Plan::Free,
            Endpoint::JobsSalary => Plan::Starter,
            Endpoint::JobsTrends | Endpoint::JobsInsight | Endpoint::JobsFeed | Endpoint::JobsExpired => Plan::Pro,
        }
    }

    /// Whether a request counts against the monthly quota. The expired-ids stream does not: it keeps
    /// clients' copies clean (it is still rate limited).
    pub const fn counts_monthly(self) -> bool {
        !matches!(self, Endpoint::JobsExpired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_plan_case_insensitively() {
        for plan in Plan::ALL {
            assert_eq!(Plan::parse(plan.as_str()), Ok(plan));
            assert_eq!(Plan::parse(&plan.as_str().to_uppercase()), Ok(plan));
        }
        assert!(Plan::parse("enterprise").is_err());
    }
}
