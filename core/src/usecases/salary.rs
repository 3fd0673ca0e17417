//! `GET /jobs/salary`: percentiles, extremes and histogram of the annual salaries the plan's
//! boards state for a query, in the country's currency (methods: `domain::stats`). Cached 6 hours
//! per query + plan. An empty sample answers with no figures (`null`), never zeros.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::domain::{SalarySample, SalaryStats};
use crate::usecases::analytics::{AnalyticsRequest, Sampler};
use crate::usecases::search::SearchError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalaryReport {
    pub query: String,
    pub location: Option<String>,
    /// Lower-case country code.
    pub country: String,
    /// ISO 4217: the country's currency; salaries in any other currency are excluded.
    pub currency: String,
    /// `None` when no posting states a usable salary in `currency`.
    pub stats: Option<SalaryStats>,
    /// Postings the boards returned (after deduplication).
    pub postings: usize,
    pub without_salary: usize,
    /// Excluded because stated in another currency, per currency.
    pub other_currency: BTreeMap<String, usize>,
    /// Excluded because the annualized amount is implausible (under 1,000 or over 5,000,000).
    pub implausible: usize,
    #[serde(skip)]
    pub cache_hit: bool,
}

#[derive(Clone)]
pub struct SalaryStatsCase {
    pub sampler: Sampler,
}

impl SalaryStatsCase {
    pub async fn execute(&self, req: AnalyticsRequest) -> Result<SalaryReport, SearchError> {
        let subject = self.sampler.subject(&req)?;
        let key = format!("salary:v1:{}", subject.key);
        if let Some(mut hit) = self.sampler.cached::<SalaryReport>(&key).await {
            hit.cache_hit = true;
            return Ok(hit);
        }
        let outcome = self.sampler.sample(&req).await?;
        let currency = subject.country.currency();
        let sample = SalarySample::of(&outcome.jobs, currency);
        let report = SalaryReport {
            query: subject.q,
            location: subject.location,
            country: subject.country.code().to_owned(),
            currency: currency.to_owned(),
            stats: SalaryStats::of(&sample.values),
            postings: outcome.jobs.len(),
            without_salary: sample.without_salary,
            other_currency: sample.other_currency,
            implausible: sample.implausible,
            cache_hit: false,
        };
        self.sampler.store(&key, &report, &outcome).await;
        Ok(report)
    }
}
