//! Security schemes. Two extractors share the documented schemes (`ApiKeyAuth`: `X-API-Key`,
//! `BearerAuth`: `Authorization: Bearer`): `KeyAuth` accepts API keys only; `AccountAuth` also
//! accepts a login session token (the key-recovery flow on `/auth/*`). Implemented by hand rather
//! than derived so each failure gets its own envelope code instead of poem's generic 401.

use jobin_core::Code;
use jobin_core::domain::Scopes;
use jobin_core::usecases::{AdmitError, AuthError, Credential, Metered, Presented, Principal};
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSecurityScheme, Registry};
use poem_openapi::types::ParseFromJSON;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use std::marker::PhantomData;
use std::sync::Arc;

use crate::http::context::{KeyPrefixShown, PassedGate, RequestSlot};
use crate::http::error::{ApiError, Extra, iso_millis};
use crate::http::gate::{Gate, Ungated};
use crate::state::AppState;

pub const API_KEY_SCHEME: &str = "ApiKeyAuth";
pub const BEARER_SCHEME: &str = "BearerAuth";

fn register_schemes(registry: &mut Registry) {
    registry.create_security_scheme(
        API_KEY_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some(
                "An API key: `jl_live_` followed by 64 lowercase hex characters. A key holds scopes \
                 (each operation's `x-required-scopes`): `jobs:read`, `analytics:read`, `ai:use`, `keys:write`, \
                 `billing:write`, `applications:read`, `applications:write`; without the one an operation \
                 needs it answers 403 `insufficient_scope`.",
            ),
            name: Some("X-API-Key"),
            key_in: Some("header"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
    registry.create_security_scheme(
        BEARER_SCHEME,
        MetaSecurityScheme {
            ty: "http",
            description: Some(
                "`Authorization: Bearer <API key>` everywhere; on /v1/auth/*, /v1/billing/* and /v1/applications* also \
                 `Bearer <access_token>` from POST /v1/auth/login. A session holds the `keys:write`, `billing:write`, \
                 `applications:read`, `applications:write` and `ai:use` scopes (no job data).",
            ),
            name: None,
            key_in: None,
            scheme: Some("bearer"),
            bearer_format: Some(
                "jl_live_… API key, or a session JWT on /v1/auth/*, /v1/billing/* and /v1/applications*",
            ),
            flows: None,
            openid_connect_url: None,
        },
    );
}

pub(crate) fn presented(req: &Request) -> Result<Presented, ApiError> {
    if let Some(v) = req.headers().get("x-api-key") {
        let v = v.to_str().map_err(|_| ApiError::new(Code::InvalidCredentials, "Invalid API key."))?;
        return Ok(Presented::ApiKeyHeader(v.to_owned()));
    }
    if let Some(v) = req.headers().get(poem::http::header::AUTHORIZATION) {
        let v = v.to_str().unwrap_or_default();
        let token = v
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    Code::InvalidCredentials,
                    "The Authorization header must be `Bearer <API key or session token>`.",
                )
            })?;
        return Ok(Presented::Bearer(token.to_owned()));
    }
    Err(ApiError::missing_credentials())
}

/// A principal an outer middleware has already resolved for this request (sessions allowed); the
/// extractors take it instead of looking the credentials up a second time.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// Authentication, then the quota stage (the key's scopes → access to `endpoint` → monthly quota →
/// minute limit). The rate status goes to the response headers whether the request is admitted or
/// not.
async fn authenticate(
    req: &Request,
    allow_session: bool,
    metered: Metered,
    required: Scopes,
) -> poem::Result<Principal> {
    let state =
        req.data::<Arc<AppState>>().ok_or_else(|| ApiError::new(Code::Internal, "Application state missing."))?;
    let principal = identify(req, state, allow_session).await?;
    admit(state, &principal, req.extensions().get::<RequestSlot>(), metered, required, !allow_session).await?;
    Ok(principal)
}

/// Who is calling: the credentials' principal (sessions only where `allow_session`), noted in the
/// request's slot for the access log.
pub(crate) async fn identify(req: &Request, state: &AppState, allow_session: bool) -> Result<Principal, ApiError> {
    let principal = match req.extensions().get::<Authenticated>() {
        // Already resolved by the idempotency middleware (with sessions allowed).
        Some(Authenticated(p)) if !allow_session && matches!(p.credential, Credential::Session { .. }) => {
            return Err(auth_error(AuthError::ApiKeyRequired));
        }
        Some(Authenticated(p)) => p.clone(),
        None => state.access.authenticate.execute(presented(req)?, allow_session).await.map_err(auth_error)?,
    };
    if let Some(slot) = req.extensions().get::<RequestSlot>() {
        let key = match &principal.credential {
            Credential::ApiKey { prefix, .. } => {
                let mut shown = [b'*'; 16];
                let display = prefix.display();
                let n = display.len().min(16);
                shown[..n].copy_from_slice(&display.as_bytes()[..n]);
                Some(KeyPrefixShown(shown))
            }
            Credential::Session { .. } => None,
        };
        slot.update(|s| {
            s.account = Some(principal.account.id);
            s.key = key;
        });
    }
    Ok(principal)
}

/// The quota stage for one call of a gated operation (a REST request, or an MCP tool call): the
/// scopes it needs, the plan's access, the monthly quota and the class's minute limit (`key_only`:
/// the operation takes API keys only). The rate status goes to the request's slot (the response
/// headers) whether the call is admitted or not; the gate passed goes there too, so that a kept
/// answer is replayed only to a caller who passes it again.
pub(crate) async fn admit(
    state: &AppState,
    principal: &Principal,
    slot: Option<&RequestSlot>,
    metered: Metered,
    required: Scopes,
    key_only: bool,
) -> Result<(), ApiError> {
    if key_only && matches!(principal.credential, Credential::Session { .. }) {
        return Err(auth_error(AuthError::ApiKeyRequired));
    }
    match state.access.admit.execute(principal, metered, required).await {
        Ok(status) => {
            if let Some(slot) = slot {
                slot.update(|s| {
                    s.rate = Some(status);
                    s.gate = Some(PassedGate { metered, scopes: required, key_only });
                });
            }
            Ok(())
        }
        Err(e) => {
            if let (Some(slot), Some(status)) = (slot, e.status()) {
                slot.update(|s| s.rate = Some(status));
            }
            Err(quota_error(e, &principal.credential, &state.urls.upgrade, state.clock.now()))
        }
    }
}

/// `details` of an `insufficient_scope` refusal: the first scope missing and all of them.
pub(crate) fn scope_details(missing: Scopes) -> serde_json::Value {
    serde_json::json!({"required": missing.first().map_or("", |s| s.as_str()), "missing": missing.names()})
}

/// An authentication failure; where the client should go next is named here, not in core.
pub(crate) fn auth_error(e: AuthError) -> ApiError {
    match e {
        AuthError::SessionExpired => ApiError::new(
            Code::TokenExpired,
            "The session token has expired; refresh it with POST /v1/auth/refresh or log in again.",
        ),
        AuthError::ApiKeyRequired => ApiError::new(
            Code::ApiKeyRequired,
            "This endpoint requires an API key; session tokens are accepted on /v1/auth/*, /v1/billing/*, /v1/applications* and /v1/searches* (but a search's matches) only.",
        ),
        e => ApiError::from_usecase(e),
    }
}

pub(crate) fn quota_error(
    e: AdmitError,
    credential: &Credential,
    upgrade: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiError {
    let upgrade = Some(upgrade.to_owned());
    let message = e.to_string();
    match e {
        AdmitError::ScopeMissing { missing, .. } => {
            let message = match &credential {
                Credential::Session { .. } => format!(
                    "A login session may manage keys, billing, the tracker and saved searches only; call this with an API key holding the `{}` scope.",
                    missing.first().map_or("", |s| s.as_str())
                ),
                Credential::ApiKey { .. } => message,
            };
            ApiError::new(Code::InsufficientScope, message).with_details(scope_details(missing))
        }
        AdmitError::PlanTooLow { plan, required, endpoint, .. } => ApiError::new(
            Code::PlanUpgradeRequired,
            format!(
                "Your {plan} plan does not include {}; it needs the {required} plan or higher.",
                crate::http::gate::current_path(endpoint)
            ),
        )
        .with_details(serde_json::json!({"required_plan": required.as_str()}))
        .with_extra(Extra { upgrade, ..Extra::default() }),
        AdmitError::MonthlyExceeded { limit, used, resets, .. } => {
            crate::metrics::rate_limit_refusal("monthly");
            let mut api = ApiError::new(Code::QuotaExceeded, message).with_extra(Extra {
                limit: Some(limit),
                used: Some(used),
                resets: Some(iso_millis(resets)),
                upgrade,
                ..Extra::default()
            });
            api.retry_after = Some((resets - now).num_seconds().max(1) as u64);
            api
        }
        AdmitError::MinuteExceeded { status } => {
            crate::metrics::rate_limit_refusal(status.class.as_str());
            let class = serde_json::json!({"class": status.class.as_str()});
            let mut api = ApiError::new(Code::RateLimited, message).with_details(class).with_extra(Extra {
                limit: Some(u64::from(status.minute.limit)),
                used: Some(u64::from(status.minute.used)),
                resets: Some(iso_millis(status.minute.resets_at)),
                upgrade,
                ..Extra::default()
            });
            api.retry_after = Some(status.minute.retry_after_secs(now));
            api
        }
        e @ AdmitError::Meter(_) => {
            let mut api = ApiError::from_usecase(e);
            api.retry_after = Some(5);
            api
        }
    }
}

macro_rules! auth_extractor {
    ($(#[$meta:meta])* $name:ident, allow_session = $allow:expr) => {
        $(#[$meta])*
        /// `G` is the handler's plan gate ([`Ungated`] by default).
        #[derive(Debug, Clone)]
        pub struct $name<G: Gate = Ungated>(pub Principal, PhantomData<G>);

        impl<'a, G: Gate> ApiExtractor<'a> for $name<G> {
            const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut Registry) {
                register_schemes(registry);
            }

            fn security_schemes() -> Vec<&'static str> {
                vec![API_KEY_SCHEME, BEARER_SCHEME]
            }

            async fn from_request(
                req: &'a Request,
                _body: &mut RequestBody,
                _opts: ExtractParamOptions<Self::ParamType>,
            ) -> poem::Result<Self> {
                authenticate(req, $allow, G::METERED, G::required(req)).await.map(|p| $name(p, PhantomData))
            }
        }
    };
}

auth_extractor!(
    /// An API key (either header).
    KeyAuth,
    allow_session = false
);
auth_extractor!(
    /// An API key or a login session token.
    AccountAuth,
    allow_session = true
);

/// A JSON body that may be omitted entirely (an empty body means `None`).
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<'a, T: ParseFromJSON> ApiExtractor<'a> for OptionalJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: Some("Optional; may be omitted."),
            content: vec![MetaMediaType { content_type: "application/json; charset=utf-8", schema: T::schema_ref() }],
            required: false,
        })
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _opts: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        let bytes = body.take()?.into_bytes().await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        match req.content_type() {
            Some(ct) if ct.starts_with("application/json") || ct.contains("+json") => {}
            Some(ct) => {
                return Err(poem_openapi::error::ContentTypeError::NotSupported { content_type: ct.to_owned() }.into());
            }
            None => return Err(poem_openapi::error::ContentTypeError::ExpectContentType.into()),
        }
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| poem_openapi::error::ParseRequestPayloadError { reason: e.to_string() })?;
        T::parse_from_json(Some(value))
            .map(|v| Self(Some(v)))
            .map_err(|e| poem_openapi::error::ParseRequestPayloadError { reason: e.into_message() }.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use jobin_core::domain::Plan;
    use jobin_core::ports::WindowDecision;
    use jobin_core::usecases::RateStatus;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn status(plan: Plan, limit: u32, used: u32) -> RateStatus {
        RateStatus {
            plan,
            class: jobin_core::usecases::LimitClass::Data,
            minute: WindowDecision { allowed: false, limit, used, resets_at: at("2025-04-30T23:59:00Z") },
            monthly: false,
        }
    }

    fn key() -> Credential {
        let prefix = jobin_core::domain::KeyPrefix::parse("jl_live_ab12").unwrap();
        Credential::ApiKey { id: jobin_core::domain::KeyId(1), prefix }
    }

    #[tokio::test]
    async fn a_missing_scope_is_a_403_naming_it() {
        use jobin_core::domain::Scope;
        let missing = Scopes::of(&[Scope::AnalyticsRead, Scope::AiUse]);
        let (status, retry, v) = body(quota_error(
            AdmitError::ScopeMissing { missing, status: None },
            &key(),
            "u",
            at("2025-04-30T23:00:00Z"),
        ))
        .await;
        assert_eq!((status, retry), (403, None));
        assert_eq!(
            v,
            json!({"error": "This API key does not have the `analytics:read` scope this operation needs.",
                   "code": "insufficient_scope",
                   "details": {"required": "analytics:read", "missing": ["analytics:read", "ai:use"]}})
        );
        let session = Credential::Session { family: "f".into() };
        let e = AdmitError::ScopeMissing { missing: Scopes::of(&[Scope::JobsRead]), status: None };
        let (_, _, v) = body(quota_error(e, &session, "u", at("2025-04-30T23:00:00Z"))).await;
        assert!(v["error"].as_str().unwrap().contains("login session"), "{v}");
        assert_eq!(v["details"]["required"], "jobs:read");
    }

    async fn body(e: ApiError) -> (u16, Option<String>, serde_json::Value) {
        let resp = e.into_response();
        let status = resp.status().as_u16();
        let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
        let mut v: serde_json::Value = serde_json::from_slice(&resp.into_body().into_vec().await.unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("request_id");
        (status, retry, v)
    }

    #[tokio::test]
    async fn a_plan_too_low_is_a_403_with_the_upgrade_link() {
        let e = AdmitError::PlanTooLow {
            plan: Plan::Free,
            required: Plan::Starter,
            endpoint: jobin_core::domain::Endpoint::JobsSalary,
            status: None,
        };
        let (status, retry, v) =
            body(quota_error(e, &key(), "https://api.example.com/v1/pricing", at("2025-04-30T12:00:00Z"))).await;
        assert_eq!((status, retry), (403, None));
        assert_eq!(
            v,
            json!({"error": "Your free plan does not include /v1/jobs/salary; it needs the starter plan or higher.",
                   "code": "plan_upgrade_required", "details": {"required_plan": "starter"},
                   "upgrade": "https://api.example.com/v1/pricing"})
        );
    }

    #[tokio::test]
    async fn a_spent_monthly_quota_is_the_documented_429() {
        let e = AdmitError::MonthlyExceeded {
            limit: 50_000,
            used: 50_000,
            resets: at("2025-05-01T00:00:00Z"),
            status: status(Plan::Starter, 60, 3),
        };
        let (status, retry, v) =
            body(quota_error(e, &key(), "https://api.example.com/v1/pricing", at("2025-04-30T23:00:00Z"))).await;
        assert_eq!((status, retry.as_deref()), (429, Some("3600")));
        assert_eq!(
            v,
            json!({"error": "Monthly request limit exceeded", "code": "quota_exceeded", "details": {},
                   "limit": 50000, "used": 50000, "resets": "2025-05-01T00:00:00.000Z",
                   "upgrade": "https://api.example.com/v1/pricing", "retry_after": 3600})
        );
    }

    #[tokio::test]
    async fn an_unreachable_meter_fails_closed_with_503() {
        let e = AdmitError::Meter(jobin_core::ports::MeterError::Unavailable(anyhow::anyhow!("redis down")));
        let (status, retry, v) = body(quota_error(e, &key(), "u", at("2025-04-30T23:00:00Z"))).await;
        assert_eq!((status, retry.as_deref()), (503, Some("5")));
        assert_eq!(v["code"], "dependency_unavailable");
        assert!(!v.to_string().contains("redis down"), "internal detail must not leak: {v}");
    }
}
