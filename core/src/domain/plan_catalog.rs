//! The plan catalog: each plan's limits and each gated endpoint's minimum plan. The default is the
//! JobIn document's table (Plans & Rate Limits, Quick Reference); an operator may override any
//! value (the app reads a TOML file named by `JOBIN_CATALOG`). Overrides are validated here.

use std::collections::HashMap;

use super::{Endpoint, Plan};

/// An AI model tier a plan may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AiTier {
    Lite,
    Flagship,
}

impl AiTier {
    /// Every tier.
    pub const ALL: [AiTier; 2] = [AiTier::Lite, AiTier::Flagship];

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "lite" => Some(AiTier::Lite),
            "flagship" => Some(AiTier::Flagship),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            AiTier::Lite => "lite",
            AiTier::Flagship => "flagship",
        }
    }
}

/// Account requests per minute on every plan unless the catalog says otherwise.
pub const ACCOUNT_PER_MINUTE: u32 = 60;

/// Application-tracker requests per minute (the Pipeline document's standard class).
pub const TRACKER_PER_MINUTE: u32 = 100;
/// AI requests of the tracker (fit scores) per hour (the Pipeline document's AI class).
pub const AI_PER_HOUR: u32 = 20;

/// What one plan includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTerms {
    pub monthly_requests: u64,
    /// Data requests (`Endpoint`s) per minute.
    pub per_minute: u32,
    /// Account requests (keys, sessions, billing) per minute: a class of its own, so data traffic
    /// (a leaked key, say) can never spend the owner's way to rotate or revoke keys.
    pub account_per_minute: u32,
    /// Application-tracker requests per minute: a class of its own, never counted monthly.
    pub tracker_per_minute: u32,
    /// The tracker's AI requests (fit scores) per hour: a class of its own.
    pub ai_per_hour: u32,
    /// How many data sources a search may use (1–6).
    pub data_sources: u8,
    pub ai_tiers: Vec<AiTier>,
    pub price_usd_per_month: u32,
    /// How many saved searches an account may hold (0: none).
    pub saved_searches: u32,
}

/// An operator's changes to one plan; `None` keeps the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOverride {
    pub monthly_requests: Option<u64>,
    pub per_minute: Option<u32>,
    pub account_per_minute: Option<u32>,
    pub tracker_per_minute: Option<u32>,
    pub ai_per_hour: Option<u32>,
    pub data_sources: Option<u8>,
    pub ai_tiers: Option<Vec<AiTier>>,
    pub price_usd_per_month: Option<u32>,
    pub saved_searches: Option<u32>,
}

/// An operator's catalog file, parsed but not yet validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogOverrides {
    pub plans: HashMap<Plan, PlanOverride>,
    /// Gated endpoint → minimum plan.
    pub endpoints: HashMap<Endpoint, Plan>,
    /// The per-IP limits of the public account operations.
    pub public: PublicOverride,
}

/// Per-client-IP limits of the operations that take no API key, per minute: register, login and
/// refresh (5, 10 and 10 by the JobIn document), and a saved search's Atom feed (60: a feed reader
/// polls every few minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicLimits {
    pub register_per_minute: u32,
    pub login_per_minute: u32,
    pub refresh_per_minute: u32,
    pub feed_per_minute: u32,
}

impl Default for PublicLimits {
    fn default() -> Self {
        Self { register_per_minute: 5, login_per_minute: 10, refresh_per_minute: 10, feed_per_minute: 60 }
    }
}

/// An operator's changes to [`PublicLimits`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublicOverride {
    pub register_per_minute: Option<u32>,
    pub login_per_minute: Option<u32>,
    pub refresh_per_minute: Option<u32>,
    pub feed_per_minute: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("plans.{plan}.{field} must be at least 1")]
    Zero { plan: Plan, field: &'static str },
    #[error("public.{field} must be at least 1")]
    PublicZero { field: &'static str },
    #[error("plans.{plan}.data_sources must be between 1 and 6, not {value}")]
    DataSources { plan: Plan, value: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCatalog {
    terms: [PlanTerms; 4],
    min_plan: [Plan; Endpoint::ALL.len()],
    public: PublicLimits,
}

fn idx(plan: Plan) -> usize {
    match plan {
        Plan::Free => 0,
        Plan::Starter => 1,
        Plan::Pro => 2,
        Plan::Scale => 3,
    }
}

fn endpoint_idx(e: Endpoint) -> usize {
    Endpoint::ALL.iter().position(|x| *x == e).unwrap_or(0)
}

impl Default for PlanCatalog {
    fn default() -> Self {
        Self::document()
    }
}

impl PlanCatalog {
    /// The JobIn document's plans: Free 1,000/month 10/min 1 source; Starter 50,000/60/3 $49;
    /// Pro 500,000/300/5 lite+flagship $149; Scale 3,000,000/1,000/6 all tiers $299. Saved
    /// searches (issue 20): Free 1, Starter 10, Pro 100, Scale 1,000.
    pub fn document() -> Self {
        let t =
            |monthly_requests, per_minute, data_sources, ai_tiers: &[AiTier], price_usd_per_month, saved_searches| {
                PlanTerms {
                    monthly_requests,
                    per_minute,
                    account_per_minute: ACCOUNT_PER_MINUTE,
                    tracker_per_minute: TRACKER_PER_MINUTE,
                    ai_per_hour: AI_PER_HOUR,
                    data_sources,
                    ai_tiers: ai_tiers.to_vec(),
                    price_usd_per_month,
                    saved_searches,
                }
            };
        use AiTier::*;
        Self {
            terms: [
                t(1_000, 10, 1, &[], 0, 1),
                t(50_000, 60, 3, &[], 49, 10),
                t(500_000, 300, 5, &[Lite, Flagship], 149, 100),
                t(3_000_000, 1_000, 6, &[Lite, Flagship], 299, 1_000),
            ],
            min_plan: Endpoint::ALL.map(Endpoint::min_plan),
            public: PublicLimits::default(),
        }
    }

    /// Applies an operator's overrides to this catalog; any invalid value rejects the whole file.
    pub fn with_overrides(mut self, o: &CatalogOverrides) -> Result<Self, CatalogError> {
        for (plan, p) in &o.plans {
            let terms = &mut self.terms[idx(*plan)];
            if let Some(v) = p.monthly_requests {
                terms.monthly_requests = v;
            }
            if let Some(v) = p.per_minute {
                terms.per_minute = v;
            }
            if let Some(v) = p.account_per_minute {
                terms.account_per_minute = v;
            }
            if let Some(v) = p.tracker_per_minute {
                terms.tracker_per_minute = v;
            }
            if let Some(v) = p.ai_per_hour {
                terms.ai_per_hour = v;
            }
            if let Some(v) = p.data_sources {
                terms.data_sources = v;
            }
            if let Some(v) = &p.ai_tiers {
                terms.ai_tiers = v.clone();
            }
            if let Some(v) = p.price_usd_per_month {
                terms.price_usd_per_month = v;
            }
            if let Some(v) = p.saved_searches {
                terms.saved_searches = v;
            }
            if terms.monthly_requests == 0 {
                return Err(CatalogError::Zero { plan: *plan, field: "monthly_requests" });
            }
            if terms.per_minute == 0 {
                return Err(CatalogError::Zero { plan: *plan, field: "per_minute" });
            }
            if terms.account_per_minute == 0 {
                return Err(CatalogError::Zero { plan: *plan, field: "account_per_minute" });
            }
            if terms.tracker_per_minute == 0 {
                return Err(CatalogError::Zero { plan: *plan, field: "tracker_per_minute" });
            }
            if terms.ai_per_hour == 0 {
                return Err(CatalogError::Zero { plan: *plan, field: "ai_per_hour" });
            }
            if !(1..=6).contains(&terms.data_sources) {
                return Err(CatalogError::DataSources { plan: *plan, value: terms.data_sources });
            }
        }
        for (e, plan) in &o.endpoints {
            self.min_plan[endpoint_idx(*e)] = *plan;
        }
        let p = o.public;
        for (field, value, slot) in [
            ("register_per_minute", p.register_per_minute, &mut self.public.register_per_minute),
            ("login_per_minute", p.login_per_minute, &mut self.public.login_per_minute),
            ("refresh_per_minute", p.refresh_per_minute, &mut self.public.refresh_per_minute),
            ("feed_per_minute", p.feed_per_minute, &mut self.public.feed_per_minute),
        ] {
            match value {
                Some(0) => return Err(CatalogError::PublicZero { field }),
                Some(v) => *slot = v,
                None => {}
            }
        }
        Ok(self)
    }

    /// The per-IP limits of the public account operations.
    pub fn public_limits(&self) -> PublicLimits {
        self.public
    }

    pub fn terms(&self, plan: Plan) -> &PlanTerms {
        &self.terms[idx(plan)]
    }

    pub fn min_plan(&self, endpoint: Endpoint) -> Plan {
        self.min_plan[endpoint_idx(endpoint)]
    }

    /// The gated endpoints `plan` may call, in Quick Reference order.
    pub fn endpoints(&self, plan: Plan) -> Vec<Endpoint> {
        Endpoint::ALL.into_iter().filter(|e| self.min_plan(*e) <= plan).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_catalog_matches_the_tables() {
        let c = PlanCatalog::document();
        let row = |p| {
            let t = c.terms(p);
            (t.monthly_requests, t.per_minute, t.data_sources, t.price_usd_per_month, t.saved_searches)
        };
        assert_eq!(row(Plan::Free), (1_000, 10, 1, 0, 1));
        assert_eq!(row(Plan::Starter), (50_000, 60, 3, 49, 10));
        assert_eq!(row(Plan::Pro), (500_000, 300, 5, 149, 100));
        assert_eq!(row(Plan::Scale), (3_000_000, 1_000, 6, 299, 1_000));
        assert!(c.terms(Plan::Starter).ai_tiers.is_empty());
        assert_eq!(c.terms(Plan::Pro).ai_tiers, vec![AiTier::Lite, AiTier::Flagship]);
        assert_eq!(
            c.endpoints(Plan::Free),
            vec![
                Endpoint::JobsSearch,
                Endpoint::JobsProviders,
                Endpoint::JobsGet,
                Endpoint::SearchMatches,
                Endpoint::JobsCorpus
            ]
        );
        assert_eq!(
            c.endpoints(Plan::Starter),
            vec![
                Endpoint::JobsSearch,
                Endpoint::JobsSalary,
                Endpoint::JobsProviders,
                Endpoint::JobsGet,
                Endpoint::SearchMatches,
                Endpoint::JobsCorpus
            ]
        );
        assert_eq!(c.min_plan(Endpoint::JobsTrends), Plan::Pro);
    }

    #[test]
    fn overrides_change_only_what_they_name() {
        let mut o = CatalogOverrides::default();
        o.plans.insert(Plan::Free, PlanOverride { monthly_requests: Some(5_000), ..Default::default() });
        o.endpoints.insert(Endpoint::JobsSalary, Plan::Free);
        let c = PlanCatalog::document().with_overrides(&o).unwrap();
        assert_eq!(c.terms(Plan::Free).monthly_requests, 5_000);
        assert_eq!(c.terms(Plan::Free).per_minute, 10);
        assert_eq!(c.terms(Plan::Pro), PlanCatalog::document().terms(Plan::Pro));
        assert_eq!(
            c.endpoints(Plan::Free),
            vec![
                Endpoint::JobsSearch,
                Endpoint::JobsSalary,
                Endpoint::JobsProviders,
                Endpoint::JobsGet,
                Endpoint::SearchMatches,
                Endpoint::JobsCorpus
            ]
        );
    }

    #[test]
    fn invalid_overrides_are_rejected_with_the_offending_key() {
        let bad = |p: PlanOverride| {
            let mut o = CatalogOverrides::default();
            o.plans.insert(Plan::Pro, p);
            PlanCatalog::document().with_overrides(&o).unwrap_err().to_string()
        };
        assert_eq!(
            bad(PlanOverride { per_minute: Some(0), ..Default::default() }),
            "plans.pro.per_minute must be at least 1"
        );
        assert_eq!(
            bad(PlanOverride { data_sources: Some(7), ..Default::default() }),
            "plans.pro.data_sources must be between 1 and 6, not 7"
        );
    }
}
