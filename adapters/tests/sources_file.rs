//! The file source: an operator's CSV or JSONL dump, including the real 32k-row data-jobs-2023
//! dataset read in place from `../shared/datasets/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use std::path::PathBuf;

use jobin_adapters::sources::FileSource;
use jobin_core::domain::{Country, PayPeriod};
use jobin_core::ports::{JobSource, SourceQuery};

fn query(q: &str, country: Country) -> SourceQuery {
    SourceQuery { q: q.into(), location: None, country, limit: 50 }
}

#[tokio::test]
async fn the_data_jobs_2023_dataset_loads_and_searches() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/data-jobs-2023/data_jobs_salary_all.csv");
    let (source, report) = FileSource::load(&path, Some("USD")).unwrap();
    assert!(report.rows > 30_000, "{report:?}");
    assert_eq!(report.loaded + report.skipped, report.rows);
    assert!(report.skipped * 100 < report.rows, "under 1% unreadable: {report:?}");
    let jobs = source.jobs();
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

    let us = source.search(&query("data engineer", Country::Us)).await.unwrap();
    assert_eq!(us.len(), 50);
    assert!(us.iter().all(|j| j.location.country == "US" || (j.remote && j.location.country.is_empty())));
    assert!(us.iter().all(|j| j.title.to_lowercase().contains("data") || j.skills.iter().any(|s| s.contains("data"))));
}

#[tokio::test]
async fn csv_and_jsonl_dumps_in_our_own_shape_load() {
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
    let (source, report) = FileSource::load(&csv, None).unwrap();
    assert_eq!((report.rows, report.loaded, report.skipped), (3, 2, 1));
    assert_eq!(report.first_errors, vec!["row 2: no title"]);
    let a1 = &source.jobs()[0];
    assert_eq!(a1.id, "import:a1");
    assert_eq!(a1.skills, vec!["rust", "tokio"]);
    assert_eq!(a1.salary.as_ref().unwrap().max, 80_000.0);
    let a3 = &source.jobs()[1];
    assert_eq!(a3.location.country, "DE");
    assert_eq!(a3.salary.as_ref().unwrap().currency, "EUR", "no currency: the country's");

    let jsonl = dir.path().join("jobs.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\": 7, \"title\": \"Go Developer\", \"company\": \"Gopher\", \"location\": \"Austin, TX\", \"country\": \"US\", \"skills\": [\"go\"]}\n\
         not json\n\
         [1, 2]\n",
    )
    .unwrap();
    let (source, report) = FileSource::load(&jsonl, None).unwrap();
    assert_eq!((report.loaded, report.skipped), (1, 2));
    let j = &source.jobs()[0];
    assert_eq!((j.id.as_str(), j.location.city.as_str(), j.location.region.as_str()), ("import:7", "Austin", "TX"));
    assert_eq!(source.search(&query("go", Country::Us)).await.unwrap().len(), 1);
    assert!(source.search(&query("go", Country::Gb)).await.unwrap().is_empty());
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    assert!(FileSource::load(std::path::Path::new("/nonexistent/jobs.csv"), None).is_err());
}

/// Data quality: salary statistics of the dataset, loaded through the file source and searched
/// like any board, equal a computation straight from the CSV written here with its own parsing,
/// filtering and percentile arithmetic.
#[tokio::test]
async fn salary_statistics_over_the_dataset_match_an_independent_computation() {
    use jobin_core::domain::{SalarySample, SalaryStats};
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/data-jobs-2023/data_jobs_salary_all.csv");
    // No default currency: each row's country decides it, so rows from other countries never
    // pool into the US sample.
    let (source, _) = FileSource::load(&path, None).unwrap();
    let found = source
        .search(&SourceQuery { q: "data engineer".into(), location: None, country: Country::Us, limit: 1_000_000 })
        .await
        .unwrap();
    let sample = SalarySample::of(&found, "USD");
    let ours = SalaryStats::of(&sample.values).unwrap();

    // Independent: read the CSV again, keep United States rows whose title, company or skills
    // contain words starting with "data" and "engineer", annualize hourly pay × 2,080.
    let words = |s: &str| -> Vec<String> {
        s.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect()
    };
    let mut reader = csv::Reader::from_path(&path).unwrap();
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
        if &rec[country] != "United States" {
            continue;
        }
        let text = words(&format!("{} {} {}", &rec[title], &rec[company], &rec[skills]));
        if !["data", "engineer"].iter().all(|q| text.iter().any(|w| w.starts_with(q))) {
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
    let n = values.len();
    let pct = |p: f64| {
        let rank = p * (n - 1) as f64;
        let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
        ((values[lo] + (values[hi] - values[lo]) * (rank - lo as f64)) * 100.0).round() / 100.0
    };
    assert!(n > 1_000, "a real sample: {n}");
    assert_eq!(ours.sample_size, n);
    assert_eq!((ours.p25, ours.median, ours.p75), (pct(0.25), pct(0.5), pct(0.75)));
    assert_eq!((ours.min, ours.max), (values[0], values[n - 1]));
    let mut histogram = std::collections::BTreeMap::<u64, u64>::new();
    for v in &values {
        *histogram.entry((v / 10_000.0) as u64 * 10_000).or_default() += 1;
    }
    assert_eq!(ours.histogram, histogram);
    eprintln!(
        "data engineer, US: n={n} p25={} median={} p75={} min={} max={}",
        ours.p25, ours.median, ours.p75, ours.min, ours.max
    );
}
