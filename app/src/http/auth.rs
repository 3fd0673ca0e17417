//! `/auth/*`: registration, login sessions, and API key management. Handlers and their success
//! responses; the objects are in `dto`, the error responses in `errors`.

mod dto;
mod errors;

pub use dto::*;
pub use errors::*;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::Arc;

use crate::http::error::ApiError;
use crate::http::security::{AccountAuth, OptionalJson};
use crate::http::{Tag, gate};
use crate::state::AppState;
use jobin_core::domain::LoginId;

#[derive(ApiResponse)]
pub enum RegisterResponse {
    /// Account created; the key is shown once.
    #[oai(status = 201)]
    Created(Json<Registered>),
}

#[derive(ApiResponse)]
pub enum SessionResponse {
    /// A new session token pair.
    #[oai(status = 200)]
    Ok(Json<Session>),
}

#[derive(ApiResponse)]
pub enum MeResponse {
    /// The caller's plan, usage and keys.
    #[oai(status = 200)]
    Ok(Json<MeBody>),
}

#[derive(ApiResponse)]
pub enum KeyResponse {
    /// The new key; shown once.
    #[oai(status = 201)]
    Created(Json<NewKey>),
}

#[derive(ApiResponse)]
pub enum RevokeResponse {
    /// The key is revoked; requests with it now get 401.
    #[oai(status = 200)]
    Ok(Json<Message>),
}

#[derive(ApiResponse)]
pub enum PasswordResponse {
    /// The new password is in force; other logins have ended.
    #[oai(status = 200)]
    Ok(Json<PasswordChanged>),
}

pub struct AuthApi;

/// The 429 for a spent wrong-password allowance: what the allowance is, and when it comes back.
fn login_failures(api: ApiError, retry_after_secs: u64) -> ApiError {
    let mut api = api.with_details(serde_json::json!({
        "reason": "login_failures",
        "limit": jobin_core::usecases::login::LOGIN_FAILURES_ALLOWED,
        "window_seconds": jobin_core::usecases::login::LOGIN_FAILURE_WINDOW_SECS,
    }));
    api.retry_after = Some(retry_after_secs);
    api
}

fn name_and_scopes(body: Option<KeyRequest>) -> (Option<String>, Option<Vec<String>>) {
    body.map_or((None, None), |b| (b.name, b.scopes.map(|s| s.into_iter().map(|n| n.0).collect())))
}

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
                "This email is already registered. Log in with POST /v1/auth/login instead.",
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
    /// session token on `/v1/auth/*` (for example to rotate a lost key). Public; 10 requests per IP
    /// per minute.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        body: Json<Credentials>,
    ) -> Result<SessionResponse, LoginErrorResponse> {
        let s = state.accounts.login.execute(&body.email, &body.password).await.map_err(|e| match e {
            jobin_core::usecases::LoginError::TooManyFailures { retry_after_secs } => {
                login_failures(ApiError::from_usecase(e), retry_after_secs)
            }
            e => ApiError::from_usecase(e),
        })?;
        Ok(SessionResponse::Ok(Json(Session::from(s))))
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
        Ok(SessionResponse::Ok(Json(Session::from(s))))
    }

    /// Log out
    ///
    /// Ends the login whose session token is sent: its refresh tokens stop working and its access
    /// tokens are refused (401 `session_revoked`) from the next request on, on every node. An API
    /// key is not a login: it answers 400 (revoke the key, or end every login).
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth,
    ) -> Result<RevokeResponse, LogoutErrorResponse> {
        state.accounts.logout.this_login(&auth.0).await.map_err(ApiError::from_usecase)?;
        Ok(RevokeResponse::Ok(Json(Message { message: "Logged out".into() })))
    }

    /// Log out everywhere
    ///
    /// Ends every login of the account (for example after a password leak): every session token
    /// and refresh token of the account stops working. API keys are untouched (rotate them).
    #[oai(path = "/auth/logout-all", method = "post", operation_id = "logout_all")]
    async fn logout_all(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::Keys>,
    ) -> Result<RevokeResponse, LogoutErrorResponse> {
        state.accounts.logout.every_login(&auth.0).await.map_err(ApiError::from_usecase)?;
        Ok(RevokeResponse::Ok(Json(Message { message: "Every login ended".into() })))
    }

    /// Change the password
    ///
    /// Checks the current password (wrong guesses count against the same per-account allowance
    /// as login: 10 per 15 minutes) and sets the new one. Every other login of the account ends
    /// at once, on every node; the caller's own login, when it is a session token, stays on. API
    /// keys are untouched (rotate them too if they may have leaked).
    #[oai(path = "/auth/password", method = "post", operation_id = "change_password")]
    async fn change_password(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::Keys>,
        body: Json<PasswordChange>,
    ) -> Result<PasswordResponse, PasswordErrorResponse> {
        let ended =
            state.accounts.change_password.execute(&auth.0, &body.current_password, &body.new_password).await.map_err(
                |e| match e {
                    jobin_core::usecases::ChangePasswordError::TooManyFailures { retry_after_secs } => {
                        login_failures(ApiError::from_usecase(e), retry_after_secs)
                    }
                    e => usecase_field_error(e),
                },
            )?;
        Ok(PasswordResponse::Ok(Json(PasswordChanged { message: "Password changed".into(), logins_ended: ended })))
    }

    /// Show the account
    ///
    /// Plan, this month's usage, the endpoints the plan may call, and the active keys (display
    /// prefixes and scopes only).
    #[oai(path = "/auth/me", method = "get", operation_id = "get_account")]
    async fn me(&self, state: Data<&Arc<AppState>>, auth: AccountAuth) -> Result<MeResponse, MeErrorResponse> {
        let me = state.accounts.me.execute(&auth.0).await.map_err(ApiError::from_usecase)?;
        Ok(MeResponse::Ok(Json(MeBody {
            plan: me.plan.as_str().into(),
            monthly_used: me.monthly_used,
            monthly_limit: me.monthly_limit,
            billing_status: dto::SubscriptionState(me.billing_status),
            endpoints: me.endpoints.into_iter().map(crate::http::gate::current_path).collect(),
            api_keys: me
                .keys
                .into_iter()
                .map(|k| KeySummary {
                    name: k.name.as_str().into(),
                    key_prefix: k.prefix.display(),
                    scopes: to_names(k.scopes),
                    last_used_at: k.last_used_at.map(iso_seconds),
                    minted_by_login: k.minted_by_login.as_deref().map(|f| LoginId::of(f).as_str().to_owned()),
                })
                .collect(),
            login_id: auth.0.login().map(|f| LoginId::of(f).as_str().to_owned()),
        })))
    }

    /// Create an API key
    ///
    /// An additional key for the account (at most 20 active). The key is shown only in this
    /// response. The body is optional: `scopes` limits what the key may do (default: every scope
    /// the caller may grant, which is all of them for a login session or a full key). An API key
    /// may only grant scopes it holds itself.
    #[oai(path = "/auth/keys", method = "post", operation_id = "create_api_key")]
    async fn create_key(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::Keys>,
        body: OptionalJson<KeyRequest>,
    ) -> Result<KeyResponse, CreateKeyErrorResponse> {
        let (name, scopes) = name_and_scopes(body.0);
        let issued = state
            .accounts
            .create_key
            .execute(&auth.0, name.as_deref(), scopes.as_deref())
            .await
            .map_err(usecase_field_error)?;
        Ok(KeyResponse::Created(Json(NewKey::from(issued))))
    }

    /// Rotate API keys
    ///
    /// Revokes every active key of the account and returns one new key. Irreversible. The new key
    /// keeps the scopes of the keys it replaces (their union), or takes `scopes` from the body;
    /// an API key may only grant scopes it holds itself. A rotation that finds another one of the
    /// same account in progress gets 429. Works with a session token from `POST /v1/auth/login` when
    /// the key is lost. Rotation also ends every login of the account but the caller's own (all of
    /// them when called with a key), so a leaked session cannot mint a replacement.
    #[oai(path = "/auth/keys/rotate", method = "post", operation_id = "rotate_api_keys")]
    async fn rotate(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::Keys>,
        body: OptionalJson<KeyRequest>,
    ) -> Result<KeyResponse, RotateErrorResponse> {
        let (name, scopes) = name_and_scopes(body.0);
        let issued = state.accounts.rotate.execute(&auth.0, name.as_deref(), scopes.as_deref()).await.map_err(|e| {
            let busy = matches!(e, jobin_core::usecases::RotateError::InProgress);
            let mut api = usecase_field_error(e);
            if busy {
                api.retry_after = Some(1);
            }
            api
        })?;
        Ok(KeyResponse::Created(Json(NewKey::from(issued))))
    }

    /// Revoke an API key
    ///
    /// Revokes one of the caller's keys by its display prefix (e.g. `jl_live_ab12****`, as
    /// `GET /v1/auth/me` shows it; the `****` may be omitted).
    #[oai(path = "/auth/keys/:prefix", method = "delete", operation_id = "revoke_api_key")]
    async fn revoke(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::Keys>,
        prefix: Path<String>,
    ) -> Result<RevokeResponse, RevokeErrorResponse> {
        state.accounts.revoke.execute(&auth.0, &prefix.0).await.map_err(usecase_field_error)?;
        Ok(RevokeResponse::Ok(Json(Message { message: "Key revoked".into() })))
    }
}
