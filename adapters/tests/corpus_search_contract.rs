//! The corpus search's part of the `JobStore` contract (`corpus_page`, `corpus_count`,
//! `corpus_facets`), run against the in-process store, SQLite and PostgreSQL. What every store
//! must answer is computed here from the domain's rules alone (`Indexed::of`, `held_ids`,
//! `CorpusFilter::matches`, `Position::of`, `FacetTally::count`), over a seeded corpus with the
//! variations real postings have: merged copies stored alone too, several places, every pay period,
//! several currencies, undated postings and equal dates.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Duration, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::SqlJobStore;
use jobin_adapters::memory::MemoryJobStore;
use jobin_adapters::testing::contract;
use jobin_core::domain::corpus::{
    CorpusFilter, CorpusSort, Facet, FacetTally, Indexed, Position, SalaryFilter, SortOrder, company_key, held_ids,
};
use jobin_core::domain::normalize::query_words;
use jobin_core::domain::{EmploymentType, Job, JobDetails, Location, PayPeriod, Salary, Seniority, SourceId};
use jobin_core::ports::{CorpusPageQuery, JobStore};
use std::collections::HashSet;
use std::sync::Arc;

fn t(minutes: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
}

use jobin_adapters::fakes::SeededRng as Rng;

const TITLES: &[&str] = &[
    "Sr. Rust Engineer - London",
    "Senior Data-Scientist (m/w/d)",
    "Développeur Rust",
    "Data Analyst | Remote",
    "Junior Python Developer",
    "Lead Backend Engineer (Hybrid)",
    "Product Manager",
    "Werkstudent Data Engineering",
];
const COMPANIES: &[&str] = &["Acme Ltd", "ACME", "Globex GmbH", "Initech Inc.", "Müller & Söhne GmbH", "Umbrella"];
const PLACES: &[(&str, &str)] = &[
    ("London", "GB"),
    ("Leeds", "GB"),
    ("Berlin", "DE"),
    ("Wien", "AT"),
    ("Zürich", "CH"),
    ("Praha", "CZ"),
    ("New York", "US"),
    ("Bengaluru", "IN"),
    ("", ""),
];
const CURRENCIES: &[&str] = &["GBP", "EUR", "USD", "INR"];

/// `n` postings; some hold another's listing as a merged copy while that listing is stored on its
/// own too (one pair holds each other).
fn corpus(seed: u64, n: usize) -> Vec<Job> {
    let mut rng = Rng::new(seed);
    let sources: Vec<SourceId> = SourceId::ALL.into_iter().chain([SourceId::Import]).collect();
    let mut jobs: Vec<Job> = (0..n)
        .map(|i| {
            let source = *rng.pick(&sources);
            let (city, country) = *rng.pick(PLACES);
            let mut details = JobDetails {
                employment_type: (!rng.chance(30)).then(|| *rng.pick(&EmploymentType::ALL)),
                visa_sponsorship: *rng.pick(&[None, Some(true), Some(false)]),
                ..Default::default()
            };
            if rng.chance(15) {
                let (c2, k2) = *rng.pick(PLACES);
                details.locations = vec![
                    Location { city: city.into(), country: country.into(), region: String::new() },
                    Location { city: c2.into(), country: k2.into(), region: String::new() },
                ];
            }
            let salary = (!rng.chance(30)).then(|| {
                let period = *rng.pick(&PayPeriod::ALL);
                let base = match period {
                    PayPeriod::Hour => 20.0,
                    PayPeriod::Day => 300.0,
                    PayPeriod::Week => 1_200.0,
                    PayPeriod::Month => 4_000.0,
                    PayPeriod::Year => 50_000.0,
                };
                let lo = base * (1.0 + rng.below(20) as f64 / 10.0);
                Salary::from_bounds(Some(lo), Some(lo * 1.2), rng.pick::<&str>(CURRENCIES), period).unwrap()
            });
            let mut job = Job {
                id: Job::make_id(source, &i.to_string()),
                source,
                title: (*rng.pick(TITLES)).to_owned(),
                company: (*rng.pick(COMPANIES)).to_owned(),
                location: Location { city: city.into(), country: country.into(), region: String::new() },
                salary,
                skills: if rng.chance(50) { vec!["Rust".into(), "SQL".into()] } else { vec!["Python".into()] },
                seniority: rng.chance(40).then(|| *rng.pick(&Seniority::ALL)),
                remote: rng.chance(30),
                url: format!("https://example.com/{i}"),
                // Equal dates on purpose (ties are broken by id), and undated ones.
                posted_at: (!rng.chance(12)).then(|| t(-(rng.below(40) as i64) * 30)),
                valid_through: None,
                fetched_at: t(0),
                description: format!("Posting {i}."),
                copies: vec![],
                details,
                provenance: None,
            };
            job.copies = vec![job.own_copy()];
            job
        })
        .collect();
    // Merges: posting i holds posting i+1's listing (stored alone as well) for some i.
    for i in (0..n.saturating_sub(1)).step_by(11) {
        let other = jobs[i + 1].own_copy();
        jobs[i].copies.push(other);
    }
    // A mutual pair: both listings hold each other (two merges of the same job).
    if n > 5 {
        let (a, b) = (jobs[3].own_copy(), jobs[4].own_copy());
        jobs[3].copies.push(b);
        jobs[4].copies.push(a);
    }
    jobs
}

const ALL_SOURCES: i64 = 0b111_1111;

/// What a store must answer, in order: the active postings `f` covers, none held by another.
fn expected(active: &[Job], f: &CorpusFilter, sort: CorpusSort, order: SortOrder) -> Vec<(String, Position)> {
    let held = held_ids(active.iter().map(|j| (j.id.as_str(), j.merged_ids().collect())));
    let mut v: Vec<(String, Position)> = active
        .iter()
        .filter(|j| !held.contains(&j.id))
        .map(Indexed::of)
        .filter(|p| f.matches(p))
        .map(|p| (p.id.clone(), Position::of(&p, sort, &f.words)))
        .collect();
    v.sort_by(|a, b| match order {
        SortOrder::Asc => a.1.cmp(&b.1),
        SortOrder::Desc => b.1.cmp(&a.1),
    });
    v
}

fn expected_facets(active: &[Job], f: &CorpusFilter, facets: &[Facet]) -> FacetTally {
    let held = held_ids(active.iter().map(|j| (j.id.as_str(), j.merged_ids().collect())));
    let covered: Vec<Indexed> =
        active.iter().filter(|j| !held.contains(&j.id)).map(Indexed::of).filter(|p| f.matches(p)).collect();
    FacetTally::count(facets, covered.iter())
}

/// Every page of `f` in `sort` and `order`, `limit` at a time: `(id, position)` in page order.
async fn page_through(
    store: &dyn JobStore,
    f: &CorpusFilter,
    sort: CorpusSort,
    order: SortOrder,
    limit: usize,
) -> Vec<(String, Position)> {
    let mut out = Vec::new();
    let mut after = None;
    for _ in 0..10_000 {
        let q = CorpusPageQuery { filter: f.clone(), sort, order, after: after.clone(), limit };
        let page = store.corpus_page(&q).await.unwrap();
        assert!(page.jobs.len() <= limit);
        after = page.jobs.last().map(|(_, at)| at.clone());
        out.extend(page.jobs.into_iter().map(|(s, at)| (s.job.id, at)));
        if !page.has_more {
            return out;
        }
    }
    panic!("paging never ended");
}

fn filters() -> Vec<CorpusFilter> {
    let base = CorpusFilter { within: ALL_SOURCES, ..Default::default() };
    let with = |f: &dyn Fn(&mut CorpusFilter)| {
        let mut c = base.clone();
        f(&mut c);
        c
    };
    vec![
        base.clone(),
        with(&|f| f.words = query_words("rust")),
        with(&|f| f.words = query_words("data sci")),
        with(&|f| f.words = query_words("développeur")),
        with(&|f| f.place_words = query_words("wien")),
        with(&|f| f.countries = vec!["AT".into(), "CZ".into()]),
        with(&|f| f.countries = vec!["GB".into()]),
        with(&|f| f.remote = Some(true)),
        with(&|f| f.remote = Some(false)),
        with(&|f| f.employment_types = vec![EmploymentType::Contract, EmploymentType::PartTime]),
        with(&|f| f.seniorities = vec![Seniority::Senior]),
        with(&|f| f.sources = vec![SourceId::Reed]),
        with(&|f| f.sources = vec![SourceId::Import, SourceId::Adzuna]),
        with(&|f| f.within = SourceId::Adzuna.bit() | SourceId::Import.bit()),
        with(&|f| f.company = Some(company_key("acme limited"))),
        with(&|f| f.posted_since = Some(t(-300))),
        with(&|f| f.posted_before = Some(t(-300))),
        with(&|f| f.has_salary = Some(true)),
        with(&|f| f.has_salary = Some(false)),
        with(&|f| f.visa_sponsorship = Some(true)),
        with(&|f| f.salary = Some(SalaryFilter { currency: "GBP".into(), min: Some(60_000.0), max: None })),
        with(&|f| f.salary = Some(SalaryFilter { currency: "EUR".into(), min: Some(40_000.0), max: Some(90_000.0) })),
        with(&|f| {
            f.words = query_words("engineer");
            f.countries = vec!["GB".into(), "DE".into()];
            f.remote = Some(false);
            f.posted_since = Some(t(-600));
        }),
    ]
}

async fn every_filter_sort_and_page_agrees_with_the_reference(store: Arc<dyn JobStore>) {
    let jobs = corpus(7, 300);
    store.upsert(&jobs, t(0)).await.unwrap();
    let gone: Vec<String> = jobs.iter().filter(|j| j.id.ends_with('5')).map(|j| j.id.clone()).collect();
    store.expire_ids(&gone, t(1)).await.unwrap();
    let active: Vec<Job> = jobs.into_iter().filter(|j| !gone.contains(&j.id)).collect();
    for f in filters() {
        let mut sorts = vec![CorpusSort::PostedAt];
        if !f.words.is_empty() {
            sorts.push(CorpusSort::Relevance);
        }
        if f.salary.is_some() {
            sorts.push(CorpusSort::Salary);
        }
        for sort in sorts {
            for order in SortOrder::ALL {
                let want = expected(&active, &f, sort, order);
                let got = page_through(store.as_ref(), &f, sort, order, 7).await;
                assert_eq!(got, want, "{sort:?} {order:?} {f:?}");
            }
        }
        let n = expected(&active, &f, CorpusSort::PostedAt, SortOrder::Desc).len() as u64;
        assert_eq!(store.corpus_count(&f, 10_000).await.unwrap(), n, "{f:?}");
        assert_eq!(store.corpus_count(&f, 3).await.unwrap(), n.min(3), "bounded: {f:?}");
        assert_eq!(
            store.corpus_facets(&f, &Facet::ALL).await.unwrap(),
            expected_facets(&active, &f, &Facet::ALL),
            "{f:?}"
        );
    }
    // Sorting by salary reads annualized midpoints: an hourly and a yearly posting compare.
    let f = CorpusFilter {
        within: ALL_SOURCES,
        salary: Some(SalaryFilter { currency: "GBP".into(), min: None, max: None }),
        ..Default::default()
    };
    let page = store
        .corpus_page(&CorpusPageQuery {
            filter: f,
            sort: CorpusSort::Salary,
            order: SortOrder::Desc,
            after: None,
            limit: 100,
        })
        .await
        .unwrap();
    let annual: Vec<f64> = page.jobs.iter().map(|(s, _)| Indexed::of(&s.job).salary.unwrap().annual_min).collect();
    assert!(annual.len() > 5);
    let mids: Vec<i64> = page.jobs.iter().map(|(_, at)| at.first).collect();
    assert!(mids.windows(2).all(|w| w[0] >= w[1]), "{mids:?}");
}

async fn random_filters_hold_the_properties(store: Arc<dyn JobStore>) {
    // Every page's postings satisfy the filter, pages never repeat a posting, the pages together
    // are everything the filter covers, and the facet counts equal counting those postings.
    let jobs = corpus(11, 200);
    store.upsert(&jobs, t(0)).await.unwrap();
    let mut rng = Rng::new(99);
    for round in 0..60 {
        let mut f = CorpusFilter { within: ALL_SOURCES, ..Default::default() };
        if rng.chance(40) {
            f.words = query_words(rng.pick::<&str>(&["rust", "data", "engineer", "dev", "manager", "sql"]));
        }
        if rng.chance(40) {
            f.countries =
                (0..1 + rng.below(2)).map(|_| rng.pick(PLACES).1.to_owned()).filter(|c| !c.is_empty()).collect();
        }
        if rng.chance(30) {
            f.remote = Some(rng.chance(50));
        }
        if rng.chance(30) {
            f.seniorities = vec![*rng.pick(&Seniority::ALL)];
        }
        if rng.chance(30) {
            f.employment_types = vec![*rng.pick(&EmploymentType::ALL)];
        }
        if rng.chance(30) {
            f.salary = Some(SalaryFilter {
                currency: (*rng.pick(CURRENCIES)).to_owned(),
                min: rng.chance(50).then(|| rng.below(120_000) as f64),
                max: rng.chance(50).then(|| 40_000.0 + rng.below(200_000) as f64),
            });
        }
        if rng.chance(20) {
            f.within = SourceId::ALL[rng.below(6)].bit() | SourceId::Import.bit();
        }
        let sort = if !f.words.is_empty() && rng.chance(50) {
            CorpusSort::Relevance
        } else if f.salary.is_some() && rng.chance(50) {
            CorpusSort::Salary
        } else {
            CorpusSort::PostedAt
        };
        let order = *rng.pick(&SortOrder::ALL);
        let limit = 1 + rng.below(15);
        let got = page_through(store.as_ref(), &f, sort, order, limit).await;
        let ids: HashSet<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids.len(), got.len(), "round {round}: a posting repeated across pages");
        let want = expected(&jobs, &f, sort, order);
        assert_eq!(got, want, "round {round}: {sort:?} {order:?} limit {limit} {f:?}");
        let facets = [Facet::Source, Facet::Country, Facet::Seniority, Facet::Salary];
        assert_eq!(
            store.corpus_facets(&f, &facets).await.unwrap(),
            expected_facets(&jobs, &f, &facets),
            "round {round}"
        );
    }
}

async fn pages_never_repeat_or_skip_while_postings_land(store: Arc<dyn JobStore>) {
    let jobs = corpus(5, 120);
    store.upsert(&jobs, t(0)).await.unwrap();
    let f = CorpusFilter { within: ALL_SOURCES, ..Default::default() };
    let before: Vec<String> =
        expected(&jobs, &f, CorpusSort::PostedAt, SortOrder::Desc).into_iter().map(|x| x.0).collect();
    let mut seen: Vec<String> = Vec::new();
    let mut after = None;
    let mut landed = 0;
    loop {
        let q =
            CorpusPageQuery { filter: f.clone(), sort: CorpusSort::PostedAt, order: SortOrder::Desc, after, limit: 10 };
        let page = store.corpus_page(&q).await.unwrap();
        after = page.jobs.last().map(|(_, at)| at.clone());
        seen.extend(page.jobs.iter().map(|(s, _)| s.job.id.clone()));
        // New postings land between pages: newer and older than the page's end, and one at its very
        // date.
        let mut fresh = corpus(1_000 + landed, 3);
        for (k, j) in fresh.iter_mut().enumerate() {
            j.id = format!("reed:new-{landed}-{k}");
            j.copies = vec![j.own_copy()];
            j.source = SourceId::Reed;
        }
        if let Some((s, _)) = page.jobs.last() {
            fresh[0].posted_at = s.job.posted_at;
        }
        store.upsert(&fresh, t(0)).await.unwrap();
        landed += 1;
        if !page.has_more {
            break;
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no posting twice");
    for id in &before {
        assert!(seen.contains(id), "{id} was there all along and was skipped");
    }
}

async fn a_merged_copy_stored_alone_is_counted_once(store: Arc<dyn JobStore>) {
    let mut alone = corpus(3, 2);
    let held = alone[1].clone();
    store.upsert(std::slice::from_ref(&held), t(0)).await.unwrap();
    let f = CorpusFilter { within: ALL_SOURCES, ..Default::default() };
    assert_eq!(store.corpus_count(&f, 100).await.unwrap(), 1);
    // A later merge lists it: one posting, the holder.
    alone[0].copies.push(held.own_copy());
    store.upsert(&[alone[0].clone()], t(1)).await.unwrap();
    let page = page_through(store.as_ref(), &f, CorpusSort::PostedAt, SortOrder::Desc, 10).await;
    assert_eq!(page.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), [alone[0].id.as_str()]);
    assert_eq!(store.corpus_count(&f, 100).await.unwrap(), 1);
    // The holder expires: the listing shows on its own again.
    store.expire_ids(&[alone[0].id.clone()], t(2)).await.unwrap();
    let page = page_through(store.as_ref(), &f, CorpusSort::PostedAt, SortOrder::Desc, 10).await;
    assert_eq!(page.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), [held.id.as_str()]);
}

fn store(db: sea_orm::DatabaseConnection) -> Arc<dyn JobStore> {
    Arc::new(SqlJobStore::new(db))
}

contract_suite! {
    cases: [every_filter_sort_and_page_agrees_with_the_reference,
    random_filters_hold_the_properties,
    pages_never_repeat_or_skip_while_postings_land,
    a_merged_copy_stored_alone_is_counted_once];
    memory => async { Some(jobin_adapters::testing::Subject::new(Arc::new(MemoryJobStore::default()) as Arc<dyn JobStore>)) },
    sqlite => contract::sqlite(store),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(store),
}

/// PostgreSQL plans a corpus search from the job tables' statistics: the store refreshes them
/// itself once enough rows are new (this server, like this machine's, may run without autovacuum).
#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_statistics_follow_what_the_store_writes() {
    use sea_orm::ConnectionTrait;
    let Some(pg) = jobin_adapters::testing::ScratchPostgres::create().await else { return };
    let analyzed = || async {
        pg.db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM pg_stat_user_tables \
                 WHERE relname IN ('jobs', 'job_index') AND last_analyze IS NOT NULL",
            ))
            .await
            .unwrap()
            .map_or(0, |r| r.try_get::<i64>("", "n").unwrap())
    };
    let store = SqlJobStore::new(pg.db.clone());
    let jobs = corpus(7, 10_500);
    store.upsert(&jobs[..9_000], t(0)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(analyzed().await, 0, "not yet: fewer rows written than the first threshold");
    store.upsert(&jobs[9_000..], t(0)).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while analyzed().await < 2 {
        assert!(std::time::Instant::now() < deadline, "the job tables were never analyzed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    pg.cleanup().await;
}

/// Every PostgreSQL connection plans each statement for its values: a generic plan chosen while
/// `job_index` was small scanned the whole table later.
#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_connections_plan_each_statement_for_its_values() {
    use sea_orm::ConnectionTrait;
    let Some(pg) = jobin_adapters::testing::ScratchPostgres::create().await else { return };
    for _ in 0..3 {
        let row = pg
            .db
            .query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, "SHOW plan_cache_mode"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<String>("", "plan_cache_mode").unwrap(), "force_custom_plan");
    }
    pg.cleanup().await;
}
