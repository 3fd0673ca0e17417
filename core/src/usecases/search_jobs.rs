//! `search jobs` as a client asks for it: when enhancement is asked, the AI choice is checked for
//! the plan first (so a refused choice never spends a fan-out), then the boards are searched, then
//! the jobs are enhanced within the AI budget. Enhancement never fails the search: when the model
//! does not answer in time the unenhanced jobs are returned with the reason.

use std::sync::Arc;

use crate::domain::{AiProvider, PlanCatalog, SourceId};
use crate::services::{AiChoice, AiError, AiGateway, Enhancer};
use crate::usecases::search::{SearchNotice, notices};
use crate::usecases::{Search, SearchError, SearchOutcome, SearchQuery, SearchRequest};
use crate::{Code, ErrorCode};

pub struct SearchJobs {
    pub search: Search,
    pub ai: AiGateway,
    pub enhancer: Enhancer,
    /// The plans' boards, for the notices.
    pub catalog: Arc<PlanCatalog>,
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

impl SearchJobsRequest {
    /// The client's search parsed once, and its enhancement choice.
    pub fn parse(search: SearchRequest, enhance: Option<AiChoice>) -> Result<Self, SearchJobsError> {
        Ok(Self { query: SearchQuery::parse(search).map_err(SearchJobsError::Query)?, enhance })
    }
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
    #[error(transparent)]
    Query(SearchError),
}

impl ErrorCode for SearchJobsError {
    fn code(&self) -> Code {
        match self {
            SearchJobsError::Ai(e) => e.code(),
            SearchJobsError::Query(e) => e.code(),
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
        let notices = notices(&outcome.sources, outcome.jobs.len(), plan, &self.catalog, &self.reachable);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Job, ModelCatalog, Plan};
    use crate::ports::job_source::MockJobSource;
    use crate::ports::job_store::MockJobStore;
    use crate::ports::llm::MockLlmProvider;
    use crate::ports::{JobSource, LlmProvider, UpsertReport};
    use crate::testing::{FixedClock, MapCache, TokioTimer};
    use crate::usecases::{SearchConfig, SearchPorts};
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
        SearchJobs {
            search,
            ai,
            enhancer,
            catalog: Arc::new(PlanCatalog::document()),
            reachable: vec![SourceId::Adzuna],
        }
    }

    fn req(plan: Plan, enhance: Option<AiChoice>) -> SearchJobsRequest {
        let search = SearchRequest { q: Some("rust".into()), plan: Some(plan), ..Default::default() };
        SearchJobsRequest::parse(search, enhance).unwrap()
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
        let e = SearchJobsRequest::parse(SearchRequest { q: None, ..Default::default() }, None).unwrap_err();
        assert!(matches!(e, SearchJobsError::Query(_)), "{e:?}");
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
