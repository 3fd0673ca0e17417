//! Plans and what they allow, compiled in from the JobIn document (Plans & Rate Limits, Quick
//! Reference).

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

/// The limits of one plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    pub monthly_requests: u64,
    pub per_minute: u32,
    pub data_sources: u8,
    /// Which AI tiers the plan may use: none, lite, or lite + flagship.
    pub ai_tiers: &'static [&'static str],
    pub price_usd_per_month: u32,
}

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

    /// The document's table: Free 1,000/10/1, Starter 50,000/60/3, Pro 500,000/300/5,
    /// Scale 3,000,000/1,000/6.
    pub const fn limits(self) -> PlanLimits {
        match self {
            Plan::Free => PlanLimits {
                monthly_requests: 1_000,
                per_minute: 10,
                data_sources: 1,
                ai_tiers: &[],
                price_usd_per_month: 0,
            },
            Plan::Starter => PlanLimits {
                monthly_requests: 50_000,
                per_minute: 60,
                data_sources: 3,
                ai_tiers: &[],
                price_usd_per_month: 49,
            },
            Plan::Pro => PlanLimits {
                monthly_requests: 500_000,
                per_minute: 300,
                data_sources: 5,
                ai_tiers: &["lite", "flagship"],
                price_usd_per_month: 149,
            },
            Plan::Scale => PlanLimits {
                monthly_requests: 3_000_000,
                per_minute: 1_000,
                data_sources: 6,
                ai_tiers: &["lite", "flagship"],
                price_usd_per_month: 299,
            },
        }
    }

    /// The data endpoints this plan may call, as listed by `GET /auth/me`.
    pub fn endpoints(self) -> Vec<&'static str> {
        Endpoint::ALL.iter().filter(|e| e.min_plan() <= self).map(|e| e.path()).collect()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The plan-gated data endpoints of the Quick Reference. Account endpoints (`/auth/*`) are open
/// to every plan and are not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    JobsSearch,
    JobsSalary,
    JobsTrends,
    JobsInsight,
    JobsProviders,
}

impl Endpoint {
    pub const ALL: [Endpoint; 5] = [
        Endpoint::JobsSearch,
        Endpoint::JobsSalary,
        Endpoint::JobsTrends,
        Endpoint::JobsInsight,
        Endpoint::JobsProviders,
    ];

    pub const fn path(self) -> &'static str {
        match self {
            Endpoint::JobsSearch => "/jobs/search",
            Endpoint::JobsSalary => "/jobs/salary",
            Endpoint::JobsTrends => "/jobs/trends",
            Endpoint::JobsInsight => "/jobs/insight",
            Endpoint::JobsProviders => "/jobs/providers",
        }
    }

    /// Minimum plan from the Quick Reference.
    pub const fn min_plan(self) -> Plan {
        match self {
            Endpoint::JobsSearch | Endpoint::JobsProviders => Plan::Free,
            Endpoint::JobsSalary => Plan::Starter,
            Endpoint::JobsTrends | Endpoint::JobsInsight => Plan::Pro,
        }
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

    #[test]
    fn endpoints_follow_the_quick_reference() {
        assert_eq!(Plan::Free.endpoints(), vec!["/jobs/search", "/jobs/providers"]);
        assert_eq!(Plan::Starter.endpoints(), vec!["/jobs/search", "/jobs/salary", "/jobs/providers"]);
        assert_eq!(
            Plan::Pro.endpoints(),
            vec!["/jobs/search", "/jobs/salary", "/jobs/trends", "/jobs/insight", "/jobs/providers"]
        );
        assert_eq!(Plan::Scale.endpoints(), Plan::Pro.endpoints());
    }

    #[test]
    fn limits_grow_with_the_plan() {
        for pair in Plan::ALL.windows(2) {
            let (a, b) = (pair[0].limits(), pair[1].limits());
            assert!(a.monthly_requests < b.monthly_requests);
            assert!(a.per_minute < b.per_minute);
            assert!(a.data_sources < b.data_sources);
        }
    }
}
