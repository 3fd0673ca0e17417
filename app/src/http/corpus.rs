//! `GET /v1/jobs`: the stored corpus, filtered, sorted, paged and counted (`/v1` only). The handler
//! hands the parameters to the use case and shapes its answer; the MCP tool `search_corpus` calls
//! [`corpus_answer`] too.

use jobin_core::Code;
use jobin_core::domain::corpus::{COMPANY_FACET_SIZE, SalaryBucket};
use jobin_core::usecases::{CorpusAnswer, CorpusError, CorpusRequest, Counts, Facets, TOTAL_BOUND};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::sync::Arc;

use crate::http::Tag;
use crate::http::error::{ApiError, error_responses};
use crate::http::gate;
use crate::http::jobs::{FeedJob, Includes, JobProvenance, errors::job_store_error};
use crate::http::security::KeyAuth;
use crate::state::AppState;

error_responses!(CorpusErrorResponse {
    400 => BadRequest: "A bad parameter (`validation_failed`, `details.field` names it and the reason lists the valid values): an unknown country, employment_type, seniority, source, sort, order or facet; a source outside the plan's; `limit` outside 1–100; a date that is not ISO 8601; a negative or non-numeric salary, `salary_min` above `salary_max`, `salary_min`/`salary_max` or `sort=salary` without `salary_currency`; a company without a letter or digit; a text over 200 characters. Or `Invalid cursor` (`invalid_cursor`: garbled, forged, or sent with other filters, sort or order; drop it and start again).",
    401 => Unauthorized: "Missing, invalid or revoked API key (session tokens are not accepted here).",
    403 => Forbidden: "The key lacks `jobs:read` (`insufficient_scope`, `details.required` names it).",
    429 => TooManyRequests: "Monthly quota spent (`quota_exceeded`) or the plan's per-minute limit for data requests reached (`rate_limited`, `details.class` = `data`, with `Retry-After`).",
    503 => Unavailable: "The database or the usage meter is unreachable (`dependency_unavailable`, with `Retry-After`).",
});

/// A count of postings with one value.
#[derive(Debug, Object)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// One salary bucket: annualized midpoints at least `min` and below `max`.
#[derive(Debug, Object)]
pub struct SalaryFacetBucket {
    pub min: i64,
    pub max: i64,
    pub count: u64,
}

/// The salary facet of one currency (never converted).
#[derive(Debug, Object)]
pub struct SalaryFacet {
    /// ISO 4217.
    pub currency: String,
    /// Lowest first; empty buckets left out; all of one width (a round number).
    pub buckets: Vec<SalaryFacetBucket>,
}

/// Counts per value over every posting the filter covers (not only this page), most first. Only
/// the facets asked for are present.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct CorpusFacets {
    /// Per board: a posting counts under every board listing it (and `import`).
    #[oai(skip_serializing_if_is_none)]
    pub source: Option<Vec<FacetCount>>,
    /// Per country code (lower case): a posting counts under every country it names.
    #[oai(skip_serializing_if_is_none)]
    pub country: Option<Vec<FacetCount>>,
    /// Postings whose type is unknown are not counted.
    #[oai(skip_serializing_if_is_none)]
    pub employment_type: Option<Vec<FacetCount>>,
    /// Postings whose seniority is unknown are not counted.
    #[oai(skip_serializing_if_is_none)]
    pub seniority: Option<Vec<FacetCount>>,
    /// The 10 companies with the most postings (company names compared folded, legal suffixes
    /// dropped; `value` is one of the names it is listed by).
    #[oai(skip_serializing_if_is_none)]
    pub company: Option<Vec<FacetCount>>,
    /// Per currency: annualized midpoints in at most 20 buckets.
    #[oai(skip_serializing_if_is_none)]
    pub salary: Option<Vec<SalaryFacet>>,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct CorpusMeta {
    /// Postings the filter covers: exact when `totalExact` (always when a facet other than
    /// `company` is asked); otherwise at least this many (counting stops at 10,000).
    pub total: u64,
    pub total_exact: bool,
    /// `relevance`, `posted_at` or `salary`.
    pub sort: String,
    /// `asc` or `desc`.
    pub order: String,
    /// Send it as `cursor` (with the same filters, sort and order) for the next page; null on the
    /// last page.
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

#[derive(Debug, Object)]
pub struct CorpusBody {
    /// The page's postings, in order: the same objects as `GET /v1/jobs/{id}` (with `summary`;
    /// `description` only with `include=description`).
    pub jobs: Vec<FeedJob>,
    pub meta: CorpusMeta,
    #[oai(skip_serializing_if_is_none)]
    pub facets: Option<CorpusFacets>,
}

#[derive(ApiResponse)]
pub enum CorpusResponse {
    #[oai(status = 200)]
    Ok(Json<CorpusBody>),
}

fn counts(c: Option<Counts>) -> Option<Vec<FacetCount>> {
    c.map(|v| v.into_iter().map(|(value, count)| FacetCount { value, count }).collect())
}

fn bucket(b: SalaryBucket) -> SalaryFacetBucket {
    SalaryFacetBucket { min: b.min, max: b.max, count: b.count }
}

impl From<Facets> for CorpusFacets {
    fn from(f: Facets) -> Self {
        CorpusFacets {
            source: counts(f.source),
            country: counts(f.country),
            employment_type: counts(f.employment_type),
            seniority: counts(f.seniority),
            company: counts(f.company),
            salary: f.salary.map(|all| {
                all.into_iter()
                    .map(|(currency, buckets)| SalaryFacet {
                        currency,
                        buckets: buckets.into_iter().map(bucket).collect(),
                    })
                    .collect()
            }),
        }
    }
}

impl CorpusBody {
    pub fn of(a: CorpusAnswer, includes: Includes) -> Self {
        let has_more = a.next_cursor.is_some();
        CorpusBody {
            jobs: a
                .jobs
                .into_iter()
                .map(|s| {
                    let provenance = includes.provenance.then(|| JobProvenance::of(&s.job));
                    let mut job = FeedJob::from(s);
                    if !includes.description {
                        job.job.description = None;
                    }
                    job.job.provenance = provenance;
                    job
                })
                .collect(),
            meta: CorpusMeta {
                total: a.total,
                total_exact: a.total_exact,
                sort: a.sort.as_str().to_owned(),
                order: a.order.as_str().to_owned(),
                next_cursor: a.next_cursor,
                has_more,
            },
            facets: a.facets.map(CorpusFacets::from),
        }
    }
}

pub(crate) fn corpus_error(e: CorpusError) -> ApiError {
    match e {
        CorpusError::Invalid(f) => ApiError::field(Code::ValidationFailed, f.field, f.reason),
        CorpusError::Cursor(_) => ApiError::new(
            Code::InvalidCursor,
            "Invalid cursor: send the `nextCursor` of the previous page with the same filters, sort and order",
        ),
        CorpusError::Store(e) => job_store_error(&e),
    }
}

/// A corpus search's answer (`GET /v1/jobs` and the MCP tool `search_corpus`).
pub(crate) async fn corpus_answer(
    state: &AppState,
    req: &CorpusRequest,
    includes: Includes,
) -> Result<CorpusBody, ApiError> {
    let corpus = &state.jobs.corpus;
    let query = corpus.parse(req).map_err(corpus_error)?;
    let answer = corpus.execute(&query).await.map_err(corpus_error)?;
    Ok(CorpusBody::of(answer, includes))
}

pub struct CorpusApi;

const _: () = assert!(TOTAL_BOUND == 10_000 && COMPANY_FACET_SIZE == 10, "as the document says");

#[OpenApi(tag = "Tag::Jobs")]
impl CorpusApi {
    /// Search the stored corpus
    ///
    /// Every active posting JobIn holds (kept fresh by searches, scheduled ingestion and the
    /// operator's import) with a listing from one of your plan's boards or the import, filtered,
    /// sorted and paged; no board is asked. Without parameters: everything, newest first. Each
    /// merged job appears once. List parameters (`country`, `employment_type`, `seniority`,
    /// `source`, `facets`) take repeated values or comma-separated ones and match any of them.
    ///
    /// - **Salaries** are compared annualized (hour × 2,080, day × 260, week × 52, month × 12) in
    ///   `salary_currency`, never converted: `salary_min` keeps postings whose range reaches it,
    ///   `salary_max` those whose range starts at or below it.
    /// - **Sort**: `relevance` (the default with `q`: words of `q` found in the normalized title,
    ///   then newest; without `q`, newest first), `posted_at` (the default without `q`; undated postings count as oldest) or
    ///   `salary` (the annualized midpoint; needs `salary_currency`); `order` `desc` by default.
    /// - **Paging** is by cursor (keyset): pages never repeat or skip a posting while postings
    ///   land, and page 1,000 costs what page 1 does. `meta.total` is exact up to 10,000
    ///   (`meta.totalExact`), else at least 10,000; always exact when a facet other than `company`
    ///   is asked.
    /// - **Facets** count over everything the filter covers.
    ///
    /// Counts against the monthly quota like a search.
    #[oai(path = "/jobs", method = "get", operation_id = "search_corpus")]
    #[allow(clippy::too_many_arguments)] // one argument per documented parameter
    async fn corpus(
        &self,
        state: Data<&Arc<AppState>>,
        auth: KeyAuth<gate::Corpus>,
        /// Words that must each start a word of the title, company or skills (at most 200
        /// characters): `rust dev` matches "Rust Developer".
        q: Query<Option<String>>,
        /// Country codes: a posting with a place in any of them. Any of the 20 countries a board
        /// serves.
        country: Query<Vec<String>>,
        /// City or region words, matched on every place the posting names (at most 200
        /// characters).
        location: Query<Option<String>>,
        /// Only remote postings (`true`) or only others (`false`).
        remote: Query<Option<bool>>,
        /// Terms of employment: any of them (postings that do not say are left out).
        employment_type: Query<Vec<String>>,
        /// Seniority levels: any of them (stated, or as the title says).
        seniority: Query<Vec<String>>,
        /// Boards (or `import`): postings with a listing from any of them; only your plan's.
        source: Query<Vec<String>>,
        /// A company name, compared folded and without legal suffixes (`Acme Ltd` = `ACME`).
        company: Query<Option<String>>,
        /// Posted on or after this ISO 8601 date (`2026-01-31`) or date-time.
        posted_since: Query<Option<String>>,
        /// Posted before this ISO 8601 date or date-time.
        posted_before: Query<Option<String>>,
        /// Annual amount in `salary_currency`: the posting's range reaches at least this.
        salary_min: Query<Option<f64>>,
        /// Annual amount in `salary_currency`: the posting's range starts at or below this.
        salary_max: Query<Option<f64>>,
        /// ISO 4217 (`GBP`): required with `salary_min`, `salary_max` or `sort=salary`; alone,
        /// only postings paying in it.
        salary_currency: Query<Option<String>>,
        /// Only postings that state a salary (`true`) or that do not (`false`).
        has_salary: Query<Option<bool>>,
        /// Only postings a board tags as sponsoring visas (`true`) or as not (`false`).
        visa_sponsorship: Query<Option<bool>>,
        /// `relevance` (default with `q`), `posted_at` (default without) or `salary`.
        sort: Query<Option<String>>,
        /// `desc` (default) or `asc`.
        order: Query<Option<String>>,
        /// Postings per page, 1–100 (default 20).
        limit: Query<Option<i64>>,
        /// `meta.nextCursor` of the previous page; omit for the first.
        cursor: Query<Option<String>>,
        /// Counts to add: `source`, `country`, `employment_type`, `seniority`, `company`, `salary`.
        facets: Query<Vec<String>>,
        /// `description`: each posting carries its whole `description` too.
        include: Query<Option<String>>,
    ) -> Result<CorpusResponse, CorpusErrorResponse> {
        let includes = Includes::parse(include.0.as_deref(), Includes::CORPUS)?;
        let req = CorpusRequest {
            q: q.0,
            country: country.0,
            location: location.0,
            remote: remote.0,
            employment_type: employment_type.0,
            seniority: seniority.0,
            source: source.0,
            company: company.0,
            posted_since: posted_since.0,
            posted_before: posted_before.0,
            salary_min: salary_min.0,
            salary_max: salary_max.0,
            salary_currency: salary_currency.0,
            has_salary: has_salary.0,
            visa_sponsorship: visa_sponsorship.0,
            sort: sort.0,
            order: order.0,
            limit: limit.0,
            cursor: cursor.0,
            facets: facets.0,
            plan: Some(auth.0.account.plan),
        };
        Ok(CorpusResponse::Ok(Json(corpus_answer(&state, &req, includes).await?)))
    }
}
