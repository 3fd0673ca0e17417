//! Fake job boards for offline use (`jobin serve --demo`, tests, benchmarks): six boards
//! impersonating the real ones with seeded, realistic postings — per-country titles, companies
//! and cities, salaries in local currency and each board's usual period, and cross-board
//! duplicates whose fields differ (one copy has the salary, another the skills, a third spells
//! the company "Ltd" or the city by an alias) — with latency and failure knobs.

use async_trait::async_trait;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::sources::filter_locally;
use jobin_core::domain::normalize::seniority_from_title;
use jobin_core::domain::{
    Country, EmploymentType, Job, JobDetails, Location, PayPeriod, Salary, SourceId, WorkplaceType,
};
use jobin_core::ports::{JobSource, SourceError, SourceQuery};

/// How a fake board misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Answers normally.
    None,
    /// Answers with this HTTP status (mapped like a real board's: 401/403, 429, others).
    Status(u16),
    /// Never answers (the caller's timeout decides).
    Hang,
}

pub struct FakeBoard {
    id: SourceId,
    jobs: Vec<Job>,
    latency: Duration,
    failure: Failure,
    calls: AtomicUsize,
}

impl FakeBoard {
    pub fn new(id: SourceId, jobs: Vec<Job>) -> Self {
        Self { id, jobs, latency: Duration::ZERO, failure: Failure::None, calls: AtomicUsize::new(0) }
    }

    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    pub fn failing(mut self, failure: Failure) -> Self {
        self.failure = failure;
        self
    }

    /// Searches served so far (tests count fan-outs with it).
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }
}

#[async_trait]
impl JobSource for FakeBoard {
    fn id(&self) -> SourceId {
        self.id
    }

    async fn search(&self, query: &SourceQuery) -> Result<Vec<Job>, SourceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        match self.failure {
            Failure::None => {}
            Failure::Hang => std::future::pending::<()>().await,
            Failure::Status(s @ (401 | 403)) => return Err(SourceError::Unauthorized { status: s }),
            Failure::Status(429) => {
                return Err(SourceError::RateLimited { retry_after: Some(Duration::from_secs(60)) });
            }
            Failure::Status(status) => return Err(SourceError::Upstream { status }),
        }
        let iso = query.country.iso();
        Ok(filter_locally(&self.jobs, query, |j| {
            j.location.country == iso || (j.remote && j.location.country.is_empty())
        }))
    }
}

/// A small deterministic generator (xorshift64*), so a seed always gives the same postings (the
/// demo's, and the generated corpora of tests and evaluations). Not for anything secret.
pub struct SeededRng(u64);

/// The demo's own name for it.
type Rng = SeededRng;

impl SeededRng {
    /// A generator for `seed` (any value; zero is moved off the generator's one fixed point).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// In `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

struct CountryData {
    companies: &'static [&'static str],
    cities: &'static [(&'static str, &'static str)],
    /// Typical annual salary of a mid-level engineer, in local currency.
    base_salary: f64,
}

/// The countries the demo's postings are in: the JobIn document's original six.
const DEMO_COUNTRIES: [Country; 6] = [Country::Gb, Country::Us, Country::Au, Country::Ca, Country::De, Country::Fr];

fn country_data(c: Country) -> CountryData {
    match c {
        Country::Gb => CountryData {
            companies: &["Monzo Ltd", "Deliveroo", "Ocado Technology", "BBC", "Wise", "Arm Ltd", "Revolut Ltd", "Sky"],
            cities: &[
                ("London", "Greater London"),
                ("Manchester", "North West"),
                ("Leeds", "Yorkshire"),
                ("Bristol", "South West England"),
                ("Edinburgh", "Scotland"),
            ],
            base_salary: 60_000.0,
        },
        Country::Us => CountryData {
            companies: &["Stripe Inc", "Datadog", "Airbnb", "Cloudflare Inc.", "Shopify", "GitLab", "Twilio"],
            cities: &[
                ("New York", "NY"),
                ("San Francisco", "CA"),
                ("Austin", "TX"),
                ("Seattle", "WA"),
                ("Boston", "MA"),
            ],
            base_salary: 140_000.0,
        },
        Country::Au => CountryData {
            companies: &["Atlassian", "Canva Pty Ltd", "Xero", "REA Group"],
            cities: &[("Sydney", "NSW"), ("Melbourne", "VIC"), ("Brisbane", "QLD")],
            base_salary: 130_000.0,
        },
        Country::Ca => CountryData {
            companies: &["Shopify Inc", "Wealthsimple", "Lightspeed", "Hootsuite"],
            cities: &[("Toronto", "ON"), ("Vancouver", "BC"), ("Montreal", "QC")],
            base_salary: 110_000.0,
        },
        Country::De => CountryData {
            companies: &["Zalando SE", "N26 GmbH", "Celonis", "Delivery Hero SE", "SAP SE", "Personio GmbH"],
            cities: &[
                ("Berlin", "Berlin"),
                ("München", "Bayern"),
                ("Hamburg", "Hamburg"),
                ("Köln", "Nordrhein-Westfalen"),
            ],
            base_salary: 70_000.0,
        },
        Country::Fr => CountryData {
            companies: &["Doctolib", "BlaBlaCar", "Datadog SAS", "Qonto", "Back Market"],
            cities: &[("Paris", "Île-de-France"), ("Lyon", "Auvergne-Rhône-Alpes"), ("Toulouse", "Occitanie")],
            base_salary: 55_000.0,
        },
        // Not among the demo's countries (`DEMO_COUNTRIES`).
        _ => CountryData { companies: &["Acme"], cities: &[("", "")], base_salary: 50_000.0 },
    }
}

/// Role, skills, salary factor.
/// Each role with the skills its postings draw from (each posting names 2 to 5 of them, so skill
/// shares vary like a market's) and its salary factor.
const ROLES: &[(&str, &[&str], f64)] = &[
    ("Rust Developer", &["Rust", "Tokio", "PostgreSQL", "Docker", "Kubernetes", "gRPC", "Linux", "AWS"], 1.1),
    ("Python Developer", &["Python", "Django", "FastAPI", "AWS", "PostgreSQL", "Docker", "Redis", "Celery"], 1.0),
    ("Data Engineer", &["Python", "SQL", "Spark", "Airflow", "dbt", "Kafka", "AWS", "Snowflake"], 1.05),
    ("Data Analyst", &["SQL", "Excel", "Tableau", "Python", "Power BI", "Looker", "R"], 0.75),
    ("Frontend Engineer", &["TypeScript", "React", "CSS", "JavaScript", "Next.js", "GraphQL", "Vue"], 0.95),
    ("DevOps Engineer", &["Kubernetes", "Terraform", "AWS", "Linux", "Docker", "Ansible", "Azure", "GCP"], 1.05),
    ("Machine Learning Engineer", &["Python", "PyTorch", "MLOps", "TensorFlow", "SQL", "AWS", "Docker"], 1.2),
    ("Backend Engineer", &["Go", "PostgreSQL", "Kafka", "gRPC", "Java", "Docker", "Redis", "AWS"], 1.05),
    ("Product Manager", &["Roadmapping", "Analytics", "Agile", "SQL", "Jira"], 1.0),
    ("QA Engineer", &["Selenium", "Cypress", "Python", "Java", "Playwright", "Jenkins"], 0.8),
];

/// 2 to 5 distinct skills of `pool`, in a seeded order.
fn some_skills(pool: &[&str], rng: &mut Rng) -> Vec<String> {
    let mut pool: Vec<&str> = pool.to_vec();
    let n = (2 + rng.below(4)).min(pool.len());
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(pool.remove(rng.below(pool.len())).to_owned());
    }
    out
}

const LEVELS: &[(&str, f64)] = &[("", 1.0), ("Senior ", 1.3), ("Junior ", 0.7), ("Lead ", 1.5)];

/// The boards that carry a posting of `country`, in the document's order.
fn boards_for(country: Country) -> Vec<SourceId> {
    SourceId::ALL.into_iter().filter(|s| s.covers(country)).collect()
}

/// One canonical posting before it is listed on boards.
struct Posting {
    n: usize,
    country: Country,
    title: String,
    company: &'static str,
    city: &'static str,
    region: &'static str,
    skills: Vec<String>,
    salary: f64,
    remote: bool,
    posted_at: DateTime<Utc>,
}

/// How `source` would list `p`: its own id and URL scheme, the fields it carries and the ones
/// it lacks, its salary period and quirks.
fn listing(source: SourceId, p: &Posting, rng: &mut Rng) -> Job {
    let native = match source {
        SourceId::Adzuna => format!("{}", 4_000_000_000u64 + p.n as u64),
        SourceId::Reed => format!("{}", 55_000_000 + p.n),
        SourceId::Remotive => format!("{}", 2_000_000 + p.n),
        SourceId::Findwork => format!("fw{:05x}", p.n),
        SourceId::Arbeitnow => {
            format!("{}-{}", p.title.to_lowercase().replace([' ', '(', ')', '/'], "-"), 60_000 + p.n)
        }
        SourceId::TheMuse => format!("{}", 18_000_000 + p.n),
        SourceId::Import => format!("row-{}", p.n),
    };
    let currency = p.country.currency();
    let annual = Salary::from_bounds(Some(p.salary * 0.9), Some(p.salary * 1.1), currency, PayPeriod::Year);
    let (title, company, city, salary, skills) = match source {
        // Adzuna: annual salaries, no tags, full company names.
        SourceId::Adzuna | SourceId::Import => {
            (p.title.clone(), p.company.to_owned(), p.city.to_owned(), annual, vec![])
        }
        // Reed: some contract roles as day rates, company without "Ltd", no tags.
        SourceId::Reed => {
            let salary = if rng.chance(30) {
                let day = (p.salary / 220.0).round();
                Salary::from_bounds(Some(day), Some(day + 50.0), currency, PayPeriod::Day)
            } else if rng.chance(25) {
                None
            } else {
                annual
            };
            (p.title.clone(), p.company.trim_end_matches(" Ltd").to_owned(), p.city.to_owned(), salary, vec![])
        }
        // Remotive: remote, text salaries in USD, tags.
        SourceId::Remotive => {
            let usd = Salary::from_bounds(Some((p.salary / 1000.0).round() * 1000.0), None, "USD", PayPeriod::Year);
            (p.title.clone(), p.company.to_owned(), String::new(), usd.filter(|_| rng.chance(50)), p.skills.clone())
        }
        // Findwork: skills pre-tagged, no salary.
        SourceId::Findwork => (p.title.clone(), p.company.to_owned(), p.city.to_owned(), None, p.skills.clone()),
        // Arbeitnow: German titles carry (m/w/d); tags; no salary.
        SourceId::Arbeitnow => {
            let title = if p.country == Country::De { format!("{} (m/w/d)", p.title) } else { p.title.clone() };
            (title, p.company.to_owned(), p.city.to_owned(), None, p.skills.iter().take(2).cloned().collect())
        }
        // The Muse: cities with aliases ("New York City"), no salary.
        SourceId::TheMuse => {
            let city = if p.city == "New York" { "New York City".to_owned() } else { p.city.to_owned() };
            (p.title.clone(), p.company.to_owned(), city, None, vec![])
        }
    };
    let remote = p.remote || source == SourceId::Remotive;
    let (country, region) = if source == SourceId::Remotive {
        (String::new(), "Worldwide".to_owned())
    } else {
        (p.country.iso().to_owned(), p.region.to_owned())
    };
    let id = Job::make_id(source, &native);
    let location = Location { city, country, region };
    Job {
        url: format!("https://{}.example.test/jobs/{native}", source.as_str()),
        source,
        seniority: seniority_from_title(&title),
        description: format!(
            "{company} is hiring a {title} in {where_}. You will work with {}. {}",
            p.skills.join(", "),
            if remote { "Remote-friendly." } else { "Office-based with flexible hours." },
            where_ = if p.city.is_empty() { "a remote team" } else { p.city },
        ),
        title,
        company,
        salary,
        skills,
        remote,
        posted_at: Some(p.posted_at - ChronoDuration::hours(rng.below(12) as i64)),
        valid_through: None,
        fetched_at: p.posted_at,
        copies: vec![],
        details: JobDetails {
            // Adzuna and Reed give snippets; here every board gives the whole (short) text.
            description_truncated: false,
            apply_url: None,
            // Every seventh posting a contract (not drawn: the other fields' draws stay as they were).
            employment_type: Some(if p.n.is_multiple_of(7) {
                EmploymentType::Contract
            } else {
                EmploymentType::FullTime
            }),
            workplace_type: remote.then_some(WorkplaceType::Remote),
            locations: crate::sources::places(&location),
            visa_sponsorship: None,
            company: Default::default(),
            categories: vec![],
        },
        location,
        id,
        provenance: None,
    }
}

/// Seeded postings for every board: about `per_country` postings per country, each listed on
/// one board that covers the country and, one time in three, on a second one too.
pub fn generate(seed: u64, per_country: usize, now: DateTime<Utc>) -> HashMap<SourceId, Vec<Job>> {
    let mut rng = Rng::new(seed);
    let mut out: HashMap<SourceId, Vec<Job>> = SourceId::ALL.into_iter().map(|s| (s, Vec::new())).collect();
    let mut n = 0;
    for country in DEMO_COUNTRIES {
        let data = country_data(country);
        let boards = boards_for(country);
        for _ in 0..per_country {
            n += 1;
            let (role, skills, factor) = *rng.pick(ROLES);
            let (level, level_factor) = *rng.pick(LEVELS);
            let (city, region) = *rng.pick(data.cities);
            let company = *rng.pick(data.companies);
            let p = Posting {
                n,
                country,
                title: format!("{level}{role}"),
                company,
                city,
                region,
                skills: some_skills(skills, &mut rng),
                salary: (data.base_salary * factor * level_factor / 1000.0).round() * 1000.0,
                remote: rng.chance(20),
                posted_at: now - ChronoDuration::hours(rng.below(24 * 30) as i64),
            };
            // Remotive lists remote jobs only.
            let boards: Vec<SourceId> =
                boards.iter().copied().filter(|s| *s != SourceId::Remotive || p.remote).collect();
            let first = *rng.pick(&boards);
            out.entry(first).or_default().push(listing(first, &p, &mut rng));
            if rng.chance(33) {
                let second = *rng.pick(&boards);
                if second != first {
                    out.entry(second).or_default().push(listing(second, &p, &mut rng));
                }
            }
        }
    }
    out
}

/// The six fake boards over one seeded generation, with a latency each (`base_latency` times a
/// per-board factor, so they answer at different times like real boards) and the given boards
/// failing with HTTP 500.
pub fn demo_boards(seed: u64, base_latency: Duration, failing: &[SourceId]) -> Vec<Arc<FakeBoard>> {
    let mut jobs = generate(seed, 120, Utc::now());
    SourceId::ALL
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            let factor = [1.6, 0.8, 1.2, 1.0, 0.9, 1.4][i];
            let board =
                FakeBoard::new(id, jobs.remove(&id).unwrap_or_default()).with_latency(base_latency.mul_f64(factor));
            Arc::new(if failing.contains(&id) { board.failing(Failure::Status(500)) } else { board })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobin_core::domain::{Fingerprint, merge};

    #[test]
    fn postings_of_one_role_name_varied_skills_so_shares_look_like_a_market() {
        let now = DateTime::<Utc>::from_timestamp(1_763_000_000, 0).unwrap();
        let all = generate(42, 400, now);
        let tagged: Vec<&Job> = [SourceId::Findwork, SourceId::Remotive]
            .iter()
            .flat_map(|s| all[s].iter())
            .filter(|j| j.title.contains("Data Engineer"))
            .collect();
        assert!(tagged.len() >= 10, "{}", tagged.len());
        let share = |skill: &str| {
            tagged.iter().filter(|j| j.skills.iter().any(|s| s == skill)).count() as f64 / tagged.len() as f64
        };
        let shares: Vec<f64> = ["Python", "SQL", "Spark", "Airflow", "dbt", "Kafka"].map(share).to_vec();
        assert!(shares.iter().all(|s| *s < 1.0), "no skill is in every posting: {shares:?}");
        assert!(shares.iter().any(|s| *s > 0.3) && shares.iter().any(|s| *s < 0.7), "{shares:?}");
        // Remotive lists remote jobs only.
        assert!(all[&SourceId::Remotive].iter().all(|j| j.remote));
    }

    #[test]
    fn generation_is_deterministic_per_seed() {
        let now = DateTime::<Utc>::from_timestamp(1_763_000_000, 0).unwrap();
        let a = generate(7, 30, now);
        let b = generate(7, 30, now);
        for s in SourceId::ALL {
            assert_eq!(a[&s], b[&s]);
        }
        assert_ne!(generate(8, 30, now)[&SourceId::Adzuna], a[&SourceId::Adzuna]);
    }

    #[test]
    fn every_board_has_postings_only_in_countries_it_covers_and_duplicates_exist() {
        let now = DateTime::<Utc>::from_timestamp(1_763_000_000, 0).unwrap();
        let all = generate(42, 60, now);
        for (source, jobs) in &all {
            assert!(!jobs.is_empty(), "{source} has postings");
            for j in jobs {
                if !j.location.country.is_empty() {
                    let c = Country::parse(&j.location.country).unwrap();
                    assert!(source.covers(c), "{source} lists a job in {c}");
                }
            }
        }
        let everything: Vec<Job> = all.into_values().flatten().collect();
        let merged = merge(everything.clone(), |s| s as usize);
        assert!(merged.len() < everything.len(), "some postings are on two boards");
        assert!(merged.iter().any(|m| m.copies.len() > 1 && Fingerprint::of(m).as_str().contains('|')));
    }
}
