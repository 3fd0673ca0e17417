//! Salary percentiles: percentiles, extremes and histogram of the annual salaries stated by every
//! matching posting of the corpus (`analytics`), in the country's currency (methods:
//! `domain::stats`). Cached 6 hours per query + plan. An empty sample answers with no figures
//! (`null`), never zeros.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::domain::{SalarySample, SalaryStats};
use crate::usecases::analytics::{AnalyticsError, AnalyticsRequest, Corpus, Coverage};

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
    /// The matching postings (`postings`) and their time range.
    pub coverage: Coverage,
    pub without_salary: usize,
    /// Excluded because stated in another currency, per currency.
    pub other_currency: BTreeMap<String, usize>,
    /// Excluded because the annualized amount is implausible (under 1,000 or over 5,000,000).
    pub implausible: usize,
    #[serde(skip)]
    pub cache_hit: bool,
}

#[derive(Clone)]
pub struct SalaryPercentiles {
    pub corpus: Corpus,
}

impl SalaryPercentiles {
    pub async fn execute(&self, req: AnalyticsRequest) -> Result<SalaryReport, AnalyticsError> {
        let subject = self.corpus.subject(&req)?;
        let key = format!("salary:v2:{}", subject.key);
        if let Some(mut hit) = self.corpus.cached::<SalaryReport>(&key).await {
            hit.cache_hit = true;
            return Ok(hit);
        }
        let sample = self.corpus.sample(&subject).await?;
        let currency = subject.country.currency();
        let salaries = SalarySample::of(sample.facts.iter().map(|f| f.salary.as_ref()), currency);
        let report = SalaryReport {
            query: subject.q,
            location: subject.location,
            country: subject.country.code().to_owned(),
            currency: currency.to_owned(),
            stats: SalaryStats::of(&salaries.values),
            coverage: sample.coverage,
            without_salary: salaries.without_salary,
            other_currency: salaries.other_currency,
            implausible: salaries.implausible,
            cache_hit: false,
        };
        self.corpus.store(&key, &report, sample.complete).await;
        Ok(report)
    }
}
