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
        let currency = subject.query.country().currency();
        let salaries = SalarySample::of(sample.facts.iter().map(|f| f.salary.as_ref()), currency);
        let report = SalaryReport {
            query: subject.query.q().to_owned(),
            location: subject.query.location().map(str::to_owned),
            country: subject.query.country().code().to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AnnualSalary, JobFacts, Plan, PlanCatalog};
    use crate::ports::job_store::MockJobStore;
    use crate::ports::{CorpusRow, JobSource, UpsertReport};
    use crate::testing::{FixedClock, MapCache, TokioTimer};
    use crate::usecases::{Search, SearchConfig, SearchPorts};
    use std::sync::Arc;

    fn row(id: &str, copies: &[&str], salary: Option<(&str, f64)>) -> CorpusRow {
        let salary = salary.map(|(currency, annual)| AnnualSalary { currency: currency.into(), annual });
        let facts = JobFacts { salary, skills: vec![], remote: false, seniority: None, posted_at: None };
        CorpusRow { id: id.into(), copies: copies.iter().map(|c| (*c).to_owned()).collect(), facts }
    }

    /// Salary percentiles over a store holding `rows` (read at most `reads` times) and no board.
    fn salary(rows: Vec<CorpusRow>, reads: usize) -> SalaryPercentiles {
        let mut store = MockJobStore::new();
        store.expect_upsert().returning(|_, _| Ok(UpsertReport::default()));
        store.expect_corpus().times(reads).returning(move |q| {
            assert_eq!(q.words, ["data", "engineer"]);
            assert_eq!(q.country.as_deref(), Some("GB"));
            Ok(rows.clone())
        });
        let store = Arc::new(store);
        let cache = Arc::new(MapCache::default());
        let clock = Arc::new(FixedClock::at(1_800_000_000));
        let search = Search::new(
            SearchPorts {
                sources: Vec::<Arc<dyn JobSource>>::new(),
                catalog: Arc::new(PlanCatalog::document()),
                cache: cache.clone(),
                store: store.clone(),
                clock: clock.clone(),
                timer: Arc::new(TokioTimer),
            },
            SearchConfig::default(),
        );
        SalaryPercentiles { corpus: Corpus { search, store, cache, clock } }
    }

    fn req() -> AnalyticsRequest {
        AnalyticsRequest { q: Some("Data Engineer".into()), plan: Some(Plan::Pro), ..Default::default() }
    }

    #[tokio::test]
    async fn figures_count_each_posting_once_in_the_countrys_currency_and_say_what_was_left_out() {
        let rows = vec![
            row("reed:1", &["adzuna:9"], Some(("GBP", 50_000.0))),
            // The same job stored again, as the copy merged into reed:1: counted once.
            row("adzuna:9", &[], Some(("GBP", 50_000.0))),
            row("reed:2", &[], Some(("GBP", 70_000.0))),
            row("reed:3", &[], Some(("GBP", 60_000.0))),
            row("themuse:4", &[], Some(("USD", 120_000.0))),
            row("reed:5", &[], None),
            row("reed:6", &[], Some(("GBP", 400.0))),
        ];
        let s = salary(rows, 1);
        let r = s.execute(req()).await.unwrap();
        assert_eq!((r.country.as_str(), r.currency.as_str(), r.query.as_str()), ("gb", "GBP", "Data Engineer"));
        let stats = r.stats.as_ref().expect("figures");
        assert_eq!(stats.sample_size, 3, "{r:?}");
        assert_eq!((stats.min, stats.median, stats.max), (50_000.0, 60_000.0, 70_000.0));
        assert_eq!(r.coverage.postings, 6, "each job once");
        assert_eq!(r.without_salary, 1);
        assert_eq!(r.other_currency.get("USD"), Some(&1));
        assert_eq!(r.implausible, 1);
        assert!(!r.cache_hit);
        // Asked again: the cached report, the store not read again.
        let again = s.execute(req()).await.unwrap();
        assert!(again.cache_hit);
        assert_eq!(again.stats, r.stats);
    }

    #[tokio::test]
    async fn no_usable_salary_is_no_figures_never_zeros() {
        let r = salary(vec![row("reed:1", &[], None)], 1).execute(req()).await.unwrap();
        assert_eq!(r.stats, None);
        assert_eq!(r.without_salary, 1);
    }

    #[tokio::test]
    async fn a_bad_query_is_refused_before_the_store_is_read() {
        let bad = AnalyticsRequest { q: Some("  ".into()), ..req() };
        let e = salary(vec![], 0).execute(bad).await.unwrap_err();
        assert!(matches!(e, AnalyticsError::Query(_)), "{e:?}");
    }
}
