//! Analytics over the stored corpus, end to end: a salary table imported through
//! `JOBIN_IMPORT_FILE` with no company and no city (the columns a salary survey has) is answered
//! over every matching row — none merged away — and each figure equals a computation written
//! here straight from the rows, on SQLite and PostgreSQL; `since` narrows it; a bad `since` is a
//! 400 naming the field.

use chrono::{Duration, NaiveDate};
use jobin_tests::{Backend, Setup, TestServer};
use serde_json::Value;
use std::path::Path;

/// One generated salary report.
struct Row {
    title: &'static str,
    country: &'static str,
    salary: Option<(f64, &'static str, &'static str)>,
    posted: NaiveDate,
}

fn rows() -> Vec<Row> {
    let titles =
        ["Data Scientist", "Senior Data Scientist", "Data Engineer", "Research Scientist", "Data Scientist II"];
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    (0..600usize)
        .map(|n| {
            let country = if n % 3 == 0 { "gb" } else { "us" };
            let currency = if n % 17 == 0 {
                "EUR"
            } else if country == "gb" {
                "GBP"
            } else {
                "USD"
            };
            let salary = match (n / 3) % 3 {
                _ if n % 11 == 0 => None,
                0 => Some((60_000.0 + ((n * 7_919) % 140_000) as f64, currency, "year")),
                1 => Some((20.0 + (n % 80) as f64 + 0.25, currency, "hour")),
                _ => Some((4_000.0 + ((n * 31) % 9_000) as f64, currency, "month")),
            };
            Row { title: titles[n % titles.len()], country, salary, posted: start + Duration::days((n % 300) as i64) }
        })
        .collect()
}

fn write_csv(path: &Path, rows: &[Row]) {
    let mut text = String::from("title,salary_min,salary_max,currency,period,country,posted_at\n");
    for r in rows {
        let (amount, currency, period) = r.salary.map_or((String::new(), "", ""), |(a, c, p)| (a.to_string(), c, p));
        text.push_str(&format!("{},{amount},{amount},{currency},{period},{},{}\n", r.title, r.country, r.posted));
    }
    text.push_str(",1,1,USD,year,us,2026-01-01\n"); // no title: reported and skipped
    std::fs::write(path, text).unwrap();
}

/// Written from the rows, not from JobIn's code: US rows whose title has words starting with
/// "data" and "scientist", posted on or after `since`; USD salaries annualized, plausible ones.
fn independent(rows: &[Row], since: Option<NaiveDate>) -> (usize, Vec<f64>, NaiveDate, NaiveDate) {
    let matching: Vec<&Row> = rows
        .iter()
        .filter(|r| r.country == "us" && since.is_none_or(|s| r.posted >= s))
        .filter(|r| {
            let words: Vec<String> = r.title.to_lowercase().split(' ').map(str::to_owned).collect();
            ["data", "scientist"].iter().all(|q| words.iter().any(|w| w.starts_with(q)))
        })
        .collect();
    let mut values: Vec<f64> = matching
        .iter()
        .filter_map(|r| r.salary)
        .filter(|(_, c, _)| *c == "USD")
        .map(|(a, _, p)| {
            a * match p {
                "hour" => 2_080.0,
                "month" => 12.0,
                _ => 1.0,
            }
        })
        .filter(|v| (1_000.0..=5_000_000.0).contains(v))
        .collect();
    values.sort_by(f64::total_cmp);
    let first = matching.iter().map(|r| r.posted).min().unwrap();
    let last = matching.iter().map(|r| r.posted).max().unwrap();
    (matching.len(), values, first, last)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    ((sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)) * 100.0).round() / 100.0
}

fn assert_figures(body: &Value, rows: &[Row], since: Option<NaiveDate>) {
    let (postings, values, first, last) = independent(rows, since);
    assert_eq!(body["postings"], postings, "{body}");
    assert_eq!(body["coverage"]["postings"], postings);
    assert_eq!(body["sampleSize"], values.len());
    for (field, p) in [("p25", 0.25), ("median", 0.5), ("p75", 0.75)] {
        assert_eq!(body[field].as_f64().unwrap(), percentile(&values, p), "{field}");
    }
    assert_eq!(body["min"].as_f64().unwrap(), values[0]);
    assert_eq!(body["max"].as_f64().unwrap(), values[values.len() - 1]);
    let buckets: u64 = body["histogram"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(buckets, values.len() as u64);
    // The ordered buckets: lowest first, each 10,000 wide, each value counted in its own, the
    // same counts as the (deprecated) object.
    let ordered = body["histogramBuckets"].as_array().unwrap();
    let mins: Vec<u64> = ordered.iter().map(|b| b["min"].as_u64().unwrap()).collect();
    assert!(mins.windows(2).all(|w| w[0] < w[1]), "ascending: {mins:?}");
    for b in ordered {
        let (min, max) = (b["min"].as_u64().unwrap(), b["max"].as_u64().unwrap());
        assert_eq!(max - min, 10_000);
        let inside = values.iter().filter(|v| **v >= min as f64 && **v < max as f64).count() as u64;
        assert_eq!(b["count"].as_u64().unwrap(), inside, "[{min}, {max})");
        assert_eq!(body["histogram"][min.to_string()], b["count"]);
    }
    assert_eq!(body["coverage"]["postedFrom"], format!("{first}T00:00:00Z"));
    assert_eq!(body["coverage"]["postedTo"], format!("{last}T00:00:00Z"));
}

async fn salary_over_an_imported_table_counts_every_matching_row(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("salaries.csv");
    let rows = rows();
    write_csv(&path, &rows);
    let setup = Setup { backend, boards: Some(vec![]), import: Some(path.clone()), ..Setup::default() };
    let Some(s) = TestServer::start_with(setup).await else { return };
    let report = jobin_adapters::sources::file::import_file(s.state.jobs.store.as_ref(), path, None).await.unwrap();
    assert_eq!((report.loaded, report.skipped), (600, 1));
    assert_eq!(report.first_errors, vec!["line 602: no title"]);
    let (email, key) = s.register().await;
    s.set_plan(&email, "starter").await;

    let r = s.get_with_key("/jobs/salary?q=data+scientist&country=us", &key).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["postings"].as_u64().unwrap() > 200, "far more than one search page: {}", r.body["postings"]);
    assert_figures(&r.body, &rows, None);
    assert!(r.body["excluded"]["otherCurrency"]["EUR"].as_u64().unwrap() > 0, "EUR is excluded, not pooled");
    assert!(r.body["coverage"]["asOf"].is_string());

    let since = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let r = s.get_with_key("/jobs/salary?q=data+scientist&country=us&since=2026-06-01", &key).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_figures(&r.body, &rows, Some(since));
    assert_eq!(r.body["coverage"]["since"], "2026-06-01T00:00:00Z");

    let r = s.get_with_key("/jobs/salary?q=data+scientist&country=us&since=last+week", &key).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        (r.body["code"].as_str(), r.body["details"]["field"].as_str()),
        (Some("validation_failed"), Some("since"))
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salary_over_an_imported_table_counts_every_matching_row_on_sqlite() {
    salary_over_an_imported_table_counts_every_matching_row(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn salary_over_an_imported_table_counts_every_matching_row_on_postgres() {
    salary_over_an_imported_table_counts_every_matching_row(Backend::Postgres).await;
}
