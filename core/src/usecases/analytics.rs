//! What salary, trends and insight share: the sample (a search across the plan's boards), their
//! 6-hour result cache, and the query they answer for.

use serde::{Serialize, de::DeserializeOwned};
use std::sync::Arc;
use std::time::Duration;

use crate::domain::{Country, Plan};
use crate::ports::Cache;
use crate::usecases::search::{
    PARTIAL_TTL, Search, SearchError, SearchOutcome, SearchRequest, SourceStatus, query_key,
};

/// How long an analytics answer stays cached (the document's 6 hours).
pub const ANALYTICS_TTL: Duration = Duration::from_secs(6 * 3600);

/// `q`, `location`, `country` as the client sent them, and the caller's plan.
#[derive(Debug, Clone, Default)]
pub struct AnalyticsRequest {
    pub q: Option<String>,
    pub location: Option<String>,
    pub country: Option<String>,
    pub plan: Option<Plan>,
}

impl AnalyticsRequest {
    fn search(&self) -> SearchRequest {
        SearchRequest {
            q: self.q.clone(),
            location: self.location.clone(),
            country: self.country.clone(),
            remote: false,
            plan: self.plan,
        }
    }
}

/// The validated query an analytics answer is about.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    /// Normalized query + plan, for cache keys.
    pub key: String,
    pub q: String,
    pub location: Option<String>,
    pub country: Country,
}

#[derive(Clone)]
pub struct Sampler {
    pub search: Search,
    pub cache: Arc<dyn Cache>,
}

impl Sampler {
    pub(crate) fn subject(&self, req: &AnalyticsRequest) -> Result<Subject, SearchError> {
        let (key, country) = query_key(&req.search())?;
        Ok(Subject {
            key,
            q: req.q.as_deref().unwrap_or_default().trim().to_owned(),
            location: req.location.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned),
            country,
        })
    }

    /// The jobs the plan's boards return for the query (through the search cache).
    pub(crate) async fn sample(&self, req: &AnalyticsRequest) -> Result<SearchOutcome, SearchError> {
        self.search.execute(req.search()).await
    }

    pub(crate) async fn cached<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        match self.cache.get(key).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "analytics cache unavailable; treating as a miss");
                None
            }
        }
    }

    /// Caches `value` for 6 hours, or one minute when a board failed (so the next ask retries it).
    pub(crate) async fn store<T: Serialize>(&self, key: &str, value: &T, sample: &SearchOutcome) {
        let ttl = if complete(sample) { ANALYTICS_TTL } else { PARTIAL_TTL };
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                if let Err(e) = self.cache.set(key, bytes, ttl).await {
                    tracing::warn!(error = %e, "analytics cache unavailable; answer not cached");
                }
            }
            Err(e) => tracing::error!(error = %e, "analytics answer could not be encoded for the cache"),
        }
    }
}

/// Whether every asked board answered (a board without credentials or outside the plan is a
/// standing condition, not a failure).
fn complete(sample: &SearchOutcome) -> bool {
    sample
        .sources
        .iter()
        .all(|s| !matches!(s.status, SourceStatus::Timeout | SourceStatus::Error | SourceStatus::BudgetExhausted))
}

/// Rounds a ratio to two decimals, as in the document's examples.
pub(crate) fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { (part as f64 / whole as f64 * 100.0).round() / 100.0 }
}
