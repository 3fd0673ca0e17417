//! `meta.notices` of a search: why an answer is empty or incomplete, and what fixes it, for every
//! board that did not serve (not configured on this server, failed, out of request budget), for a
//! plan whose boards found nothing, and for a query nothing matched.

use jobin_core::domain::{Plan, PlanCatalog, SourceId, in_plan};
use jobin_core::usecases::{SourceReport, SourceStatus};
use poem_openapi::Object;

/// One reason an answer is empty or incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct Notice {
    /// Stable: `source_unconfigured`, `source_failed`, `source_budget_exhausted`,
    /// `plan_limits_sources`, `no_match`.
    pub code: String,
    /// The board it is about.
    #[oai(skip_serializing_if_is_none)]
    pub source: Option<String>,
    /// What happened and what fixes it.
    pub message: String,
}

/// Every notice code.
pub const CODES: [&str; 5] =
    ["source_unconfigured", "source_failed", "source_budget_exhausted", "plan_limits_sources", "no_match"];

fn notice(code: &str, source: Option<SourceId>, message: String) -> Notice {
    debug_assert!(CODES.contains(&code), "{code} is listed in CODES");
    Notice { code: code.to_owned(), source: source.map(|s| s.as_str().to_owned()), message }
}

fn names(sources: &[SourceId]) -> String {
    sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// The notices of a search answer for `plan` (`found`: how many jobs it holds).
pub fn for_search(sources: &[SourceReport], found: usize, plan: Plan, catalog: &PlanCatalog) -> Vec<Notice> {
    let mut out = Vec::new();
    for r in sources {
        let s = r.source;
        match r.status {
            SourceStatus::Unconfigured => out.push(notice(
                "source_unconfigured",
                Some(s),
                format!(
                    "{s} is in your plan but not configured on this server: its operator sets {}.",
                    crate::config::BoardsConfig::settings(s)
                ),
            )),
            SourceStatus::Timeout | SourceStatus::Error => out.push(notice(
                "source_failed",
                Some(s),
                format!(
                    "{s} did not answer ({}); its jobs are missing from this answer. Retry later.",
                    r.status.as_str()
                ),
            )),
            SourceStatus::BudgetExhausted => out.push(notice(
                "source_budget_exhausted",
                Some(s),
                format!(
                    "{s}'s request budget on this server is spent for now (the board's own rate limit); its jobs \
                     are missing from this answer."
                ),
            )),
            SourceStatus::Ok | SourceStatus::Cached | SourceStatus::NotInPlan => {}
        }
    }
    if found > 0 {
        return out;
    }
    let served = sources.iter().any(|r| matches!(r.status, SourceStatus::Ok | SourceStatus::Cached));
    let outside: Vec<SourceId> =
        sources.iter().filter(|r| r.status == SourceStatus::NotInPlan).map(|r| r.source).collect();
    if !outside.is_empty() {
        let asked: Vec<SourceId> =
            sources.iter().filter(|r| !matches!(r.status, SourceStatus::NotInPlan)).map(|r| r.source).collect();
        let adds = |p: Plan| -> Vec<SourceId> {
            let n = catalog.terms(p).data_sources;
            outside.iter().copied().filter(|s| in_plan(*s, n)).collect()
        };
        let next = Plan::ALL.into_iter().find(|p| *p > plan && !adds(*p).is_empty());
        let upgrade = next.map_or_else(String::new, |p| {
            let adds = adds(p);
            format!(" The {p} plan adds {} (see /pricing).", names(&adds))
        });
        out.push(notice(
            "plan_limits_sources",
            None,
            format!(
                "Your {plan} plan searches {} board{} here ({}); {} {} not in it.{upgrade}",
                asked.len(),
                if asked.len() == 1 { "" } else { "s" },
                if asked.is_empty() { "none".to_owned() } else { names(&asked) },
                names(&outside),
                if outside.len() == 1 { "is" } else { "are" },
            ),
        ));
    }
    if served {
        out.push(notice(
            "no_match",
            None,
            "No posting on the boards asked matched every word of the query; try fewer or other words, another \
             location or country."
                .to_owned(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(source: SourceId, status: SourceStatus) -> SourceReport {
        SourceReport { source, status, count: 0, latency_ms: 0 }
    }

    #[test]
    fn an_empty_free_search_on_an_unconfigured_board_says_what_fixes_it() {
        use SourceStatus::*;
        let sources = [
            report(SourceId::Adzuna, Unconfigured),
            report(SourceId::Remotive, NotInPlan),
            report(SourceId::Findwork, NotInPlan),
            report(SourceId::Reed, NotInPlan),
        ];
        let n = for_search(&sources, 0, Plan::Free, &PlanCatalog::document());
        let codes: Vec<&str> = n.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(codes, ["source_unconfigured", "plan_limits_sources"]);
        assert!(n[0].message.contains("JOBIN_ADZUNA_APP_ID"), "{}", n[0].message);
        assert_eq!(
            n[1].message,
            "Your free plan searches 1 board here (adzuna); remotive, findwork, reed are not in it. The starter \
             plan adds remotive, findwork (see /pricing)."
        );
    }

    #[test]
    fn failures_are_named_even_when_other_boards_served_and_no_match_only_when_one_did() {
        use SourceStatus::*;
        let sources = [report(SourceId::Adzuna, Ok), report(SourceId::Remotive, Timeout)];
        let n = for_search(&sources, 3, Plan::Scale, &PlanCatalog::document());
        assert_eq!(n.iter().map(|n| n.code.as_str()).collect::<Vec<_>>(), ["source_failed"]);
        let n = for_search(&sources, 0, Plan::Scale, &PlanCatalog::document());
        assert_eq!(n.iter().map(|n| n.code.as_str()).collect::<Vec<_>>(), ["source_failed", "no_match"]);
        assert!(for_search(&[report(SourceId::Adzuna, Ok)], 5, Plan::Free, &PlanCatalog::document()).is_empty());
    }
}
