//! `/jobs/*`: job search across the boards, AI enhancement, salary statistics, skill trends,
//! market insight and the AI providers. Handlers only: the answers are in `dto` and `reports`, the
//! error responses in `errors`, the work in the use cases.

mod dto;
pub(crate) mod errors;
mod reports;

pub use dto::*;
pub use errors::{AnalyticsErrorResponse, GetJobErrorResponse, ProvidersErrorResponse, SearchErrorResponse};
pub use reports::*;

use jobin_core::services::AiChoice;
use jobin_core::usecases::{AnalyticsError, AnalyticsRequest, SearchJobsRequest, SearchQuery, SearchRequest};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use std::sync::Arc;

use crate::http::Tag;
use crate::http::encoded::Encoded;
use crate::http::error::ApiError;
use crate::http::gate;
use crate::http::security::KeyAuth;
use crate::state::AppState;

/// The AI provider and model a request chose.
pub(crate) fn choice(provider: Option<String>, model: Option<String>) -> AiChoice {
    AiChoice { provider, model }
}

/// The analytics endpoints' shared query, for the caller's plan.
fn analytics_request<G: gate::Gate>(
    auth: &KeyAuth<G>,
    q: Query<Option<String>>,
    location: Query<Option<String>>,
    country: Query<Option<String>>,
    since: Query<Option<String>>,
) -> AnalyticsRequest {
    AnalyticsRequest {
        q: q.0,
        location: location.0,
        country: country.0,
        since: since.0,
        plan: Some(auth.0.account.plan),
    }
}

/// An analytics answer as its body and `X-Cache`, or its error as the envelope.
fn analytics_answer<R, B: From<R>>(
    state: &AppState,
    result: Result<R, AnalyticsError>,
    cache_hit: impl Fn(&R) -> bool,
) -> Result<(Json<B>, String), ApiError> {
    let hit = result.as_ref().is_ok_and(cache_hit);
    Ok((Json(analytics_body(state, result)?), cache_header(hit)))
}

/// An analytics answer's body, or its error as the envelope (over REST and MCP).
pub(crate) fn analytics_body<R, B: From<R>>(
    state: &AppState,
    result: Result<R, AnalyticsError>,
) -> Result<B, ApiError> {
    result.map(B::from).map_err(|e| errors::analytics_error(e, &state.urls.upgrade))
}

/// A job search's answer (`search_jobs`, over REST and MCP): the encoded body and whether the
/// search cache answered it.
pub(crate) async fn search_answer(
    state: &AppState,
    req: &SearchJobsRequest,
    with_description: bool,
) -> Result<crate::answers::EncodedAnswer, ApiError> {
    state.jobs.search.answer(req, with_description).await.map_err(|e| errors::search_error(e, &state.urls.upgrade))
}

/// One stored job by its id or a copy's (`get_job`, over REST and MCP).
pub(crate) async fn job_answer(state: &AppState, id: &str) -> Result<crate::http::jobs::FeedJob, ApiError> {
    let stored = state.jobs.get.execute(id).await.map_err(|e| match e {
        jobin_core::usecases::GetJobError::Expired { ref id, expired_at, reason } => {
            let reason = reason.map(|r| r.as_str());
            let details = serde_json::json!({"id": id, "expiredAt": iso_seconds(expired_at), "expiredReason": reason});
            ApiError::from_usecase(e).with_details(details)
        }
        jobin_core::usecases::GetJobError::Store(ref store) => crate::http::jobs::errors::job_store_error(store),
        e => ApiError::from_usecase(e),
    })?;
    let provenance = crate::http::jobs::JobProvenance::of(&stored.job);
    let mut answer = crate::http::jobs::FeedJob::from(stored);
    answer.job.provenance = Some(provenance);
    Ok(answer)
}

pub struct JobsApi;

#[OpenApi(tag = "Tag::Jobs")]
impl JobsApi {
    /// Search jobs across the boards
    ///
    /// Asks the plan's boards that cover the country in parallel (Free: Adzuna; Starter: +
    /// Remotive, Findwork; Pro: + Reed, Arbeitnow; Scale: + The Muse), with smart routing
    /// deciding precedence (gb → Reed, us → The Muse, de at ch nl pl cz → Arbeitnow, `remote=true` → Remotive and
    /// Findwork first). Duplicates across boards are merged by title + company + city; each merged
    /// job lists its `copies`. A board that fails or times out is reported in `meta.sources` and
    /// never fails the search. Answers are cached 15 minutes per query and plan (`X-Cache`).
    #[oai(path = "/jobs/search", method = "get", operation_id = "search_jobs")]
    #[allow(clippy::too_many_arguments)] // one argument per documented parameter and header
    async fn search(
        &self,
        state: Data<&Arc<AppState>>,
        auth: KeyAuth<gate::Search>,
        /// Keywords, e.g. `python developer` (required, 1–200 characters).
        q: Query<Option<String>>,
        /// City or region, e.g. `London`.
        location: Query<Option<String>>,
        /// Country code, gb by default: any of the 20 countries a board serves (the value set lists them).
        country: Query<Option<String>>,
        /// Prioritize remote-friendly boards (Remotive, Findwork).
        remote: Query<Option<bool>>,
        /// AI extraction of skills, seniority and remote per job (Pro and up). Degrades to the
        /// unenhanced answer (`meta.enhanced=false`, `meta.enhanceReason`) after 15 s.
        enhance: Query<Option<bool>>,
        /// AI provider for `enhance=true` (default: `defaultProvider` of `GET /v1/jobs/providers`).
        #[oai(name = "X-AI-Provider")]
        ai_provider: Header<Option<String>>,
        /// Model alias or full id for `enhance=true` (default: the provider's first model your
        /// plan may use).
        #[oai(name = "X-AI-Model")]
        ai_model: Header<Option<String>>,
        /// `description`: each job carries its whole `description` too (default: `summary` only,
        /// to keep answers light).
        include: Query<Option<String>>,
    ) -> Result<SearchResponse, SearchErrorResponse> {
        let with_description = Includes::parse(include.0.as_deref(), Includes::SEARCH)?.description;
        let search = SearchRequest {
            q: q.0,
            location: location.0,
            country: country.0,
            remote: remote.0.unwrap_or(false),
            plan: Some(auth.0.account.plan),
        };
        let query = SearchQuery::parse(search).map_err(errors::query_error)?;
        let req =
            SearchJobsRequest { query, enhance: enhance.0.unwrap_or(false).then(|| choice(ai_provider.0, ai_model.0)) };
        let answer = search_answer(&state, &req, with_description).await?;
        Ok(SearchResponse::Ok(Encoded::from_bytes(answer.body), cache_header(answer.cache_hit)))
    }

    /// One job by id
    ///
    /// The stored job with every field, its whole `description` and its `copies`. `id` is a job's
    /// `id` (`source:native`, e.g. `reed:55012345`) or the id of any of its `copies` (the answer's
    /// `id` is then the job the listing was merged into). Ids contain `:`, which may be sent as
    /// is or percent-encoded (`reed%3A55012345`); other reserved characters in an id (`/`, `?`,
    /// `#`, `%`) must be percent-encoded. An expired job answers 410 `job_expired` with
    /// `details.expiredAt` and `details.expiredReason` (`left_listing`: a board's full listing no
    /// longer has it; `gone`: its board reported it gone; `age`: not seen for the expiry age or past
    /// its closing date; null when it expired before reasons were recorded). Every plan; counts
    /// against the monthly quota like a search.
    #[oai(path = "/jobs/:id", method = "get", operation_id = "get_job")]
    async fn get_job(
        &self,
        state: Data<&Arc<AppState>>,
        _auth: KeyAuth<gate::JobGet>,
        /// A job id or a merged listing's id, e.g. `reed:55012345`.
        id: Path<String>,
    ) -> Result<JobResponse, GetJobErrorResponse> {
        Ok(JobResponse::Ok(Json(job_answer(&state, &id.0).await?)))
    }

    /// Salary percentiles and histogram
    ///
    /// Annual salary statistics over every matching posting in the job store (kept fresh by
    /// searches, scheduled ingestion and the operator's import; see `coverage`), in the
    /// country's currency: p25, median and p75 by linear interpolation between closest ranks,
    /// min, max and a histogram in 10,000 buckets. Each posting counts once, at the midpoint of
    /// its range, annualized (hour × 2,080, day × 260, week × 52, month × 12). Salaries in other
    /// currencies are never converted or pooled: they are excluded and counted in `excluded`.
    /// With no usable salary the figures are null and `note` says why. Cached 6 hours per query
    /// and plan.
    #[oai(path = "/jobs/salary", method = "get", operation_id = "salary_stats")]
    async fn salary(
        &self,
        state: Data<&Arc<AppState>>,
        auth: KeyAuth<gate::Salary>,
        /// Job title keywords, e.g. `data scientist` (required, 1–200 characters).
        q: Query<Option<String>>,
        /// City or region.
        location: Query<Option<String>>,
        /// Country code, gb by default: any of the 20 countries a board serves (the value set lists them).
        country: Query<Option<String>>,
        /// Only postings posted on or after this ISO 8601 date (`2026-01-31`) or date-time.
        since: Query<Option<String>>,
    ) -> Result<SalaryResponse, AnalyticsErrorResponse> {
        let req = analytics_request(&auth, q, location, country, since);
        let (body, cache) = analytics_answer(&state, state.jobs.salary.execute(req).await, |r| r.cache_hit)?;
        Ok(SalaryResponse::Ok(body, cache))
    }

    /// AI skill trends
    ///
    /// Skill, remote and seniority counts over every matching posting in the job store (see
    /// `coverage`). A posting's skills are its board tags plus the dictionary skills its title or
    /// description mentions; remote when the board or the text says so; seniority as stated or
    /// as the title says. Requires `X-AI-Provider` and `X-AI-Model` (checked against your plan;
    /// they key the cache and are echoed): the figures are computed by JobIn, the same for every
    /// model. Cached 6 hours per query, plan and model.
    #[oai(path = "/jobs/trends", method = "get", operation_id = "skill_trends")]
    #[allow(clippy::too_many_arguments)] // one argument per documented parameter and header
    async fn trends(
        &self,
        state: Data<&Arc<AppState>>,
        auth: KeyAuth<gate::Trends>,
        /// Role or industry keywords (required).
        q: Query<Option<String>>,
        location: Query<Option<String>>,
        /// Country code, gb by default: any of the 20 countries a board serves (the value set lists them).
        country: Query<Option<String>>,
        /// Only postings posted on or after this ISO 8601 date (`2026-01-31`) or date-time.
        since: Query<Option<String>>,
        /// AI provider, e.g. `qwen` or `local` (required).
        #[oai(name = "X-AI-Provider")]
        ai_provider: Header<Option<String>>,
        /// Model alias or full id, e.g. `turbo` (required).
        #[oai(name = "X-AI-Model")]
        ai_model: Header<Option<String>>,
    ) -> Result<TrendsResponse, AnalyticsErrorResponse> {
        let req = analytics_request(&auth, q, location, country, since);
        let result = state.jobs.trends.execute(req, &choice(ai_provider.0, ai_model.0)).await;
        let (body, cache) = analytics_answer(&state, result, |r| r.cache_hit)?;
        Ok(TrendsResponse::Ok(body, cache))
    }

    /// AI market insight
    ///
    /// A market report: the model writes `summary`, picks `topSkills` with a trend and states
    /// `keyFindings` from figures we compute over every matching posting in the job store
    /// (`salaryRange`, `remoteRatio`, `sampleSize`, `dataQuality`; see `coverage`), which never
    /// come from the model. Requires `X-AI-Provider` and
    /// `X-AI-Model`. The same query and model is cached 6 hours at no AI cost. Provider timeout
    /// (15 s): 503 `ai_timeout` with `Retry-After`.
    #[oai(path = "/jobs/insight", method = "get", operation_id = "market_insight")]
    #[allow(clippy::too_many_arguments)] // one argument per documented parameter and header
    async fn insight(
        &self,
        state: Data<&Arc<AppState>>,
        auth: KeyAuth<gate::Insight>,
        /// Role or industry keywords (required).
        q: Query<Option<String>>,
        location: Query<Option<String>>,
        /// Country code, gb by default: any of the 20 countries a board serves (the value set lists them).
        country: Query<Option<String>>,
        /// Only postings posted on or after this ISO 8601 date (`2026-01-31`) or date-time.
        since: Query<Option<String>>,
        /// AI provider, e.g. `qwen` or `local` (required).
        #[oai(name = "X-AI-Provider")]
        ai_provider: Header<Option<String>>,
        /// Model alias or full id, e.g. `turbo` (required).
        #[oai(name = "X-AI-Model")]
        ai_model: Header<Option<String>>,
    ) -> Result<InsightResponse, AnalyticsErrorResponse> {
        let req = analytics_request(&auth, q, location, country, since);
        let result = state.jobs.insight.execute(req, &choice(ai_provider.0, ai_model.0)).await;
        let (body, cache) = analytics_answer(&state, result, |r| r.cache_hit)?;
        Ok(InsightResponse::Ok(body, cache))
    }

    /// AI providers and models
    ///
    /// Every provider with its live status (`available`, `degraded` after recent failures,
    /// `unconfigured` without a key on this server, `coming_soon`) and the models your plan may
    /// use. `local` is the built-in rules provider: offline, deterministic, no cost.
    #[oai(path = "/jobs/providers", method = "get", operation_id = "ai_providers")]
    async fn providers(
        &self,
        state: Data<&Arc<AppState>>,
        auth: KeyAuth<gate::Providers>,
    ) -> Result<ProvidersResponse, ProvidersErrorResponse> {
        Ok(ProvidersResponse::Ok(Json(ProvidersBody::from(state.jobs.ai.providers(auth.0.account.plan)))))
    }
}

/// What `include` asks for beside the default fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Includes {
    /// Each job's whole `description`.
    pub description: bool,
    /// Each job's `provenance`.
    pub provenance: bool,
}

impl Includes {
    /// The extras an operation offers, as its `include` names them.
    pub(crate) const SEARCH: &'static [&'static str] = &["description"];
    pub(crate) const CORPUS: &'static [&'static str] = &["description", "provenance"];

    /// `include`: a comma-separated list of the extras in `offered` (case and spaces aside).
    pub(crate) fn parse(include: Option<&str>, offered: &[&str]) -> Result<Self, ApiError> {
        let mut with = Includes::default();
        for item in include.unwrap_or_default().split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match offered.iter().find(|o| o.eq_ignore_ascii_case(item)).copied() {
                Some("description") => with.description = true,
                Some("provenance") => with.provenance = true,
                _ => {
                    let values: Vec<String> = offered.iter().map(|o| format!("`{o}`")).collect();
                    let valid = match values.as_slice() {
                        [one] => format!("the one value is {one}"),
                        all => format!("the values are {}", all.join(", ")),
                    };
                    return Err(ApiError::field(
                        jobin_core::Code::ValidationFailed,
                        "include",
                        format!("unknown value `{item}`; {valid}"),
                    ));
                }
            }
        }
        Ok(with)
    }
}
