//! `GET /v1/jobs` over HTTP, on SQLite and PostgreSQL: every filter, sort and facet as a client
//! sends them, the cursor (tampered, with other filters, stable while postings land), the total's
//! bound, the job objects, the plan's sources, the quota, and every bad value a 400 naming its
//! parameter.

use chrono::{DateTime, Duration, Utc};
use jobin_core::domain::{EmploymentType, Job, JobCopy, JobDetails, Location, PayPeriod, Salary, Seniority, SourceId};
use jobin_tests::{Backend, Reply, Setup, TestServer};
use serde_json::Value;
use std::collections::HashSet;

fn t(hours: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + Duration::hours(hours)
}

struct Spec {
    source: SourceId,
    n: u32,
    title: &'static str,
    company: &'static str,
    city: &'static str,
    country: &'static str,
    salary: Option<(f64, &'static str, PayPeriod)>,
    employment: Option<EmploymentType>,
    seniority: Option<Seniority>,
    remote: bool,
    visa: Option<bool>,
    posted: Option<i64>,
}

fn job(s: &Spec) -> Job {
    let mut j = Job {
        id: Job::make_id(s.source, &s.n.to_string()),
        source: s.source,
        title: s.title.into(),
        company: s.company.into(),
        location: Location { city: s.city.into(), country: s.country.into(), region: String::new() },
        salary: s.salary.and_then(|(lo, cur, p)| Salary::from_bounds(Some(lo), Some(lo * 1.25), cur, p)),
        skills: vec!["SQL".into()],
        seniority: s.seniority,
        remote: s.remote,
        url: format!("https://example.com/{}", s.n),
        posted_at: s.posted.map(t),
        valid_through: None,
        fetched_at: t(0),
        description: format!("Posting number {} with a long description. ", s.n).repeat(20),
        copies: vec![],
        details: JobDetails { employment_type: s.employment, visa_sponsorship: s.visa, ..Default::default() },
        provenance: None,
    };
    j.copies = vec![j.own_copy()];
    j
}

/// Twelve postings that differ in every filtered field.
fn postings() -> Vec<Job> {
    use EmploymentType::*;
    use PayPeriod::*;
    use Seniority::*;
    use SourceId::*;
    let specs = [
        Spec {
            source: Adzuna,
            n: 1,
            title: "Sr. Rust Engineer - London",
            company: "Acme Ltd",
            city: "London",
            country: "GB",
            salary: Some((80_000.0, "GBP", Year)),
            employment: Some(FullTime),
            seniority: Some(Senior),
            remote: false,
            visa: Some(true),
            posted: Some(-1),
        },
        Spec {
            source: Adzuna,
            n: 2,
            title: "Rust Developer",
            company: "ACME",
            city: "Manchester",
            country: "GB",
            salary: Some((45.0, "GBP", Hour)),
            employment: Some(Contract),
            seniority: None,
            remote: true,
            visa: None,
            posted: Some(-2),
        },
        Spec {
            source: Adzuna,
            n: 3,
            title: "Data Analyst",
            company: "Globex GmbH",
            city: "Wien",
            country: "AT",
            salary: Some((4_000.0, "EUR", Month)),
            employment: Some(FullTime),
            seniority: Some(Junior),
            remote: false,
            visa: Some(false),
            posted: Some(-3),
        },
        Spec {
            source: Adzuna,
            n: 4,
            title: "Python Developer",
            company: "Initech",
            city: "Praha",
            country: "CZ",
            salary: None,
            employment: Some(PartTime),
            seniority: Some(Mid),
            remote: false,
            visa: None,
            posted: Some(-4),
        },
        Spec {
            source: Adzuna,
            n: 5,
            title: "Backend Engineer (Hybrid)",
            company: "Umbrella",
            city: "Berlin",
            country: "DE",
            salary: Some((70_000.0, "EUR", Year)),
            employment: Some(FullTime),
            seniority: Some(Senior),
            remote: false,
            visa: Some(true),
            posted: Some(-5),
        },
        Spec {
            source: Adzuna,
            n: 6,
            title: "Rust Engineer",
            company: "Umbrella",
            city: "New York",
            country: "US",
            salary: Some((150_000.0, "USD", Year)),
            employment: None,
            seniority: Some(Lead),
            remote: true,
            visa: None,
            posted: Some(-6),
        },
        Spec {
            source: Adzuna,
            n: 7,
            title: "Junior Data Engineer",
            company: "Acme Limited",
            city: "Leeds",
            country: "GB",
            salary: Some((300.0, "GBP", Day)),
            employment: Some(Temporary),
            seniority: Some(Junior),
            remote: false,
            visa: None,
            posted: None,
        },
        Spec {
            source: Reed,
            n: 8,
            title: "Rust Engineer",
            company: "Reed Only Ltd",
            city: "Bristol",
            country: "GB",
            salary: Some((60_000.0, "GBP", Year)),
            employment: Some(FullTime),
            seniority: None,
            remote: false,
            visa: None,
            posted: Some(-1),
        },
        Spec {
            source: Import,
            n: 9,
            title: "Product Manager",
            company: "Hooli",
            city: "Zürich",
            country: "CH",
            salary: Some((130_000.0, "CHF", Year)),
            employment: Some(FullTime),
            seniority: Some(Senior),
            remote: false,
            visa: None,
            posted: Some(-7),
        },
        Spec {
            source: Adzuna,
            n: 10,
            title: "Rust Engineer",
            company: "Acme",
            city: "Cambridge",
            country: "GB",
            salary: Some((70_000.0, "GBP", Year)),
            employment: Some(FullTime),
            seniority: Some(Senior),
            remote: false,
            visa: None,
            posted: Some(-8),
        },
        Spec {
            source: Adzuna,
            n: 11,
            title: "QA Engineer",
            company: "Initech",
            city: "Bengaluru",
            country: "IN",
            salary: Some((1_200_000.0, "INR", Year)),
            employment: Some(Internship),
            seniority: Some(Intern),
            remote: false,
            visa: None,
            posted: Some(-9),
        },
        Spec {
            source: Adzuna,
            n: 12,
            title: "SQL DevOps Engineer",
            company: "Globex",
            city: "Amsterdam",
            country: "NL",
            salary: None,
            employment: Some(Contract),
            seniority: Some(Mid),
            remote: true,
            visa: None,
            posted: Some(-10),
        },
    ];
    let mut jobs: Vec<Job> = specs.iter().map(job).collect();
    // 12 names a second place (multi-location), in Poland.
    jobs[11].details.locations = vec![
        Location { city: "Amsterdam".into(), country: "NL".into(), region: String::new() },
        Location { city: "Warszawa".into(), country: "PL".into(), region: String::new() },
    ];
    // 10 is also listed by Adzuna as 13, stored alone before the merge: one posting.
    let mut alone = job(&Spec { n: 13, ..specs[9] });
    alone.copies = vec![alone.own_copy()];
    jobs[9].copies.push(JobCopy { source: SourceId::Adzuna, id: "adzuna:13".into(), url: alone.url.clone() });
    jobs.insert(0, alone);
    jobs
}

async fn scale(s: &TestServer) -> String {
    let (email, key) = s.register().await;
    s.set_plan(&email, "scale").await;
    key
}

async fn get(s: &TestServer, key: &str, query: &str) -> Reply {
    s.get_with_key(&format!("/v1/jobs?{query}"), key).await
}

fn ids(r: &Reply) -> Vec<String> {
    r.body["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.body))
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The ids a query answers (one page of up to 100), sorted for comparing as a set.
async fn set(s: &TestServer, key: &str, query: &str) -> Vec<String> {
    let r = get(s, key, &format!("{query}&limit=100")).await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    let mut v = ids(&r);
    v.sort();
    v
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

async fn the_corpus_search_behaves(s: TestServer) {
    s.store_jobs(&postings()).await;
    let key = scale(&s).await;

    // No parameter: every posting once (the copy stored alone is the merged job), newest first,
    // the undated one last.
    let r = get(&s, &key, "limit=100").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let all = ids(&r);
    assert_eq!(all.len(), 12, "{all:?}");
    assert!(!all.contains(&"adzuna:13".to_owned()), "held as a copy of adzuna:10");
    assert_eq!(&all[..2], ["reed:8", "adzuna:1"], "same date: by id, descending");
    assert_eq!(all.last().map(String::as_str), Some("adzuna:7"), "undated: oldest");
    assert_eq!((r.body["meta"]["total"].as_u64(), r.body["meta"]["totalExact"].as_bool()), (Some(12), Some(true)));
    assert_eq!(r.body["meta"]["sort"], "posted_at");
    assert!(r.body["meta"]["nextCursor"].is_null() && r.body["meta"]["hasMore"] == false);
    assert!(r.body.get("facets").is_none(), "facets only when asked");

    // The job object: as GET /v1/jobs/{id}, summary without description unless included.
    let one = &r.body["jobs"][1];
    let alone = s.get_with_key("/v1/jobs/adzuna:1", &key).await.body;
    for field in
        ["id", "title", "normalizedTitle", "company", "location", "salary", "copies", "firstSeenAt", "updatedAt"]
    {
        assert_eq!(one[field], alone[field], "{field}");
    }
    assert_eq!(one["normalizedTitle"], "senior rust engineer");
    assert_eq!(
        (one["salary"]["annualMin"].as_f64(), one["salary"]["annualMax"].as_f64()),
        (Some(80_000.0), Some(100_000.0))
    );
    assert!(one.get("description").is_none() && one["summary"].as_str().unwrap().len() < 400);
    let with = get(&s, &key, "limit=1&include=description").await;
    assert!(with.body["jobs"][0]["description"].as_str().unwrap().len() > 400);

    // Each filter.
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("q=rust", vec!["adzuna:1", "adzuna:2", "adzuna:6", "reed:8", "adzuna:10"]),
        ("q=RUST%20eng", vec!["adzuna:1", "adzuna:6", "reed:8", "adzuna:10"]),
        ("country=at", vec!["adzuna:3"]),
        ("country=at&country=cz", vec!["adzuna:3", "adzuna:4"]),
        ("country=at,cz,ch", vec!["adzuna:3", "adzuna:4", "import:9"]),
        ("country=pl", vec!["adzuna:12"]),
        ("country=in", vec!["adzuna:11"]),
        ("location=warszawa", vec!["adzuna:12"]),
        ("location=lon", vec!["adzuna:1"]),
        ("remote=true", vec!["adzuna:2", "adzuna:6", "adzuna:12"]),
        ("employment_type=contract,temporary", vec!["adzuna:2", "adzuna:7", "adzuna:12"]),
        ("seniority=junior&seniority=intern", vec!["adzuna:3", "adzuna:7", "adzuna:11"]),
        ("source=reed", vec!["reed:8"]),
        ("source=import", vec!["import:9"]),
        ("company=acme%20limited", vec!["adzuna:1", "adzuna:2", "adzuna:7", "adzuna:10"]),
        ("posted_since=2027-01-16", vec![]),
        ("posted_since=2027-01-15T06:00:00Z", vec!["adzuna:1", "reed:8", "adzuna:2"]),
        ("posted_before=2027-01-15T01:00:00Z", vec!["adzuna:10", "adzuna:11", "adzuna:12"]),
        ("has_salary=false", vec!["adzuna:4", "adzuna:12"]),
        ("visa_sponsorship=true", vec!["adzuna:1", "adzuna:5"]),
        // Annualized: 45–56.25 an hour is 93,600–117,000; 300–375 a day 78,000–97,500.
        ("salary_min=90000&salary_currency=GBP", vec!["adzuna:1", "adzuna:2", "adzuna:7"]),
        ("salary_max=75000&salary_currency=gbp", vec!["reed:8", "adzuna:10"]),
        ("salary_currency=EUR", vec!["adzuna:3", "adzuna:5"]),
        ("salary_min=50000&salary_currency=EUR", vec!["adzuna:3", "adzuna:5"]),
        ("q=engineer&country=gb&remote=false&seniority=senior", vec!["adzuna:1", "adzuna:10"]),
    ];
    let at = t(0).format("%Y-%m-%d").to_string();
    assert_eq!(at, "2027-01-15", "the dates above are around this one");
    for (query, want) in cases {
        assert_eq!(set(&s, &key, query).await, sorted(&want), "{query}");
    }

    // Sorts.
    let r = get(&s, &key, "q=sql%20engineer").await;
    assert_eq!(r.body["meta"]["sort"], "relevance");
    assert_eq!(
        ids(&r),
        ["adzuna:12", "reed:8", "adzuna:1", "adzuna:5", "adzuna:6", "adzuna:10", "adzuna:11", "adzuna:7"],
        "both words in the title first (SQL is every posting's skill), then newest"
    );
    let r = get(&s, &key, "salary_currency=GBP&sort=salary").await;
    assert_eq!(ids(&r), ["adzuna:2", "adzuna:1", "adzuna:7", "adzuna:10", "reed:8"], "by annualized midpoint");
    let r = get(&s, &key, "salary_currency=GBP&sort=salary&order=asc").await;
    assert_eq!(ids(&r), ["reed:8", "adzuna:10", "adzuna:7", "adzuna:1", "adzuna:2"]);
    let r = get(&s, &key, "sort=posted_at&order=asc&limit=2").await;
    assert_eq!(ids(&r), ["adzuna:7", "adzuna:12"], "oldest first: the undated one, then the oldest date");

    // Facets over everything the filter covers, not the page.
    let r = get(&s, &key, "limit=1&facets=source,country,employment_type&facets=seniority,company,salary").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let f = &r.body["facets"];
    let count = |facet: &str, value: &str| {
        f[facet].as_array().unwrap().iter().find(|c| c["value"] == value).map(|c| c["count"].as_u64().unwrap())
    };
    assert_eq!(count("source", "adzuna"), Some(10), "{f}");
    assert_eq!((count("source", "reed"), count("source", "import")), (Some(1), Some(1)));
    assert_eq!((count("country", "gb"), count("country", "nl"), count("country", "pl")), (Some(5), Some(1), Some(1)));
    assert_eq!((count("employmentType", "full_time"), count("seniority", "senior")), (Some(6), Some(4)));
    let companies = f["company"].as_array().unwrap();
    assert_eq!(
        (companies[0]["value"].as_str(), companies[0]["count"].as_u64()),
        (Some("ACME"), Some(4)),
        "Acme Ltd, ACME, Acme Limited and Acme are one company: {companies:?}"
    );
    let gbp = f["salary"].as_array().unwrap().iter().find(|c| c["currency"] == "GBP").unwrap();
    let buckets = gbp["buckets"].as_array().unwrap();
    assert_eq!(buckets.iter().map(|b| b["count"].as_u64().unwrap()).sum::<u64>(), 5, "{gbp}");
    assert!(buckets.windows(2).all(|w| w[0]["max"].as_i64() <= w[1]["min"].as_i64()), "lowest first");
    assert!(f["salary"].as_array().unwrap().iter().any(|c| c["currency"] == "INR"), "never converted");

    // Paging: small pages give every posting once, in order; a cursor is bound to its filters.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=5&cursor={}", urlencoding(c)),
            None => "limit=5".to_owned(),
        };
        let r = get(&s, &key, &query).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["meta"]["total"], 12);
        paged.extend(ids(&r));
        match r.body["meta"]["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, all);
    let first = get(&s, &key, "limit=5").await;
    let c = first.body["meta"]["nextCursor"].as_str().unwrap().to_owned();
    for (bad, query) in [
        ("garbage", "cursor=nope".to_owned()),
        ("forged", format!("limit=5&cursor={}", urlencoding(&c.replacen('1', "2", 1)))),
        ("other filters", format!("limit=5&country=gb&cursor={}", urlencoding(&c))),
        ("other order", format!("limit=5&order=asc&cursor={}", urlencoding(&c))),
    ] {
        let r = get(&s, &key, &query).await;
        assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_cursor")), "{bad}: {}", r.body);
    }

    // Postings landing between pages: none repeated, none that was there skipped.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut landed = 100;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=3&cursor={}", urlencoding(c)),
            None => "limit=3".to_owned(),
        };
        let r = get(&s, &key, &query).await;
        seen.extend(ids(&r));
        let mut newer = job(&Spec {
            source: SourceId::Reed,
            n: landed,
            title: "Rust Engineer",
            company: "New Co",
            city: "Leeds",
            country: "GB",
            salary: None,
            employment: None,
            seniority: None,
            remote: false,
            visa: None,
            posted: Some(1),
        });
        newer.copies = vec![newer.own_copy()];
        let mut older = newer.clone();
        older.id = format!("reed:{}", landed + 1);
        older.copies = vec![older.own_copy()];
        older.posted_at = Some(t(-100));
        s.store_jobs(&[newer, older]).await;
        landed += 2;
        match r.body["meta"]["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len(), "{seen:?}");
    for id in &all {
        assert!(seen.contains(id), "{id} skipped");
    }
    s.stop().await;
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_corpus_search_on_sqlite() {
    the_corpus_search_behaves(TestServer::start().await).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn the_corpus_search_on_postgres() {
    let Some(s) = TestServer::start_with(Setup { backend: Backend::Postgres, ..Setup::default() }).await else {
        return;
    };
    the_corpus_search_behaves(s).await;
}

#[tokio::test]
async fn bad_values_are_400s_naming_the_parameter() {
    let s = TestServer::start().await;
    let (_, free) = s.register().await;
    for (query, field) in [
        ("country=xx", "country"),
        ("country=gb,zz", "country"),
        ("employment_type=gig", "employment_type"),
        ("seniority=guru", "seniority"),
        ("source=monster", "source"),
        ("source=reed", "source"),
        ("facets=colour", "facets"),
        ("sort=price", "sort"),
        ("sort=salary", "sort"),
        ("order=sideways", "order"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("posted_since=yesterday", "posted_since"),
        ("posted_before=2026-13-01", "posted_before"),
        ("salary_min=50000", "salary_currency"),
        ("salary_min=-1&salary_currency=GBP", "salary_min"),
        ("salary_min=9&salary_max=8&salary_currency=GBP", "salary_max"),
        ("salary_currency=pounds", "salary_currency"),
        ("include=everything", "include"),
        ("company=%21%21", "company"),
    ] {
        let r = get(&s, &free, query).await;
        assert_eq!(
            (r.status, r.body["code"].as_str(), r.body["details"]["field"].as_str()),
            (400, Some("validation_failed"), Some(field)),
            "{query}: {}",
            r.body
        );
    }
    let r = get(&s, &free, "country=xx").await;
    assert!(r.body["error"].as_str().unwrap().contains("za"), "the valid codes are listed: {}", r.body);
    // The framework's own parse errors stay in the envelope too.
    let r = get(&s, &free, "limit=ten").await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["code"].is_string(), "{}", r.body);
    s.stop().await;
}

#[tokio::test]
async fn the_plan_decides_the_boards_and_every_call_counts() {
    let s = TestServer::start().await;
    s.store_jobs(&postings()).await;
    let (_, free) = s.register().await;
    // Free reads Adzuna and the import: not Reed's own posting.
    let got = set(&s, &free, "q=rust").await;
    assert!(!got.contains(&"reed:8".to_owned()) && got.contains(&"adzuna:1".to_owned()), "{got:?}");
    assert!(set(&s, &free, "source=import").await.contains(&"import:9".to_owned()));
    let used = |v: &Value| v["monthly_used"].as_u64().unwrap();
    let before = used(&s.get_with_key("/v1/auth/me", &free).await.body);
    for _ in 0..3 {
        assert_eq!(get(&s, &free, "limit=1").await.status, 200);
    }
    assert_eq!(
        used(&s.get_with_key("/v1/auth/me", &free).await.body),
        before + 3,
        "each call counts against the quota"
    );
    // /v1 only.
    assert_eq!(s.get_with_key("/jobs", &free).await.status, 404);
    s.stop().await;
}

#[tokio::test]
async fn a_count_past_the_bound_says_it_is_not_exact() {
    let s = TestServer::start().await;
    let base = postings()[1].clone();
    let many: Vec<Job> = (0..10_050u32)
        .map(|n| {
            let mut j = base.clone();
            j.id = format!("adzuna:bulk-{n}");
            j.copies = vec![j.own_copy()];
            j.posted_at = Some(t(-(n as i64)));
            j
        })
        .collect();
    s.store_jobs(&many).await;
    let (_, free) = s.register().await;
    let r = get(&s, &free, "limit=1").await;
    assert_eq!((r.body["meta"]["total"].as_u64(), r.body["meta"]["totalExact"].as_bool()), (Some(10_000), Some(false)));
    let r = get(&s, &free, "limit=1&facets=seniority").await;
    assert_eq!(
        (r.body["meta"]["total"].as_u64(), r.body["meta"]["totalExact"].as_bool()),
        (Some(10_050), Some(true)),
        "the facets' pass counts every posting"
    );
    let r = get(&s, &free, "limit=1&posted_since=2027-01-15").await;
    assert_eq!((r.body["meta"]["total"].as_u64(), r.body["meta"]["totalExact"].as_bool()), (Some(9), Some(true)));
    s.stop().await;
}
