//! Searching the stored corpus: what each stored posting is filtered, sorted and
//! counted by ([`Indexed`], computed once when the posting is stored), the filter
//! ([`CorpusFilter::matches`] is the reference every store must agree with), the sort keys and
//! their keyset positions, and the facets.
//!
//! - **Places**: every place the posting names (`details.locations`, else `location`); the
//!   `country` filter and facet use all of their countries, `location` their words.
//! - **Salary**: the posting's own range annualized (hour × 2,080, day × 260, week × 52, month ×
//!   12), never converted; `salary_min` is reached when the range's top is at least it,
//!   `salary_max` when its bottom is at most it. Sorting and the salary facet read the midpoint.
//! - **Company**: folded, legal suffixes dropped (`Acme Ltd` = `ACME`), the merge rule's form.
//! - **Dates**: an undated posting sorts as the oldest and never passes `posted_since` /
//!   `posted_before`.

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};

pub use super::application::SortOrder;
use super::dedup::normalize_company;
use super::normalize::words_match;
use super::title::normalized_title;
use super::{EmploymentType, Job, JobFacts, Seniority, SourceId};

/// What a stored posting is searched by: derived from the job by fixed rules when it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Indexed {
    pub id: String,
    /// Folded title, company and skills (`Job::search_text`): what `q` matches.
    pub search_text: String,
    /// Folded words of every place (`Job::place_text`): what `location` matches.
    pub place_text: String,
    /// ISO alpha-2 of every place, without repeats, the first place's first (may be empty).
    pub countries: Vec<String>,
    /// The board or the text says remote (`JobFacts::remote`).
    pub remote: bool,
    pub employment_type: Option<EmploymentType>,
    /// Stated, or as the title says (`JobFacts::seniority`).
    pub seniority: Option<Seniority>,
    /// Every source listing it (`Job::source_mask`).
    pub source_mask: i64,
    /// `normalize_company` of the company.
    pub company_key: String,
    /// The company as the posting names it.
    pub company: String,
    pub salary: Option<IndexedSalary>,
    pub visa_sponsorship: Option<bool>,
    /// Microseconds since the epoch of `posted_at`; 0 when undated.
    pub posted_rank: i64,
    /// `normalized_title`: what relevance weighs.
    pub title: String,
}

/// A posting's own range, annualized, in its own currency.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedSalary {
    /// ISO 4217, upper case.
    pub currency: String,
    pub annual_min: f64,
    pub annual_max: f64,
}

impl IndexedSalary {
    /// The midpoint in whole currency units: the salary sort's key and the facet's value.
    pub fn rank(&self) -> i64 {
        ((self.annual_min + self.annual_max) / 2.0).round() as i64
    }
}

impl Indexed {
    pub fn of(job: &Job) -> Self {
        let facts = JobFacts::of(job);
        let mut countries: Vec<String> = Vec::new();
        let places = std::iter::once(&job.location).chain(&job.details.locations);
        for c in places.map(|l| l.country.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()) {
            if !countries.contains(&c) {
                countries.push(c);
            }
        }
        Indexed {
            id: job.id.clone(),
            search_text: job.search_text(),
            place_text: job.place_text(),
            countries,
            remote: facts.remote,
            employment_type: job.details.employment_type,
            seniority: facts.seniority,
            source_mask: job.source_mask(),
            company_key: normalize_company(&job.company),
            company: job.company.trim().to_owned(),
            salary: job.salary.as_ref().map(|s| {
                let (annual_min, annual_max) = s.annual();
                IndexedSalary { currency: s.currency.trim().to_ascii_uppercase(), annual_min, annual_max }
            }),
            visa_sponsorship: job.details.visa_sponsorship,
            posted_rank: job.posted_at.map_or(0, |t| t.timestamp_micros()),
            title: normalized_title(job),
        }
    }

    /// `countries` as stored: `,GB,DE,` (every code between commas), `` when none.
    pub fn countries_column(&self) -> String {
        if self.countries.is_empty() { String::new() } else { format!(",{},", self.countries.join(",")) }
    }
}

/// A salary condition: `min` / `max` annual amounts in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct SalaryFilter {
    pub currency: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Which stored postings a corpus search covers. Every condition must hold; lists mean "any of".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorpusFilter {
    /// The sources the caller may read (the plan's boards and the import), as a mask: a posting
    /// needs a listing from one of them.
    pub within: i64,
    /// Folded words that must each start a word of the title, company or skills.
    pub words: Vec<String>,
    /// Folded words that must each start a word of the posting's places.
    pub place_words: Vec<String>,
    /// ISO alpha-2 upper case: a posting with a place in any of them.
    pub countries: Vec<String>,
    pub remote: Option<bool>,
    pub employment_types: Vec<EmploymentType>,
    pub seniorities: Vec<Seniority>,
    /// A listing from any of these.
    pub sources: Vec<SourceId>,
    /// `normalize_company` of the company asked for.
    pub company: Option<String>,
    pub posted_since: Option<DateTime<Utc>>,
    pub posted_before: Option<DateTime<Utc>>,
    pub salary: Option<SalaryFilter>,
    pub has_salary: Option<bool>,
    pub visa_sponsorship: Option<bool>,
}

impl CorpusFilter {
    /// The mask of `sources` (0 when empty: any).
    pub fn sources_mask(&self) -> i64 {
        self.sources.iter().fold(0, |m, s| m | s.bit())
    }

    /// Whether an active posting is covered: the reference every store agrees with.
    pub fn matches(&self, p: &Indexed) -> bool {
        let rank_of = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros());
        (p.source_mask & self.within) != 0
            && (self.sources.is_empty() || p.source_mask & self.sources_mask() != 0)
            && (self.countries.is_empty() || p.countries.iter().any(|c| self.countries.contains(c)))
            && self.remote.is_none_or(|r| p.remote == r)
            && (self.employment_types.is_empty()
                || p.employment_type.is_some_and(|e| self.employment_types.contains(&e)))
            && (self.seniorities.is_empty() || p.seniority.is_some_and(|s| self.seniorities.contains(&s)))
            && self.company.as_ref().is_none_or(|c| &p.company_key == c)
            && rank_of(self.posted_since).is_none_or(|s| p.posted_rank != 0 && p.posted_rank >= s)
            && rank_of(self.posted_before).is_none_or(|b| p.posted_rank != 0 && p.posted_rank < b)
            && self.has_salary.is_none_or(|h| p.salary.is_some() == h)
            && self.visa_sponsorship.is_none_or(|v| p.visa_sponsorship == Some(v))
            && self.salary.as_ref().is_none_or(|f| {
                p.salary.as_ref().is_some_and(|s| {
                    s.currency == f.currency
                        && f.min.is_none_or(|min| s.annual_max >= min)
                        && f.max.is_none_or(|max| s.annual_min <= max)
                })
            })
            && words_match(&self.words, &p.search_text)
            && words_match(&self.place_words, &p.place_text)
    }
}

/// The order of a corpus search's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorpusSort {
    /// Words of `q` found in the normalized title, then newest (only with `q`).
    Relevance,
    PostedAt,
    /// The annualized midpoint (only with `salary_currency`; postings without a salary in it are
    /// left out).
    Salary,
}

impl CorpusSort {
    pub const ALL: [CorpusSort; 3] = [CorpusSort::Relevance, CorpusSort::PostedAt, CorpusSort::Salary];

    pub const fn as_str(self) -> &'static str {
        match self {
            CorpusSort::Relevance => "relevance",
            CorpusSort::PostedAt => "posted_at",
            CorpusSort::Salary => "salary",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        CorpusSort::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Where a posting stands in an order: `(first, second, id)`, compared in that order, every part
/// in the order's direction. Relevance: (title words found, posted); posted: (posted, 0);
/// salary: (midpoint, posted). A page resumes strictly after the last position it returned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub first: i64,
    pub second: i64,
    pub id: String,
}

/// How many of `words` start a word of the normalized `title`.
pub fn title_hits(words: &[String], title: &str) -> i64 {
    words.iter().filter(|w| title.split(' ').any(|t| t.starts_with(w.as_str()))).count() as i64
}

impl Position {
    /// The posting's position in `sort` (`words`: the query's, for relevance).
    pub fn of(p: &Indexed, sort: CorpusSort, words: &[String]) -> Self {
        let (first, second) = match sort {
            CorpusSort::Relevance => (title_hits(words, &p.title), p.posted_rank),
            CorpusSort::PostedAt => (p.posted_rank, 0),
            CorpusSort::Salary => (p.salary.as_ref().map_or(0, IndexedSalary::rank), p.posted_rank),
        };
        Position { first, second, id: p.id.clone() }
    }

    /// Whether a posting at `self` comes after `cursor` in `order`.
    pub fn after(&self, cursor: &Position, order: SortOrder) -> bool {
        match order {
            SortOrder::Asc => self > cursor,
            SortOrder::Desc => self < cursor,
        }
    }

    /// The cursor's payload: `first.second.` then the id, hex.
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.first, self.second, hex::encode(self.id.as_bytes()))
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let mut parts = raw.splitn(3, '.');
        let first = parts.next()?.parse().ok()?;
        let second = parts.next()?.parse().ok()?;
        let id = String::from_utf8(hex::decode(parts.next()?).ok()?).ok()?;
        Some(Position { first, second, id })
    }
}

/// A count per value over the filtered postings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Facet {
    /// A posting counts under every source listing it.
    Source,
    /// Under every country of its places.
    Country,
    EmploymentType,
    Seniority,
    /// The [`COMPANY_FACET_SIZE`] companies with the most postings.
    Company,
    /// Per currency, annualized midpoints in buckets.
    Salary,
}

/// Companies the company facet names.
pub const COMPANY_FACET_SIZE: usize = 10;
/// The width of the salary bins stores count in; the answer's buckets are whole multiples.
pub const SALARY_BIN: i64 = 10_000;
/// The most buckets a currency's salary facet has.
pub const SALARY_BUCKETS: usize = 20;

impl Facet {
    pub const ALL: [Facet; 6] =
        [Facet::Source, Facet::Country, Facet::EmploymentType, Facet::Seniority, Facet::Company, Facet::Salary];

    pub const fn as_str(self) -> &'static str {
        match self {
            Facet::Source => "source",
            Facet::Country => "country",
            Facet::EmploymentType => "employment_type",
            Facet::Seniority => "seniority",
            Facet::Company => "company",
            Facet::Salary => "salary",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Facet::ALL.into_iter().find(|f| f.as_str() == raw)
    }
}

/// What a store counts for the facets, before they are shaped for the answer. Every map holds
/// only values with at least one posting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacetTally {
    pub source: BTreeMap<SourceId, u64>,
    /// By ISO alpha-2.
    pub country: BTreeMap<String, u64>,
    pub employment_type: BTreeMap<&'static str, u64>,
    pub seniority: BTreeMap<&'static str, u64>,
    /// `(company_key, a name it is shown by, count)`, most postings first, then by key; at most
    /// [`COMPANY_FACET_SIZE`].
    pub company: Vec<(String, String, u64)>,
    /// `(currency, bin)` → count, a bin being `floor(midpoint / SALARY_BIN)`.
    pub salary_bins: BTreeMap<(String, i64), u64>,
    /// Every posting covered, counted by the same pass when a facet other than the company's was
    /// asked (the grouped pass reads them all); `None` otherwise.
    pub covered: Option<u64>,
}

impl FacetTally {
    /// Counts `facets` over `postings` (the reference a store's counts agree with).
    pub fn count<'a>(facets: &[Facet], postings: impl IntoIterator<Item = &'a Indexed>) -> Self {
        let mut t = FacetTally::default();
        let mut companies: BTreeMap<String, (String, u64)> = BTreeMap::new();
        let mut covered = 0;
        for p in postings {
            covered += 1;
            for f in facets {
                match f {
                    Facet::Source => {
                        for s in SourceId::ALL.into_iter().chain([SourceId::Import]) {
                            if p.source_mask & s.bit() != 0 {
                                *t.source.entry(s).or_default() += 1;
                            }
                        }
                    }
                    Facet::Country => {
                        for c in &p.countries {
                            *t.country.entry(c.clone()).or_default() += 1;
                        }
                    }
                    Facet::EmploymentType => {
                        if let Some(e) = p.employment_type {
                            *t.employment_type.entry(e.as_str()).or_default() += 1;
                        }
                    }
                    Facet::Seniority => {
                        if let Some(s) = p.seniority {
                            *t.seniority.entry(s.as_str()).or_default() += 1;
                        }
                    }
                    Facet::Company => {
                        if !p.company_key.is_empty() {
                            let e = companies.entry(p.company_key.clone()).or_insert_with(|| (p.company.clone(), 0));
                            // The name shown is the least one, as a store's MIN() picks it.
                            if p.company < e.0 {
                                e.0 = p.company.clone();
                            }
                            e.1 += 1;
                        }
                    }
                    Facet::Salary => {
                        if let Some(s) = &p.salary {
                            *t.salary_bins.entry((s.currency.clone(), s.rank().div_euclid(SALARY_BIN))).or_default() +=
                                1;
                        }
                    }
                }
            }
        }
        t.company = top_companies(companies.into_iter().map(|(k, (name, n))| (k, name, n)).collect());
        t.covered = facets.iter().any(|f| *f != Facet::Company).then_some(covered);
        t
    }
}

/// The [`COMPANY_FACET_SIZE`] companies with the most postings, then by key.
pub fn top_companies(mut all: Vec<(String, String, u64)>) -> Vec<(String, String, u64)> {
    all.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    all.truncate(COMPANY_FACET_SIZE);
    all
}

/// One salary bucket: `[min, max)` annual, in the currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalaryBucket {
    pub min: i64,
    pub max: i64,
    pub count: u64,
}

/// The salary facet of one currency: at most [`SALARY_BUCKETS`] buckets of one width (a whole
/// multiple of [`SALARY_BIN`]: 1, 2 or 5 × a power of ten bins), lowest first, empty ones left
/// out; the counts add up to the currency's postings.
pub fn salary_buckets(bins: &BTreeMap<(String, i64), u64>) -> Vec<(String, Vec<SalaryBucket>)> {
    let mut by_currency: BTreeMap<&str, Vec<(i64, u64)>> = BTreeMap::new();
    for ((currency, bin), n) in bins {
        by_currency.entry(currency).or_default().push((*bin, *n));
    }
    by_currency
        .into_iter()
        .map(|(currency, bins)| {
            let lo = bins.iter().map(|b| b.0).min().unwrap_or(0);
            let hi = bins.iter().map(|b| b.0).max().unwrap_or(0);
            let mut width = 1i64;
            let mut step = 0;
            while (hi.div_euclid(width) - lo.div_euclid(width) + 1) as usize > SALARY_BUCKETS {
                width = [2, 5, 10][step % 3] * 10i64.pow((step / 3) as u32);
                step += 1;
            }
            let mut merged: BTreeMap<i64, u64> = BTreeMap::new();
            for (bin, n) in bins {
                *merged.entry(bin.div_euclid(width)).or_default() += n;
            }
            let buckets = merged
                .into_iter()
                .map(|(k, count)| SalaryBucket {
                    min: k * width * SALARY_BIN,
                    max: (k + 1) * width * SALARY_BIN,
                    count,
                })
                .collect();
            (currency.to_owned(), buckets)
        })
        .collect()
}

/// The postings a search never shows, among the active ones (`(id, merged listing ids)`): those
/// another active posting holds as a copy — held by one it does not hold back, or held mutually by
/// one whose id sorts first (the rule `analytics::distinct` applies). So no job counts twice.
pub fn held_ids<'a>(active: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>) -> HashSet<String> {
    let active: Vec<(&str, Vec<&str>)> = active.into_iter().collect();
    let holds: HashSet<(&str, &str)> =
        active.iter().flat_map(|(h, copies)| copies.iter().map(move |c| (*h, *c))).collect();
    let ids: HashSet<&str> = active.iter().map(|(id, _)| *id).collect();
    holds
        .iter()
        .filter(|(h, c)| h != c && ids.contains(c) && (*h < *c || !holds.contains(&(*c, *h))))
        .map(|(_, c)| (*c).to_owned())
        .collect()
}

/// A company name as the `company` filter compares it.
pub fn company_key(name: &str) -> String {
    normalize_company(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Location, PayPeriod, Salary};

    fn job() -> Job {
        let mut j = Job::sample(SourceId::Reed, "1", "Sr. Rust Engineer - London", "Acme Ltd", "London");
        j.location.country = "GB".into();
        j.salary = Salary::from_bounds(Some(400.0), Some(500.0), "gbp", PayPeriod::Day);
        j
    }

    #[test]
    fn a_posting_is_indexed_by_its_normalized_fields() {
        let mut j = job();
        j.details.locations = vec![
            Location { city: "London".into(), country: "GB".into(), region: String::new() },
            Location { city: "Berlin".into(), country: "de".into(), region: String::new() },
        ];
        let p = Indexed::of(&j);
        assert_eq!(p.countries, ["GB", "DE"]);
        assert_eq!(p.countries_column(), ",GB,DE,");
        assert_eq!(p.company_key, "acme");
        assert_eq!(p.title, "senior rust engineer");
        let s = p.salary.clone().unwrap();
        assert_eq!((s.currency.as_str(), s.annual_min, s.annual_max), ("GBP", 104_000.0, 130_000.0));
        assert_eq!(s.rank(), 117_000);
        assert_eq!(p.posted_rank, 0, "undated");
    }

    #[test]
    fn the_salary_filter_compares_annual_ranges_in_one_currency() {
        let p = Indexed::of(&job());
        let f = |currency: &str, min, max| CorpusFilter {
            within: -1,
            salary: Some(SalaryFilter { currency: currency.into(), min, max }),
            ..Default::default()
        };
        assert!(f("GBP", Some(120_000.0), None).matches(&p), "the range's top reaches the floor");
        assert!(!f("GBP", Some(130_001.0), None).matches(&p));
        assert!(f("GBP", None, Some(104_000.0)).matches(&p), "the bottom is within the ceiling");
        assert!(!f("GBP", None, Some(100_000.0)).matches(&p));
        assert!(!f("EUR", Some(1.0), None).matches(&p), "never another currency");
    }

    #[test]
    fn a_posting_held_as_a_copy_is_hidden_once_whoever_holds_whom() {
        let held = held_ids([("reed:1", vec!["adzuna:9"]), ("adzuna:9", vec![]), ("x:1", vec!["gone:1"])]);
        assert_eq!(held, HashSet::from(["adzuna:9".to_owned()]));
        let mutual = held_ids([("reed:1", vec!["adzuna:9"]), ("adzuna:9", vec!["reed:1"])]);
        assert_eq!(mutual, HashSet::from(["reed:1".to_owned()]), "mutual: the smaller id stays");
    }

    #[test]
    fn positions_round_trip_and_order_both_ways() {
        let a = Position { first: 5, second: -3, id: "reed:1\n.x".into() };
        assert_eq!(Position::decode(&a.encode()), Some(a.clone()));
        let b = Position { first: 5, second: -3, id: "reed:2".into() };
        assert!(b.after(&a, SortOrder::Asc) && a.after(&b, SortOrder::Desc));
        for bad in ["", "1", "1.2", "x.2.00", "1.2.zz", "1.2.ff"] {
            assert_eq!(Position::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn salary_buckets_are_few_round_and_add_up() {
        let mut bins = BTreeMap::new();
        bins.insert(("GBP".to_owned(), 3), 2);
        bins.insert(("GBP".to_owned(), 4), 1);
        bins.insert(("INR".to_owned(), 0), 1);
        bins.insert(("INR".to_owned(), 250), 4);
        let out = salary_buckets(&bins);
        assert_eq!(out[0].0, "GBP");
        assert_eq!(
            out[0].1,
            [SalaryBucket { min: 30_000, max: 40_000, count: 2 }, SalaryBucket { min: 40_000, max: 50_000, count: 1 }]
        );
        let inr = &out[1].1;
        assert!(inr.len() <= SALARY_BUCKETS);
        assert_eq!(inr.iter().map(|b| b.count).sum::<u64>(), 5);
        assert!(inr.iter().all(|b| b.max - b.min == inr[0].max - inr[0].min));
    }
}
