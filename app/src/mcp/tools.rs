//! The MCP tools. Each is a REST operation (same name as its operation id, or close to it): its
//! arguments parse into a poem-openapi type (the REST request body itself where the operation
//! takes one), its call passes the operation's gate (`http::gate`) and runs the use case through
//! the same function as the REST handler, and its result is the REST answer's JSON.

use jobin_core::Code;
use jobin_core::domain::Scopes;
use jobin_core::services::AiChoice;
use jobin_core::usecases::{
    AnalyticsRequest, ListRequest, Metered, Principal, SearchJobsRequest, SearchQuery, SearchRequest,
};
use poem_openapi::Object;
use poem_openapi::types::{ParseFromJSON, ToJSON, Type};
use rmcp::model::{Tool, ToolAnnotations};
use serde_json::Value;

use super::schema;
use crate::http::context::RequestSlot;
use crate::http::error::ApiError;
use crate::http::gate::{self, Gate};
use crate::http::searches::NewSavedSearch;
use crate::http::tracker::NewApplication;
use crate::http::{jobs, searches, security, tracker};
use crate::state::AppState;

/// Who calls, on which request.
pub struct Caller<'a> {
    pub state: &'a AppState,
    pub principal: &'a Principal,
    /// The HTTP request's slot: the rate status goes to its response headers and log line.
    pub slot: Option<&'a RequestSlot>,
}

impl Caller<'_> {
    /// The quota stage of the operation behind a tool.
    async fn admit(&self, metered: Metered, scopes: Scopes) -> Result<(), ApiError> {
        security::admit(self.state, self.principal, self.slot, metered, scopes, true).await
    }

    async fn admit_as<G: Gate>(&self) -> Result<(), ApiError> {
        self.admit(G::METERED, G::SCOPES).await
    }
}

/// A tool as `tools/list` shows it.
struct Spec {
    name: &'static str,
    /// The metrics' `route` label of its calls.
    route: &'static str,
    title: &'static str,
    description: &'static str,
    /// Changes nothing (the tracker and saved-search tools write).
    read_only: bool,
    /// Reaches the job boards (a live search).
    open_world: bool,
    schema: fn() -> serde_json::Map<String, Value>,
}

const SPECS: &[Spec] = &[
    Spec {
        name: "search_jobs",
        route: "mcp_search_jobs",
        title: "Search jobs",
        description: "Search job postings across the boards your plan includes (GET /v1/jobs/search): jobs merged \
across boards (each lists its copies), with salary, location, skills and links; meta says which boards answered. \
Counts against the monthly quota like the REST search. `include_description` adds whole descriptions (large).",
        read_only: true,
        open_world: true,
        schema: schema::of::<SearchJobsInput>,
    },
    Spec {
        name: "get_job",
        route: "mcp_get_job",
        title: "Get a job",
        description: "One stored job by id (GET /v1/jobs/{id}): every field, its whole description and its copies. \
`id` is a job's `id` from search_jobs (e.g. `reed:55012345`) or one of its copies' ids.",
        read_only: true,
        open_world: false,
        schema: schema::of::<GetJobInput>,
    },
    Spec {
        name: "search_corpus",
        route: "mcp_search_corpus",
        title: "Search stored postings",
        description: "Search every stored posting your plan reads (GET /v1/jobs), without asking the boards: filter \
by words, countries, place, remote, employment type, seniority, board, company, dates, annualized salary (in one \
currency, never converted), visa sponsorship; sort by relevance, date or salary; page with `cursor` (the previous \
answer's meta.nextCursor); `facets` adds counts per value over everything matching. Lists take several values. \
Counts against the monthly quota like a search.",
        read_only: true,
        open_world: false,
        schema: schema::of::<CorpusInput>,
    },
    Spec {
        name: "salary_stats",
        route: "mcp_salary_stats",
        title: "Salary percentiles",
        description: "Annual salary percentiles (p25, median, p75), min, max and a histogram over every matching \
stored posting, in the country's currency (GET /v1/jobs/salary). Postings in other currencies are excluded and \
counted, never converted; with no usable salary the figures are null and `note` says why.",
        read_only: true,
        open_world: false,
        schema: schema::of::<AnalyticsInput>,
    },
    Spec {
        name: "skill_trends",
        route: "mcp_skill_trends",
        title: "Skill trends",
        description: "Skill, remote and seniority counts over every matching stored posting (GET /v1/jobs/trends). \
Needs an AI provider and model (`local` and `rules` work everywhere, offline); the figures are computed by JobIn, \
the same for every model.",
        read_only: true,
        open_world: false,
        schema: schema::of::<AiAnalyticsInput>,
    },
    Spec {
        name: "market_insight",
        route: "mcp_market_insight",
        title: "Market insight",
        description: "A market report (GET /v1/jobs/insight): the model writes the summary, top skills and key \
findings from figures JobIn computes over the stored postings (salary range, remote ratio, sample size), which \
never come from the model. Needs an AI provider and model (`local` and `rules` work everywhere, offline).",
        read_only: true,
        open_world: false,
        schema: schema::of::<AiAnalyticsInput>,
    },
    Spec {
        name: "list_applications",
        route: "mcp_list_applications",
        title: "List tracked applications",
        description: "One page of your tracked job applications (GET /v1/applications), sorted, filtered by status, \
tag or dates, and searched by words.",
        read_only: true,
        open_world: false,
        schema: schema::of::<ListApplicationsInput>,
    },
    Spec {
        name: "save_application",
        route: "mcp_save_application",
        title: "Save an application",
        description: "Save a job application in your tracker (POST /v1/applications): with `job_id` (from \
search_jobs) the job's title, company, location, salary and URL are copied; without it `job_title` and \
`company_name` are required. Status `saved` unless given.",
        read_only: false,
        open_world: false,
        schema: schema::of::<NewApplication>,
    },
    Spec {
        name: "create_saved_search",
        route: "mcp_create_saved_search",
        title: "Save a search",
        description: "Save a search (POST /v1/searches) to be told about new postings that match it: their events \
are listed by GET /v1/searches/{id}/matches, sent to `webhook_url` when given (its signing secret is in this \
answer only), and emailed in a daily digest with `digest`. Your plan holds a number of saved searches.",
        read_only: false,
        open_world: false,
        schema: schema::of::<NewSavedSearch>,
    },
];

/// The tools' names, in listing order.
pub fn names() -> impl Iterator<Item = &'static str> {
    SPECS.iter().map(|s| s.name)
}

/// Every tool, as `tools/list` answers.
pub fn list() -> &'static [Tool] {
    // Built once: each schema comes from a type registry, the same on every call.
    static TOOLS: std::sync::OnceLock<Vec<Tool>> = std::sync::OnceLock::new();
    TOOLS.get_or_init(|| {
        SPECS
            .iter()
            .map(|s| {
                let annotations = ToolAnnotations::with_title(s.title)
                    .read_only(s.read_only)
                    .destructive(false)
                    .idempotent(s.read_only)
                    .open_world(s.open_world);
                Tool::new(s.name, s.description, (s.schema)()).with_title(s.title).with_annotations(annotations)
            })
            .collect()
    })
}

/// The metrics' `route` label of a call of the tool `name`.
pub fn route(name: &str) -> Option<&'static str> {
    SPECS.iter().find(|s| s.name == name).map(|s| s.route)
}

/// Runs the tool `name` (`None`: there is no such tool).
pub async fn call(c: &Caller<'_>, name: &str, args: Value) -> Option<Result<Value, ApiError>> {
    Some(match name {
        "search_jobs" => search_jobs(c, args).await,
        "get_job" => get_job(c, args).await,
        "search_corpus" => search_corpus(c, args).await,
        "salary_stats" => salary_stats(c, args).await,
        "skill_trends" => skill_trends(c, args).await,
        "market_insight" => market_insight(c, args).await,
        "list_applications" => list_applications(c, args).await,
        "save_application" => save_application(c, args).await,
        "create_saved_search" => create_saved_search(c, args).await,
        _ => return None,
    })
}

/// The arguments as `I`, or a 400 `validation_failed` naming what is wrong with them.
fn parse<I: ParseFromJSON + Type>(args: Value) -> Result<I, ApiError> {
    I::parse_from_json(Some(args)).map_err(|e| {
        let reason = e.into_message();
        ApiError::new(Code::ValidationFailed, format!("arguments: {reason}"))
            .with_details(serde_json::json!({"field": "arguments", "reason": reason}))
    })
}

fn json<T: ToJSON>(body: &T) -> Value {
    body.to_json().unwrap_or_default()
}

/// `search_jobs`'s arguments: `GET /v1/jobs/search`'s parameters and headers.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
struct SearchJobsInput {
    /// Keywords, e.g. `python developer` (1–200 characters).
    q: String,
    /// City or region, e.g. `London`.
    location: Option<String>,
    /// Country code, gb by default: any of the 20 countries a board serves (the value set lists them).
    country: Option<String>,
    /// Put remote-friendly boards first (default false).
    remote: Option<bool>,
    /// AI extraction of skills, seniority and remote per job (Pro and up; needs the `ai:use` scope).
    enhance: Option<bool>,
    /// AI provider for `enhance` (default: the server's default provider).
    ai_provider: Option<String>,
    /// Model alias or id for `enhance` (default: the provider's first model your plan may use).
    ai_model: Option<String>,
    /// Include each job's whole description (default false: a summary only).
    include_description: Option<bool>,
}

async fn search_jobs(c: &Caller<'_>, args: Value) -> Result<Value, ApiError> {
    let input: SearchJobsInput = parse(args)?;
    let enhance = input.enhance.unwrap_or(false);
    c.admit(gate::Search::METERED, gate::Search::scopes(enhance)).await?;
    let search = SearchRequest {
        q: Some(input.q),
        location: input.location,
        country: input.country,
        remote: input.remote.unwrap_or(false),
        plan: Some(c.principal.account.plan),
    };
    let query = SearchQuery::parse(search).map_err(jobs::errors::query_error)?;
    let req = SearchJobsRequest { query, enhance: enhance.then(|| jobs::choice(input.ai_provider, input.ai_model)) };
    let answer = jobs::search_answer(c.state, &req, input.include_description.unwrap_or(false)).await?;
    // The answer's own bytes, as REST sends them.
    serde_json::from_slice(&answer.body).map_err(|_| ApiError::internal())
}

/// `get_job`'s arguments.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
struct GetJobInput {
    /// A job id or a copy's id, e.g. `reed:55012345`.
    id: String,
}

async fn get_job(c: &Caller<'_>, args: Value) -> Result<Value, ApiError> {
    let input: GetJobInput = parse(args)?;
    c.admit_as::<gate::JobGet>().await?;
    Ok(json(&jobs::job_answer(c.state, &input.id).await?))
}

/// `search_corpus`'s arguments: `GET /v1/jobs`'s parameters (lists as arrays).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
struct CorpusInput {
    /// Words that must each start a word of the title, company or skills.
    q: Option<String>,
    /// Country codes (any of the 20 countries a board serves): a posting in any of them.
    country: Option<Vec<String>>,
    /// City or region words.
    location: Option<String>,
    remote: Option<bool>,
    /// `full_time`, `part_time`, `contract`, `internship`, `temporary`: any of them.
    employment_type: Option<Vec<String>>,
    /// `intern`, `junior`, `mid`, `senior`, `lead`, `executive`: any of them.
    seniority: Option<Vec<String>>,
    /// Boards (or `import`): a listing from any of them.
    source: Option<Vec<String>>,
    /// A company name (compared folded, without legal suffixes).
    company: Option<String>,
    /// Posted on or after this ISO 8601 date or date-time.
    posted_since: Option<String>,
    /// Posted before this ISO 8601 date or date-time.
    posted_before: Option<String>,
    /// Annual amount in `salary_currency` the range must reach.
    salary_min: Option<f64>,
    /// Annual amount in `salary_currency` the range must start at or below.
    salary_max: Option<f64>,
    /// ISO 4217 currency of the salary conditions and of `sort=salary`.
    salary_currency: Option<String>,
    has_salary: Option<bool>,
    visa_sponsorship: Option<bool>,
    /// `relevance` (default with q), `posted_at` (default without) or `salary`.
    sort: Option<String>,
    /// `desc` (default) or `asc`.
    order: Option<String>,
    /// 1–100 (default 20).
    limit: Option<i64>,
    /// The previous answer's `meta.nextCursor`, with the same other arguments.
    cursor: Option<String>,
    /// `source`, `country`, `employment_type`, `seniority`, `company`, `salary`.
    facets: Option<Vec<String>>,
    /// Include each posting's whole description (default false: a summary only).
    include_description: Option<bool>,
    /// Include each posting's `provenance`: which board listing supplied each field (default false).
    include_provenance: Option<bool>,
}

async fn search_corpus(c: &Caller<'_>, args: Value) -> Result<Value, ApiError> {
    let i: CorpusInput = parse(args)?;
    c.admit_as::<gate::Corpus>().await?;
    let req = jobin_core::usecases::CorpusRequest {
        q: i.q,
        country: i.country.unwrap_or_default(),
        location: i.location,
        remote: i.remote,
        employment_type: i.employment_type.unwrap_or_default(),
        seniority: i.seniority.unwrap_or_default(),
        source: i.source.unwrap_or_default(),
        company: i.company,
        posted_since: i.posted_since,
        posted_before: i.posted_before,
        salary_min: i.salary_min,
        salary_max: i.salary_max,
        salary_currency: i.salary_currency,
        has_salary: i.has_salary,
        visa_sponsorship: i.visa_sponsorship,
        sort: i.sort,
        order: i.order,
        limit: i.limit,
        cursor: i.cursor,
        facets: i.facets.unwrap_or_default(),
        plan: Some(c.principal.account.plan),
    };
    let includes = jobs::Includes {
        description: i.include_description.unwrap_or(false),
        provenance: i.include_provenance.unwrap_or(false),
    };
    let body = crate::http::corpus::corpus_answer(c.state, &req, includes).await?;
    Ok(json(&body))
}

/// `salary_stats`'s arguments: `GET /v1/jobs/salary`'s parameters.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
struct AnalyticsInput {
    /// Job title keywords, e.g. `data scientist` (1–200 characters).
    q: String,
    /// City or region.
    location: Option<String>,
    /// Country code, gb by default: any of the 20 countries a board serves (the value set lists them).
    country: Option<String>,
    /// Only postings posted on or after this ISO 8601 date (`2026-01-31`) or date-time.
    since: Option<String>,
}

impl AnalyticsInput {
    fn request(self, c: &Caller<'_>) -> AnalyticsRequest {
        AnalyticsRequest {
            q: Some(self.q),
            location: self.location,
            country: self.country,
            since: self.since,
            plan: Some(c.principal.account.plan),
        }
    }
}

async fn salary_stats(c: &Caller<'_>, args: Value) -> Result<Value, ApiError> {
    let input: AnalyticsInput = parse(args)?;
    c.admit_as::<gate::Salary>().await?;
    let result = c.state.jobs.salary.execute(input.request(c)).await;
    Ok(json(&jobs::analytics_body::<_, jobs::SalaryBody>(c.state, result)?))
}

/// `skill_trends`' and `market_insight`'s arguments: their REST parameters and AI headers.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
struct AiAnalyticsInput {
    /// Role or industry keywords (1–200 characters).
    q: String,
    /// City or region.
    location: Option<String>,
    /// Country code, gb by default: any of the 20 countries a board serves (the value set lists them).
    country: Option<String>,
    /// Only postings posted on or after this ISO 8601 date (`2026-01-31`) or date-time.
    since: Option<String>,
    /// AI provider, e.g. `local` (built in, offline) or `qwen`.
    ai_provider: String,
    /// Model alias or id, e.g. `rules` for `local`, `turbo` for `qwen`.
    ai_model: String,
}

impl AiAnalyticsInput {
    fn request(self, c: &Caller<'_>) -> (AnalyticsRequest, AiChoice) {
        let choice = jobs::choice(Some(self.ai_provider), Some(self.ai_model));
        let query = AnalyticsInput { q: self.q, location: self.location, country: self.country, since: self.since };
        (query.request(c), choice)
    }
}

async fn skill_trends(c: &Caller<'_>, args: Value) -> Result<Value, ApiError> {
    let input: AiAnalyticsInput = parse(args)?;
    c.admit_as::<gate::Trends>().await?;
    let (req, choice) = input.request(c);
    let result = c.state.jobs.trends.execute(req, &choice).await;
    Ok(json(&jobs::analytics_body::<_, jobs::TrendsBody>(c.state, result)?))
}

async fn market_insight(c: &Caller<'_>, args: Value) -> Result<Value, ApiError> {
    let input: AiAnalyticsInput = parse(args)?;
    c.admit_as::<gate::Insight>().await?;
    let (req, choice) = input.request(c);
    let result = c.state.jobs.insight.execute(req, &choice).await;
    Ok(json(&jobs::analytics_body::<_, jobs::InsightBody>(c.state, result)?))
}

/// `list_applications`' arguments: `GET /v1/applications`' parameters.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
struct ListApplicationsInput {
    /// Page number, from 1 (default 1).
    page: Option<u64>,
    /// Items per page, 1–500 (default 20).
    per_page: Option<u64>,
    /// `created_at` (default), `updated_at`, `applied_at`, `company_name` or `status`.
    sort: Option<String>,
    /// `desc` (default) or `asc`.
    order: Option<String>,
    /// Words matching the start of words in the title, company, notes and tags.
    search: Option<String>,
    /// Only these statuses: `saved`, `applied`, `screening`, `interviewing`, `offer`, `accepted`,
    /// `rejected`, `withdrawn`.
    status: Option<Vec<String>>,
    /// Only applications with this tag.
    tag: Option<String>,
    /// Applied at or after this ISO 8601 date or date-time.
    applied_after: Option<String>,
    /// Applied before this ISO 8601 date or date-time.
    applied_before: Option<String>,
}

async fn list_applications(c: &Caller<'_>, args: Value) -> Result<Value, ApiError> {
    let input: ListApplicationsInput = parse(args)?;
    c.admit_as::<gate::TrackerRead>().await?;
    let req = ListRequest {
        page: input.page,
        per_page: input.per_page,
        sort: input.sort,
        order: input.order,
        search: input.search,
        status: input.status.unwrap_or_default(),
        tag: input.tag,
        applied_after: input.applied_after,
        applied_before: input.applied_before,
    };
    Ok(json(&tracker::list_answer(c.state, c.principal.account.id, req).await?))
}

async fn save_application(c: &Caller<'_>, args: Value) -> Result<Value, ApiError> {
    let input: NewApplication = parse(args)?;
    c.admit_as::<gate::TrackerWrite>().await?;
    Ok(json(&tracker::create_answer(c.state, c.principal.account.id, input).await?))
}

async fn create_saved_search(c: &Caller<'_>, args: Value) -> Result<Value, ApiError> {
    let input: NewSavedSearch = parse(args)?;
    c.admit_as::<gate::SearchesWrite>().await?;
    Ok(json(&searches::create_answer(c.state, &c.principal.account, input).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The idempotency layer passes the calls of the tools `endpoints` names as writes: exactly
    /// the tools that are not read-only.
    #[test]
    fn the_write_tools_are_those_the_idempotency_layer_passes() {
        let writes: Vec<&str> = SPECS.iter().filter(|s| !s.read_only).map(|s| s.name).collect();
        assert_eq!(writes, crate::endpoints::MCP_WRITE_TOOLS);
    }

    #[test]
    fn every_tool_is_listed_once_with_an_object_schema() {
        let tools = list();
        let listed: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(listed, names().collect::<Vec<_>>());
        let mut unique = listed.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), listed.len(), "each name once");
        for name in &listed {
            assert_eq!(route(name), Some(format!("mcp_{name}").as_str()));
        }
        for t in tools {
            assert_eq!(t.input_schema.get("type"), Some(&Value::from("object")), "{}", t.name);
            assert!(t.input_schema.get("properties").is_some_and(Value::is_object), "{}", t.name);
            assert!(t.description.as_deref().is_some_and(|d| d.len() > 40), "{}", t.name);
        }
    }
}
