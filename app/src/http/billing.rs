//! `/billing/*`: checkout, the customer portal and Stripe's webhook. The offline stand-in's pages
//! are in `stand_in`.
//!
//! The webhook's signature covers the raw body bytes, so its body is read as bytes (`RawEvent`),
//! never re-serialized, yet it is still an OpenAPI operation documented in the spec.

use crate::metrics;
use jobin_core::usecases::{CheckoutError, PORTAL_MIN_PLAN, PortalError, WebhookOutcome};
use jobin_core::{Code, ErrorCode};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, param::Header};
use std::sync::Arc;

use crate::http::error::{ApiError, Extra, error_responses};
use crate::state::AppState;

mod stand_in;
pub use stand_in::{
    local_checkout_cancel, local_checkout_complete, local_checkout_page, local_done_page, local_portal_action,
    local_portal_page,
};

// ---------------------------------------------------------------------------------------------
// Webhook

/// A Stripe event as Stripe sends it (documentation only: the handler verifies the raw bytes).
#[derive(Debug, poem_openapi::Object)]
pub struct StripeEvent {
    /// `evt_…`; each event is applied once.
    pub id: String,
    /// Always `event`.
    pub object: String,
    /// Unix seconds; orders events for one subscription.
    pub created: i64,
    /// `checkout.session.completed`, `customer.subscription.updated`, `customer.subscription.deleted`,
    /// `invoice.payment_failed` change plans; other types are acknowledged.
    #[oai(rename = "type")]
    pub kind: String,
    pub data: StripeEventData,
}

#[derive(Debug, poem_openapi::Object)]
pub struct StripeEventData {
    /// The Checkout Session, Subscription or Invoice.
    pub object: serde_json::Value,
}

/// A JSON request body documented with `schema`, for the extractors below that read the raw bytes
/// themselves (poem-openapi's `Json` re-serializes and insists on a content type).
fn json_body_meta(description: &'static str, schema: MetaSchemaRef, required: bool) -> Option<MetaRequest> {
    Some(MetaRequest {
        description: Some(description),
        content: vec![MetaMediaType { content_type: "application/json", schema }],
        required,
    })
}

async fn raw_bytes(request: &poem::Request, body: &mut poem::RequestBody) -> poem::Result<Vec<u8>> {
    <Vec<u8> as poem::FromRequest>::from_request(request, body).await
}

/// The webhook body, byte for byte (any content type; Stripe sends `application/json`).
pub struct RawEvent(pub Vec<u8>);

impl<'a> ApiExtractor<'a> for RawEvent {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        StripeEvent::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        json_body_meta(
            "The Stripe event, exactly as Stripe sent it (the signature covers these bytes).",
            StripeEvent::schema_ref(),
            true,
        )
    }

    async fn from_request(
        request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self(raw_bytes(request, body).await?))
    }
}

#[derive(Debug, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum Outcome {
    /// The event changed the account's billing state.
    Applied,
    /// Seen before: acknowledged, nothing changed.
    Replayed,
    /// Older than the state already applied (events arrive out of order): nothing changed.
    Stale,
    /// A type that changes no plan, or no account of ours: acknowledged.
    Ignored,
}

impl Outcome {
    pub const fn as_str(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Replayed => "replayed",
            Outcome::Stale => "stale",
            Outcome::Ignored => "ignored",
        }
    }
}

#[derive(Debug, poem_openapi::Object)]
pub struct WebhookAck {
    /// Always true.
    pub received: bool,
    pub outcome: Outcome,
}

#[derive(poem_openapi::ApiResponse)]
pub enum WebhookResponse {
    /// Verified and handled (including replays and ignored types, so Stripe stops retrying).
    #[oai(status = 200)]
    Ok(Json<WebhookAck>),
}

error_responses!(WebhookErrorResponse {
    400 => BadRequest: "A missing, malformed, stale (over 300 s) or non-matching `Stripe-Signature` (`invalid_signature`), or a body that is not a Stripe event (`validation_failed`). Nothing changes.",
    413 => PayloadTooLarge: "The body is over the size limit (`payload_too_large`).",
    503 => Unavailable: "The database is unreachable (`dependency_unavailable`); Stripe retries.",
});

// ---------------------------------------------------------------------------------------------
// Checkout and portal

#[derive(Debug, poem_openapi::Object)]
pub struct CheckoutBody {
    /// `starter`, `pro` or `scale`.
    pub plan: String,
    /// Redirect after payment; may contain `{CHECKOUT_SESSION_ID}`. https:// or http://localhost.
    pub success_url: String,
    /// Redirect if cancelled; same requirements.
    pub cancel_url: String,
}

#[derive(Debug, Default, poem_openapi::Object)]
pub struct PortalBody {
    /// Where the portal's "return" link goes: https:// or http://localhost. Default: this server's
    /// public URL.
    pub return_url: Option<String>,
}

/// The portal's optional body: no body (or an empty one) is `{}`.
pub struct PortalRequest(pub PortalBody);

impl<'a> ApiExtractor<'a> for PortalRequest {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        PortalBody::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        json_body_meta("Optional.", PortalBody::schema_ref(), false)
    }

    async fn from_request(
        request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        use poem_openapi::types::ParseFromJSON;
        let bytes = raw_bytes(request, body).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(PortalBody::default()));
        }
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::new(Code::InvalidJson, format!("The body is not valid JSON: {e}.")))?;
        PortalBody::parse_from_json(Some(value)).map(Self).map_err(|e| {
            ApiError::new(Code::ValidationFailed, format!("The body does not match the schema: {}.", e.message()))
                .into()
        })
    }
}

#[derive(Debug, poem_openapi::Object)]
pub struct UrlBody {
    pub url: String,
}

#[derive(poem_openapi::ApiResponse)]
pub enum CheckoutResponse {
    /// Send the user to `url` to pay; then poll `GET /v1/auth/me` until `plan` changes.
    #[oai(status = 200)]
    Ok(Json<UrlBody>),
}

#[derive(poem_openapi::ApiResponse)]
pub enum PortalResponse {
    /// Send the user to `url` (short-lived: create one per click). Changes made there come back
    /// through the webhook; `GET /v1/auth/me` shows them.
    #[oai(status = 200)]
    Ok(Json<UrlBody>),
}

error_responses!(CheckoutErrorResponse {
    400 => BadRequest: "Unknown plan, or a redirect URL that is not https:// or http://localhost (`validation_failed`, naming the field).",
    401 => Unauthorized: "Missing, invalid or revoked API key or session token.",
    403 => Forbidden: "The key lacks `billing:write` (`insufficient_scope`, `details.required` names it).",
    409 => Conflict: "Already on this plan or higher (`already_on_plan`, with `portal`).",
    429 => TooManyRequests: "Over the account-request limit (`rate_limited`, `details.class` = `account`), with `Retry-After`.",
    503 => Unavailable: "The payment provider is unreachable or has no price for the plan (`payment_unavailable`, with `Retry-After`), or this server takes no payments (`billing_unconfigured`).",
});

error_responses!(PortalErrorResponse {
    400 => BadRequest: "A `return_url` that is not https:// or http://localhost (`validation_failed`).",
    401 => Unauthorized: "Missing, invalid or revoked API key or session token.",
    403 => Forbidden: "The key lacks `billing:write` (`insufficient_scope`, `details.required` names it), or the Free plan has no subscription to manage (`plan_upgrade_required`, with `upgrade`).",
    409 => Conflict: "The plan was not bought through billing, so there is nothing to manage (`no_billing_customer`).",
    429 => TooManyRequests: "Over the account-request limit (`rate_limited`, `details.class` = `account`), with `Retry-After`.",
    503 => Unavailable: "The payment provider is unreachable (`payment_unavailable`, with `Retry-After`), or this server takes no payments (`billing_unconfigured`).",
});

fn provider_unavailable(e: impl ErrorCode + std::fmt::Display) -> ApiError {
    if e.code() == Code::BillingUnconfigured {
        // Not transient: no Retry-After; the operator has to configure billing.
        return ApiError::new(
            Code::BillingUnconfigured,
            "This server takes no payments: billing is not configured. Ask its operator.",
        );
    }
    tracing::warn!(error = %e, "payment provider call failed");
    let mut api = ApiError::new(e.code(), "The payment provider is unavailable; retry later.");
    api.retry_after = Some(30);
    api
}

pub struct BillingApi;

#[poem_openapi::OpenApi(tag = "crate::http::Tag::Billing")]
impl BillingApi {
    /// Start a checkout
    ///
    /// A checkout URL for a paid plan. After payment the plan changes through Stripe's webhook;
    /// poll `GET /v1/auth/me` until `plan` changes. A server running the offline stand-in (`--demo` or
    /// `JOBIN_BILLING=local`) answers a local page where the payment is simulated (no money moves)
    /// through the same plan sync; a server with neither Stripe nor the stand-in answers 503
    /// `billing_unconfigured`.
    #[oai(path = "/billing/checkout", method = "post", operation_id = "create_checkout")]
    async fn checkout(
        &self,
        state: Data<&Arc<AppState>>,
        auth: crate::http::security::AccountAuth<crate::http::gate::Billing>,
        body: Json<CheckoutBody>,
    ) -> Result<CheckoutResponse, CheckoutErrorResponse> {
        let b = body.0;
        match state.billing.checkout.execute(&auth.0, &b.plan, &b.success_url, &b.cancel_url).await {
            Ok(session) => Ok(CheckoutResponse::Ok(Json(UrlBody { url: session.url }))),
            Err(CheckoutError::Invalid(f)) => Err(ApiError::field(Code::ValidationFailed, f.field, f.reason).into()),
            Err(CheckoutError::AlreadyOnPlan { .. }) => Err(ApiError::new(
                Code::AlreadyOnPlan,
                "Already on this plan or higher. To change or cancel it, open the customer portal: POST /v1/billing/portal \
                 answers its address (`portal` links to how).",
            )
            .with_extra(Extra { portal: Some(state.urls.portal.clone()), ..Default::default() })
            .into()),
            Err(CheckoutError::Store(e)) => Err(ApiError::from_usecase(e).into()),
            Err(e) => Err(provider_unavailable(e).into()),
        }
    }

    /// Open the customer portal
    ///
    /// A Stripe Customer Portal URL where the user upgrades, downgrades, cancels and sees invoices
    /// (Starter and up). Every change comes back through the webhook. With the offline stand-in the
    /// URL is a local page that simulates those actions through the same plan sync.
    #[oai(path = "/billing/portal", method = "post", operation_id = "create_portal_session")]
    async fn portal(
        &self,
        state: Data<&Arc<AppState>>,
        auth: crate::http::security::AccountAuth<crate::http::gate::Billing>,
        body: PortalRequest,
    ) -> Result<PortalResponse, PortalErrorResponse> {
        let body = body.0;
        match state.billing.portal.execute(&auth.0, body.return_url.as_deref(), &state.urls.public).await {
            Ok(url) => Ok(PortalResponse::Ok(Json(UrlBody { url }))),
            Err(PortalError::Invalid(f)) => Err(ApiError::field(Code::ValidationFailed, f.field, f.reason).into()),
            Err(e @ PortalError::PlanTooLow { .. }) => Err(ApiError::from_usecase(e)
                .with_details(serde_json::json!({"required_plan": PORTAL_MIN_PLAN.as_str()}))
                .with_extra(Extra { upgrade: Some(state.urls.upgrade.clone()), ..Default::default() })
                .into()),
            Err(e @ (PortalError::NoCustomer | PortalError::Payment(jobin_core::ports::PaymentError::NoCustomer))) => {
                Err(ApiError::from_usecase(e).into())
            }
            Err(PortalError::Store(e)) => Err(ApiError::from_usecase(e).into()),
            Err(e) => Err(provider_unavailable(e).into()),
        }
    }

    /// Stripe webhook
    ///
    /// For Stripe only: do not call it directly. Verifies `Stripe-Signature` (HMAC-SHA-256 over
    /// the raw body with the endpoint secret, timestamps within 300 s, any of several `v1`
    /// signatures), then applies the event once: `checkout.session.completed` activates the plan,
    /// `customer.subscription.updated` applies its price's plan, `customer.subscription.deleted`
    /// reverts to Free, `invoice.payment_failed` marks the account past due and keeps the plan.
    /// Events arriving out of order converge to the right plan.
    #[oai(path = "/billing/webhook", method = "post", operation_id = "stripe_webhook")]
    async fn webhook(
        &self,
        state: Data<&Arc<AppState>>,
        /// `t=<unix>,v1=<hex>[,v1=<hex>…]`, as Stripe signs it.
        #[oai(name = "Stripe-Signature")]
        signature: Header<Option<String>>,
        body: RawEvent,
    ) -> Result<WebhookResponse, WebhookErrorResponse> {
        let Some(signature) = signature.0 else {
            metrics::webhook_event("unverified", Code::InvalidSignature.as_str());
            return Err(ApiError::new(Code::InvalidSignature, "The Stripe-Signature header is missing.").into());
        };
        let outcome = state.billing.webhook.execute(&signature, &body.0).await.map_err(|e| {
            tracing::warn!(error = %e, "webhook refused");
            let api = ApiError::from_usecase(e);
            // A refused event's type is the sender's word, not Stripe's: never a label.
            metrics::webhook_event("unverified", api.code.as_str());
            api
        })?;
        let kind = serde_json::from_slice::<serde_json::Value>(body.0.as_ref())
            .ok()
            .and_then(|v| v.get("type").and_then(serde_json::Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        let outcome = match outcome {
            WebhookOutcome::Applied => Outcome::Applied,
            WebhookOutcome::Replayed => Outcome::Replayed,
            WebhookOutcome::Stale => Outcome::Stale,
            WebhookOutcome::Ignored => Outcome::Ignored,
        };
        metrics::webhook_event(&kind, outcome.as_str());
        Ok(WebhookResponse::Ok(Json(WebhookAck { received: true, outcome })))
    }
}
