//! The corpus search: the stored corpus, filtered, sorted, paged and counted. The request is parsed
//! once into a [`CorpusQuery`] (every bad value a 400 naming its parameter); the store answers a
//! keyset page, a count bounded by [`TOTAL_BOUND`] and the facets over the same filter. Covers the
//! active postings with a listing from the caller's plan's boards or the operator's import, as
//! the analytics do.

use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;

use crate::domain::corpus::{
    CorpusFilter, CorpusSort, Facet, FacetTally, Position, SalaryBucket, SalaryFilter, SortOrder, company_key,
    salary_buckets,
};
use crate::domain::normalize::{parse_iso_datetime, query_words};
use crate::domain::{
    Country, CursorCodec, EmploymentType, InvalidCursor, Plan, PlanCatalog, Seniority, SourceId, Stream, in_plan,
};
use crate::ports::{CorpusPageQuery, JobStore, JobStoreError, StoredJob};
use crate::usecases::FieldError;
use crate::usecases::search::MAX_QUERY_CHARS;
use crate::{Code, ErrorCode};

/// `limit`: default and bounds.
pub const CORPUS_LIMIT: (usize, usize, usize) = (20, 1, 100);
/// `total` is exact up to this many postings; past it, `total` is this and not exact.
pub const TOTAL_BOUND: u64 = 10_000;
/// The longest `company` or `location`.
const MAX_TEXT_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error(transparent)]
    Invalid(FieldError),
    #[error("Invalid cursor")]
    Cursor(InvalidCursor),
    #[error("The job store is unavailable; retry later.")]
    Store(JobStoreError),
}

impl ErrorCode for CorpusError {
    fn code(&self) -> Code {
        match self {
            CorpusError::Invalid(_) => Code::ValidationFailed,
            CorpusError::Cursor(_) => Code::InvalidCursor,
            CorpusError::Store(e) if e.is_outage() => Code::DependencyUnavailable,
            CorpusError::Store(_) => Code::Internal,
        }
    }
}

/// A corpus search as the client sent it. List parameters take repeated values, each of which may
/// also be a comma-separated list.
#[derive(Debug, Clone, Default)]
pub struct CorpusRequest {
    pub q: Option<String>,
    pub country: Vec<String>,
    pub location: Option<String>,
    pub remote: Option<bool>,
    pub employment_type: Vec<String>,
    pub seniority: Vec<String>,
    pub source: Vec<String>,
    pub company: Option<String>,
    pub posted_since: Option<String>,
    pub posted_before: Option<String>,
    pub salary_min: Option<f64>,
    pub salary_max: Option<f64>,
    pub salary_currency: Option<String>,
    pub has_salary: Option<bool>,
    pub visa_sponsorship: Option<bool>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    pub facets: Vec<String>,
    /// The caller's plan (Free when `None`).
    pub plan: Option<Plan>,
}

/// A validated corpus search.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusQuery {
    pub filter: CorpusFilter,
    pub sort: CorpusSort,
    pub order: SortOrder,
    pub limit: usize,
    pub facets: Vec<Facet>,
    /// Where the page starts (from the cursor).
    pub after: Option<Position>,
    /// The filters, sort and order as the cursor is bound to them.
    canonical: String,
}

fn invalid(field: &'static str, reason: impl std::fmt::Display) -> CorpusError {
    CorpusError::Invalid(FieldError::new(field, reason))
}

/// Every item of a list parameter: repeated values, each split at commas, trimmed, empties dropped.
fn items(values: &[String]) -> impl Iterator<Item = &str> {
    values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty())
}

/// Each item of `values` parsed by `parse`, once, in the order given; the first that does not
/// parse is a 400 listing `valid`.
fn one_of<T: PartialEq>(
    field: &'static str,
    values: &[String],
    valid: &[&str],
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, CorpusError> {
    let mut out = Vec::new();
    for item in items(values) {
        let v = parse(&item.to_ascii_lowercase())
            .ok_or_else(|| invalid(field, format!("unknown value `{item}`; one of {}", valid.join(", "))))?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

fn short_text(field: &'static str, raw: Option<&str>) -> Result<Option<String>, CorpusError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > MAX_TEXT_CHARS => {
            Err(invalid(field, format!("must be at most {MAX_TEXT_CHARS} characters")))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// An ISO 8601 date (midnight UTC) or date-time.
fn instant(field: &'static str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, CorpusError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .or_else(|| parse_iso_datetime(raw))
        .map(Some)
        .ok_or_else(|| invalid(field, "must be an ISO 8601 date (2026-01-31) or date-time (2026-01-31T08:00:00Z)"))
}

fn amount(field: &'static str, v: Option<f64>) -> Result<Option<f64>, CorpusError> {
    match v {
        Some(x) if !x.is_finite() || x < 0.0 => Err(invalid(field, "must be a number, 0 or more")),
        other => Ok(other),
    }
}

/// The boards `plan` reads, and the import, as a mask.
fn plan_mask(catalog: &PlanCatalog, plan: Plan) -> i64 {
    let n = catalog.terms(plan).data_sources;
    SourceId::ALL.into_iter().filter(|s| in_plan(*s, n)).fold(SourceId::Import.bit(), |m, s| m | s.bit())
}

impl CorpusQuery {
    /// Validates a request for the plan's sources (`catalog`); the cursor is checked by `codec`.
    pub fn parse(req: &CorpusRequest, catalog: &PlanCatalog, codec: &CursorCodec) -> Result<Self, CorpusError> {
        let q = req.q.as_deref().map(str::trim).unwrap_or_default();
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid("q", format!("must be at most {MAX_QUERY_CHARS} characters")));
        }
        let words = query_words(q);
        let mut countries = Vec::new();
        for item in items(&req.country) {
            let c = Country::parse(item).map_err(|e| invalid("country", e))?;
            if !countries.contains(&c.iso().to_owned()) {
                countries.push(c.iso().to_owned());
            }
        }
        let location = short_text("location", req.location.as_deref())?;
        let types: Vec<&str> = EmploymentType::ALL.iter().map(|e| e.as_str()).collect();
        let employment_types = one_of("employment_type", &req.employment_type, &types, |v| {
            EmploymentType::ALL.into_iter().find(|e| e.as_str() == v)
        })?;
        let levels: Vec<&str> = Seniority::ALL.iter().map(|s| s.as_str()).collect();
        let seniorities = one_of("seniority", &req.seniority, &levels, Seniority::parse)?;
        let all_sources: Vec<SourceId> = SourceId::ALL.into_iter().chain([SourceId::Import]).collect();
        let names: Vec<&str> = all_sources.iter().map(|s| s.as_str()).collect();
        let sources = one_of("source", &req.source, &names, |v| all_sources.iter().copied().find(|s| s.as_str() == v))?;
        let plan = req.plan.unwrap_or(Plan::Free);
        let within = plan_mask(catalog, plan);
        if let Some(s) = sources.iter().find(|s| s.bit() & within == 0) {
            let readable: Vec<&str> =
                all_sources.iter().filter(|s| s.bit() & within != 0).map(|s| s.as_str()).collect();
            return Err(invalid(
                "source",
                format!(
                    "`{s}` is not among the {} plan's sources ({}); a higher plan reads more boards",
                    plan,
                    readable.join(", ")
                ),
            ));
        }
        let company = match short_text("company", req.company.as_deref())? {
            Some(name) => {
                let key = company_key(&name);
                if key.is_empty() {
                    return Err(invalid("company", "must name a company (letters or digits)"));
                }
                Some(key)
            }
            None => None,
        };
        let posted_since = instant("posted_since", req.posted_since.as_deref())?;
        let posted_before = instant("posted_before", req.posted_before.as_deref())?;
        let (min, max) = (amount("salary_min", req.salary_min)?, amount("salary_max", req.salary_max)?);
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return Err(invalid("salary_max", "must be at least salary_min"));
        }
        let currency = match req.salary_currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => Some(c.to_ascii_uppercase()),
            Some(_) => return Err(invalid("salary_currency", "must be an ISO 4217 code such as GBP, USD or EUR")),
            None => None,
        };
        let salary = match (&currency, min.is_some() || max.is_some()) {
            (Some(currency), _) => Some(SalaryFilter { currency: currency.clone(), min, max }),
            (None, true) => {
                return Err(invalid(
                    "salary_currency",
                    "is required with salary_min or salary_max (salaries are compared in one currency, never converted)",
                ));
            }
            (None, false) => None,
        };
        let sort = match req.sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None if words.is_empty() => CorpusSort::PostedAt,
            None => CorpusSort::Relevance,
            Some(raw) => CorpusSort::parse(&raw.to_ascii_lowercase()).ok_or_else(|| {
                invalid("sort", format!("unknown value `{raw}`; one of relevance, posted_at, salary"))
            })?,
        };
        // `relevance` without words weighs nothing: every posting ties, so it is newest first.
        if sort == CorpusSort::Salary && salary.is_none() {
            return Err(invalid(
                "sort",
                "`salary` needs salary_currency (salaries are never compared across currencies)",
            ));
        }
        let order = match req.order.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => SortOrder::Desc,
            Some(raw) => SortOrder::parse(&raw.to_ascii_lowercase()).map_err(CorpusError::Invalid)?,
        };
        let (default, lo, hi) = CORPUS_LIMIT;
        let limit = match req.limit {
            None => default,
            Some(n) if n >= lo as i64 && n <= hi as i64 => n as usize,
            Some(_) => return Err(invalid("limit", format!("must be between {lo} and {hi}"))),
        };
        let facet_names: Vec<&str> = Facet::ALL.iter().map(|f| f.as_str()).collect();
        let mut facets = one_of("facets", &req.facets, &facet_names, Facet::parse)?;
        facets.sort();
        let filter = CorpusFilter {
            within,
            words,
            place_words: location.as_deref().map(query_words).unwrap_or_default(),
            countries,
            remote: req.remote,
            employment_types,
            seniorities,
            sources,
            company,
            posted_since,
            posted_before,
            salary,
            has_salary: req.has_salary,
            visa_sponsorship: req.visa_sponsorship,
        };
        let canonical = canonical(&filter, sort, order);
        let after = match req.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(raw) => {
                let payload = codec.decode_text(Stream::Corpus, raw, &canonical).map_err(CorpusError::Cursor)?;
                Some(Position::decode(&payload).ok_or(CorpusError::Cursor(InvalidCursor))?)
            }
            None => None,
        };
        Ok(CorpusQuery { filter, sort, order, limit, facets, after, canonical })
    }
}

/// The filters, sort and order a cursor is bound to (the plan's mask is not: a cursor stays
/// valid across an upgrade).
fn canonical(f: &CorpusFilter, sort: CorpusSort, order: SortOrder) -> String {
    let list = |v: Vec<&str>| v.join(",");
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros().to_string()).unwrap_or_default();
    format!(
        "q={};loc={};country={};remote={:?};type={};level={};source={};company={};since={};before={};salary={:?};has={:?};visa={:?};sort={};order={}",
        f.words.join(" "),
        f.place_words.join(" "),
        list(f.countries.iter().map(String::as_str).collect()),
        f.remote,
        list(f.employment_types.iter().map(|e| e.as_str()).collect()),
        list(f.seniorities.iter().map(|s| s.as_str()).collect()),
        list(f.sources.iter().map(|s| s.as_str()).collect()),
        f.company.as_deref().unwrap_or_default(),
        time(f.posted_since),
        time(f.posted_before),
        f.salary.as_ref().map(|s| (s.currency.as_str(), s.min.map(f64::to_bits), s.max.map(f64::to_bits))),
        f.has_salary,
        f.visa_sponsorship,
        sort.as_str(),
        order.as_str(),
    )
}

/// Counts per value, most first (then by value).
pub type Counts = Vec<(String, u64)>;

/// The facets asked for, shaped for the answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facets {
    pub source: Option<Counts>,
    /// By lower-case country code.
    pub country: Option<Counts>,
    pub employment_type: Option<Counts>,
    pub seniority: Option<Counts>,
    /// `(name shown, count)`: the companies with the most postings.
    pub company: Option<Counts>,
    /// Per currency.
    pub salary: Option<Vec<(String, Vec<SalaryBucket>)>>,
}

fn ranked(counts: impl IntoIterator<Item = (String, u64)>) -> Counts {
    let mut v: Counts = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

impl Facets {
    pub fn shape(asked: &[Facet], t: FacetTally) -> Self {
        let has = |f: Facet| asked.contains(&f);
        Facets {
            source: has(Facet::Source).then(|| ranked(t.source.into_iter().map(|(s, n)| (s.as_str().to_owned(), n)))),
            country: has(Facet::Country)
                .then(|| ranked(t.country.into_iter().map(|(c, n)| (c.to_ascii_lowercase(), n)))),
            employment_type: has(Facet::EmploymentType)
                .then(|| ranked(t.employment_type.into_iter().map(|(e, n)| (e.to_owned(), n)))),
            seniority: has(Facet::Seniority).then(|| ranked(t.seniority.into_iter().map(|(s, n)| (s.to_owned(), n)))),
            company: has(Facet::Company).then(|| t.company.into_iter().map(|(_, name, n)| (name, n)).collect()),
            salary: has(Facet::Salary).then(|| salary_buckets(&t.salary_bins)),
        }
    }
}

/// One page of a corpus search.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusAnswer {
    pub jobs: Vec<StoredJob>,
    /// Send it back as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
    /// Matching postings: exact when `total_exact` (always when a facet other than `company` was
    /// asked: its pass counts them all), else at least this many ([`TOTAL_BOUND`]).
    pub total: u64,
    pub total_exact: bool,
    pub facets: Option<Facets>,
    pub sort: CorpusSort,
    pub order: SortOrder,
}

pub struct SearchCorpus {
    pub store: Arc<dyn JobStore>,
    pub catalog: Arc<PlanCatalog>,
    pub cursors: CursorCodec,
}

impl SearchCorpus {
    /// Parses a request for this server's plans and cursors.
    pub fn parse(&self, req: &CorpusRequest) -> Result<CorpusQuery, CorpusError> {
        CorpusQuery::parse(req, &self.catalog, &self.cursors)
    }

    pub async fn execute(&self, q: &CorpusQuery) -> Result<CorpusAnswer, CorpusError> {
        let page_query = CorpusPageQuery {
            filter: q.filter.clone(),
            sort: q.sort,
            order: q.order,
            after: q.after.clone(),
            limit: q.limit,
        };
        let page = self.store.corpus_page(&page_query).await.map_err(CorpusError::Store)?;
        let tally = if q.facets.is_empty() {
            None
        } else {
            Some(self.store.corpus_facets(&q.filter, &q.facets).await.map_err(CorpusError::Store)?)
        };
        // Exact for free when the facets' pass counted every posting, or a first page holds them
        // all; otherwise counted up to the bound.
        let (total, total_exact) = match (tally.as_ref().and_then(|t| t.covered), q.after.is_none() && !page.has_more) {
            (Some(n), _) => (n, true),
            (None, true) => (page.jobs.len() as u64, true),
            (None, false) => {
                let n = self.store.corpus_count(&q.filter, TOTAL_BOUND + 1).await.map_err(CorpusError::Store)?;
                (n.min(TOTAL_BOUND), n <= TOTAL_BOUND)
            }
        };
        let facets = tally.map(|t| Facets::shape(&q.facets, t));
        let next_cursor = match page.jobs.last() {
            Some((_, at)) if page.has_more => {
                Some(self.cursors.encode_text(Stream::Corpus, &at.encode(), &q.canonical))
            }
            _ => None,
        };
        Ok(CorpusAnswer {
            jobs: page.jobs.into_iter().map(|(job, _)| job).collect(),
            next_cursor,
            total,
            total_exact,
            facets,
            sort: q.sort,
            order: q.order,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(req: CorpusRequest) -> Result<CorpusQuery, CorpusError> {
        CorpusQuery::parse(&req, &PlanCatalog::document(), &CursorCodec::new(b"k"))
    }

    fn field(req: CorpusRequest) -> (&'static str, String) {
        match parse(req) {
            Err(CorpusError::Invalid(e)) => (e.field, e.reason),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn no_parameter_means_every_readable_posting_newest_first() {
        let q = parse(CorpusRequest::default()).unwrap();
        assert_eq!((q.sort, q.order, q.limit), (CorpusSort::PostedAt, SortOrder::Desc, 20));
        assert_eq!(q.filter.within, SourceId::Adzuna.bit() | SourceId::Import.bit(), "Free: Adzuna and the import");
        let q = parse(CorpusRequest { q: Some("Rust".into()), plan: Some(Plan::Scale), ..Default::default() }).unwrap();
        assert_eq!(q.sort, CorpusSort::Relevance, "with q, relevance first");
        assert_eq!(q.filter.within.count_ones(), 7);
    }

    #[test]
    fn lists_take_repeats_and_commas_and_every_board_country() {
        let q = parse(CorpusRequest {
            country: strings(&["gb,AT", "cz", "gb"]),
            employment_type: strings(&["full_time", "contract"]),
            seniority: strings(&["senior,lead"]),
            facets: strings(&["salary,source", "company"]),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(q.filter.countries, ["GB", "AT", "CZ"]);
        assert_eq!(q.filter.employment_types, [EmploymentType::FullTime, EmploymentType::Contract]);
        assert_eq!(q.filter.seniorities, [Seniority::Senior, Seniority::Lead]);
        assert_eq!(q.facets, [Facet::Source, Facet::Company, Facet::Salary]);
    }

    #[test]
    fn bad_values_are_400s_naming_the_parameter_and_the_valid_ones() {
        let (f, why) = field(CorpusRequest { country: strings(&["xx"]), ..Default::default() });
        assert_eq!(f, "country");
        assert!(why.contains("supported: gb, us") && why.contains("za"), "{why}");
        let (f, why) = field(CorpusRequest { employment_type: strings(&["gig"]), ..Default::default() });
        assert_eq!((f, why.contains("full_time")), ("employment_type", true));
        assert_eq!(field(CorpusRequest { seniority: strings(&["guru"]), ..Default::default() }).0, "seniority");
        assert_eq!(field(CorpusRequest { facets: strings(&["colour"]), ..Default::default() }).0, "facets");
        assert_eq!(field(CorpusRequest { limit: Some(101), ..Default::default() }).0, "limit");
        assert_eq!(field(CorpusRequest { limit: Some(0), ..Default::default() }).0, "limit");
        assert_eq!(field(CorpusRequest { sort: Some("price".into()), ..Default::default() }).0, "sort");
        let newest = parse(CorpusRequest { sort: Some("relevance".into()), ..Default::default() }).unwrap();
        assert_eq!(newest.sort, CorpusSort::Relevance, "without q every posting ties: newest first");
        assert_eq!(field(CorpusRequest { sort: Some("salary".into()), ..Default::default() }).0, "sort");
        assert_eq!(field(CorpusRequest { order: Some("up".into()), ..Default::default() }).0, "order");
        assert_eq!(field(CorpusRequest { salary_min: Some(1.0), ..Default::default() }).0, "salary_currency");
        assert_eq!(
            field(CorpusRequest { salary_currency: Some("pounds".into()), ..Default::default() }).0,
            "salary_currency"
        );
        assert_eq!(
            field(CorpusRequest {
                salary_min: Some(5.0),
                salary_max: Some(4.0),
                salary_currency: Some("gbp".into()),
                ..Default::default()
            })
            .0,
            "salary_max"
        );
        assert_eq!(field(CorpusRequest { salary_min: Some(f64::NAN), ..Default::default() }).0, "salary_min");
        assert_eq!(
            field(CorpusRequest { posted_since: Some("last week".into()), ..Default::default() }).0,
            "posted_since"
        );
        assert_eq!(field(CorpusRequest { company: Some("!!!".into()), ..Default::default() }).0, "company");
        assert_eq!(field(CorpusRequest { q: Some("x".repeat(201)), ..Default::default() }).0, "q");
        let (f, why) = field(CorpusRequest { source: strings(&["reed"]), ..Default::default() });
        assert_eq!(f, "source");
        assert!(why.contains("adzuna, import"), "{why}");
        assert!(parse(CorpusRequest { source: strings(&["import"]), ..Default::default() }).is_ok());
    }

    #[test]
    fn a_cursor_is_bound_to_the_filters_it_was_issued_for() {
        let codec = CursorCodec::new(b"k");
        let req = CorpusRequest { country: strings(&["gb"]), ..Default::default() };
        let q = CorpusQuery::parse(&req, &PlanCatalog::document(), &codec).unwrap();
        let at = Position { first: 7, second: 0, id: "reed:1".into() };
        let cursor = codec.encode_text(Stream::Corpus, &at.encode(), &q.canonical);
        let again = CorpusQuery::parse(
            &CorpusRequest { cursor: Some(cursor.clone()), ..req.clone() },
            &PlanCatalog::document(),
            &codec,
        );
        assert_eq!(again.unwrap().after, Some(at));
        let other = CorpusRequest { cursor: Some(cursor), country: strings(&["us"]), ..Default::default() };
        assert!(matches!(CorpusQuery::parse(&other, &PlanCatalog::document(), &codec), Err(CorpusError::Cursor(_))));
    }
}
