//! `search jobs` as a client asks for it: when enhancement is asked, the AI choice is checked for
//! the plan first (so a refused choice never spends a fan-out), then the boards are searched, then
//! the jobs are enhanced within the AI budget. Enhancement never fails the search: when the model
//! does not answer in time the unenhanced jobs are returned with the reason.

use crate::domain::{AiProvider, Plan};
use crate::services::{AiChoice, AiError, AiGateway, Enhancer};
use crate::usecases::{Search, SearchError, SearchOutcome, SearchRequest};
use crate::{Code, ErrorCode};

pub struct SearchJobs {
    pub search: Search,
    pub ai: AiGateway,
    pub enhancer: Enhancer,
}

/// A search, and the AI choice when enhancement is asked.
#[derive(Debug, Clone)]
pub struct SearchJobsRequest {
    pub plan: Plan,
    pub search: SearchRequest,
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
    pub async fn execute(&self, req: SearchJobsRequest) -> Result<SearchJobsOutcome, SearchJobsError> {
        let selection = match &req.enhance {
            Some(choice) => Some(self.ai.select(req.plan, choice, false).map_err(SearchJobsError::Ai)?),
            None => None,
        };
        let mut outcome = self.search.execute(req.search).await.map_err(SearchJobsError::Query)?;
        let Some(sel) = selection else {
            return Ok(SearchJobsOutcome { outcome, enhance: EnhanceSummary::default() });
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
        Ok(SearchJobsOutcome { outcome, enhance })
    }
}
