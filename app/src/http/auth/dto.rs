//! The `/auth/*` request and answer objects, with `From` impls from the use cases' results and the
//! examples the document shows.

use chrono::{DateTime, Utc};
use jobin_core::domain::{Scope, Scopes};
use jobin_core::usecases::{IssuedKey, SessionTokens};
use poem_openapi::Object;
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON};
use serde_json::Value;

/// The subscription's state (a named schema of the document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionState(pub jobin_core::ports::BillingStatus);
crate::http::error::domain_enum_type!(
    SubscriptionState(jobin_core::ports::BillingStatus),
    "BillingStatus",
    "The subscription's state."
);

/// A scope name. The document lists the scopes as an enum; a request naming another is answered
/// 400 `validation_failed` by the use case, which names the field and the valid scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeName(pub String);

crate::http::error::string_enum_type!(ScopeName, "Scope", scope_list(), Scope::ALL.iter().map(|s| s.as_str()));

/// The scopes and what each allows, as the document describes the `Scope` schema.
fn scope_list() -> &'static str {
    static LIST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        let lines: Vec<String> = Scope::ALL.iter().map(|s| format!("- `{}`: {}", s.as_str(), s.describe())).collect();
        format!("What an API key may do (stable names):\n{}", lines.join("\n"))
    })
}

impl ToJSON for ScopeName {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

impl ParseFromJSON for ScopeName {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(s)) => Ok(ScopeName(s)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

pub(super) const KEY_NOTICE: &str = "Save this key securely. It will not be shown again.";

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
    /// The key's display prefix, as `GET /v1/auth/me` lists it.
    pub prefix: String,
    pub plan: String,
    pub notice: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct Session {
    /// A session token (JWT) accepted on `/v1/auth/*` for one hour.
    pub access_token: String,
    /// Single use: exchange it at `POST /v1/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Seconds until `access_token` expires: 3600, less when the login ends sooner.
    pub expires_in: i64,
    /// This login's public id (as `GET /v1/auth/me` shows it, and on the keys it mints).
    pub login_id: String,
    /// When this login ends at the latest (ISO-8601 UTC): its maximum age from logging in
    /// (30 days by default). Refreshing does not move it; log in again after it.
    pub login_expires_at: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct KeyRequest {
    /// Key label, 1–64 characters. Defaults to "Default Key" (create) or "Rotated Key" (rotate).
    pub name: Option<String>,
    /// What the key may do: `jobs:read`, `analytics:read`, `ai:use`, `keys:write`,
    /// `billing:write`, `applications:read`, `applications:write` (at least one). Create:
    /// defaults to every scope the caller may grant. Rotate: defaults to the scopes of the keys
    /// it replaces. A login session may grant any scope, an API key only those it holds.
    #[oai(validator(max_items = 16))]
    pub scopes: Option<Vec<ScopeName>>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct NewKey {
    /// The API key; shown only in this response.
    pub key: String,
    pub prefix: String,
    pub name: String,
    /// What the key may do.
    pub scopes: Vec<ScopeName>,
    pub notice: String,
}

#[derive(Debug, Object)]
pub struct KeySummary {
    pub name: String,
    pub key_prefix: String,
    /// What the key may do.
    pub scopes: Vec<ScopeName>,
    /// Last authenticated use (ISO-8601 UTC, whole seconds); null if never used.
    pub last_used_at: Option<String>,
    /// The login (its `login_id`) whose session token minted the key; null for the key made at
    /// registration and keys made with another key. After a leak, the keys a stolen login made.
    pub minted_by_login: Option<String>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct MeBody {
    pub plan: String,
    /// Requests counted against this calendar month's quota (UTC).
    pub monthly_used: u64,
    pub monthly_limit: u64,
    /// `none` (Free, never subscribed), `active`, `past_due` (a payment failed; the plan is kept
    /// while Stripe retries) or `canceled` (the subscription ended; back on Free).
    pub billing_status: SubscriptionState,
    /// The data endpoints this plan may call.
    pub endpoints: Vec<String>,
    /// Active keys, oldest first.
    pub api_keys: Vec<KeySummary>,
    /// The caller's login when called with a session token; null with an API key.
    pub login_id: Option<String>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct PasswordChange {
    /// The password in use now.
    #[oai(validator(max_length = 1024))]
    pub current_password: String,
    /// At least 8 characters.
    #[oai(validator(max_length = 1024))]
    pub new_password: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct PasswordChanged {
    pub message: String,
    /// How many logins were ended: every login of the account but the caller's own.
    pub logins_ended: u64,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct Message {
    pub message: String,
}

pub(super) fn iso_seconds(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl From<IssuedKey> for NewKey {
    fn from(issued: IssuedKey) -> Self {
        NewKey {
            key: issued.key.expose().to_owned(),
            prefix: issued.record.prefix.display(),
            name: issued.record.name.as_str().to_owned(),
            scopes: to_names(issued.record.scopes),
            notice: KEY_NOTICE.into(),
        }
    }
}

impl From<SessionTokens> for Session {
    fn from(s: SessionTokens) -> Self {
        Session {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            expires_in: s.expires_in,
            login_id: s.login.as_str().to_owned(),
            login_expires_at: iso_seconds(s.login_expires_at),
        }
    }
}

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
            login_id: "login_3f9a0c5e7b21d846".into(),
            login_expires_at: "2025-05-12T08:30:00Z".into(),
        }
    }
}

impl poem_openapi::types::Example for RefreshRequest {
    fn example() -> Self {
        Self { refresh_token: "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d0f".into() }
    }
}

impl poem_openapi::types::Example for KeyRequest {
    fn example() -> Self {
        Self {
            name: Some("Dashboard".into()),
            scopes: Some(to_names(Scopes::of(&[Scope::JobsRead, Scope::AnalyticsRead]))),
        }
    }
}

pub(super) fn to_names(scopes: Scopes) -> Vec<ScopeName> {
    scopes.names().into_iter().map(|n| ScopeName(n.to_owned())).collect()
}

impl poem_openapi::types::Example for NewKey {
    fn example() -> Self {
        Self {
            key: "jl_live_a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
            prefix: "jl_live_a1b2****".into(),
            name: "Dashboard".into(),
            scopes: to_names(Scopes::of(&[Scope::JobsRead, Scope::AnalyticsRead])),
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
            billing_status: SubscriptionState(jobin_core::ports::BillingStatus::Active),
            endpoints: jobin_core::domain::PlanCatalog::document()
                .endpoints(jobin_core::domain::Plan::Pro)
                .into_iter()
                .map(crate::http::gate::current_path)
                .collect(),
            api_keys: vec![KeySummary {
                name: "Default Key".into(),
                key_prefix: "jl_live_a1b2****".into(),
                scopes: to_names(Scopes::ALL),
                last_used_at: Some("2025-04-12T08:32:00Z".into()),
                minted_by_login: None,
            }],
            login_id: Some("login_3f9a0c5e7b21d846".into()),
        }
    }
}

impl poem_openapi::types::Example for PasswordChange {
    fn example() -> Self {
        Self { current_password: "mypassword".into(), new_password: "a-longer-passphrase".into() }
    }
}

impl poem_openapi::types::Example for PasswordChanged {
    fn example() -> Self {
        Self { message: "Password changed".into(), logins_ended: 2 }
    }
}

impl poem_openapi::types::Example for Message {
    fn example() -> Self {
        Self { message: "Key revoked".into() }
    }
}
