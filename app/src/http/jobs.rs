//! `/jobs/*`: job search across the boards, AI enhancement, salary statistics, skill trends,
//! market insight and the AI providers.

use jobin_core::domain::Job;
use jobin_core::usecases::{
    AiChoice, AiError, AnalyticsError, AnalyticsRequest, InsightReport, ProvidersView, SalaryReport, SearchOutcome,
    SearchRequest, TrendsReport,
};
use jobin_core::{Code, ErrorCode};
use poem::web::Data;
use poem_openapi::param::{Header, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::sync::Arc;

use crate::http::Tag;
use crate::http::error::{ApiError, Extra, error_responses};
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
    /// From board tags; with `enhance=true`, plus the skills the model found in the posting (a
    /// skill the posting does not mention is never added).
    pub skills: Vec<String>,
    /// `intern`, `junior`, `mid`, `senior`, `lead` or `executive`, from the title or the board's
    /// level; null when neither says.
    pub seniority: Option<String>,
    pub remote: bool,
    /// The board's page for the job: send users here (boards' terms require the link-back).
    pub url: String,
    /// When the board published it (ISO-8601 UTC); null when the board does not say.
    pub posted_at: Option<String>,
    /// When the board says the posting closes (ISO-8601 UTC); null when it does not say.
    pub valid_through: Option<String>,
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
    /// Whether AI enhancement ran on every job (`enhance=true` and the model answered in time).
    pub enhanced: bool,
    /// The provider asked (`enhance=true`), whether or not it answered; null otherwise.
    pub ai_provider: Option<String>,
    /// The model id asked (`enhance=true`); null otherwise.
    pub ai_model: Option<String>,
    /// Why `enhanced` is false although `enhance=true` was asked (e.g. the 15 s budget ran out);
    /// the jobs are then the unenhanced ones. Null otherwise.
    pub enhance_reason: Option<String>,
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
    503 => Unavailable: "The usage meter (Redis) or the database is unreachable, or (`enhance=true`) the chosen AI provider has no key on this server (`ai_provider_unconfigured`).",
});

error_responses!(AnalyticsErrorResponse {
    400 => BadRequest: "Missing or blank `q`, a parameter over 200 characters or an unsupported `country`; for AI endpoints also a missing `X-AI-Provider`/`X-AI-Model` (`validation_failed`), an unknown provider or model (`unknown_ai_provider`, `unknown_ai_model`, with the valid values) or a model that is coming soon (`ai_model_coming_soon`).",
    401 => Unauthorized: "Missing, invalid or revoked API key (session tokens are not accepted here).",
    403 => Forbidden: "The plan does not include this endpoint or the model's tier (`plan_upgrade_required`, with `upgrade`).",
    429 => TooManyRequests: "Monthly quota spent (`quota_exceeded`) or per-minute limit reached (`rate_limited`, with `Retry-After`).",
    503 => Unavailable: "The AI provider timed out after 15 s (`ai_timeout`) or failed (`ai_unavailable`), both with `Retry-After`; the provider has no key on this server (`ai_provider_unconfigured`); or the usage meter is unreachable.",
});

/// Seconds a client should wait after an AI timeout or failure.
const AI_RETRY_AFTER_SECS: u64 = 30;

/// An AI selection or call failure as the envelope (403s carry `upgrade`).
fn ai_error(e: AiError, upgrade: &str) -> ApiError {
    match &e {
        AiError::HeaderRequired(h) => {
            ApiError::field(Code::ValidationFailed, h, "is required for this endpoint (see GET /jobs/providers)")
        }
        AiError::Select(jobin_core::domain::SelectError::UnknownProvider { valid, .. })
        | AiError::Select(jobin_core::domain::SelectError::UnknownModel { valid, .. }) => {
            let valid: Vec<&str> = valid.split(", ").collect();
            ApiError::new(e.code(), e.to_string()).with_details(serde_json::json!({ "valid": valid }))
        }
        AiError::NotInPlan { required, provider, alias, .. } => ApiError::new(e.code(), e.to_string())
            .with_details(
                serde_json::json!({"required_plan": required.as_str(), "provider": provider.as_str(), "model": alias}),
            )
            .with_extra(Extra { upgrade: Some(upgrade.to_owned()), ..Extra::default() }),
        AiError::Timeout(_) => {
            let mut api = ApiError::new(e.code(), e.to_string());
            api.retry_after = Some(AI_RETRY_AFTER_SECS);
            api
        }
        AiError::Provider(reason) => {
            tracing::warn!(%reason, "AI provider failed");
            let mut api = ApiError::new(e.code(), "The AI provider failed or gave no usable answer; retry later.");
            api.retry_after = Some(AI_RETRY_AFTER_SECS);
            api
        }
        AiError::ComingSoon { .. } | AiError::Unconfigured(_) => ApiError::new(e.code(), e.to_string()),
    }
}

fn analytics_error(e: AnalyticsError, upgrade: &str) -> ApiError {
    match e {
        AnalyticsError::Query(jobin_core::usecases::SearchError::Invalid(f)) => {
            ApiError::field(Code::ValidationFailed, f.field, f.reason)
        }
        AnalyticsError::Ai(e) => ai_error(e, upgrade),
        AnalyticsError::Store(e) => super::feed::job_store_unavailable(&e),
    }
}

/// What an analytics answer covers.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct CoverageItem {
    /// Matching postings in the job store (each job once): every active posting whose title,
    /// company or skills contain words starting with each word of `q`, located in the country
    /// (and `location`), listed by one of your plan's sources or imported.
    pub postings: u64,
    /// Earliest posting date among them (ISO 8601); null when none is dated.
    pub posted_from: Option<String>,
    /// Latest posting date among them; null when none is dated.
    pub posted_to: Option<String>,
    /// The `since` the figures were restricted to, if any.
    pub since: Option<String>,
    /// When the figures were computed (a cached answer keeps its time).
    pub as_of: String,
}

fn coverage_item(c: jobin_core::usecases::Coverage) -> CoverageItem {
    CoverageItem {
        postings: c.postings as u64,
        posted_from: c.posted_from.map(iso_seconds),
        posted_to: c.posted_to.map(iso_seconds),
        since: c.since.map(iso_seconds),
        as_of: iso_seconds(c.as_of),
    }
}

fn choice(provider: Option<String>, model: Option<String>) -> AiChoice {
    AiChoice { provider, model }
}

fn cache_header(hit: bool) -> String {
    if hit { "HIT" } else { "MISS" }.to_owned()
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SalaryExcluded {
    /// Postings without a salary.
    pub without_salary: u64,
    /// Postings whose salary is in another currency (never converted or pooled), per currency.
    pub other_currency: std::collections::BTreeMap<String, u64>,
    /// Postings whose annualized salary is under 1,000 or over 5,000,000.
    pub implausible: u64,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SalaryBody {
    pub query: String,
    pub location: Option<String>,
    /// Lower-case country code.
    pub country: String,
    /// ISO 4217: the country's currency. Every figure is annual, in this currency.
    pub currency: String,
    /// Postings in the sample (each a midpoint of its stated range, annualized: hour × 2,080,
    /// day × 260, week × 52, month × 12).
    pub sample_size: u64,
    /// 25th percentile (linear interpolation between closest ranks); null when `sampleSize` is 0.
    pub p25: Option<f64>,
    pub median: Option<f64>,
    pub p75: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Bucket lower bound → postings in [bound, bound + 10,000); empty when `sampleSize` is 0.
    pub histogram: std::collections::BTreeMap<String, u64>,
    /// Width of a histogram bucket (10,000).
    pub histogram_bucket: u64,
    /// Matching postings in the job store (each job once), including the excluded ones.
    pub postings: u64,
    pub excluded: SalaryExcluded,
    /// Set when there are no figures, saying why.
    pub note: Option<String>,
    pub coverage: CoverageItem,
}

fn salary_body(r: SalaryReport) -> SalaryBody {
    let note = r.stats.is_none().then(|| {
        format!(
            "No posting among {} states a usable salary in {}; there are no figures for this query.",
            r.coverage.postings, r.currency
        )
    });
    let st = r.stats.as_ref();
    SalaryBody {
        sample_size: st.map_or(0, |s| s.sample_size as u64),
        p25: st.map(|s| s.p25),
        median: st.map(|s| s.median),
        p75: st.map(|s| s.p75),
        min: st.map(|s| s.min),
        max: st.map(|s| s.max),
        histogram: st.map(|s| s.histogram.iter().map(|(k, v)| (k.to_string(), *v)).collect()).unwrap_or_default(),
        histogram_bucket: jobin_core::domain::stats::HISTOGRAM_BUCKET,
        postings: r.coverage.postings as u64,
        excluded: SalaryExcluded {
            without_salary: r.without_salary as u64,
            other_currency: r.other_currency.into_iter().map(|(k, v)| (k, v as u64)).collect(),
            implausible: r.implausible as u64,
        },
        note,
        coverage: coverage_item(r.coverage),
        query: r.query,
        location: r.location,
        country: r.country,
        currency: r.currency,
    }
}

#[derive(ApiResponse)]
pub enum SalaryResponse {
    /// Salary statistics (figures null, with a `note`, when no posting states a salary).
    #[oai(status = 200)]
    Ok(
        Json<SalaryBody>,
        /// `HIT` when served from the 6-hour cache.
        #[oai(header = "X-Cache")]
        String,
    ),
}

#[derive(Debug, Object)]
pub struct SkillCountItem {
    pub skill: String,
    pub count: u64,
    /// `count / sampleSize`, two decimals.
    pub ratio: f64,
}

#[derive(Debug, Object)]
pub struct SeniorityItem {
    pub intern: u64,
    pub junior: u64,
    pub mid: u64,
    pub senior: u64,
    pub lead: u64,
    pub executive: u64,
    /// Level not stated and not found by the model.
    pub unknown: u64,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct TrendsBody {
    pub query: String,
    pub location: Option<String>,
    pub country: String,
    pub sample_size: u64,
    pub ai_provider: String,
    /// The model id used.
    pub ai_model: String,
    /// Up to 15 skills, most requested first.
    pub top_skills: Vec<SkillCountItem>,
    pub remote_ratio: f64,
    pub seniority: SeniorityItem,
    pub coverage: CoverageItem,
}

fn trends_body(r: TrendsReport) -> TrendsBody {
    let s = &r.seniority;
    TrendsBody {
        sample_size: r.sample_size as u64,
        top_skills: r
            .top_skills
            .into_iter()
            .map(|k| SkillCountItem { skill: k.skill, count: k.count as u64, ratio: k.ratio })
            .collect(),
        seniority: SeniorityItem {
            intern: s.intern as u64,
            junior: s.junior as u64,
            mid: s.mid as u64,
            senior: s.senior as u64,
            lead: s.lead as u64,
            executive: s.executive as u64,
            unknown: s.unknown as u64,
        },
        remote_ratio: r.remote_ratio,
        coverage: coverage_item(r.coverage),
        query: r.query,
        location: r.location,
        country: r.country,
        ai_provider: r.ai_provider,
        ai_model: r.ai_model,
    }
}

#[derive(ApiResponse)]
pub enum TrendsResponse {
    #[oai(status = 200)]
    Ok(
        Json<TrendsBody>,
        /// `HIT` when served from the 6-hour cache (per query, plan and model).
        #[oai(header = "X-Cache")]
        String,
    ),
}

#[derive(Debug, Object)]
pub struct SkillTrendItem {
    pub skill: String,
    /// `rising`, `stable` or `declining` (newer half of postings against the older half).
    pub trend: String,
}

#[derive(Debug, Object)]
pub struct SalaryRangeItem {
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    /// ISO 4217 (the country's currency).
    pub currency: String,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct InsightItem {
    /// Written by the model from our figures.
    pub summary: String,
    /// Chosen by the model among the skills in the sample.
    pub top_skills: Vec<SkillTrendItem>,
    /// Computed from our data (annual, linear-interpolation percentiles); null when no posting
    /// states a salary.
    pub salary_range: Option<SalaryRangeItem>,
    /// Computed from our data.
    pub remote_ratio: f64,
    /// Written by the model; a finding quoting a number that is not among our figures is dropped.
    pub key_findings: Vec<String>,
    /// `none` (0 postings), `low` (< 15), `medium` (≥ 15), `high` (≥ 50 with ≥ 20 salaries).
    pub data_quality: String,
    pub sample_size: u64,
    pub ai_provider: String,
    pub ai_model: String,
}

#[derive(Debug, Object)]
pub struct InsightBody {
    pub query: String,
    pub location: Option<String>,
    pub country: String,
    pub insight: InsightItem,
    pub coverage: CoverageItem,
}

fn insight_body(r: InsightReport) -> InsightBody {
    InsightBody {
        insight: InsightItem {
            summary: r.summary,
            top_skills: r.top_skills.into_iter().map(|t| SkillTrendItem { skill: t.skill, trend: t.trend }).collect(),
            salary_range: r.salary_range.map(|s| SalaryRangeItem {
                p25: s.p25,
                median: s.median,
                p75: s.p75,
                currency: s.currency,
            }),
            remote_ratio: r.remote_ratio,
            key_findings: r.key_findings,
            data_quality: r.data_quality,
            sample_size: r.sample_size as u64,
            ai_provider: r.ai_provider,
            ai_model: r.ai_model,
        },
        coverage: coverage_item(r.coverage),
        query: r.query,
        location: r.location,
        country: r.country,
    }
}

#[derive(ApiResponse)]
pub enum InsightResponse {
    #[oai(status = 200)]
    Ok(
        Json<InsightBody>,
        /// `HIT` when served from the 6-hour cache (no AI cost).
        #[oai(header = "X-Cache")]
        String,
    ),
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ModelItem {
    /// Use in `X-AI-Model` (the full `modelId` works too).
    pub alias: String,
    /// `lite` or `flagship`.
    pub tier: String,
    /// The upstream model id this server sends.
    pub model_id: String,
}

#[derive(Debug, Object)]
pub struct ProviderItem {
    pub provider: String,
    /// `available`, `degraded` (recent failures), `unconfigured` (no key on this server) or
    /// `coming_soon`.
    pub status: String,
    /// The models your plan may use (empty when none).
    pub models: Vec<ModelItem>,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ProvidersBody {
    pub plan: String,
    /// Used for `enhance=true` when `X-AI-Provider` is not sent.
    pub default_provider: String,
    pub available: Vec<ProviderItem>,
}

fn providers_body(v: ProvidersView) -> ProvidersBody {
    ProvidersBody {
        plan: v.plan.as_str().to_owned(),
        default_provider: v.default_provider.as_str().to_owned(),
        available: v
            .available
            .into_iter()
            .map(|p| ProviderItem {
                provider: p.provider.as_str().to_owned(),
                status: p.status.as_str().to_owned(),
                models: p
                    .models
                    .into_iter()
                    .map(|m| ModelItem { alias: m.alias, tier: m.tier.as_str().to_owned(), model_id: m.model_id })
                    .collect(),
            })
            .collect(),
    }
}

#[derive(ApiResponse)]
pub enum ProvidersResponse {
    #[oai(status = 200)]
    Ok(Json<ProvidersBody>),
}

error_responses!(ProvidersError {
    401 => Unauthorized: "Missing, invalid or revoked API key (session tokens are not accepted here).",
    403 => Forbidden: "The plan does not include this endpoint (`plan_upgrade_required`, with `upgrade`).",
    429 => TooManyRequests: "Monthly quota spent (`quota_exceeded`) or per-minute limit reached (`rate_limited`, with `Retry-After`).",
    503 => Unavailable: "The usage meter (Redis) or the database is unreachable.",
});

pub(crate) fn job_item(j: Job) -> JobItem {
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
        valid_through: j.valid_through.map(iso_seconds),
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
pub(crate) fn iso_seconds(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// What the enhance step did, for `meta`.
struct EnhanceMeta {
    enhanced: bool,
    provider: Option<String>,
    model: Option<String>,
    reason: Option<String>,
}

fn body(outcome: SearchOutcome, e: EnhanceMeta) -> SearchBody {
    SearchBody {
        meta: SearchMeta {
            total: outcome.jobs.len() as u64,
            enhanced: e.enhanced,
            ai_provider: e.provider,
            ai_model: e.model,
            enhance_reason: e.reason,
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

/// The analytics endpoints' shared query, for the caller's plan.
fn analytics_request(
    auth: &KeyAuth,
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
    #[allow(clippy::too_many_arguments)] // one argument per documented parameter and header
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
        /// AI extraction of skills, seniority and remote per job (Pro and up). Degrades to the
        /// unenhanced answer (`meta.enhanced=false`, `meta.enhanceReason`) after 15 s.
        enhance: Query<Option<bool>>,
        /// AI provider for `enhance=true` (default: `defaultProvider` of `GET /jobs/providers`).
        #[oai(name = "X-AI-Provider")]
        ai_provider: Header<Option<String>>,
        /// Model alias or full id for `enhance=true` (default: the provider's first model your
        /// plan may use).
        #[oai(name = "X-AI-Model")]
        ai_model: Header<Option<String>>,
    ) -> Result<SearchResponse, SearchError> {
        let plan = auth.0.account.plan;
        // Validate the AI choice before spending a fan-out on it.
        let selection = if enhance.0.unwrap_or(false) {
            Some(
                state
                    .ai
                    .select(plan, &choice(ai_provider.0, ai_model.0), false)
                    .map_err(|e| ai_error(e, &state.upgrade_url))?,
            )
        } else {
            None
        };
        let req = SearchRequest {
            q: q.0,
            location: location.0,
            country: country.0,
            remote: remote.0.unwrap_or(false),
            plan: Some(auth.0.account.plan),
        };
        let mut outcome = state.search.execute(req).await.map_err(|e| match e {
            jobin_core::usecases::SearchError::Invalid(f) => {
                ApiError::field(jobin_core::Code::ValidationFailed, f.field, f.reason)
            }
        })?;
        let cache = cache_header(outcome.cache_hit);
        let Some(sel) = selection else {
            let none = EnhanceMeta { enhanced: false, provider: None, model: None, reason: None };
            return Ok(SearchResponse::Ok(Json(body(outcome, none)), cache));
        };
        let jobs = std::mem::take(&mut outcome.jobs);
        let done = state.enhancer.run(jobs, &sel).await;
        tracing::info!(
            enhanced = done.enhanced,
            llm_calls = done.llm_calls,
            cache_hits = done.cache_hits,
            provider = %sel.provider(),
            "enhance"
        );
        outcome.jobs = done.jobs;
        let meta = EnhanceMeta {
            enhanced: done.enhanced,
            provider: Some(sel.provider().as_str().to_owned()),
            model: Some(sel.model.model_id.clone()),
            reason: done.reason.map(|r| format!("{}: {r}", r.code())),
        };
        Ok(SearchResponse::Ok(Json(body(outcome, meta)), cache))
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
        auth: KeyAuth,
        /// Job title keywords, e.g. `data scientist` (required, 1–200 characters).
        q: Query<Option<String>>,
        /// City or region.
        location: Query<Option<String>>,
        /// Country code: gb (default), us, au, ca, de, fr.
        country: Query<Option<String>>,
        /// Only postings posted on or after this ISO 8601 date (`2026-01-31`) or date-time.
        since: Query<Option<String>>,
    ) -> Result<SalaryResponse, AnalyticsErrorResponse> {
        let req = analytics_request(&auth, q, location, country, since);
        let r = state.salary.execute(req).await.map_err(|e| analytics_error(e, &state.upgrade_url))?;
        let cache = cache_header(r.cache_hit);
        Ok(SalaryResponse::Ok(Json(salary_body(r)), cache))
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
        auth: KeyAuth,
        /// Role or industry keywords (required).
        q: Query<Option<String>>,
        location: Query<Option<String>>,
        /// Country code: gb (default), us, au, ca, de, fr.
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
        let r = state
            .trends
            .execute(req, &choice(ai_provider.0, ai_model.0))
            .await
            .map_err(|e| analytics_error(e, &state.upgrade_url))?;
        let cache = cache_header(r.cache_hit);
        Ok(TrendsResponse::Ok(Json(trends_body(r)), cache))
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
        auth: KeyAuth,
        /// Role or industry keywords (required).
        q: Query<Option<String>>,
        location: Query<Option<String>>,
        /// Country code: gb (default), us, au, ca, de, fr.
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
        let r = state
            .insight
            .execute(req, &choice(ai_provider.0, ai_model.0))
            .await
            .map_err(|e| analytics_error(e, &state.upgrade_url))?;
        let cache = cache_header(r.cache_hit);
        Ok(InsightResponse::Ok(Json(insight_body(r)), cache))
    }

    /// AI providers and models
    ///
    /// Every provider with its live status (`available`, `degraded` after recent failures,
    /// `unconfigured` without a key on this server, `coming_soon`) and the models your plan may
    /// use. `local` is the built-in rules provider: offline, deterministic, no cost.
    #[oai(path = "/jobs/providers", method = "get", operation_id = "ai_providers")]
    async fn providers(&self, state: Data<&Arc<AppState>>, auth: KeyAuth) -> Result<ProvidersResponse, ProvidersError> {
        Ok(ProvidersResponse::Ok(Json(providers_body(state.ai.providers(auth.0.account.plan)))))
    }
}
