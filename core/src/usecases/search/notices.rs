//! Why a search answer is empty or incomplete, reasoned here and worded at the edge: each board
//! that did not serve (not configured on this server, failed, out of request budget), a plan whose
//! boards found nothing, a plan none of whose boards this server reaches, a query nothing matched.

use crate::domain::{Plan, PlanCatalog, SourceId, in_plan};
use crate::ports::FailureCause;
use crate::usecases::search::{SourceReport, SourceStatus};

/// One reason an answer is empty or incomplete, with what a wording needs to say what fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchNotice {
    /// The board is in the plan but this server has no settings for it.
    SourceUnconfigured(SourceId),
    /// The board failed or timed out.
    SourceFailed { source: SourceId, cause: FailureCause },
    /// This server's request budget for the board is spent for now.
    SourceBudgetExhausted(SourceId),
    /// Nothing was found and the plan leaves boards out: the boards asked, those outside the
    /// plan, and the next plan that adds some of them (with those it adds).
    PlanLimitsSources {
        plan: Plan,
        asked: Vec<SourceId>,
        outside: Vec<SourceId>,
        upgrade: Option<(Plan, Vec<SourceId>)>,
    },
    /// No board of the plan can be searched on this server: the boards that want settings, and
    /// the next plan whose boards the server reaches (with those boards).
    NoBoardReachable { plan: Plan, unconfigured: Vec<SourceId>, move_to: Option<(Plan, Vec<SourceId>)> },
    /// Some board answered, and nothing matched the query.
    NoMatch,
}

impl SearchNotice {
    /// Every code, in the order a wording documents them.
    pub const CODES: [&'static str; 6] = [
        "source_unconfigured",
        "source_failed",
        "source_budget_exhausted",
        "plan_limits_sources",
        "no_board_reachable",
        "no_match",
    ];

    /// The stable code a client branches on.
    pub const fn code(&self) -> &'static str {
        match self {
            SearchNotice::SourceUnconfigured(_) => "source_unconfigured",
            SearchNotice::SourceFailed { .. } => "source_failed",
            SearchNotice::SourceBudgetExhausted(_) => "source_budget_exhausted",
            SearchNotice::PlanLimitsSources { .. } => "plan_limits_sources",
            SearchNotice::NoBoardReachable { .. } => "no_board_reachable",
            SearchNotice::NoMatch => "no_match",
        }
    }

    /// The board it is about.
    pub const fn source(&self) -> Option<SourceId> {
        match self {
            SearchNotice::SourceUnconfigured(s) | SearchNotice::SourceBudgetExhausted(s) => Some(*s),
            SearchNotice::SourceFailed { source, .. } => Some(*source),
            _ => None,
        }
    }
}

/// The notices of an answer holding `found` jobs for `plan`, from its boards' reports
/// (`reachable`: the boards this server can search).
pub fn reason(
    sources: &[SourceReport],
    found: usize,
    plan: Plan,
    catalog: &PlanCatalog,
    reachable: &[SourceId],
) -> Vec<SearchNotice> {
    let mut out = Vec::new();
    for r in sources {
        match r.status {
            SourceStatus::Unconfigured => out.push(SearchNotice::SourceUnconfigured(r.source)),
            SourceStatus::Timeout | SourceStatus::Error => out
                .push(SearchNotice::SourceFailed { source: r.source, cause: r.cause.unwrap_or(FailureCause::Timeout) }),
            SourceStatus::BudgetExhausted => out.push(SearchNotice::SourceBudgetExhausted(r.source)),
            SourceStatus::Ok | SourceStatus::Cached | SourceStatus::NotInPlan => {}
        }
    }
    if found > 0 {
        return out;
    }
    let with = |status: fn(SourceStatus) -> bool| -> Vec<SourceId> {
        sources.iter().filter(|r| status(r.status)).map(|r| r.source).collect()
    };
    let served = !with(|s| matches!(s, SourceStatus::Ok | SourceStatus::Cached)).is_empty();
    let outside = with(|s| s == SourceStatus::NotInPlan);
    let asked = with(|s| s != SourceStatus::NotInPlan);
    // The first plan above `plan` for which `pick` names some boards, with those boards.
    let next_plan = |pick: &dyn Fn(Plan) -> Vec<SourceId>| {
        Plan::ALL.into_iter().filter(|p| *p > plan).map(|p| (p, pick(p))).find(|(_, boards)| !boards.is_empty())
    };
    let in_terms = |p: Plan, boards: &[SourceId]| -> Vec<SourceId> {
        let n = catalog.terms(p).data_sources;
        boards.iter().copied().filter(|s| in_plan(*s, n)).collect()
    };
    if !outside.is_empty() {
        let upgrade = next_plan(&|p| in_terms(p, &outside));
        out.push(SearchNotice::PlanLimitsSources { plan, asked: asked.clone(), outside, upgrade });
    }
    let all_unconfigured =
        sources.iter().all(|r| matches!(r.status, SourceStatus::Unconfigured | SourceStatus::NotInPlan));
    if !served && !asked.is_empty() && all_unconfigured {
        let unconfigured = with(|s| s == SourceStatus::Unconfigured);
        let move_to = next_plan(&|p| in_terms(p, reachable));
        out.push(SearchNotice::NoBoardReachable { plan, unconfigured, move_to });
    }
    if served {
        out.push(SearchNotice::NoMatch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The boards a server with no keys reaches.
    const KEYLESS: [SourceId; 3] = [SourceId::Remotive, SourceId::Arbeitnow, SourceId::TheMuse];

    fn report(source: SourceId, status: SourceStatus) -> SourceReport {
        SourceReport { source, status, count: 0, latency_ms: 0, cause: None }
    }

    fn codes(n: &[SearchNotice]) -> Vec<&'static str> {
        n.iter().map(SearchNotice::code).collect()
    }

    #[test]
    fn an_empty_free_search_on_an_unconfigured_board_names_every_way_out() {
        use SourceStatus::*;
        let sources = [
            report(SourceId::Adzuna, Unconfigured),
            report(SourceId::Remotive, NotInPlan),
            report(SourceId::Findwork, NotInPlan),
            report(SourceId::Reed, NotInPlan),
        ];
        let n = reason(&sources, 0, Plan::Free, &PlanCatalog::document(), &KEYLESS);
        assert_eq!(codes(&n), ["source_unconfigured", "plan_limits_sources", "no_board_reachable"]);
        assert_eq!(
            n[1],
            SearchNotice::PlanLimitsSources {
                plan: Plan::Free,
                asked: vec![SourceId::Adzuna],
                outside: vec![SourceId::Remotive, SourceId::Findwork, SourceId::Reed],
                upgrade: Some((Plan::Starter, vec![SourceId::Remotive, SourceId::Findwork])),
            }
        );
        assert_eq!(
            n[2],
            SearchNotice::NoBoardReachable {
                plan: Plan::Free,
                unconfigured: vec![SourceId::Adzuna],
                move_to: Some((Plan::Starter, vec![SourceId::Remotive])),
            }
        );
        // With Adzuna's keys set, the plan reaches its board: no such notice.
        let sources = [report(SourceId::Adzuna, Ok), report(SourceId::Remotive, NotInPlan)];
        let n = reason(&sources, 0, Plan::Free, &PlanCatalog::document(), &KEYLESS);
        assert!(!codes(&n).contains(&"no_board_reachable"), "{n:?}");
    }

    #[test]
    fn failures_are_named_even_when_other_boards_served_and_no_match_only_when_one_did() {
        use SourceStatus::*;
        let sources = [report(SourceId::Adzuna, Ok), report(SourceId::Remotive, Timeout)];
        let n = reason(&sources, 3, Plan::Scale, &PlanCatalog::document(), &KEYLESS);
        assert_eq!(n, [SearchNotice::SourceFailed { source: SourceId::Remotive, cause: FailureCause::Timeout }]);
        let n = reason(&sources, 0, Plan::Scale, &PlanCatalog::document(), &KEYLESS);
        assert_eq!(codes(&n), ["source_failed", "no_match"]);
        assert!(reason(&[report(SourceId::Adzuna, Ok)], 5, Plan::Free, &PlanCatalog::document(), &KEYLESS).is_empty());
        let spent = [report(SourceId::Reed, BudgetExhausted)];
        assert_eq!(
            reason(&spent, 0, Plan::Scale, &PlanCatalog::document(), &KEYLESS),
            [SearchNotice::SourceBudgetExhausted(SourceId::Reed)]
        );
    }

    #[test]
    fn a_failure_keeps_its_cause() {
        let r = SourceReport { cause: Some(FailureCause::Dns), ..report(SourceId::Reed, SourceStatus::Error) };
        let n = reason(&[r], 1, Plan::Scale, &PlanCatalog::document(), &KEYLESS);
        assert_eq!(n, [SearchNotice::SourceFailed { source: SourceId::Reed, cause: FailureCause::Dns }]);
        assert_eq!(n[0].source(), Some(SourceId::Reed));
    }
}
