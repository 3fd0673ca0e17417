//! Every real recorded board answer in `../shared/payloads/boards/` parses into sane jobs: ids
//! `source:native`, titles, UTC dates, salaries in the right currency. The captures are read in
//! place (never copied into the project).

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use jobin_adapters::sources::{adzuna, arbeitnow, findwork, reed, remotive, themuse};
use jobin_core::domain::{Country, Job, PayPeriod, SourceId};

/// A recorded board answer, or `None` (after a loud SKIPPED line) in a bare clone; the boards'
/// own wire fixtures in `sources_wire.rs` cover the parsing there. Required under CI.
fn capture(rel: &str) -> Option<Vec<u8>> {
    let path = jobin_adapters::testing::shared_file(&format!("payloads/boards/{rel}"))?;
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn assert_sane(jobs: &[Job], source: SourceId, min: usize) {
    assert!(jobs.len() >= min, "{source}: {} jobs, expected at least {min}", jobs.len());
    let mut ids = std::collections::HashSet::new();
    for j in jobs {
        assert_eq!(j.source, source);
        assert!(j.id.starts_with(&format!("{source}:")) && j.id.len() > source.as_str().len() + 1, "{}", j.id);
        assert!(ids.insert(j.id.clone()), "duplicate id {}", j.id);
        assert!(!j.title.trim().is_empty(), "{}: empty title", j.id);
        assert!(!j.title.contains('<') && !j.title.contains("&amp;"), "{}: markup in title {:?}", j.id, j.title);
        assert!(j.url.starts_with("https://"), "{}: url {:?}", j.id, j.url);
        assert!(j.posted_at.is_some(), "{}: no posted date", j.id);
        assert!(!j.description.contains("<p>"), "{}: HTML left in the description", j.id);
        if let Some(s) = &j.salary {
            assert!(s.min > 0.0 && s.min <= s.max, "{}: {s:?}", j.id);
            assert_eq!(s.currency.len(), 3, "{}: {s:?}", j.id);
        }
    }
}

#[test]
fn shared_adzuna_gb_capture_parses_with_pounds_per_year() {
    let Some(body) = capture("adzuna/gb_search_page1_2025-07.json") else { return };
    let (jobs, count) = adzuna::parse_page(&body, Country::Gb).unwrap();
    assert_sane(&jobs, SourceId::Adzuna, 10);
    assert!(count >= jobs.len() as u64);
    let first = &jobs[0];
    assert_eq!(first.id, "adzuna:5258224185");
    assert_eq!(first.location.country, "GB");
    assert_eq!(first.location.city, "Stoke Gifford");
    assert_eq!(first.location.region, "South West England");
    assert_eq!(first.posted_at.unwrap().to_rfc3339(), "2025-06-19T16:06:00+00:00");
    let s = first.salary.as_ref().unwrap();
    assert_eq!((s.min, s.max, s.currency.as_str(), s.period), (27_500.0, 27_500.0, "GBP", PayPeriod::Year));
    assert!(jobs.iter().filter_map(|j| j.salary.as_ref()).all(|s| s.currency == "GBP"));
}

#[test]
fn shared_adzuna_de_raw_capture_parses_with_euros_and_missing_fields() {
    let Some(body) = capture("adzuna/de_search_page1_2024-03_raw.json") else { return };
    let (jobs, _) = adzuna::parse_page(&body, Country::De).unwrap();
    assert_sane(&jobs, SourceId::Adzuna, 10);
    assert!(jobs.iter().filter_map(|j| j.salary.as_ref()).all(|s| s.currency == "EUR"));
    assert!(jobs.iter().any(|j| j.title.contains("(m/w/d)")));
}

#[test]
fn shared_reed_capture_parses_dates_postcodes_and_salary_periods() {
    let Some(body) = capture("reed/search_100results_2025-07.json") else { return };
    let (jobs, total) = reed::parse_page(&body).unwrap();
    assert_sane(&jobs, SourceId::Reed, 100);
    assert!(total >= 100);
    let first = &jobs[0];
    assert_eq!(first.id, "reed:55408327");
    assert_eq!(first.company, "Academics", "trailing space trimmed");
    assert_eq!(first.posted_at.unwrap().to_rfc3339(), "2025-07-13T00:00:00+00:00");
    assert_eq!(
        first.valid_through.unwrap().to_rfc3339(),
        "2025-08-25T00:00:00+00:00",
        "open through the whole of its expirationDate (24/08/2025)"
    );
    let s = first.salary.as_ref().unwrap();
    assert_eq!((s.min, s.max, s.currency.as_str(), s.period), (21_600.0, 28_800.0, "GBP", PayPeriod::Year));
    for j in &jobs {
        if let Some(s) = &j.salary {
            let expected = if s.max < 150.0 {
                PayPeriod::Hour
            } else if s.max < 2_000.0 {
                PayPeriod::Day
            } else {
                PayPeriod::Year
            };
            assert_eq!(s.period, expected, "{}", j.id);
        }
        assert!(j.location.city.chars().any(|c| c.is_lowercase()) || j.location.city.is_empty(), "{:?}", j.location);
    }
}

#[test]
fn shared_remotive_capture_parses_naive_dates_tags_and_free_text_salaries() {
    let Some(body) = capture("remotive/remote-jobs_35jobs_2026-07.json") else { return };
    let jobs = remotive::parse_listing(&body).unwrap();
    assert_sane(&jobs, SourceId::Remotive, 35);
    assert!(jobs.iter().all(|j| j.remote));
    let first = &jobs[0];
    assert_eq!(first.id, "remotive:2090903");
    assert_eq!(first.posted_at.unwrap().to_rfc3339(), "2026-07-26T20:49:11+00:00");
    assert_eq!(first.location.region, "USA");
    assert_eq!(first.location.country, "US");
    let s = first.salary.as_ref().unwrap();
    assert_eq!((s.min, s.max, s.currency.as_str(), s.period), (18.0, 22.0, "USD", PayPeriod::Hour));
    assert!(first.skills.contains(&"spreadsheets".to_owned()));
    assert!(jobs.iter().all(|j| !j.description.contains("blank.gif")));
}

#[test]
fn shared_findwork_capture_parses_roles_keywords_and_junk_locations() {
    let Some(body) = capture("findwork/jobs_page1_2025-07.json") else { return };
    let (jobs, has_next) = findwork::parse_page(&body).unwrap();
    assert_sane(&jobs, SourceId::Findwork, 100);
    assert!(has_next);
    let first = &jobs[0];
    assert_eq!(first.id, "findwork:Mmj7PWX");
    assert_eq!(first.title, "Senior Software Engineer");
    assert_eq!(first.location.city, "", "a URL is not a location");
    assert!(first.remote);
    assert_eq!(first.skills, vec!["python", "react", "oracle"]);
    assert!(jobs.iter().all(|j| j.salary.is_none()));
}

#[test]
fn shared_arbeitnow_capture_parses_slugs_unix_dates_and_escaped_html() {
    let Some(body) = capture("arbeitnow/job-board-api_5jobs_2026-08_data-only.json") else { return };
    let (jobs, has_next) = arbeitnow::parse_page(&body).unwrap();
    assert_sane(&jobs, SourceId::Arbeitnow, 5);
    assert!(!has_next, "the capture has no links");
    assert_eq!(jobs[0].id, "arbeitnow:ml-product-engineer-heidelberg-60723");
    assert!(jobs.iter().all(|j| !j.description.contains("&lt;")), "escaped HTML is unescaped and stripped");
}

#[test]
fn shared_themuse_capture_parses_levels_locations_and_landing_pages() {
    let Some(body) = capture("themuse/public_jobs_page1_2025-07.json") else { return };
    let (jobs, page_count) = themuse::parse_page(&body).unwrap();
    assert_sane(&jobs, SourceId::TheMuse, 20);
    assert!(page_count > 1);
    let first = &jobs[0];
    assert_eq!(first.id, "themuse:18573699");
    assert_eq!(first.title, "Site Survey Technician");
    assert_eq!((first.location.city.as_str(), first.location.region.as_str()), ("Paramount", "CA"));
    assert_eq!(first.location.country, "US");
    assert_eq!(first.seniority.map(|s| s.as_str()), Some("mid"));
    assert_eq!(first.url, "https://www.themuse.com/jobs/sunrun/site-survey-technician-ee16ee");
}

#[test]
fn garbage_bodies_are_invalid_responses_not_panics() {
    for body in [&b"<html>Bad gateway</html>"[..], b"", b"{\"results\": 5}", b"null"] {
        assert!(adzuna::parse_page(body, Country::Gb).is_err());
        assert!(reed::parse_page(body).is_err());
        assert!(findwork::parse_page(body).is_err());
        assert!(themuse::parse_page(body).is_err());
    }
    // Records that miss their id or title are skipped, not fatal.
    let (jobs, _) = adzuna::parse_page(
        br#"{"count": 2, "results": [{"title": "No id"}, {"id": "7", "title": "Ok"}]}"#,
        Country::Gb,
    )
    .unwrap();
    assert_eq!(jobs.len(), 1);
}
