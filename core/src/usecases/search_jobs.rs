//! `search jobs` as a client asks for it: when enhancement is asked, the AI choice is checked for
//! the plan first (so a refused choice never spends a fan-out), then the boards are searched, then
//! the jobs are enhanced within the AI budget. Enhancement never fails the search: when the model
//! does not answer in time the unenhanced jobs are returned with the reason.
//!
//! The answer also says why it is empty or incomplete ([`SearchNotice`], reasoned here and worded
//! at the edge): each board that did not serve (not configured on this server, failed, out of
//! request budget), a plan whose boards found nothing, a plan none of whose boards this server
//! reaches, a query nothing matched.

use crate::domain::{AiProvider, Plan, PlanCatalog, SourceId, in_plan};
use crate::ports::FailureCause;
use crate::services::{AiChoice, AiError, AiGateway, Enhancer};
use crate::usecases::{Search, SearchOutcome, SearchQuery, SourceReport, SourceStatus};
use crate::{Code, ErrorCode};

pub struct SearchJobs {
    pub search: Search,
    pub ai: AiGateway,
    pub enhancer: Enhancer,
    /// The boards this server can search (the others are in a plan but want settings).
    pub reachable: Vec<SourceId>,
}

/// A search, and the AI choice when enhancement is asked.
#[derive(Debug, Clone)]
pub struct SearchJobsRequest {
    pub query: SearchQuery,
    /// `Some` asks for enhancement with this choice (blank parts mean the defaults).
    pub enhance: Option<AiChoice>,
}

/// What the enhance step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnhanceSummary {
    /// Every job was enhanced.
    pub enhanced: bool,
    /// The provider asked (enhancement asked), whether or not it answered.
    pub provider: Option<AiProvider>,
    /// The model id asked.
    pub model: Option<String>,
    /// Why `enhanced` is false although enhancement was asked (`<code>: <message>`).
    pub reason: Option<String>,
}

#[derive(Debug)]
pub struct SearchJobsOutcome {
    pub outcome: SearchOutcome,
    pub enhance: EnhanceSummary,
    /// Why the answer is empty or incomplete, and what fixes it.
    pub notices: Vec<SearchNotice>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchJobsError {
    /// The AI choice is refused (unknown, not in the plan, unconfigured, coming soon).
    #[error(transparent)]
    Ai(AiError),
}

impl ErrorCode for SearchJobsError {
    fn code(&self) -> Code {
        match self {
            SearchJobsError::Ai(e) => e.code(),
        }
    }
}

impl SearchJobs {
    pub async fn execute(&self, req: &SearchJobsRequest) -> Result<SearchJobsOutcome, SearchJobsError> {
        let plan = req.query.plan();
        let selection = match &req.enhance {
            Some(choice) => Some(self.ai.select(plan, choice, false).map_err(SearchJobsError::Ai)?),
            None => None,
        };
        let mut outcome = self.search.execute(&req.query).await;
        let notices = reason(&outcome.sources, outcome.jobs.len(), plan, self.search.catalog(), &self.reachable);
        let Some(sel) = selection else {
            return Ok(SearchJobsOutcome { outcome, enhance: EnhanceSummary::default(), notices });
        };
        let done = self.enhancer.run(std::mem::take(&mut outcome.jobs), &sel).await;
        tracing::info!(
            enhanced = done.enhanced,
            llm_calls = done.llm_calls,
            cache_hits = done.cache_hits,
            provider = %sel.provider(),
            "enhance"
        );
        outcome.jobs = done.jobs;
        let enhance = EnhanceSummary {
            enhanced: done.enhanced,
            provider: Some(sel.provider()),
            model: Some(sel.model.model_id.clone()),
            reason: done.reason.map(|r| format!("{}: {r}", r.code())),
        };
        Ok(SearchJobsOutcome { outcome, enhance, notices })
    }
}

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
            SourceStatus::Ok | SourceStatus::Cached | SourceStatus::NotInPlan | SourceStatus::NotInCountry => {}
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
    let asked = with(|s| !matches!(s, SourceStatus::NotInPlan | SourceStatus::NotInCountry));
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
    let all_unconfigured = sources
        .iter()
        .all(|r| matches!(r.status, SourceStatus::Unconfigured | SourceStatus::NotInPlan | SourceStatus::NotInCountry));
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
    use crate::domain::{Job, ModelCatalog, Plan};
    use crate::ports::job_source::MockJobSource;
    use crate::ports::job_store::MockJobStore;
    use crate::ports::llm::MockLlmProvider;
    use crate::ports::{JobSource, LlmProvider, UpsertReport};
    use crate::testing::{FixedClock, MapCache, TokioTimer};
    use crate::usecases::{SearchConfig, SearchPorts, SearchRequest};
    use std::sync::Arc;
    use std::time::Duration;

    /// A search over one Adzuna board answering `calls` times at most, and the local provider.
    fn search_jobs(calls: usize) -> SearchJobs {
        let mut board = MockJobSource::new();
        board.expect_id().return_const(SourceId::Adzuna);
        board
            .expect_search()
            .times(calls)
            .returning(|_| Ok(vec![Job::sample(SourceId::Adzuna, "1", "Rust Developer", "Acme", "London")]));
        let mut store = MockJobStore::new();
        store.expect_upsert().returning(|jobs, _| Ok(UpsertReport { inserted: jobs.len(), ..Default::default() }));
        let cache = Arc::new(MapCache::default());
        let catalog = Arc::new(PlanCatalog::document());
        let search = Search::new(
            SearchPorts {
                sources: vec![Arc::new(board) as Arc<dyn JobSource>],
                catalog: catalog.clone(),
                cache: cache.clone(),
                store: Arc::new(store),
                clock: Arc::new(FixedClock::at(1_700_000_000)),
                timer: Arc::new(TokioTimer),
            },
            SearchConfig::default(),
        );
        let mut local = MockLlmProvider::new();
        local.expect_provider().return_const(AiProvider::Local);
        let providers: Vec<Arc<dyn LlmProvider>> = vec![Arc::new(local)];
        let ai = AiGateway::new(Arc::new(ModelCatalog::document()), catalog, providers, None, Arc::new(TokioTimer));
        let enhancer = Enhancer { ai: ai.clone(), cache, budget: Duration::from_secs(15) };
        SearchJobs { search, ai, enhancer, reachable: vec![SourceId::Adzuna] }
    }

    fn req(plan: Plan, enhance: Option<AiChoice>) -> SearchJobsRequest {
        let search = SearchRequest { q: Some("rust".into()), plan: Some(plan), ..Default::default() };
        SearchJobsRequest { query: SearchQuery::parse(search).unwrap(), enhance }
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_ai_choice_never_spends_a_fan_out() {
        let s = search_jobs(0);
        let unknown = AiChoice { provider: Some("nope".into()), model: None };
        let e = s.execute(&req(Plan::Scale, Some(unknown))).await.unwrap_err();
        assert_eq!(e.code(), Code::UnknownAiProvider);
        let e = s.execute(&req(Plan::Free, Some(AiChoice::default()))).await.unwrap_err();
        assert!(matches!(e, SearchJobsError::Ai(_)), "Free has no AI tier: {e:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn without_enhancement_the_search_answers_with_an_empty_summary() {
        let s = search_jobs(1);
        let r = s.execute(&req(Plan::Free, None)).await.unwrap();
        assert_eq!(r.outcome.jobs.len(), 1);
        assert_eq!(r.enhance, EnhanceSummary::default());
        assert!(r.notices.is_empty(), "{:?}", r.notices);
    }

    #[tokio::test(start_paused = true)]
    async fn the_answer_says_why_it_is_empty() {
        let mut board = MockJobSource::new();
        board.expect_id().return_const(SourceId::Adzuna);
        board.expect_search().returning(|_| Ok(vec![]));
        let mut store = MockJobStore::new();
        store.expect_upsert().returning(|_, _| Ok(UpsertReport::default()));
        let mut s = search_jobs(0);
        s.search = Search::new(
            SearchPorts {
                sources: vec![Arc::new(board) as Arc<dyn JobSource>],
                catalog: Arc::new(PlanCatalog::document()),
                cache: Arc::new(MapCache::default()),
                store: Arc::new(store),
                clock: Arc::new(FixedClock::at(1_700_000_000)),
                timer: Arc::new(TokioTimer),
            },
            SearchConfig::default(),
        );
        let r = s.execute(&req(Plan::Free, None)).await.unwrap();
        let codes: Vec<&str> = r.notices.iter().map(|n| n.code()).collect();
        assert_eq!(codes, ["plan_limits_sources", "no_match"]);
    }
}

#[cfg(test)]
mod notice_tests {
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
