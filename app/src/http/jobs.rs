//! `/jobs/*`: job search across the boards.

use jobin_core::domain::Job;
use jobin_core::usecases::{SearchOutcome, SearchRequest};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::sync::Arc;

use crate::http::Tag;
use crate::http::error::{ApiError, error_responses};
use crate::http::security::KeyAuth;
use crate::wiring::AppState;

#[derive(Debug, Object)]
pub struct JobLocation {
    /// Town or city; empty when the board does not say.
    pub city: String,
    /// ISO 3166-1 alpha-2, upper case; empty when unknown (e.g. remote-anywhere roles).
    pub country: String,
    /// County, state or region; for remote roles, where candidates may live.
    pub region: String,
}

#[derive(Debug, Object)]
pub struct JobSalary {
    pub min: f64,
    pub max: f64,
    /// ISO 4217 (`GBP`, `USD`, `EUR`, …). Boards without a currency field get the country's.
    pub currency: String,
    /// `hour`, `day`, `week`, `month` or `year`. Where a board gives no period (Reed), amounts
    /// under 150 are hourly, under 2,000 daily, anything else yearly.
    pub period: String,
}

/// One board's listing of a merged job.
#[derive(Debug, Object)]
pub struct JobCopy {
    pub source: String,
    pub id: String,
    pub url: String,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct JobItem {
    /// `source:native_id`, stable across searches.
    pub id: String,
    /// The board whose listing this is (the highest-priority copy).
    pub source: String,
    pub title: String,
    pub company: String,
    pub location: JobLocation,
    /// Null when no board states a salary.
    pub salary: Option<JobSalary>,
    /// From board tags (AI extraction with `enhance=true` arrives with the AI providers).
    pub skills: Vec<String>,
    /// `intern`, `junior`, `mid`, `senior`, `lead` or `executive`, from the title or the board's
    /// level; null when neither says.
    pub seniority: Option<String>,
    pub remote: bool,
    /// The board's page for the job: send users here (boards' terms require the link-back).
    pub url: String,
    /// When the board published it (ISO-8601 UTC); null when the board does not say.
    pub posted_at: Option<String>,
    /// When JobIn fetched it (ISO-8601 UTC).
    pub fetched_at: String,
    /// The credit the board's terms ask for, e.g. "Jobs by Adzuna".
    pub attribution: String,
    /// Every board listing merged into this job (this one first), so no listing is lost.
    pub copies: Vec<JobCopy>,
}

#[derive(Debug, Object)]
pub struct SourceMeta {
    /// Board name: adzuna, remotive, findwork, reed, arbeitnow, themuse.
    pub name: String,
    /// Listings this board returned for the search (before deduplication).
    pub count: u64,
    /// `ok`, `cached`, `timeout`, `error`, `unconfigured`, `not_in_plan` or `budget_exhausted`.
    pub status: String,
    /// How long the board took (0 when not asked or served from cache).
    pub latency_ms: u64,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SearchMeta {
    /// Jobs in this answer, after deduplication.
    pub total: u64,
    /// Whether AI enhancement ran (always false until the AI providers arrive).
    pub enhanced: bool,
    pub ai_provider: Option<String>,
    pub ai_model: Option<String>,
    /// The plan's boards that can serve the country, asked ones first in priority order, then the
    /// boards the plan does not include.
    pub sources: Vec<SourceMeta>,
}

#[derive(Debug, Object)]
pub struct SearchBody {
    pub meta: SearchMeta,
    pub jobs: Vec<JobItem>,
}

#[derive(ApiResponse)]
pub enum SearchResponse {
    /// Merged results from the plan's boards; boards that failed are listed with their status.
    #[oai(status = 200)]
    Ok(
        Json<SearchBody>,
        /// `HIT` when served from the 15-minute cache, `MISS` otherwise.
        #[oai(header = "X-Cache")]
        String,
    ),
}

error_responses!(SearchError {
    400 => BadRequest: "Missing or blank `q`, a parameter over 200 characters, an unsupported `country`, or a malformed `remote`.",
    401 => Unauthorized: "Missing, invalid or revoked API key (session tokens are not accepted here).",
    403 => Forbidden: "The plan does not include this endpoint (`plan_upgrade_required`, with `upgrade`).",
    429 => TooManyRequests: "Monthly quota spent (`quota_exceeded`, with `limit`, `used`, `resets`, `upgrade`) or per-minute limit reached (`rate_limited`, with `Retry-After`).",
    503 => Unavailable: "The usage meter (Redis) or the database is unreachable.",
});

fn job_item(j: Job) -> JobItem {
    JobItem {
        attribution: j.source.attribution().to_owned(),
        source: j.source.as_str().to_owned(),
        location: JobLocation { city: j.location.city, country: j.location.country, region: j.location.region },
        salary: j.salary.map(|s| JobSalary {
            min: round_cents(s.min),
            max: round_cents(s.max),
            currency: s.currency,
            period: s.period.as_str().to_owned(),
        }),
        seniority: j.seniority.map(|s| s.as_str().to_owned()),
        posted_at: j.posted_at.map(iso_seconds),
        fetched_at: iso_seconds(j.fetched_at),
        copies: j
            .copies
            .into_iter()
            .map(|c| JobCopy { source: c.source.as_str().to_owned(), id: c.id, url: c.url })
            .collect(),
        id: j.id,
        title: j.title,
        company: j.company,
        skills: j.skills,
        remote: j.remote,
        url: j.url,
    }
}

fn round_cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// `2025-04-10T09:00:00Z`, the document's job timestamp format.
fn iso_seconds(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn body(outcome: SearchOutcome) -> SearchBody {
    SearchBody {
        meta: SearchMeta {
            total: outcome.jobs.len() as u64,
            enhanced: false,
            ai_provider: None,
            ai_model: None,
            sources: outcome
                .sources
                .iter()
                .map(|s| SourceMeta {
                    name: s.source.as_str().to_owned(),
                    count: s.count as u64,
                    status: s.status.as_str().to_owned(),
                    latency_ms: s.latency_ms,
                })
                .collect(),
        },
        jobs: outcome.jobs.into_iter().map(job_item).collect(),
    }
}

pub struct JobsApi;

#[OpenApi(tag = "Tag::Jobs")]
impl JobsApi {
    /// Search jobs across the boards
    ///
    /// Asks the plan's boards that cover the country in parallel (Free: Adzuna; Starter: +
    /// Remotive, Findwork; Pro: + Reed, Arbeitnow; Scale: + The Muse), with smart routing
    /// deciding precedence (gb → Reed, us → The Muse, de → Arbeitnow, `remote=true` → Remotive and
    /// Findwork first). Duplicates across boards are merged by title + company + city; each merged
    /// job lists its `copies`. A board that fails or times out is reported in `meta.sources` and
    /// never fails the search. Answers are cached 15 minutes per query and plan (`X-Cache`).
    #[oai(path = "/jobs/search", method = "get", operation_id = "search_jobs")]
    async fn search(
        &self,
        state: Data<&Arc<AppState>>,
        auth: KeyAuth,
        /// Keywords, e.g. `python developer` (required, 1–200 characters).
        q: Query<Option<String>>,
        /// City or region, e.g. `London`.
        location: Query<Option<String>>,
        /// Country code: gb (default), us, au, ca, de, fr.
        country: Query<Option<String>>,
        /// Prioritize remote-friendly boards (Remotive, Findwork).
        remote: Query<Option<bool>>,
    ) -> Result<SearchResponse, SearchError> {
        let req = SearchRequest {
            q: q.0,
            location: location.0,
            country: country.0,
            remote: remote.0.unwrap_or(false),
            plan: Some(auth.0.account.plan),
        };
        let outcome = state.search.execute(req).await.map_err(|e| match e {
            jobin_core::usecases::SearchError::Invalid(f) => {
                ApiError::field(jobin_core::Code::ValidationFailed, f.field, f.reason)
            }
        })?;
        let cache = if outcome.cache_hit { "HIT" } else { "MISS" };
        Ok(SearchResponse::Ok(Json(body(outcome)), cache.to_owned()))
    }
}
