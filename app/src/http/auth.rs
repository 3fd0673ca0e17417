//! `/auth/*`: registration, login sessions, and API key management.

use chrono::{DateTime, Utc};
use jobin_core::usecases::IssuedKey;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::sync::Arc;

use crate::http::Tag;
use crate::http::error::{ApiError, error_responses};
use crate::http::security::{AccountAuth, OptionalJson};
use crate::state::AppState;

const KEY_NOTICE: &str = "Save this key securely. It will not be shown again.";

#[derive(Debug, Object)]
#[oai(example)]
pub struct Credentials {
    /// Account email (normalized: trimmed, lower-cased).
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// At least 8 characters.
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct Registered {
    pub message: String,
    /// The API key; shown only in this response.
    pub api_key: String,
    /// The key's display prefix, as `GET /auth/me` lists it.
    pub prefix: String,
    pub plan: String,
    pub notice: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct Session {
    /// A session token (JWT) accepted on `/auth/*` for one hour.
    pub access_token: String,
    /// Single use: exchange it at `POST /auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct KeyNameRequest {
    /// Key label, 1–64 characters. Defaults to "Default Key" (create) or "Rotated Key" (rotate).
    pub name: Option<String>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct NewKey {
    /// The API key; shown only in this response.
    pub key: String,
    pub prefix: String,
    pub notice: String,
}

#[derive(Debug, Object)]
pub struct KeySummary {
    pub name: String,
    pub key_prefix: String,
    /// Last authenticated use (ISO-8601 UTC, whole seconds); null if never used.
    pub last_used_at: Option<String>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct MeBody {
    pub plan: String,
    /// Requests counted against this calendar month's quota (UTC).
    pub monthly_used: u64,
    pub monthly_limit: u64,
    /// `active`, `past_due` (a payment failed; the plan is kept while Stripe retries) or
    /// `canceled` (the subscription ended; back on Free).
    pub billing_status: String,
    /// The data endpoints this plan may call.
    pub endpoints: Vec<String>,
    /// Active keys, oldest first.
    pub api_keys: Vec<KeySummary>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct Message {
    pub message: String,
}

#[derive(ApiResponse)]
pub enum RegisterResponse {
    /// Account created; the key is shown once.
    #[oai(status = 201)]
    Created(Json<Registered>),
}

error_responses!(RegisterErrorResponse {
    400 => BadRequest: "Invalid email, short password, or malformed body.",
    409 => Conflict: "The email is already registered.",
    413 => PayloadTooLarge: "Body over the size limit.",
    415 => UnsupportedMediaType: "Body is not application/json.",
    429 => TooManyRequests: "More than 5 registrations from this IP in the current minute.",
    503 => Unavailable: "The database is unreachable.",
});

#[derive(ApiResponse)]
pub enum SessionResponse {
    /// A new session token pair.
    #[oai(status = 200)]
    Ok(Json<Session>),
}

error_responses!(LoginErrorResponse {
    400 => BadRequest: "Malformed body or missing field.",
    401 => Unauthorized: "Wrong email or password (one message for both), or an invalid, expired or reused refresh token.",
    413 => PayloadTooLarge: "Body over the size limit.",
    415 => UnsupportedMediaType: "Body is not application/json.",
    429 => TooManyRequests: "Over the per-IP minute limit (login 10, refresh 10).",
    503 => Unavailable: "The database is unreachable.",
});

#[derive(ApiResponse)]
pub enum MeResponse {
    /// The caller's plan, usage and keys.
    #[oai(status = 200)]
    Ok(Json<MeBody>),
}

error_responses!(MeErrorResponse {
    401 => Unauthorized: "Missing, invalid or revoked credentials.",
    429 => TooManyRequests: "Over the plan's per-minute limit (`rate_limited`), with `Retry-After`.",
    503 => Unavailable: "The database is unreachable.",
});

#[derive(ApiResponse)]
pub enum KeyResponse {
    /// The new key; shown once.
    #[oai(status = 201)]
    Created(Json<NewKey>),
}

error_responses!(CreateKeyErrorResponse {
    400 => BadRequest: "Invalid name or malformed body.",
    401 => Unauthorized: "Missing, invalid or revoked credentials.",
    409 => Conflict: "The account already has 20 active keys.",
    413 => PayloadTooLarge: "Body over the size limit.",
    415 => UnsupportedMediaType: "A body was sent that is not application/json.",
    429 => TooManyRequests: "Over the plan's per-minute limit (`rate_limited`), with `Retry-After`.",
    503 => Unavailable: "The database is unreachable.",
});

error_responses!(RotateErrorResponse {
    400 => BadRequest: "Invalid name or malformed body.",
    401 => Unauthorized: "Missing, invalid or revoked credentials.",
    413 => PayloadTooLarge: "Body over the size limit.",
    415 => UnsupportedMediaType: "A body was sent that is not application/json.",
    429 => TooManyRequests: "Another rotation of this account is in progress (`rotation_in_progress`), or over the plan's per-minute limit (`rate_limited`).",
    503 => Unavailable: "The database or lock backend is unreachable.",
});

#[derive(ApiResponse)]
pub enum RevokeResponse {
    /// The key is revoked; requests with it now get 401.
    #[oai(status = 200)]
    Ok(Json<Message>),
}

error_responses!(RevokeErrorResponse {
    400 => BadRequest: "The prefix is not of the form `jl_live_ab12****`.",
    401 => Unauthorized: "Missing, invalid or revoked credentials.",
    404 => NotFound: "The caller has no active key with this prefix.",
    429 => TooManyRequests: "Over the plan's per-minute limit (`rate_limited`), with `Retry-After`.",
    503 => Unavailable: "The database is unreachable.",
});

fn iso_seconds(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn new_key_body(issued: IssuedKey) -> NewKey {
    NewKey { key: issued.key.expose().to_owned(), prefix: issued.record.prefix.display(), notice: KEY_NOTICE.into() }
}

fn session_body(s: jobin_core::usecases::SessionTokens) -> Session {
    Session { access_token: s.access_token, refresh_token: s.refresh_token, expires_in: s.expires_in }
}

pub struct AuthApi;

#[OpenApi(tag = "Tag::Account")]
impl AuthApi {
    /// Register an account
    ///
    /// Creates a Free account and its first API key, which is shown only in this response.
    /// Public; limited to 5 requests per IP per minute.
    #[oai(path = "/auth/register", method = "post", operation_id = "register_account")]
    async fn register(
        &self,
        state: Data<&Arc<AppState>>,
        body: Json<Credentials>,
    ) -> Result<RegisterResponse, RegisterErrorResponse> {
        let r = state.accounts.register.execute(&body.email, &body.password).await.map_err(|e| match e {
            // Core names no route; the answer says where to go.
            jobin_core::usecases::RegisterError::EmailTaken => ApiError::new(
                jobin_core::Code::EmailTaken,
                "This email is already registered. Log in with POST /auth/login instead.",
            ),
            e => usecase_field_error(e),
        })?;
        Ok(RegisterResponse::Created(Json(Registered {
            message: "Registration successful".into(),
            api_key: r.key.key.expose().to_owned(),
            prefix: r.key.record.prefix.display(),
            plan: r.account.plan.as_str().into(),
            notice: "Save your API key now — it will not be shown again.".into(),
        })))
    }

    /// Log in
    ///
    /// Exchanges email and password for a one-hour session token and a refresh token. Use the
    /// session token on `/auth/*` (for example to rotate a lost key). Public; 10 requests per IP
    /// per minute.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        body: Json<Credentials>,
    ) -> Result<SessionResponse, LoginErrorResponse> {
        let s = state.accounts.login.execute(&body.email, &body.password).await.map_err(ApiError::from_usecase)?;
        Ok(SessionResponse::Ok(Json(session_body(s))))
    }

    /// Refresh a session
    ///
    /// Spends a refresh token and returns a new token pair. Each refresh token works once;
    /// presenting a spent one revokes every token of that login. Public; 10 requests per IP per
    /// minute.
    #[oai(path = "/auth/refresh", method = "post", operation_id = "refresh_session")]
    async fn refresh(
        &self,
        state: Data<&Arc<AppState>>,
        body: Json<RefreshRequest>,
    ) -> Result<SessionResponse, LoginErrorResponse> {
        let s = state.accounts.refresh.execute(&body.refresh_token).await.map_err(ApiError::from_usecase)?;
        Ok(SessionResponse::Ok(Json(session_body(s))))
    }

    /// Show the account
    ///
    /// Plan, this month's usage, the endpoints the plan may call, and the active keys (display
    /// prefixes only).
    #[oai(path = "/auth/me", method = "get", operation_id = "get_account")]
    async fn me(&self, state: Data<&Arc<AppState>>, auth: AccountAuth) -> Result<MeResponse, MeErrorResponse> {
        let me = state.accounts.me.execute(&auth.0).await.map_err(ApiError::from_usecase)?;
        Ok(MeResponse::Ok(Json(MeBody {
            plan: me.plan.as_str().into(),
            monthly_used: me.monthly_used,
            monthly_limit: me.monthly_limit,
            billing_status: me.billing_status.as_str().into(),
            endpoints: me.endpoints.into_iter().map(|e| crate::http::gate::path(e).to_owned()).collect(),
            api_keys: me
                .keys
                .into_iter()
                .map(|k| KeySummary {
                    name: k.name.as_str().into(),
                    key_prefix: k.prefix.display(),
                    last_used_at: k.last_used_at.map(iso_seconds),
                })
                .collect(),
        })))
    }

    /// Create an API key
    ///
    /// An additional key for the account (at most 20 active). The key is shown only in this
    /// response. The body is optional.
    #[oai(path = "/auth/keys", method = "post", operation_id = "create_api_key")]
    async fn create_key(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth,
        body: OptionalJson<KeyNameRequest>,
    ) -> Result<KeyResponse, CreateKeyErrorResponse> {
        let name = body.0.and_then(|b| b.name);
        let issued = state.accounts.create_key.execute(&auth.0, name.as_deref()).await.map_err(usecase_field_error)?;
        Ok(KeyResponse::Created(Json(new_key_body(issued))))
    }

    /// Rotate API keys
    ///
    /// Revokes every active key of the account and returns one new key. Irreversible. A
    /// rotation that finds another one of the same account in progress gets 429. Works with a
    /// session token from `POST /auth/login` when the key is lost.
    #[oai(path = "/auth/keys/rotate", method = "post", operation_id = "rotate_api_keys")]
    async fn rotate(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth,
        body: OptionalJson<KeyNameRequest>,
    ) -> Result<KeyResponse, RotateErrorResponse> {
        let name = body.0.and_then(|b| b.name);
        let issued = state.accounts.rotate.execute(&auth.0, name.as_deref()).await.map_err(|e| {
            let busy = matches!(e, jobin_core::usecases::RotateError::InProgress);
            let mut api = usecase_field_error(e);
            if busy {
                api.retry_after = Some(1);
            }
            api
        })?;
        Ok(KeyResponse::Created(Json(new_key_body(issued))))
    }

    /// Revoke an API key
    ///
    /// Revokes one of the caller's keys by its display prefix (e.g. `jl_live_ab12****`, as
    /// `GET /auth/me` shows it; the `****` may be omitted).
    #[oai(path = "/auth/keys/:prefix", method = "delete", operation_id = "revoke_api_key")]
    async fn revoke(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth,
        prefix: Path<String>,
    ) -> Result<RevokeResponse, RevokeErrorResponse> {
        state.accounts.revoke.execute(&auth.0, &prefix.0).await.map_err(usecase_field_error)?;
        Ok(RevokeResponse::Ok(Json(Message { message: "Key revoked".into() })))
    }
}

/// Use-case errors, with the invalid field in `details` for validation failures.
fn usecase_field_error<E>(e: E) -> ApiError
where
    E: jobin_core::ErrorCode + std::error::Error + InvalidField,
{
    match e.invalid_field() {
        Some(f) => ApiError::field(jobin_core::Code::ValidationFailed, f.field, &f.reason),
        None => ApiError::from_usecase(e),
    }
}

/// Use-case errors that can carry a field validation failure.
trait InvalidField {
    fn invalid_field(&self) -> Option<jobin_core::usecases::FieldError>;
}

macro_rules! invalid_field {
    ($($t:ty),*) => {$(
        impl InvalidField for $t {
            fn invalid_field(&self) -> Option<jobin_core::usecases::FieldError> {
                match self {
                    Self::Invalid(f) => Some(f.clone()),
                    _ => None,
                }
            }
        }
    )*};
}

invalid_field!(
    jobin_core::usecases::keys::CreateKeyError,
    jobin_core::usecases::RotateError,
    jobin_core::usecases::RevokeError,
    jobin_core::usecases::RegisterError
);

impl poem_openapi::types::Example for Credentials {
    fn example() -> Self {
        Self { email: "dev@example.com".into(), password: "mypassword".into() }
    }
}

impl poem_openapi::types::Example for Registered {
    fn example() -> Self {
        Self {
            message: "Registration successful".into(),
            api_key: "jl_live_a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
            prefix: "jl_live_a1b2****".into(),
            plan: "free".into(),
            notice: "Save your API key now — it will not be shown again.".into(),
        }
    }
}

impl poem_openapi::types::Example for Session {
    fn example() -> Self {
        Self {
            access_token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl".into(),
            refresh_token: "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d0f".into(),
            expires_in: 3600,
        }
    }
}

impl poem_openapi::types::Example for RefreshRequest {
    fn example() -> Self {
        Self { refresh_token: "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d0f".into() }
    }
}

impl poem_openapi::types::Example for KeyNameRequest {
    fn example() -> Self {
        Self { name: Some("CI".into()) }
    }
}

impl poem_openapi::types::Example for NewKey {
    fn example() -> Self {
        Self {
            key: "jl_live_a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
            prefix: "jl_live_a1b2****".into(),
            notice: KEY_NOTICE.into(),
        }
    }
}

impl poem_openapi::types::Example for MeBody {
    fn example() -> Self {
        Self {
            plan: "pro".into(),
            monthly_used: 12480,
            monthly_limit: 500000,
            billing_status: "active".into(),
            endpoints: jobin_core::domain::PlanCatalog::document()
                .endpoints(jobin_core::domain::Plan::Pro)
                .into_iter()
                .map(|e| crate::http::gate::path(e).to_owned())
                .collect(),
            api_keys: vec![KeySummary {
                name: "Default Key".into(),
                key_prefix: "jl_live_a1b2****".into(),
                last_used_at: Some("2025-04-12T08:32:00Z".into()),
            }],
        }
    }
}

impl poem_openapi::types::Example for Message {
    fn example() -> Self {
        Self { message: "Key revoked".into() }
    }
}
