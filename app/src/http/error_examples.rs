//! The document's error examples: each error response of each operation shows the envelope that
//! operation answers with that status — the code its description names (else the status's usual
//! one) with the message and details the server sends for it, and a request id in the real format
//! (32 lowercase hex characters). A black-box test (`tests/api/system.rs`) triggers errors and
//! checks the served answers against these examples.

use crate::http::error::ApiError;
use jobin_core::Code;
use jobin_core::domain::{AiProvider, Plan};
use jobin_core::services::ai::AiError;
use serde_json::{Value, json};

pub use crate::http::error::EXAMPLE_REQUEST_ID;

/// The envelope the server answers with `code`: built from the error value a use case returns and
/// converted as the handlers convert it, or by the constructor the HTTP layer answers with, where
/// one exists; else the message the HTTP layer writes at that one place (a realistic field or
/// value where it names one). One exhaustive match: a new code cannot go without its example.
pub fn example(code: Code) -> Value {
    let mut body = poem_openapi::types::ToJSON::to_json(&example_error(code).body()).unwrap_or_default();
    body["request_id"] = json!(EXAMPLE_REQUEST_ID);
    body
}

fn example_error(code: Code) -> ApiError {
    use crate::http::jobs::errors::ai_error;
    use crate::http::searches::search_error;
    use crate::http::security::auth_error;
    use jobin_core::usecases as uc;
    use jobin_core::usecases::saved_searches::SavedSearchError;
    let written = |message: &str, details: Value| ApiError::new(code, message).with_details(details);
    match code {
        Code::KeyRevoked => ApiError::from_usecase(uc::AuthError::KeyRevoked),
        Code::SessionRevoked => ApiError::from_usecase(uc::AuthError::SessionRevoked),
        Code::TokenExpired => auth_error(uc::AuthError::SessionExpired),
        Code::ApiKeyRequired => auth_error(uc::AuthError::ApiKeyRequired),
        Code::InvalidCredentials => auth_error(uc::AuthError::InvalidKey),
        Code::MissingCredentials => ApiError::missing_credentials(),
        Code::RefreshTokenReused => ApiError::from_usecase(uc::refresh::RefreshError::Reused),
        Code::KeyNotFound => ApiError::from_usecase(uc::revoke::RevokeError::NotFound("jl_live_ab12****".into())),
        Code::RotationInProgress => ApiError::from_usecase(uc::rotate::RotateError::InProgress),
        Code::KeyLimitReached => ApiError::from_usecase(uc::keys::CreateKeyError::LimitReached),
        Code::JobNotFound => ApiError::from_usecase(uc::get_job::GetJobError::NotFound("adzuna:4000000075".into())),
        Code::JobExpired => {
            let at =
                chrono::DateTime::parse_from_rfc3339("2025-05-01T00:00:00Z").map(|t| t.to_utc()).unwrap_or_default();
            let reason = Some(jobin_core::ports::ExpiredReason::Age);
            let id = "adzuna:4000000075".into();
            ApiError::from_usecase(uc::get_job::GetJobError::Expired { id, expired_at: at, reason }).with_details(
                json!({"id": "adzuna:4000000075", "expiredAt": "2025-05-01T00:00:00Z", "expiredReason": "age"}),
            )
        }
        Code::ApplicationNotFound => ApiError::from_usecase(uc::applications::ApplicationError::NotFound(42)),
        Code::NoLinkedJob => ApiError::from_usecase(uc::fit_score::FitScoreError::NoLinkedJob(42)),
        Code::SavedSearchNotFound => ApiError::from_usecase(SavedSearchError::NotFound(42)),
        Code::DeliveryNotFound => ApiError::from_usecase(SavedSearchError::DeliveryNotFound(42, 7)),
        Code::NoWebhook => ApiError::from_usecase(SavedSearchError::NoWebhook(42)),
        Code::SavedSearchLimitReached => search_error(SavedSearchError::LimitReached { plan: Plan::Free, limit: 1 }),
        Code::DestinationNotAllowed => {
            search_error(SavedSearchError::DestinationNotAllowed(jobin_core::domain::outbound::Refusal::HttpsRequired))
        }
        Code::NoBillingCustomer => ApiError::from_usecase(uc::PortalError::NoCustomer),
        Code::InvalidCursor => {
            crate::http::feed::feed_error(uc::feed::FeedError::Cursor(jobin_core::domain::InvalidCursor))
        }
        Code::PlanUpgradeRequired | Code::QuotaExceeded | Code::RateLimited | Code::InsufficientScope => {
            admit_example(code)
        }
        Code::UnknownAiProvider => ai_error(
            AiError::Select(jobin_core::domain::SelectError::UnknownProvider {
                given: "gpt".into(),
                valid: "qwen, anthropic, openai, gemini, mistral, deepseek".into(),
            }),
            UPGRADE,
        ),
        Code::UnknownAiModel => ai_error(
            AiError::Select(jobin_core::domain::SelectError::UnknownModel {
                provider: AiProvider::OpenAi,
                given: "gpt-9".into(),
                valid: "gpt-4o, gpt-4o-mini".into(),
            }),
            UPGRADE,
        ),
        Code::AiModelComingSoon => {
            ai_error(AiError::ComingSoon { provider: AiProvider::OpenAi, alias: "o3".into() }, UPGRADE)
        }
        Code::AiProviderUnconfigured => ai_error(AiError::Unconfigured(AiProvider::OpenAi), UPGRADE),
        Code::AiTimeout => ai_error(AiError::Timeout(std::time::Duration::from_secs(30)), UPGRADE),
        Code::AiUnavailable => ai_error(AiError::Provider("no usable answer".into()), UPGRADE),
        Code::Internal => ApiError::internal(),
        Code::DependencyUnavailable => ApiError::dependency_unavailable(),
        Code::NotFound => ApiError::no_such_endpoint(),
        // Written at the one place that answers them.
        Code::ValidationFailed => ApiError::field(code, "q", "must not be empty"),
        Code::InvalidJson => written(
            "The request body is not valid JSON: expected value at line 1 column 1",
            json!({"reason": "expected value at line 1 column 1"}),
        ),
        Code::UnsupportedMediaType => written(
            "the `Content-Type` requested by the client is not supported: text/plain; send `Content-Type: application/json`",
            json!({}),
        ),
        Code::PayloadTooLarge => {
            written("The request body exceeds the limit of 1048576 bytes.", json!({"max_bytes": 1_048_576}))
        }
        Code::RequestTimeout => written(
            "The request body did not arrive whole within 30 s of its head; send it again.",
            json!({"body_read_timeout_secs": 30}),
        ),
        Code::MethodNotAllowed => written("This endpoint does not accept that method.", json!({})),
        Code::EmailTaken => {
            written("This email is already registered. Log in with POST /v1/auth/login instead.", json!({}))
        }
        Code::AlreadyOnPlan => written(
            "Already on this plan or higher. To change or cancel it, open the customer portal: POST /v1/billing/portal \
             answers its address (`portal` links to how).",
            json!({}),
        )
        .with_extra(crate::http::error::Extra {
            portal: Some("https://api.example.com/docs#/Billing/create_portal_session".into()),
            ..Default::default()
        }),
        Code::IdempotencyInProgress => {
            written("A request with this Idempotency-Key is still running; retry after it ends.", json!({}))
        }
        Code::IdempotencyKeyReused => written(
            "This Idempotency-Key was used with a different request; use a new key for a new request.",
            json!({}),
        ),
        Code::InvalidSignature => written("The Stripe-Signature header is missing.", json!({})),
        Code::PaymentUnavailable => written("The payment provider is unavailable; retry later.", json!({})),
        Code::BillingUnconfigured => {
            written("This server takes no payments: billing is not configured. Ask its operator.", json!({}))
        }
    }
}

/// The example address of the plans page.
const UPGRADE: &str = "https://api.example.com/v1/pricing";

/// An admission refusal as `quota_error` renders it for a Free account's API key.
fn admit_example(code: Code) -> ApiError {
    use jobin_core::domain::{Endpoint, KeyId, KeyPrefix, Scope, Scopes};
    use jobin_core::ports::WindowDecision;
    use jobin_core::usecases::{AdmitError, Credential, LimitClass, RateStatus};
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).unwrap_or_default();
    let now = at("2025-04-30T12:00:48Z");
    let minute = WindowDecision { allowed: false, limit: 10, used: 10, resets_at: at("2025-04-30T12:01:00Z") };
    let status = RateStatus { plan: Plan::Free, class: LimitClass::Data, minute, monthly: true };
    let e = match code {
        Code::PlanUpgradeRequired => AdmitError::PlanTooLow {
            plan: Plan::Free,
            required: Plan::Starter,
            endpoint: Endpoint::JobsSalary,
            status: None,
        },
        Code::QuotaExceeded => {
            AdmitError::MonthlyExceeded { limit: 1000, used: 1000, resets: at("2025-05-01T00:00:00Z"), status }
        }
        Code::InsufficientScope => {
            AdmitError::ScopeMissing { missing: Scopes::of(&[Scope::AnalyticsRead]), status: None }
        }
        _ => AdmitError::MinuteExceeded { status },
    };
    let key = Credential::ApiKey {
        id: KeyId(1),
        prefix: KeyPrefix::parse("jl_live_ab12").unwrap_or_else(|_| unreachable!("a well-formed prefix")),
    };
    crate::http::security::quota_error(e, &key, UPGRADE, now)
}

/// The code an error response of `status` stands for: the first code its description names in
/// backticks that answers with that status, else the status's usual code.
pub fn code_for(status: u16, description: &str) -> Option<Code> {
    let named = description
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|word| Code::ALL.iter().copied().find(|c| c.as_str() == word))
        .find(|c| crate::http::error::status_of(*c).as_u16() == status);
    named.or(match status {
        400 => Some(Code::ValidationFailed),
        401 => Some(Code::MissingCredentials),
        403 => Some(Code::InsufficientScope),
        404 => Some(Code::NotFound),
        405 => Some(Code::MethodNotAllowed),
        408 => Some(Code::RequestTimeout),
        409 => Some(Code::IdempotencyInProgress),
        410 => Some(Code::JobExpired),
        413 => Some(Code::PayloadTooLarge),
        415 => Some(Code::UnsupportedMediaType),
        422 => Some(Code::IdempotencyKeyReused),
        429 => Some(Code::RateLimited),
        500 => Some(Code::Internal),
        503 => Some(Code::DependencyUnavailable),
        _ => None,
    })
}

/// Sets the example of every error response whose body is the envelope.
pub fn document(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut().filter_map(Value::as_object_mut) {
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            for (status, response) in responses.iter_mut() {
                let Ok(status) = status.parse::<u16>() else { continue };
                if status < 400 {
                    continue;
                }
                let description = response.get("description").and_then(Value::as_str).unwrap_or("").to_owned();
                let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else { continue };
                for media in content.values_mut().filter_map(Value::as_object_mut) {
                    let is_envelope = media
                        .get("schema")
                        .and_then(|s| s.get("$ref"))
                        .and_then(Value::as_str)
                        .is_some_and(|r| r.ends_with("/ErrorBody"));
                    if let (true, Some(code)) = (is_envelope, code_for(status, &description)) {
                        media.insert("example".into(), example(code));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_an_example_with_its_own_code_and_a_real_request_id() {
        for code in Code::ALL {
            let e = example(*code);
            assert_eq!(e["code"], code.as_str());
            assert!(e["error"].as_str().is_some_and(|m| !m.is_empty()));
            let id = e["request_id"].as_str().unwrap();
            assert!(id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{id}");
        }
    }

    #[test]
    fn the_code_is_the_one_the_description_names_for_that_status() {
        let d = "`Invalid cursor` (`invalid_cursor`: garbled), or a bad field (`validation_failed`: q).";
        assert_eq!(code_for(400, d), Some(Code::InvalidCursor));
        assert_eq!(code_for(401, "No or invalid credentials (`invalid_credentials`)."), Some(Code::InvalidCredentials));
        assert_eq!(code_for(409, "(`email_taken`)"), Some(Code::EmailTaken));
        assert_eq!(code_for(429, "Monthly quota spent (`quota_exceeded`)"), Some(Code::QuotaExceeded));
        assert_eq!(code_for(429, "`invalid_cursor`"), Some(Code::RateLimited), "a code of another status is not it");
    }
}
