//! `/v1/applications*`: the application tracker (README "Tracking applications"). An API key or a
//! login session; the tracker class limit (`tracker_per_minute`) and, for fit scores, the AI class
//! (`ai_per_hour`); nothing here counts against the monthly data quota. Another account's
//! application answers 404 like one that does not exist.

mod dto;

use jobin_core::Code;
use jobin_core::ErrorCode;
use jobin_core::domain::AccountId;
use jobin_core::usecases::{ApplicationError, FitScoreError, ListRequest, Profile, TrackerAnalyticsError};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::Arc;

pub use dto::*;

use crate::http::Tag;
use crate::http::error::{ApiError, error_responses};
use crate::http::gate;
use crate::http::security::AccountAuth;
use crate::state::AppState;

/// Seconds to wait after the store was unreachable.
const STORE_RETRY_AFTER_SECS: u64 = 5;

error_responses!(TrackerErrorResponse {
    400 => BadRequest: "A field or parameter fails its check (`validation_failed`; `details.field` and `details.reason` name the first, `details.fields` lists all).",
    401 => Unauthorized: "Missing, invalid or revoked API key or session token.",
    403 => Forbidden: "The key lacks `applications:read` / `applications:write` (`insufficient_scope`, `details.required` names it).",
    404 => NotFound: "No application with this id in your account (`application_not_found`); another account's is reported the same way.",
    429 => TooManyRequests: "The tracker's per-minute limit reached (`rate_limited`, `details.class` = `tracker`, with `Retry-After` and `retry_after`).",
    503 => Unavailable: "The database or the usage meter is unreachable (`dependency_unavailable`, with `Retry-After`).",
});

error_responses!(ScoreErrorResponse {
    400 => BadRequest: "A profile field fails its check (`validation_failed`), or an unknown `X-AI-Provider`/`X-AI-Model` (`unknown_ai_provider`, `unknown_ai_model`).",
    401 => Unauthorized: "Missing, invalid or revoked API key or session token.",
    403 => Forbidden: "The key lacks `applications:read` or `ai:use` (`insufficient_scope`), or the chosen model's tier is not in the plan (`plan_upgrade_required`).",
    404 => NotFound: "No application with this id in your account (`application_not_found`), or its job is no longer stored (`job_not_found`).",
    409 => Conflict: "The application links no JobIn job (`no_linked_job`): set `job_id` first.",
    429 => TooManyRequests: "The AI class limit reached (`rate_limited`, `details.class` = `ai`, 20 per hour by default, with `Retry-After` and `retry_after`).",
    503 => Unavailable: "The AI provider timed out or failed (`ai_timeout`, `ai_unavailable`), has no key on this server (`ai_provider_unconfigured`), or the database is unreachable.",
});

#[derive(ApiResponse)]
pub enum CreatedResponse {
    /// Saved.
    #[oai(status = 201)]
    Created(
        Json<ApplicationEnvelope>,
        /// The application's URL.
        #[oai(header = "Location")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum ApplicationResponse {
    #[oai(status = 200)]
    Ok(Json<ApplicationEnvelope>),
}

#[derive(ApiResponse)]
pub enum ListResponse {
    #[oai(status = 200)]
    Ok(Json<ApplicationPageEnvelope>),
}

#[derive(ApiResponse)]
pub enum DeletedResponse {
    /// Deleted, with its timeline.
    #[oai(status = 204)]
    Deleted,
}

#[derive(ApiResponse)]
pub enum EventCreatedResponse {
    #[oai(status = 201)]
    Created(Json<EventEnvelope>),
}

#[derive(ApiResponse)]
pub enum EventsResponse {
    #[oai(status = 200)]
    Ok(Json<EventListEnvelope>),
}

#[derive(ApiResponse)]
pub enum AnalyticsResponse {
    #[oai(status = 200)]
    Ok(Json<AnalyticsEnvelope>),
}

#[derive(ApiResponse)]
pub enum ScoreResponse {
    #[oai(status = 200)]
    Ok(Json<ScoreEnvelope>),
}

fn store_unavailable(mut api: ApiError) -> ApiError {
    if api.code == Code::DependencyUnavailable {
        api.retry_after = Some(STORE_RETRY_AFTER_SECS);
    }
    api
}

/// Every failing field: the first as `field`/`reason` (like every other 400), all in `fields`.
fn application_error(e: ApplicationError) -> ApiError {
    match e {
        ApplicationError::Invalid(fields) => {
            let first =
                fields.first().cloned().unwrap_or_else(|| jobin_core::domain::FieldError::new("body", "invalid"));
            let all: Vec<serde_json::Value> =
                fields.iter().map(|f| serde_json::json!({"field": f.field, "reason": f.reason})).collect();
            let message = fields.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            ApiError::new(Code::ValidationFailed, message)
                .with_details(serde_json::json!({"field": first.field, "reason": first.reason, "fields": all}))
        }
        e => store_unavailable(ApiError::from_usecase(e)),
    }
}

fn analytics_error(e: TrackerAnalyticsError) -> ApiError {
    match e {
        TrackerAnalyticsError::Invalid(f) => ApiError::field(Code::ValidationFailed, f.field, f.reason),
        e => store_unavailable(ApiError::from_usecase(e)),
    }
}

fn score_error(e: FitScoreError, upgrade: &str) -> ApiError {
    match e {
        FitScoreError::Invalid(f) => ApiError::field(Code::ValidationFailed, f.field, f.reason),
        FitScoreError::Ai(e) => crate::http::jobs::errors::ai_error(e, upgrade),
        e if e.code() == Code::DependencyUnavailable => store_unavailable(ApiError::from_usecase(e)),
        e => ApiError::from_usecase(e),
    }
}

/// Saving an application (`create_application`, over REST and MCP).
pub(crate) async fn create_answer(
    state: &AppState,
    account: AccountId,
    new: NewApplication,
) -> Result<ApplicationEnvelope, ApiError> {
    let app = state.tracker.applications.create(account, new.into()).await.map_err(application_error)?;
    Ok(ApplicationEnvelope { data: app.into() })
}

/// A page of applications (`list_applications`, over REST and MCP).
pub(crate) async fn list_answer(
    state: &AppState,
    account: AccountId,
    req: ListRequest,
) -> Result<ApplicationPageEnvelope, ApiError> {
    let page = state.tracker.applications.list(account, req).await.map_err(application_error)?;
    Ok(page.into())
}

pub struct TrackerApi;

#[OpenApi(tag = "Tag::Tracker")]
impl TrackerApi {
    /// Save an application
    ///
    /// Saves an application (status `saved` unless given). With `job_id` the stored job's title,
    /// company, location, salary and URL are copied as a snapshot you may edit; the timeline starts
    /// with the first status.
    #[oai(path = "/applications", method = "post", operation_id = "create_application")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::TrackerWrite>,
        body: Json<NewApplication>,
    ) -> Result<CreatedResponse, TrackerErrorResponse> {
        let saved = create_answer(&state, auth.0.account.id, body.0).await?;
        let location = format!("{}/applications/{}", crate::endpoints::API_VERSION, saved.data.id);
        Ok(CreatedResponse::Created(Json(saved), location))
    }

    /// List applications
    ///
    /// One page of your applications, sorted (ties by id, so pages never overlap), filtered and
    /// searched. `search` matches the start of words in the title, company, notes and tags (every
    /// word must match; case and accents ignored).
    #[oai(path = "/applications", method = "get", operation_id = "list_applications")]
    #[allow(clippy::too_many_arguments)] // one argument per documented parameter
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::TrackerRead>,
        /// Page number, from 1 (default 1). A page past the end is empty.
        page: Query<Option<u64>>,
        /// Items per page, 1–500 (default 20).
        per_page: Query<Option<u64>>,
        /// `created_at` (default), `updated_at`, `applied_at` (never-applied last), `company_name`
        /// or `status` (pipeline order).
        sort: Query<Option<String>>,
        /// `desc` (default) or `asc`.
        order: Query<Option<String>>,
        /// Words, at most 200 characters.
        search: Query<Option<String>>,
        /// Only these statuses: repeat the parameter or separate with commas.
        status: Query<Vec<String>>,
        /// Only applications with this tag.
        tag: Query<Option<String>>,
        /// Applied at or after this ISO 8601 date or date-time.
        applied_after: Query<Option<String>>,
        /// Applied before this ISO 8601 date or date-time.
        applied_before: Query<Option<String>>,
    ) -> Result<ListResponse, TrackerErrorResponse> {
        let req = ListRequest {
            page: page.0,
            per_page: per_page.0,
            sort: sort.0,
            order: order.0,
            search: search.0,
            status: status.0,
            tag: tag.0,
            applied_after: applied_after.0,
            applied_before: applied_before.0,
        };
        Ok(ListResponse::Ok(Json(list_answer(&state, auth.0.account.id, req).await?)))
    }

    /// Tracker analytics
    ///
    /// Counts per status, the response rate, the median days to a first answer, offers and
    /// acceptances, and a weekly timeline of applications and answers.
    #[oai(path = "/applications/analytics", method = "get", operation_id = "application_analytics")]
    async fn analytics(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::TrackerRead>,
        /// Weeks of timeline, 1–104 (default 12).
        weeks: Query<Option<u32>>,
    ) -> Result<AnalyticsResponse, TrackerErrorResponse> {
        let report = state.tracker.analytics.execute(auth.0.account.id, weeks.0).await.map_err(analytics_error)?;
        Ok(AnalyticsResponse::Ok(Json(AnalyticsEnvelope { data: report.into() })))
    }

    /// Get an application
    #[oai(path = "/applications/:id", method = "get", operation_id = "get_application")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::TrackerRead>,
        id: Path<i64>,
    ) -> Result<ApplicationResponse, TrackerErrorResponse> {
        let app = state.tracker.applications.get(auth.0.account.id, id.0).await.map_err(application_error)?;
        Ok(ApplicationResponse::Ok(Json(ApplicationEnvelope { data: app.into() })))
    }

    /// Change an application
    ///
    /// Partial: omitted fields stay, `null` clears an optional one. A new `status` is recorded on
    /// the timeline (and dates the application when it first moves to `applied` or beyond). Every
    /// failing field is listed in `details.fields`; nothing is written then.
    #[oai(path = "/applications/:id", method = "patch", operation_id = "update_application")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::TrackerWrite>,
        id: Path<i64>,
        body: Json<ApplicationChange>,
    ) -> Result<ApplicationResponse, TrackerErrorResponse> {
        let app = state
            .tracker
            .applications
            .update(auth.0.account.id, id.0, body.0.into())
            .await
            .map_err(application_error)?;
        Ok(ApplicationResponse::Ok(Json(ApplicationEnvelope { data: app.into() })))
    }

    /// Delete an application
    ///
    /// Deletes it and its timeline.
    #[oai(path = "/applications/:id", method = "delete", operation_id = "delete_application")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::TrackerWrite>,
        id: Path<i64>,
    ) -> Result<DeletedResponse, TrackerErrorResponse> {
        state.tracker.applications.delete(auth.0.account.id, id.0).await.map_err(application_error)?;
        Ok(DeletedResponse::Deleted)
    }

    /// Add a timeline entry
    ///
    /// An interview, a note or a follow-up, with its date (default now; a planned one may lie
    /// ahead). Status changes are recorded by `PATCH`.
    #[oai(path = "/applications/:id/events", method = "post", operation_id = "add_application_event")]
    async fn add_event(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::TrackerWrite>,
        id: Path<i64>,
        body: Json<NewEvent>,
    ) -> Result<EventCreatedResponse, TrackerErrorResponse> {
        let event = state
            .tracker
            .applications
            .add_event(auth.0.account.id, id.0, body.0.into())
            .await
            .map_err(application_error)?;
        Ok(EventCreatedResponse::Created(Json(EventEnvelope { data: event.into() })))
    }

    /// The timeline
    ///
    /// Every entry, by date (then by when it was recorded).
    #[oai(path = "/applications/:id/events", method = "get", operation_id = "list_application_events")]
    async fn events(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::TrackerRead>,
        id: Path<i64>,
    ) -> Result<EventsResponse, TrackerErrorResponse> {
        let events = state.tracker.applications.events(auth.0.account.id, id.0).await.map_err(application_error)?;
        let total = events.len() as u64;
        Ok(EventsResponse::Ok(Json(EventListEnvelope { data: events.into_iter().map(Into::into).collect(), total })))
    }

    /// Score the linked job's fit
    ///
    /// A 0–100 score of how the application's job fits a profile, with reasons grounded in the
    /// posting (never a skill it does not name), through the AI gateway: `X-AI-Provider` and
    /// `X-AI-Model` choose the model (default: the server's default provider, or the offline
    /// `local` rules when your plan may not use it). The AI class limit applies (20 per hour by
    /// default).
    #[oai(path = "/applications/:id/score", method = "post", operation_id = "score_application")]
    async fn score(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::TrackerScore>,
        id: Path<i64>,
        body: Json<ScoreRequest>,
        /// AI provider, e.g. `local` or `qwen` (optional).
        #[oai(name = "X-AI-Provider")]
        ai_provider: Header<Option<String>>,
        /// Model alias or full id (optional).
        #[oai(name = "X-AI-Model")]
        ai_model: Header<Option<String>>,
    ) -> Result<ScoreResponse, ScoreErrorResponse> {
        let p = body.0;
        let profile = Profile {
            skills: p.skills.unwrap_or_default(),
            seniority: p.seniority,
            locations: p.locations.unwrap_or_default(),
            remote: p.remote,
        };
        let choice = jobin_core::services::AiChoice { provider: ai_provider.0, model: ai_model.0 };
        let who = &auth.0.account;
        let score = state
            .tracker
            .score
            .execute(who.id, who.plan, id.0, profile, &choice)
            .await
            .map_err(|e| score_error(e, &state.urls.upgrade))?;
        Ok(ScoreResponse::Ok(Json(ScoreEnvelope { data: score.into() })))
    }
}
