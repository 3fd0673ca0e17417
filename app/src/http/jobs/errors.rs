//! The `/jobs/*` error responses (documented per operation) and how use-case errors become the
//! envelope.

use jobin_core::Code;
use jobin_core::ErrorCode;
use jobin_core::services::{AiError, ChoicePart};
use jobin_core::usecases::{AnalyticsError, SearchError, SearchJobsError};

use crate::http::error::{ApiError, Extra, error_responses};

error_responses!(GetJobErrorResponse {
    401 => Unauthorized: "Missing, invalid or revoked API key (session tokens are not accepted here).",
    403 => Forbidden: "The key lacks `jobs:read` (`insufficient_scope`, `details.required` names it).",
    404 => NotFound: "No stored job has this id, nor lists it among its merged copies (`job_not_found`).",
    410 => Gone: "The job has expired (`job_expired`, `details.expiredAt`, `details.expiredReason`, `details.id`): it is no longer open; sync clients drop it.",
    429 => TooManyRequests: "Monthly quota spent (`quota_exceeded`) or the plan's per-minute limit for data requests reached (`rate_limited`, `details.class` = `data`, with `Retry-After`).",
    503 => Unavailable: "The database or the usage meter is unreachable (`dependency_unavailable`, with `Retry-After`).",
});

error_responses!(SearchErrorResponse {
    400 => BadRequest: "Missing or blank `q`, a parameter over 200 characters, an unsupported `country`, a malformed `remote`, or an `include` other than `description` (`validation_failed`, naming the field).",
    401 => Unauthorized: "Missing, invalid or revoked API key (session tokens are not accepted here).",
    403 => Forbidden: "The key lacks `jobs:read`, or `ai:use` with `enhance=true` (`insufficient_scope`, `details.required` names it); or the plan does not include this endpoint (`plan_upgrade_required`, with `upgrade`).",
    429 => TooManyRequests: "Monthly quota spent (`quota_exceeded`, with `limit`, `used`, `resets`, `upgrade`) or the plan's per-minute limit for data requests reached (`rate_limited`, `details.class` = `data`, with `Retry-After`).",
    503 => Unavailable: "The usage meter (Redis) or the database is unreachable, or (`enhance=true`) the chosen AI provider has no key on this server (`ai_provider_unconfigured`).",
});

error_responses!(AnalyticsErrorResponse {
    400 => BadRequest: "Missing or blank `q`, a parameter over 200 characters or an unsupported `country`; for AI endpoints also a missing `X-AI-Provider`/`X-AI-Model` (`validation_failed`), an unknown provider or model (`unknown_ai_provider`, `unknown_ai_model`, with the valid values) or a model that is coming soon (`ai_model_coming_soon`).",
    401 => Unauthorized: "Missing, invalid or revoked API key (session tokens are not accepted here).",
    403 => Forbidden: "The key lacks `analytics:read` (`insufficient_scope`, `details.required` names it); or the plan does not include this endpoint or the model's tier (`plan_upgrade_required`, with `upgrade`).",
    429 => TooManyRequests: "Monthly quota spent (`quota_exceeded`) or the plan's per-minute limit for data requests reached (`rate_limited`, `details.class` = `data`, with `Retry-After`).",
    503 => Unavailable: "The AI provider timed out after 15 s (`ai_timeout`) or failed (`ai_unavailable`), both with `Retry-After`; the provider has no key on this server (`ai_provider_unconfigured`); or the usage meter is unreachable.",
});

/// Seconds a client should wait after an AI timeout or failure.
const AI_RETRY_AFTER_SECS: u64 = 30;

/// The header a part of the AI choice is read from.
pub const fn choice_header(part: ChoicePart) -> &'static str {
    match part {
        ChoicePart::Provider => "X-AI-Provider",
        ChoicePart::Model => "X-AI-Model",
    }
}

/// An AI selection or call failure as the envelope (403s carry `upgrade`).
pub fn ai_error(e: AiError, upgrade: &str) -> ApiError {
    match &e {
        AiError::ChoiceRequired(part) => ApiError::field(
            Code::ValidationFailed,
            choice_header(*part),
            "is required for this endpoint (see GET /v1/jobs/providers)",
        ),
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
        AiError::ComingSoon { .. } | AiError::Unconfigured(_) => {
            ApiError::new(e.code(), format!("{e}; see GET /v1/jobs/providers"))
        }
    }
}

pub fn analytics_error(e: AnalyticsError, upgrade: &str) -> ApiError {
    match e {
        AnalyticsError::Query(e) => query_error(e),
        AnalyticsError::Ai(e) => ai_error(e, upgrade),
        AnalyticsError::Store(e) => crate::http::jobs::errors::job_store_error(&e),
    }
}

/// An invalid query parameter as `validation_failed` naming the field.
pub fn query_error(e: SearchError) -> ApiError {
    match e {
        SearchError::Invalid(f) => ApiError::field(Code::ValidationFailed, f.field, f.reason),
    }
}

pub fn search_error(e: SearchJobsError, upgrade: &str) -> ApiError {
    match e {
        SearchJobsError::Ai(e) => ai_error(e, upgrade),
    }
}

error_responses!(ProvidersErrorResponse {
    401 => Unauthorized: "Missing, invalid or revoked API key (session tokens are not accepted here).",
    403 => Forbidden: "The key lacks `ai:use` (`insufficient_scope`, `details.required` names it); or the plan does not include this endpoint (`plan_upgrade_required`, with `upgrade`).",
    429 => TooManyRequests: "Monthly quota spent (`quota_exceeded`) or the plan's per-minute limit for data requests reached (`rate_limited`, `details.class` = `data`, with `Retry-After`).",
    503 => Unavailable: "The usage meter (Redis) or the database is unreachable.",
});

/// A job store failure (feed and analytics): an outage is 503 `dependency_unavailable` with
/// `Retry-After`; anything else is our defect, a 500 `internal` logged as an error.
pub(crate) fn job_store_error(e: &jobin_core::ports::JobStoreError) -> ApiError {
    if !e.is_outage() {
        tracing::error!(error = format!("{e:#}"), "job store operation failed");
        return ApiError::new(jobin_core::Code::Internal, "The job store failed this request; it has been logged.");
    }
    tracing::warn!(error = %e, "job store unavailable");
    let mut api = ApiError::new(jobin_core::Code::DependencyUnavailable, "The job store is unavailable; retry later.");
    api.retry_after = Some(5);
    api
}
