//! The stable, machine-readable error codes of the API and the trait every error type implements.
//!
//! Codes are snake_case on the wire and append-only: a client may branch on them, so a code is
//! never renamed or removed. The HTTP status for each code lives in one match in the app crate.

/// A stable error code, rendered as `code` in every error envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// A field or parameter failed validation; `details` names it.
    ValidationFailed,
    /// The request body is not well-formed JSON.
    InvalidJson,
    /// The request's Content-Type is missing or not supported by this operation.
    UnsupportedMediaType,
    /// The request body exceeds the configured size limit.
    PayloadTooLarge,
    /// No credentials were sent (neither a bearer token nor an API key).
    MissingCredentials,
    /// The credentials are malformed, unknown, or the email/password pair is wrong.
    InvalidCredentials,
    /// The API key was revoked.
    KeyRevoked,
    /// The session or refresh token has expired.
    TokenExpired,
    /// A refresh token was used twice; its whole token family has been revoked.
    RefreshTokenReused,
    /// This endpoint accepts API keys only; a session token was sent.
    ApiKeyRequired,
    /// No route matches the path.
    NotFound,
    /// The caller has no active API key with that prefix.
    KeyNotFound,
    /// The path exists but not for this HTTP method.
    MethodNotAllowed,
    /// The email address is already registered.
    EmailTaken,
    /// The account already has the maximum number of active API keys.
    KeyLimitReached,
    /// Too many requests in the current window; see `Retry-After`.
    RateLimited,
    /// Another key rotation for this account is in progress.
    RotationInProgress,
    /// An unexpected server error; the request id identifies it in the logs.
    Internal,
    /// A backing service (database, cache, upstream API) is unreachable; safe to retry.
    DependencyUnavailable,
    /// The plan does not include this endpoint; see `upgrade`.
    PlanUpgradeRequired,
    /// The plan's monthly request quota is spent; see `resets` and `upgrade`.
    QuotaExceeded,
    /// The chosen AI provider is unknown; `details` lists the valid ones.
    UnknownAiProvider,
    /// The chosen model is not one of the provider's; `details` lists the valid ones.
    UnknownAiModel,
    /// The model is listed but coming soon.
    AiModelComingSoon,
    /// The provider has no API key on this server; choose another.
    AiProviderUnconfigured,
    /// The AI provider did not answer within the 15 s budget; see `Retry-After`.
    AiTimeout,
    /// The AI provider failed or gave no usable answer; see `Retry-After`.
    AiUnavailable,
    /// A webhook's signature is missing, malformed, stale or does not match its body.
    InvalidSignature,
    /// The account is already on this plan or a higher one; see `portal`.
    AlreadyOnPlan,
    /// The payment provider is unreachable or not configured for this plan; safe to retry later.
    PaymentUnavailable,
    /// 409: the account's plan was not bought through billing, so there is nothing to manage.
    NoBillingCustomer,
    /// 400: a feed or expired cursor this server did not issue for these filters; restart paging.
    InvalidCursor,
    /// 422: this idempotency key was used with a different request; use a new key.
    IdempotencyKeyReused,
    /// 409: the first request with this idempotency key is still running; retry after it ends.
    IdempotencyInProgress,
    /// 403: the API key does not hold the scope this operation needs (`details.required`).
    InsufficientScope,
    /// 503: this server takes no payments (no payment provider configured); ask its operator.
    BillingUnconfigured,
    /// 401: the login this session token belongs to has ended (logout, or a reused refresh token).
    SessionRevoked,
    /// 404: no stored job has this id (nor lists it among its merged copies).
    JobNotFound,
    /// 410: the job expired (`details.expiredAt`); the feed's expired stream lists it.
    JobExpired,
    /// 404: the account has no application with this id (another account's is reported the same).
    ApplicationNotFound,
    /// 409: the application is not linked to a stored job (`job_id`), so there is nothing to score.
    NoLinkedJob,
    /// 404: the account has no saved search with this id (another account's is reported the same).
    SavedSearchNotFound,
    /// 409: the account holds as many saved searches as its plan allows (`details.limit`).
    SavedSearchLimitReached,
    /// 404: the saved search has no webhook delivery with this id.
    DeliveryNotFound,
    /// 409: the saved search has no webhook to send to.
    NoWebhook,
    /// 400: the server may not send a request to this URL (`details.rule` names the rule: a
    /// scheme, credentials, or an address that is not public); see the outbound policy.
    DestinationNotAllowed,
    /// 408: the request body did not arrive whole within the server's time limit; send it again.
    RequestTimeout,
}

impl Code {
    /// Every code, in declaration order (used for the OpenAPI enum and for tests).
    pub const ALL: &'static [Code] = &[
        Code::ValidationFailed,
        Code::InvalidJson,
        Code::UnsupportedMediaType,
        Code::PayloadTooLarge,
        Code::MissingCredentials,
        Code::InvalidCredentials,
        Code::KeyRevoked,
        Code::TokenExpired,
        Code::RefreshTokenReused,
        Code::ApiKeyRequired,
        Code::NotFound,
        Code::KeyNotFound,
        Code::MethodNotAllowed,
        Code::EmailTaken,
        Code::KeyLimitReached,
        Code::RateLimited,
        Code::RotationInProgress,
        Code::Internal,
        Code::DependencyUnavailable,
        Code::PlanUpgradeRequired,
        Code::QuotaExceeded,
        Code::UnknownAiProvider,
        Code::UnknownAiModel,
        Code::AiModelComingSoon,
        Code::AiProviderUnconfigured,
        Code::AiTimeout,
        Code::AiUnavailable,
        Code::InvalidSignature,
        Code::AlreadyOnPlan,
        Code::PaymentUnavailable,
        Code::NoBillingCustomer,
        Code::InvalidCursor,
        Code::IdempotencyKeyReused,
        Code::IdempotencyInProgress,
        Code::InsufficientScope,
        Code::BillingUnconfigured,
        Code::SessionRevoked,
        Code::JobNotFound,
        Code::JobExpired,
        Code::ApplicationNotFound,
        Code::NoLinkedJob,
        Code::SavedSearchNotFound,
        Code::SavedSearchLimitReached,
        Code::DeliveryNotFound,
        Code::NoWebhook,
        Code::DestinationNotAllowed,
        Code::RequestTimeout,
    ];

    /// The wire form of the code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::ValidationFailed => "validation_failed",
            Code::InvalidJson => "invalid_json",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::PayloadTooLarge => "payload_too_large",
            Code::MissingCredentials => "missing_credentials",
            Code::InvalidCredentials => "invalid_credentials",
            Code::KeyRevoked => "key_revoked",
            Code::TokenExpired => "token_expired",
            Code::RefreshTokenReused => "refresh_token_reused",
            Code::ApiKeyRequired => "api_key_required",
            Code::NotFound => "not_found",
            Code::KeyNotFound => "key_not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::EmailTaken => "email_taken",
            Code::KeyLimitReached => "key_limit_reached",
            Code::RateLimited => "rate_limited",
            Code::RotationInProgress => "rotation_in_progress",
            Code::Internal => "internal",
            Code::DependencyUnavailable => "dependency_unavailable",
            Code::PlanUpgradeRequired => "plan_upgrade_required",
            Code::QuotaExceeded => "quota_exceeded",
            Code::UnknownAiProvider => "unknown_ai_provider",
            Code::UnknownAiModel => "unknown_ai_model",
            Code::AiModelComingSoon => "ai_model_coming_soon",
            Code::AiProviderUnconfigured => "ai_provider_unconfigured",
            Code::AiTimeout => "ai_timeout",
            Code::AiUnavailable => "ai_unavailable",
            Code::InvalidSignature => "invalid_signature",
            Code::AlreadyOnPlan => "already_on_plan",
            Code::PaymentUnavailable => "payment_unavailable",
            Code::NoBillingCustomer => "no_billing_customer",
            Code::InvalidCursor => "invalid_cursor",
            Code::IdempotencyKeyReused => "idempotency_key_reused",
            Code::IdempotencyInProgress => "idempotency_in_progress",
            Code::InsufficientScope => "insufficient_scope",
            Code::BillingUnconfigured => "billing_unconfigured",
            Code::SessionRevoked => "session_revoked",
            Code::JobNotFound => "job_not_found",
            Code::JobExpired => "job_expired",
            Code::ApplicationNotFound => "application_not_found",
            Code::NoLinkedJob => "no_linked_job",
            Code::SavedSearchNotFound => "saved_search_not_found",
            Code::SavedSearchLimitReached => "saved_search_limit_reached",
            Code::DeliveryNotFound => "delivery_not_found",
            Code::NoWebhook => "no_webhook",
            Code::DestinationNotAllowed => "destination_not_allowed",
            Code::RequestTimeout => "request_timeout",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Implemented by every error type that can reach a client.
pub trait ErrorCode {
    /// The stable code for this error.
    fn code(&self) -> Code;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s} is not snake_case");
        }
    }
}
