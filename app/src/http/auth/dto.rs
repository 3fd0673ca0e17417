//! The `/auth/*` request and answer objects, with `From` impls from the use cases' results and the
//! examples the document shows.

use chrono::{DateTime, Utc};
use jobin_core::usecases::{IssuedKey, SessionTokens};
use poem_openapi::Object;

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

pub(super) fn iso_seconds(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl From<IssuedKey> for NewKey {
    fn from(issued: IssuedKey) -> Self {
        NewKey {
            key: issued.key.expose().to_owned(),
            prefix: issued.record.prefix.display(),
            notice: KEY_NOTICE.into(),
        }
    }
}

impl From<SessionTokens> for Session {
    fn from(s: SessionTokens) -> Self {
        Session { access_token: s.access_token, refresh_token: s.refresh_token, expires_in: s.expires_in }
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
