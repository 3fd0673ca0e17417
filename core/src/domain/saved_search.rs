//! Saved searches: what a user asks to be told about, checked once when saved, and the rule that
//! says whether a landed posting matches one. The rule is the feed's and the analytics' (word
//! prefixes over the title, company and skills; the location's words over the city, region and
//! country), plus the filters a saved search adds. [`SearchIndex`] finds the searches a posting
//! matches among many without testing each one.

use std::collections::HashMap;

use super::application::optional_text;
use super::normalize::{query_words, words_match};
use super::{Country, EmploymentType, FieldError, Job, SourceId, WorkplaceType};

/// Longest name, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// Longest `q` and `location`, in characters (as a live search).
pub const QUERY_MAX_CHARS: usize = 200;
/// Highest salary floor, a year.
pub const SALARY_MIN_MAX: u64 = 1_000_000_000;
// One-line texts: `optional_text` refuses every control character up to this length.
const _: () = assert!(NAME_MAX_CHARS <= super::application::TEXT_MAX_CHARS);
const _: () = assert!(QUERY_MAX_CHARS <= super::application::TEXT_MAX_CHARS);

/// A salary floor: postings whose range reaches `annual` a year in `currency`.
#[derive(Debug, Clone, PartialEq)]
pub struct SalaryFloor {
    pub annual: u64,
    /// ISO 4217, upper case.
    pub currency: String,
}

/// What a saved search asks of a posting.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchCriteria {
    /// The keywords as written (trimmed).
    pub q: String,
    /// The location as written (trimmed), if any.
    pub location: Option<String>,
    /// Only postings located in this country.
    pub country: Option<Country>,
    /// Only remote postings (the board says remote, or the workplace type is remote).
    pub remote: bool,
    /// Only postings with a listing from one of these boards (empty: any).
    pub sources: Vec<SourceId>,
    /// Only postings whose stated range reaches the floor (postings without a salary do not).
    pub salary_floor: Option<SalaryFloor>,
    /// Only postings of one of these types (empty: any; postings that do not say do not match a
    /// non-empty list).
    pub employment_types: Vec<EmploymentType>,
    /// As `employment_types`, for the workplace.
    pub workplace_types: Vec<WorkplaceType>,
}

/// A search as the client sends it, before checking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawCriteria {
    pub q: Option<String>,
    pub location: Option<String>,
    pub country: Option<String>,
    pub remote: Option<bool>,
    pub sources: Vec<String>,
    pub salary_min: Option<u64>,
    pub salary_currency: Option<String>,
    pub employment_types: Vec<String>,
    pub workplace_types: Vec<String>,
}

impl SearchCriteria {
    /// Checks every field; the first bad one is named.
    pub fn parse(raw: RawCriteria) -> Result<Self, FieldError> {
        let q = raw.q.as_deref().map(str::trim).unwrap_or_default();
        if q.is_empty() {
            return Err(FieldError::new("q", "is required and must not be blank"));
        }
        let q = optional_text("q", q, QUERY_MAX_CHARS)?;
        let location = match raw.location.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) => Some(optional_text("location", l, QUERY_MAX_CHARS)?),
            None => None,
        };
        let country = match raw.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(Country::parse(c).map_err(|e| FieldError::new("country", e))?),
            None => None,
        };
        let sources = distinct("sources", &raw.sources, SourceId::parse, &SourceId::ALL.map(SourceId::as_str))?;
        let employment_types = distinct(
            "employment_types",
            &raw.employment_types,
            |r| EmploymentType::ALL.into_iter().find(|t| t.as_str() == r),
            &EmploymentType::ALL.map(EmploymentType::as_str),
        )?;
        let workplace_types = distinct(
            "workplace_types",
            &raw.workplace_types,
            |r| WorkplaceType::ALL.into_iter().find(|t| t.as_str() == r),
            &WorkplaceType::ALL.map(WorkplaceType::as_str),
        )?;
        let salary_floor = match raw.salary_min {
            None if raw.salary_currency.is_some() => {
                return Err(FieldError::new("salary_currency", "is only meaningful with salary_min"));
            }
            None => None,
            Some(0) => return Err(FieldError::new("salary_min", "must be a positive yearly amount")),
            Some(v) if v > SALARY_MIN_MAX => {
                return Err(FieldError::new("salary_min", format!("must be at most {SALARY_MIN_MAX} a year")));
            }
            Some(annual) => {
                let currency = match raw.salary_currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                    Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => c.to_ascii_uppercase(),
                    Some(_) => return Err(FieldError::new("salary_currency", "must be an ISO 4217 code, e.g. GBP")),
                    None => match country {
                        Some(c) => c.currency().to_owned(),
                        None => {
                            return Err(FieldError::new(
                                "salary_currency",
                                "is required with salary_min when no country is given",
                            ));
                        }
                    },
                };
                Some(SalaryFloor { annual, currency })
            }
        };
        Ok(SearchCriteria {
            q,
            location,
            country,
            remote: raw.remote.unwrap_or(false),
            sources,
            salary_floor,
            employment_types,
            workplace_types,
        })
    }

    /// The criteria as a client would send them: `parse(c.to_raw()) == c`.
    pub fn to_raw(&self) -> RawCriteria {
        RawCriteria {
            q: Some(self.q.clone()),
            location: self.location.clone(),
            country: self.country.map(|c| c.code().to_owned()),
            remote: Some(self.remote),
            sources: self.sources.iter().map(|s| s.as_str().to_owned()).collect(),
            salary_min: self.salary_floor.as_ref().map(|f| f.annual),
            salary_currency: self.salary_floor.as_ref().map(|f| f.currency.clone()),
            employment_types: self.employment_types.iter().map(|t| t.as_str().to_owned()).collect(),
            workplace_types: self.workplace_types.iter().map(|t| t.as_str().to_owned()).collect(),
        }
    }

    /// The checked criteria as a matcher (words folded once).
    pub fn matcher(&self) -> Matcher {
        Matcher {
            words: query_words(&self.q),
            place_words: self.location.as_deref().map(query_words).unwrap_or_default(),
            criteria: self.clone(),
        }
    }
}

/// A saved search's name: trimmed, 1 to [`NAME_MAX_CHARS`] characters on one line.
pub fn name(raw: &str) -> Result<String, FieldError> {
    let name = optional_text("name", raw, NAME_MAX_CHARS)?;
    if name.is_empty() {
        return Err(FieldError::new("name", "must not be empty"));
    }
    Ok(name)
}

/// Each name parsed, repeats dropped, in the order given.
fn distinct<T: PartialEq>(
    field: &'static str,
    raw: &[String],
    parse: impl Fn(&str) -> Option<T>,
    names: &[&str],
) -> Result<Vec<T>, FieldError> {
    let mut out = Vec::new();
    for r in raw {
        let v = parse(r.trim())
            .ok_or_else(|| FieldError::new(field, format!("`{r}` is not one of {}", names.join(", "))))?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// Criteria ready to test postings.
#[derive(Debug, Clone)]
pub struct Matcher {
    words: Vec<String>,
    place_words: Vec<String>,
    criteria: SearchCriteria,
}

impl Matcher {
    pub fn matches(&self, job: &Job) -> bool {
        self.matches_texts(job, &job.search_text(), &job.place_text())
    }

    /// As `matches`, with the posting's folded texts made once for every search tested.
    fn matches_texts(&self, job: &Job, search_text: &str, place_text: &str) -> bool {
        let c = &self.criteria;
        c.country.is_none_or(|country| job.location.country.eq_ignore_ascii_case(country.iso()))
            && (!c.remote || job.remote || job.details.workplace_type == Some(WorkplaceType::Remote))
            && (c.sources.is_empty() || c.sources.iter().any(|s| job.source_mask() & s.bit() != 0))
            && (c.employment_types.is_empty()
                || job.details.employment_type.is_some_and(|t| c.employment_types.contains(&t)))
            && (c.workplace_types.is_empty()
                || job.details.workplace_type.is_some_and(|t| c.workplace_types.contains(&t)))
            && c.salary_floor.as_ref().is_none_or(|floor| reaches(job, floor))
            && words_match(&self.words, search_text)
            && words_match(&self.place_words, place_text)
    }

    /// The word the index files this matcher under: its longest (the likeliest to be rare).
    fn key_word(&self) -> &str {
        self.words.iter().max_by_key(|w| w.len()).map(String::as_str).unwrap_or_default()
    }
}

/// Whether the posting's stated range, annualized, reaches the floor in the floor's currency.
fn reaches(job: &Job, floor: &SalaryFloor) -> bool {
    job.salary.as_ref().is_some_and(|s| {
        s.currency.eq_ignore_ascii_case(&floor.currency) && s.annual().1.max(s.annual().0) >= floor.annual as f64
    })
}

/// Many saved searches, filed by one word each, so that a posting is tested only against the
/// searches one of its words could satisfy: a search matches only if each of its words starts a
/// word of the posting, so its longest word must be a prefix of one of the posting's words. For
/// a posting, every prefix of every word of its search text is looked up (a few hundred lookups),
/// and only the searches found are tested in full. A search without a word (its filters alone
/// decide) is tested against every posting.
#[derive(Debug)]
pub struct SearchIndex<K> {
    by_word: HashMap<String, Vec<usize>>,
    /// Searches without a word (they match on their filters alone): tested for every posting.
    wordless: Vec<usize>,
    entries: Vec<(K, Matcher)>,
}

impl<K> SearchIndex<K> {
    pub fn new(searches: impl IntoIterator<Item = (K, Matcher)>) -> Self {
        let entries: Vec<(K, Matcher)> = searches.into_iter().collect();
        let mut by_word: HashMap<String, Vec<usize>> = HashMap::new();
        let mut wordless = Vec::new();
        for (i, (_, m)) in entries.iter().enumerate() {
            match m.key_word() {
                "" => wordless.push(i),
                word => by_word.entry(word.to_owned()).or_default().push(i),
            }
        }
        Self { by_word, wordless, entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The searches `job` matches, in the order they were given.
    pub fn matching(&self, job: &Job) -> Vec<&K> {
        let text = job.search_text();
        let mut candidates: Vec<usize> = self.wordless.clone();
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            for (end, _) in word.char_indices().skip(1).chain(std::iter::once((word.len(), ' '))) {
                if let Some(found) = self.by_word.get(&word[..end]) {
                    candidates.extend_from_slice(found);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let place = job.place_text();
        candidates
            .into_iter()
            .filter(|i| self.entries[*i].1.matches_texts(job, &text, &place))
            .map(|i| &self.entries[i].0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PayPeriod, Salary};
    use proptest::prelude::*;

    fn raw(q: &str) -> RawCriteria {
        RawCriteria { q: Some(q.into()), ..Default::default() }
    }

    fn job(title: &str, city: &str, country: &str) -> Job {
        let mut j = Job::sample(SourceId::Reed, title, title, "Acme", city);
        j.location.country = country.into();
        j
    }

    #[test]
    fn fields_are_checked_and_the_bad_one_named() {
        let bad = |r: RawCriteria| SearchCriteria::parse(r).unwrap_err().field;
        assert_eq!(bad(raw("   ")), "q");
        assert_eq!(bad(raw(&"x".repeat(201))), "q");
        assert_eq!(bad(RawCriteria { location: Some("a\u{7}".into()), ..raw("rust") }), "location");
        assert_eq!(bad(RawCriteria { country: Some("zz".into()), ..raw("rust") }), "country");
        assert_eq!(bad(RawCriteria { sources: vec!["monster".into()], ..raw("rust") }), "sources");
        assert_eq!(bad(RawCriteria { employment_types: vec!["gig".into()], ..raw("rust") }), "employment_types");
        assert_eq!(bad(RawCriteria { workplace_types: vec!["moon".into()], ..raw("rust") }), "workplace_types");
        assert_eq!(bad(RawCriteria { salary_min: Some(0), ..raw("rust") }), "salary_min");
        assert_eq!(bad(RawCriteria { salary_min: Some(SALARY_MIN_MAX + 1), ..raw("rust") }), "salary_min");
        assert_eq!(bad(RawCriteria { salary_min: Some(50_000), ..raw("rust") }), "salary_currency");
        assert_eq!(bad(RawCriteria { salary_currency: Some("GBP".into()), ..raw("rust") }), "salary_currency");
        assert_eq!(
            bad(RawCriteria { salary_min: Some(1), salary_currency: Some("pounds".into()), ..raw("rust") }),
            "salary_currency"
        );
        assert_eq!(name("  ").unwrap_err().field, "name");
        assert_eq!(name(&"n".repeat(101)).unwrap_err().field, "name");
        assert_eq!(name(" Rust in Leeds ").unwrap(), "Rust in Leeds");

        let no_word = SearchCriteria::parse(raw("...")).unwrap();
        assert!(no_word.matcher().matches(&job("Anything", "Leeds", "GB")), "no words match everything (as search)");
        let ok = SearchCriteria::parse(RawCriteria {
            country: Some("UK".into()),
            salary_min: Some(60_000),
            sources: vec!["reed".into(), "adzuna".into(), "reed".into()],
            ..raw("  Rust engineer ")
        })
        .unwrap();
        assert_eq!(ok.q, "Rust engineer");
        assert_eq!(ok.country, Some(Country::Gb));
        assert_eq!(ok.sources, vec![SourceId::Reed, SourceId::Adzuna], "repeats dropped, order kept");
        assert_eq!(ok.salary_floor, Some(SalaryFloor { annual: 60_000, currency: "GBP".into() }), "the country's");
        assert_eq!(SearchCriteria::parse(ok.to_raw()), Ok(ok.clone()), "the raw form reads back the same");
        let full = SearchCriteria::parse(RawCriteria {
            location: Some("Leeds".into()),
            remote: Some(true),
            employment_types: vec!["contract".into()],
            workplace_types: vec!["hybrid".into(), "remote".into()],
            salary_min: Some(1),
            salary_currency: Some("eur".into()),
            ..raw("rust")
        })
        .unwrap();
        assert_eq!(SearchCriteria::parse(full.to_raw()), Ok(full));
    }

    #[test]
    fn a_posting_matches_by_the_feeds_rule_and_every_filter() {
        let m = |r: RawCriteria| SearchCriteria::parse(r).unwrap().matcher();
        let mut j = job("Senior Rust Developer", "Leeds", "GB");
        assert!(m(raw("rust develop")).matches(&j), "word prefixes");
        assert!(!m(raw("rust script")).matches(&j));
        assert!(m(RawCriteria { location: Some("leeds".into()), ..raw("rust") }).matches(&j));
        assert!(!m(RawCriteria { location: Some("london".into()), ..raw("rust") }).matches(&j));
        assert!(m(RawCriteria { country: Some("gb".into()), ..raw("rust") }).matches(&j));
        assert!(!m(RawCriteria { country: Some("us".into()), ..raw("rust") }).matches(&j));
        assert!(!m(RawCriteria { remote: Some(true), ..raw("rust") }).matches(&j));
        j.details.workplace_type = Some(WorkplaceType::Remote);
        assert!(m(RawCriteria { remote: Some(true), ..raw("rust") }).matches(&j));
        assert!(m(RawCriteria { sources: vec!["reed".into()], ..raw("rust") }).matches(&j));
        assert!(!m(RawCriteria { sources: vec!["adzuna".into()], ..raw("rust") }).matches(&j));
        let contract = RawCriteria { employment_types: vec!["contract".into()], ..raw("rust") };
        assert!(!m(contract.clone()).matches(&j), "a posting that does not say does not match");
        j.details.employment_type = Some(EmploymentType::Contract);
        assert!(m(contract).matches(&j));

        let floor = |min| RawCriteria { salary_min: Some(min), salary_currency: Some("gbp".into()), ..raw("rust") };
        assert!(!m(floor(50_000)).matches(&j), "no salary, no match");
        j.salary = Salary::from_bounds(Some(400.0), Some(500.0), "GBP", PayPeriod::Day);
        assert!(m(floor(130_000)).matches(&j), "the top of the range, annualized: 500 × 260");
        assert!(!m(floor(130_001)).matches(&j));
        j.salary = Salary::from_bounds(Some(100_000.0), Some(200_000.0), "USD", PayPeriod::Year);
        assert!(!m(floor(50_000)).matches(&j), "another currency never compares");
    }

    fn arb_job() -> impl Strategy<Value = Job> {
        let words = prop::collection::vec(prop::sample::select(WORDS), 1..5);
        (words, prop::sample::select(&["Leeds", "London", "Berlin"][..]), any::<bool>()).prop_map(
            |(w, city, remote)| {
                let mut j = job(&w.join(" "), city, "GB");
                j.remote = remote;
                j
            },
        )
    }

    fn arb_search() -> impl Strategy<Value = Matcher> {
        let words = prop::collection::vec(prop::sample::select(PREFIXES), 1..3);
        (words, prop::option::of(prop::sample::select(&["leeds", "lon", "berlin"][..])), any::<bool>()).prop_map(
            |(w, location, remote)| {
                SearchCriteria::parse(RawCriteria {
                    location: location.map(str::to_owned),
                    remote: Some(remote),
                    ..raw(&w.join(" "))
                })
                .unwrap()
                .matcher()
            },
        )
    }

    const WORDS: &[&str] = &["Rust", "Developer", "Data", "Engineer", "Senior", "Python", "Datadog", "Ops"];
    const PREFIXES: &[&str] = &["rust", "dev", "data", "engineer", "sen", "py", "datadog", "o", "java", "..."];

    proptest! {
        /// The index finds exactly the searches that testing each one finds.
        #[test]
        fn the_index_agrees_with_testing_every_search(
            searches in prop::collection::vec(arb_search(), 0..40),
            jobs in prop::collection::vec(arb_job(), 1..10),
        ) {
            let index = SearchIndex::new(searches.iter().cloned().enumerate());
            for j in &jobs {
                let found: Vec<usize> = index.matching(j).into_iter().copied().collect();
                let every: Vec<usize> = (0..searches.len()).filter(|i| searches[*i].matches(j)).collect();
                prop_assert_eq!(found, every);
            }
        }
    }
}
