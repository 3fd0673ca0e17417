//! The job objects, the search answer (with its notices worded: the search reasons why an answer
//! is empty or incomplete, `SearchNotice`; this says it, with what fixes it) and the providers
//! list, each built `From` its use case's result. The analytics answers are in `reports`.

use jobin_core::domain::{Job, SourceId};
use jobin_core::ports::FailureCause;
use jobin_core::services::ProvidersView;
use jobin_core::usecases::{SearchJobsOutcome, SearchNotice};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// How a board served a search (a named schema of the document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardStatus(pub jobin_core::usecases::SourceStatus);
crate::http::error::domain_enum_type!(
    BoardStatus(jobin_core::usecases::SourceStatus),
    "SourceStatus",
    "How a board served a search."
);

/// A provider's live status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Availability(pub jobin_core::services::ProviderStatus);
crate::http::error::domain_enum_type!(
    Availability(jobin_core::services::ProviderStatus),
    "ProviderStatus",
    "A provider's live status."
);

/// A model tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier(pub jobin_core::domain::AiTier);
crate::http::error::domain_enum_type!(Tier(jobin_core::domain::AiTier), "AiTier", "A model tier.");

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
    /// `min` per year, in `currency` (never converted): hour × 2,080, day × 260, week × 52,
    /// month × 12. Compare salaries of different periods on these.
    #[oai(rename = "annualMin")]
    pub annual_min: f64,
    /// `max` per year, the same way.
    #[oai(rename = "annualMax")]
    pub annual_max: f64,
}

/// What a board says about the hiring company.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct JobCompany {
    /// The name, as in `company`.
    pub name: String,
    /// The logo as the board hosts it; null when the board gives none.
    pub logo_url: Option<String>,
    /// The company's page; null when the board gives none.
    pub url: Option<String>,
    /// Head-count bucket as the board states it (`11-50`); null when it does not.
    pub size: Option<String>,
}

/// One board's listing of a merged job.
#[derive(Debug, Object)]
pub struct JobCopy {
    pub source: String,
    pub id: String,
    pub url: String,
}

/// The board listing one field of a job came from.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct FieldOrigin {
    /// The listing's board (`import` for the operator's own file).
    pub source: String,
    /// The listing's id (`source:native_id`): this job's `id` or one of its `copies`.
    pub id: String,
    /// The board's own id of the listing.
    pub native_id: String,
}

/// Which board listing supplied each field of the job. Merging keeps the listing of the
/// highest-priority board and fills what it lacks from the other `copies` (company, place,
/// salary, seniority, dates, description, terms, company details); this names, per field, the
/// listing its value is from, keyed by the field's name (`location.city` is `locationCity`,
/// `companyDetails.logoUrl` is `companyLogoUrl`; `company` covers `companyDetails.name`,
/// `seniority` covers `experienceLevel`, `description` covers `summary` and
/// `descriptionTruncated`, `url` covers `listingUrl`). A field without a value has no entry, and
/// `applyUrl` has one only where a board gives a link apart from its listing. `remote` names the
/// listing that says the job is remote (the job's own when none does). `skills`, `categories` and
/// `locations` are the union of every copy's. A job merged before JobIn recorded this names only
/// the fields that are always its own listing's (title, city, url, validThrough) until its next
/// refresh. In `GET /v1/jobs/{id}` always; in `GET /v1/jobs` with `include=provenance`.
#[derive(Debug, Default, Object)]
#[oai(rename_all = "camelCase")]
pub struct JobProvenance {
    #[oai(skip_serializing_if_is_none)]
    pub title: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub company: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub location_city: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub location_country: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub location_region: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub salary: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub seniority: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub remote: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub url: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub apply_url: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub description: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub employment_type: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub workplace_type: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub visa_sponsorship: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub company_logo_url: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub company_url: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub company_size: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub posted_at: Option<FieldOrigin>,
    #[oai(skip_serializing_if_is_none)]
    pub valid_through: Option<FieldOrigin>,
}

impl JobProvenance {
    pub fn of(job: &Job) -> Self {
        use jobin_core::domain::provenance::Field;
        let origin = |field: Field| {
            let id = job.supplier(field)?;
            let source = job
                .copies
                .iter()
                .find(|c| c.id == id)
                .map_or_else(|| id.split(':').next().unwrap_or_default().to_owned(), |c| c.source.as_str().to_owned());
            let native_id = id.split_once(':').map_or(id, |(_, native)| native).to_owned();
            Some(FieldOrigin { source, id: id.to_owned(), native_id })
        };
        JobProvenance {
            title: origin(Field::Title),
            company: origin(Field::Company),
            location_city: origin(Field::City),
            location_country: origin(Field::Country),
            location_region: origin(Field::Region),
            salary: origin(Field::Salary),
            seniority: origin(Field::Seniority),
            remote: origin(Field::Remote),
            url: origin(Field::Url),
            apply_url: origin(Field::ApplyUrl),
            description: origin(Field::Description),
            employment_type: origin(Field::EmploymentType),
            workplace_type: origin(Field::WorkplaceType),
            visa_sponsorship: origin(Field::VisaSponsorship),
            company_logo_url: origin(Field::CompanyLogoUrl),
            company_url: origin(Field::CompanyUrl),
            company_size: origin(Field::CompanySize),
            posted_at: origin(Field::PostedAt),
            valid_through: origin(Field::ValidThrough),
        }
    }
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct JobItem {
    /// `source:native_id`, stable across searches.
    pub id: String,
    /// The board whose listing this is (the highest-priority copy).
    pub source: String,
    pub title: String,
    /// The title folded for comparing: case, accents, punctuation and spacing folded, gender
    /// markers and place or work-mode tails (` - London`, `(Hybrid)`) removed, abbreviations
    /// written out (`Sr.` → `senior`, `Mgr` → `manager`). What dedup and relevance compare.
    pub normalized_title: String,
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
    /// The same page as `url`, by the name sync clients use.
    pub listing_url: String,
    /// Where to apply: the employer's page when the board gives one, else the listing.
    pub apply_url: String,
    /// The description's first 300 characters or so, on one line (cut at a word, `…` when cut).
    pub summary: String,
    /// The whole description as plain text (HTML and tracking images stripped, entities decoded,
    /// paragraphs and `- ` list items on their own lines). In the feed and `GET /v1/jobs/{id}`
    /// always; in search only with `include=description`.
    #[oai(skip_serializing_if_is_none)]
    pub description: Option<String>,
    /// True when the board gives only the start of the description (Adzuna, Reed): the rest is
    /// on the listing page.
    pub description_truncated: bool,
    /// `full_time`, `part_time`, `contract`, `internship` or `temporary`; null when the board
    /// does not say (never guessed).
    pub employment_type: Option<String>,
    /// `remote`, `hybrid` or `onsite` as the posting states it; null when it does not (`remote`
    /// is kept beside it).
    pub workplace_type: Option<String>,
    /// `entry`, `mid`, `senior`, `lead` or `executive`: `seniority` in the coarser scale (intern
    /// and junior are `entry`); null when unknown.
    pub experience_level: Option<String>,
    /// Every place the posting names (`location` is the first); empty when it names none.
    pub locations: Vec<JobLocation>,
    /// True when the board tags the job as sponsoring visas; null when it does not say.
    pub visa_sponsorship: Option<bool>,
    /// The company's name and what the board gives about it.
    pub company_details: JobCompany,
    /// The board's categories (`Data and Analytics`); empty when it gives none.
    pub categories: Vec<String>,
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
    /// Which listing supplied each field. In `GET /v1/jobs/{id}` always; in the corpus search
    /// only with `include=provenance`.
    #[oai(skip_serializing_if_is_none)]
    pub provenance: Option<JobProvenance>,
}

#[derive(Debug, Object)]
pub struct SourceMeta {
    /// Board name: adzuna, remotive, findwork, reed, arbeitnow, themuse.
    pub name: String,
    /// Listings this board returned for the search (before deduplication).
    pub count: u64,
    /// `ok`, `cached`, `timeout`, `error`, `unconfigured`, `not_in_plan`, `budget_exhausted` or
    /// `not_in_country`.
    pub status: BoardStatus,
    /// How long the board took (0 when not asked or served from cache).
    pub latency_ms: u64,
    /// Why it failed (`timeout` and `error` only).
    #[oai(skip_serializing_if_is_none)]
    pub cause: Option<Cause>,
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
    /// Why the answer is empty or incomplete, each with what fixes it (empty when every board asked
    /// served and something matched).
    pub notices: Vec<super::Notice>,
}

#[derive(Debug, Object)]
pub struct SearchBody {
    pub meta: SearchMeta,
    pub jobs: Vec<JobItem>,
}

#[derive(ApiResponse)]
pub enum JobResponse {
    /// The whole job, with when JobIn first saw it and its last change.
    #[oai(status = 200)]
    Ok(Json<crate::http::jobs::FeedJob>),
}

#[derive(ApiResponse)]
pub enum SearchResponse {
    /// Merged results from the plan's boards; boards that failed are listed with their status.
    #[oai(status = 200)]
    Ok(
        crate::http::encoded::Encoded<SearchBody>,
        /// `HIT` when served from the 15-minute cache, `MISS` otherwise.
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
    pub tier: Tier,
    /// The upstream model id this server sends.
    pub model_id: String,
}

#[derive(Debug, Object)]
pub struct ProviderItem {
    pub provider: String,
    /// `available`, `degraded` (recent failures), `unconfigured` (no key on this server) or
    /// `coming_soon`.
    pub status: Availability,
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

impl From<ProvidersView> for ProvidersBody {
    fn from(v: ProvidersView) -> Self {
        ProvidersBody {
            plan: v.plan.as_str().to_owned(),
            default_provider: v.default_provider.as_str().to_owned(),
            available: v
                .available
                .into_iter()
                .map(|p| ProviderItem {
                    provider: p.provider.as_str().to_owned(),
                    status: Availability(p.status),
                    models: p
                        .models
                        .into_iter()
                        .map(|m| ModelItem { alias: m.alias, tier: Tier(m.tier), model_id: m.model_id })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(ApiResponse)]
pub enum ProvidersResponse {
    #[oai(status = 200)]
    Ok(Json<ProvidersBody>),
}

impl From<Job> for JobItem {
    /// The whole object, description included.
    fn from(j: Job) -> Self {
        let place =
            |l: jobin_core::domain::Location| JobLocation { city: l.city, country: l.country, region: l.region };
        let summary = j.summary();
        let normalized_title = jobin_core::domain::title::normalized_title(&j);
        let d = j.details;
        JobItem {
            summary,
            normalized_title,
            listing_url: j.url.clone(),
            apply_url: d.apply_url.unwrap_or_else(|| j.url.clone()),
            description: Some(j.description),
            description_truncated: d.description_truncated,
            employment_type: d.employment_type.map(|t| t.as_str().to_owned()),
            workplace_type: d.workplace_type.map(|t| t.as_str().to_owned()),
            experience_level: j.seniority.map(|s| s.experience_level().to_owned()),
            locations: d.locations.into_iter().map(place).collect(),
            visa_sponsorship: d.visa_sponsorship,
            company_details: JobCompany {
                name: j.company.clone(),
                logo_url: d.company.logo_url,
                url: d.company.url,
                size: d.company.size,
            },
            categories: d.categories,
            attribution: j.source.attribution().to_owned(),
            source: j.source.as_str().to_owned(),
            location: place(j.location),
            salary: j.salary.map(|s| {
                let (annual_min, annual_max) = s.annual();
                JobSalary {
                    min: round_cents(s.min),
                    max: round_cents(s.max),
                    currency: s.currency,
                    period: s.period.as_str().to_owned(),
                    annual_min: round_cents(annual_min),
                    annual_max: round_cents(annual_max),
                }
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
            provenance: None,
        }
    }
}

fn round_cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// `2025-04-10T09:00:00Z`, the document's job timestamp format.
pub fn iso_seconds(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl From<SearchJobsOutcome> for SearchBody {
    fn from(r: SearchJobsOutcome) -> Self {
        let (outcome, e) = (r.outcome, r.enhance);
        SearchBody {
            meta: SearchMeta {
                total: outcome.jobs.len() as u64,
                enhanced: e.enhanced,
                ai_provider: e.provider.map(|p| p.as_str().to_owned()),
                ai_model: e.model,
                enhance_reason: e.reason,
                sources: outcome
                    .sources
                    .iter()
                    .map(|s| SourceMeta {
                        name: s.source.as_str().to_owned(),
                        count: s.count as u64,
                        status: BoardStatus(s.status),
                        latency_ms: s.latency_ms,
                        cause: s.cause.map(Cause),
                    })
                    .collect(),
                notices: r.notices.iter().map(Notice::from).collect(),
            },
            jobs: outcome.jobs.into_iter().map(JobItem::from).collect(),
        }
    }
}

impl SearchBody {
    /// A search's answer as sent (wired into `answers::SearchAnswers`): the body with its notices
    /// worded, descriptions only when asked.
    pub fn encode(outcome: SearchJobsOutcome, with_description: bool) -> bytes::Bytes {
        let mut body = SearchBody::from(outcome);
        if !with_description {
            body.jobs.iter_mut().for_each(|j| j.description = None);
        }
        crate::http::encoded::Encoded::encode(&body).bytes()
    }
}

/// `X-Cache`: `HIT` when the answer came from the cache.
pub fn cache_header(hit: bool) -> String {
    if hit { "HIT" } else { "MISS" }.to_owned()
}

// A stored job with when JobIn first saw it and its last change: what `GET /v1/jobs/{id}` and the
// feed answer (a plain comment: the schema's description stays as documented).
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct FeedJob {
    #[oai(flatten)]
    pub job: JobItem,
    /// When JobIn first saw it (ISO-8601 UTC).
    pub first_seen_at: String,
    /// The last change to its content (ISO-8601 UTC); store it and skip writes when unchanged.
    pub updated_at: String,
    /// When a fetch from its boards (a search, ingestion or the import) last saw it (ISO-8601 UTC).
    /// A posting not seen for the server's expiry age expires (`age`). Not a change: the feed does
    /// not send a posting again when only this moves.
    pub last_seen_at: String,
}

impl From<jobin_core::ports::StoredJob> for FeedJob {
    fn from(s: jobin_core::ports::StoredJob) -> Self {
        FeedJob {
            first_seen_at: iso_seconds(s.first_seen_at),
            updated_at: iso_seconds(s.updated_at),
            last_seen_at: iso_seconds(s.last_seen_at),
            job: JobItem::from(s.job),
        }
    }
}
/// Why a board failed, as a client may branch on it (a named schema of the document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cause(pub FailureCause);

crate::http::error::domain_enum_type!(
    Cause(FailureCause),
    "FailureCause",
    "Why a board failed: `dns` (its host name did not resolve), `connect` (the connection failed), \
     `timeout`, `http_4xx` (it refused the request: credentials, rate limit), `http_5xx` (a server error \
     on its side), `parse` (its answer could not be read)."
);

/// One reason an answer is empty or incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct Notice {
    /// Stable: `source_unconfigured`, `source_failed`, `source_budget_exhausted`,
    /// `plan_limits_sources`, `no_board_reachable`, `no_match`.
    pub code: String,
    /// The board it is about.
    #[oai(skip_serializing_if_is_none)]
    pub source: Option<String>,
    /// What happened and what fixes it.
    pub message: String,
    /// For `source_failed`: why the board failed.
    #[oai(skip_serializing_if_is_none)]
    pub cause: Option<Cause>,
}

/// Every notice code.
pub const CODES: [&str; 6] = SearchNotice::CODES;

fn names(sources: &[SourceId]) -> String {
    sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

impl From<&SearchNotice> for Notice {
    fn from(n: &SearchNotice) -> Self {
        let mut cause = None;
        let message = match n {
            SearchNotice::SourceUnconfigured(s) => format!(
                "{s} is in your plan but not configured on this server: its operator sets {}.",
                crate::config::BoardsConfig::settings(*s)
            ),
            SearchNotice::SourceFailed { source, cause: c } => {
                cause = Some(Cause(*c));
                let fix = match c {
                    FailureCause::Dns | FailureCause::Connect => {
                        " This server could not reach it: its operator checks the network (and the board's base URL)."
                    }
                    FailureCause::Http4xx => " Its operator checks this server's settings for it (keys, limits).",
                    FailureCause::Timeout | FailureCause::Http5xx | FailureCause::Parse => " Retry later.",
                };
                format!("{source} failed ({c}: {}); its jobs are missing from this answer.{fix}", c.describe())
            }
            SearchNotice::SourceBudgetExhausted(s) => format!(
                "{s}'s request budget on this server is spent for now (the board's own rate limit); its jobs are \
                 missing from this answer."
            ),
            SearchNotice::PlanLimitsSources { plan, asked, outside, upgrade } => {
                let upgrade = upgrade.as_ref().map_or_else(String::new, |(p, adds)| {
                    format!(" The {p} plan adds {} (see /v1/pricing).", names(adds))
                });
                format!(
                    "Your {plan} plan searches {} board{} here ({}); {} {} not in it.{upgrade}",
                    asked.len(),
                    if asked.len() == 1 { "" } else { "s" },
                    if asked.is_empty() { "none".to_owned() } else { names(asked) },
                    names(outside),
                    if outside.len() == 1 { "is" } else { "are" },
                )
            }
            SearchNotice::NoBoardReachable { plan, unconfigured, move_to } => {
                let settings: Vec<&str> =
                    unconfigured.iter().map(|s| crate::config::BoardsConfig::settings(*s)).collect();
                let move_to = move_to.as_ref().map_or_else(String::new, |(p, reaches)| {
                    format!(
                        " or moves this account to the {p} plan, whose boards it reaches ({}): `jobin accounts \
                         set-plan <your email> {p}`, or you buy it (/v1/billing/checkout);",
                        names(reaches)
                    )
                });
                format!(
                    "No board of your {plan} plan can be searched on this server yet, so every search answers \
                     empty. To get postings, its operator sets {}{move_to} to try JobIn offline, run `make demo` \
                     (fake boards).",
                    settings.join(" and ")
                )
            }
            SearchNotice::NoMatch => "No posting on the boards asked matched every word of the query; try fewer or \
                                      other words, another location or country."
                .to_owned(),
        };
        Notice { code: n.code().to_owned(), source: n.source().map(|s| s.as_str().to_owned()), message, cause }
    }
}

#[cfg(test)]
mod notice_tests {
    use super::*;
    use jobin_core::domain::{Plan, PlanCatalog};
    use jobin_core::usecases::search_jobs::reason as notices;
    use jobin_core::usecases::{SourceReport, SourceStatus};

    /// The boards a server with no keys reaches.
    const KEYLESS: [SourceId; 3] = [SourceId::Remotive, SourceId::Arbeitnow, SourceId::TheMuse];

    fn report(source: SourceId, status: SourceStatus) -> SourceReport {
        SourceReport { source, status, count: 0, latency_ms: 0, cause: None }
    }

    fn for_search(sources: &[SourceReport], found: usize, plan: Plan) -> Vec<Notice> {
        notices(sources, found, plan, &PlanCatalog::document(), &KEYLESS).iter().map(Notice::from).collect()
    }

    #[test]
    fn an_empty_free_search_on_an_unconfigured_board_says_what_fixes_it() {
        use SourceStatus::*;
        let sources = [
            report(SourceId::Adzuna, Unconfigured),
            report(SourceId::Remotive, NotInPlan),
            report(SourceId::Findwork, NotInPlan),
            report(SourceId::Reed, NotInPlan),
        ];
        let n = for_search(&sources, 0, Plan::Free);
        let codes: Vec<&str> = n.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(codes, ["source_unconfigured", "plan_limits_sources", "no_board_reachable"]);
        assert!(n[0].message.contains("JOBIN_ADZUNA_APP_ID"), "{}", n[0].message);
        assert_eq!(n[0].source.as_deref(), Some("adzuna"));
        assert_eq!(
            n[1].message,
            "Your free plan searches 1 board here (adzuna); remotive, findwork, reed are not in it. The starter \
             plan adds remotive, findwork (see /v1/pricing)."
        );
        // Every way to a first answer, in the answer itself.
        let what = &n[2].message;
        for needed in [
            "JOBIN_ADZUNA_APP_ID and JOBIN_ADZUNA_APP_KEY",
            "`jobin accounts set-plan <your email> starter`",
            "(remotive)",
            "`make demo`",
        ] {
            assert!(what.contains(needed), "{needed} in: {what}");
        }
    }

    #[test]
    fn a_failure_notice_carries_its_class_and_the_fix_that_class_calls_for() {
        let cases = [
            (FailureCause::Dns, "could not reach it"),
            (FailureCause::Connect, "could not reach it"),
            (FailureCause::Http4xx, "settings for it"),
            (FailureCause::Http5xx, "Retry later"),
            (FailureCause::Timeout, "Retry later"),
            (FailureCause::Parse, "Retry later"),
        ];
        for (cause, fix) in cases {
            let r = SourceReport { cause: Some(cause), ..report(SourceId::Reed, SourceStatus::Error) };
            let n = for_search(&[r], 1, Plan::Scale);
            assert_eq!(n[0].cause, Some(Cause(cause)));
            let m = &n[0].message;
            assert!(m.starts_with(&format!("reed failed ({cause}: {}", cause.describe())), "{m}");
            assert!(m.contains(fix), "{cause}: {m}");
        }
    }

    #[test]
    fn every_notice_is_worded_under_its_code() {
        use SourceStatus::*;
        let sources = [report(SourceId::Adzuna, Ok), report(SourceId::Reed, BudgetExhausted)];
        let n = for_search(&sources, 0, Plan::Scale);
        assert_eq!(n.iter().map(|n| n.code.as_str()).collect::<Vec<_>>(), ["source_budget_exhausted", "no_match"]);
        assert!(n[0].message.starts_with("reed's request budget"), "{}", n[0].message);
        assert!(n[1].message.starts_with("No posting on the boards asked"), "{}", n[1].message);
    }
}
