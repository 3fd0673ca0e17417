//! The file source: an operator's CSV or JSONL dump, including the real 32k-row data-jobs-2023
//! dataset read in place from `../shared/datasets/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use std::sync::Arc;

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::memory::MemoryJobStore;
use jobin_adapters::sources::{ImportFile, StoredImport};
use jobin_adapters::testing::{Subject, contract, shared_file};
use jobin_core::domain::{Country, PayPeriod};
use jobin_core::ports::{FeedQuery, JobSource, JobStore, SourceQuery};

const DATASET: &str = "datasets/data-jobs-2023/data_jobs_salary_all.csv";

fn query(q: &str, country: Country) -> SourceQuery {
    SourceQuery { q: q.into(), location: None, country, limit: 50 }
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
}

/// Loads `file` into a fresh in-process store and returns it with the import as a search source.
async fn stored(file: &ImportFile) -> (Arc<dyn JobStore>, StoredImport) {
    let store: Arc<dyn JobStore> = Arc::new(MemoryJobStore::default());
    file.store_into(store.as_ref(), now(), 1_000, |_| {}).await.unwrap();
    (store.clone(), StoredImport::new(store))
}

#[tokio::test]
async fn shared_dataset_loads_and_searches() {
    let Some(path) = shared_file(DATASET) else { return };
    let (file, report) = ImportFile::load(&path, Some("USD")).unwrap();
    assert!(report.rows > 30_000, "{report:?}");
    assert_eq!(report.loaded + report.skipped, report.rows);
    assert!(report.skipped * 100 < report.rows, "under 1% unreadable: {report:?}");
    let jobs = file.jobs();
    assert!(jobs.iter().all(|j| j.id.starts_with("import:row-")));
    let first = &jobs[0];
    assert_eq!(first.title, "Senior Data Scientist Data and Analytics Performance Operations");
    assert_eq!(first.company, "Cox Communications");
    assert_eq!((first.location.city.as_str(), first.location.region.as_str()), ("Bennington", "NE"));
    let s = first.salary.as_ref().unwrap();
    assert_eq!((s.min, s.currency.as_str(), s.period), (128_050.0, "USD", PayPeriod::Year));
    assert_eq!(first.skills[..3], ["sql", "python", "aws"]);
    assert_eq!(first.posted_at.unwrap().to_rfc3339(), "2023-04-24T09:51:15+00:00");
    let hourly = jobs.iter().find(|j| j.salary.as_ref().is_some_and(|s| s.period == PayPeriod::Hour)).unwrap();
    assert!(hourly.salary.as_ref().unwrap().min < 500.0, "{:?}", hourly.salary);
    let with_salary = jobs.iter().filter(|j| j.salary.is_some()).count();
    assert!(with_salary * 100 >= jobs.len() * 95, "{with_salary} of {} have a salary", jobs.len());

    let (_, source) = stored(&file).await;
    let us = source.search(&query("data engineer", Country::Us)).await.unwrap();
    assert_eq!(us.len(), 50);
    assert!(us.iter().all(|j| j.location.country == "US"));
    assert!(us.windows(2).all(|w| w[0].posted_at >= w[1].posted_at), "newest first");
}

#[tokio::test]
async fn csv_and_jsonl_dumps_in_our_own_shape_load_into_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("jobs.csv");
    std::fs::write(
        &csv,
        "id,title,company,city,country,salary_min,salary_max,currency,period,skills,remote,url,posted_at\n\
         a1,Rust Engineer,Acme Ltd,London,gb,60000,80000,GBP,year,\"rust, tokio\",false,https://acme.example/a1,2026-11-01T09:00:00Z\n\
         a2,,Nobody,Leeds,gb,,,,,,,,\n\
         a3,Data Analyst,Beta,Berlin,Germany,50000,,,,,true,,2026-11-02\n",
    )
    .unwrap();
    let (file, report) = ImportFile::load(&csv, None).unwrap();
    assert_eq!((report.rows, report.loaded, report.skipped), (3, 2, 1));
    assert_eq!(report.first_errors, vec!["line 3: no title"], "the file's line, header included");
    let a1 = &file.jobs()[0];
    assert_eq!(a1.id, "import:a1");
    assert_eq!(a1.skills, vec!["rust", "tokio"]);
    assert_eq!(a1.salary.as_ref().unwrap().max, 80_000.0);
    let a3 = &file.jobs()[1];
    assert_eq!(a3.location.country, "DE");
    assert_eq!(a3.salary.as_ref().unwrap().currency, "EUR", "no currency: the country's");
    let (store, source) = stored(&file).await;
    assert_eq!(source.search(&query("rust eng", Country::Gb)).await.unwrap().len(), 1);
    assert!(source.search(&query("rust", Country::De)).await.unwrap().is_empty());

    // The file changes: a1 left it, so it expires; a3 stays.
    std::fs::write(&csv, "id,title,country\na3,Data Analyst,de\n").unwrap();
    let (file, _) = ImportFile::load(&csv, None).unwrap();
    let later = now() + chrono::Duration::minutes(5);
    assert_eq!(file.store_into(store.as_ref(), later, 1_000, |_| {}).await.unwrap(), 1);
    let active = store.feed(&FeedQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(active.jobs.iter().map(|j| j.job.id.as_str()).collect::<Vec<_>>(), ["import:a3"]);

    let jsonl = dir.path().join("jobs.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\": 7, \"title\": \"Go Developer\", \"company\": \"Gopher\", \"location\": \"Austin, TX\", \"country\": \"US\", \"skills\": [\"go\"]}\n\
         \n\
         not json\n\
         [1, 2]\n",
    )
    .unwrap();
    let (file, report) = ImportFile::load(&jsonl, None).unwrap();
    assert_eq!((report.loaded, report.skipped), (1, 2));
    assert!(report.first_errors[0].starts_with("line 3: "), "{:?}", report.first_errors);
    assert_eq!(report.first_errors[1], "line 4: not a JSON object");
    let j = &file.jobs()[0];
    assert_eq!((j.id.as_str(), j.location.city.as_str(), j.location.region.as_str()), ("import:7", "Austin", "TX"));
    let (_, source) = stored(&file).await;
    assert_eq!(source.search(&query("go", Country::Us)).await.unwrap().len(), 1);
    assert!(source.search(&query("go", Country::Gb)).await.unwrap().is_empty());
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    assert!(ImportFile::load(std::path::Path::new("/nonexistent/jobs.csv"), None).is_err());
}

/// Data quality: salary statistics of the dataset, imported into each job store and read back
/// as the salary endpoint reads its corpus, equal a computation straight from the CSV written here
/// with its own parsing, filtering and percentile arithmetic.
async fn shared_dataset_salary_matches_an_independent_computation(store: Arc<dyn JobStore>) {
    use jobin_core::domain::normalize::query_words;
    use jobin_core::domain::{SalarySample, SalaryStats, SourceId};
    use jobin_core::ports::CorpusQuery;
    let Some(path) = shared_file(DATASET) else { return };
    // No default currency: each row's country decides it, so rows from other countries never
    // pool into the US sample.
    let (file, _) = ImportFile::load(&path, None).unwrap();
    file.store_into(store.as_ref(), now(), 2_000, |_| {}).await.unwrap();
    for (q, country, name) in [
        ("data engineer", "US", "United States"),
        ("data scientist", "US", "United States"),
        ("analyst", "FR", "France"),
    ] {
        let corpus = CorpusQuery {
            words: query_words(q),
            country: Some(country.into()),
            sources: vec![SourceId::Adzuna, SourceId::Import],
            ..Default::default()
        };
        let rows = jobin_core::usecases::distinct(store.corpus(&corpus).await.unwrap());
        let currency = Country::parse(country).unwrap().currency();
        let sample = SalarySample::of(rows.iter().map(|f| f.salary.as_ref()), currency);
        let ours = SalaryStats::of(&sample.values).unwrap();
        let (n, values) = independent(&path, q, name);
        check(&ours, n, &values);
        eprintln!("{q}, {country}: n={n} p25={} median={} p75={}", ours.p25, ours.median, ours.p75);
    }
}

/// The rows of the CSV in country `name` whose title, company or skills contain words starting
/// with each word of `q`, annualized (hourly × 2,080), plausible.
fn independent(path: &std::path::Path, q: &str, name: &str) -> (usize, Vec<f64>) {
    // Independent: read the CSV again, keep United States rows whose title, company or skills
    // contain words starting with "data" and "engineer", annualize hourly pay × 2,080.
    let words = |s: &str| -> Vec<String> {
        s.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect()
    };
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (title, company, skills, country, rate, year, hour) = (
        col("job_title"),
        col("company_name"),
        col("job_skills"),
        col("job_country"),
        col("salary_rate"),
        col("salary_year_avg"),
        col("salary_hour_avg"),
    );
    let mut values = Vec::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        if &rec[country] != name {
            continue;
        }
        let text = words(&format!("{} {} {}", &rec[title], &rec[company], &rec[skills]));
        if !q.split(' ').all(|q| text.iter().any(|w| w.starts_with(q))) {
            continue;
        }
        let v = match &rec[rate] {
            "hour" => rec[hour].parse::<f64>().unwrap() * 2_080.0,
            _ => rec[year].parse::<f64>().unwrap(),
        };
        if (1_000.0..=5_000_000.0).contains(&v) {
            values.push(v);
        }
    }
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (values.len(), values)
}

/// Our figures against the independent ones: type-7 percentiles, extremes, 10,000 buckets.
fn check(ours: &jobin_core::domain::SalaryStats, n: usize, values: &[f64]) {
    let pct = |p: f64| {
        let rank = p * (n - 1) as f64;
        let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
        ((values[lo] + (values[hi] - values[lo]) * (rank - lo as f64)) * 100.0).round() / 100.0
    };
    assert!(n > 50, "a real sample: {n}");
    assert_eq!(ours.sample_size, n);
    assert_eq!((ours.p25, ours.median, ours.p75), (pct(0.25), pct(0.5), pct(0.75)));
    assert_eq!((ours.min, ours.max), (values[0], values[n - 1]));
    let mut histogram = std::collections::BTreeMap::<u64, u64>::new();
    for v in values {
        *histogram.entry((v / 10_000.0) as u64 * 10_000).or_default() += 1;
    }
    assert_eq!(ours.histogram, histogram);
}

fn sql(db: sea_orm::DatabaseConnection) -> Arc<dyn JobStore> {
    Arc::new(jobin_adapters::db::SqlJobStore::new(db))
}

contract_suite! {
    cases: [shared_dataset_salary_matches_an_independent_computation];
    memory => async {
        Some(Subject::new(Arc::new(jobin_adapters::memory::MemoryJobStore::default()) as Arc<dyn JobStore>))
    },
    sqlite => contract::sqlite(sql),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(sql),
}
