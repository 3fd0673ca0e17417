//! `/billing/*`. The Stripe webhook is a plain poem handler (not a poem-openapi operation): its
//! signature covers the raw body bytes, which a typed JSON payload would re-serialize.

use jobin_core::usecases::WebhookOutcome;
use jobin_core::{Code, ErrorCode};
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};
use std::sync::Arc;

use crate::http::error::ApiError;
use crate::wiring::AppState;

/// `POST /billing/webhook` (Stripe only): 200 `{"received": true, "outcome": …}` for every verified
/// event (applied, replayed, stale or ignored); 400 `invalid_signature` or `validation_failed`
/// otherwise, changing nothing.
#[handler]
pub async fn webhook(req: &Request, body: Vec<u8>, state: Data<&Arc<AppState>>) -> poem::Result<Response> {
    let Some(signature) = req.header("stripe-signature") else {
        return Err(ApiError::new(Code::InvalidSignature, "The Stripe-Signature header is missing.").into());
    };
    let outcome = state.billing_webhook.execute(signature, &body).await.map_err(|e| {
        tracing::warn!(error = %e, "webhook refused");
        ApiError::from_usecase(e)
    })?;
    let outcome = match outcome {
        WebhookOutcome::Applied => "applied",
        WebhookOutcome::Replayed => "replayed",
        WebhookOutcome::Stale => "stale",
        WebhookOutcome::Ignored => "ignored",
    };
    Ok(poem::web::Json(serde_json::json!({"received": true, "outcome": outcome})).into_response())
}

/// The local checkout page (no Stripe key): the plan and two buttons.
#[handler]
pub async fn local_checkout_page(
    poem::web::Path(id): poem::web::Path<String>,
    state: Data<&Arc<AppState>>,
) -> poem::Result<Response> {
    let Some(session) = state.local_checkout.as_ref().and_then(|l| l.session(&id)) else {
        return Err(ApiError::new(Code::NotFound, "No open local checkout session with this id.").into());
    };
    let terms = state.catalog.terms(session.plan);
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>JobIn local checkout</title></head><body>\
         <h1>JobIn local checkout</h1><p>This server has no Stripe key, so this page stands in for Stripe's \
         checkout. No money moves.</p><p>Plan: <strong>{plan}</strong> — {monthly} requests a month, {minute} a \
         minute, ${price}/month.</p><p>Account: {email}</p>\
         <form method=\"post\" action=\"/billing/local-checkout/{id}/complete\"><button>Complete payment</button></form>\
         <form method=\"post\" action=\"/billing/local-checkout/{id}/cancel\"><button>Cancel</button></form></body></html>",
        plan = session.plan,
        monthly = terms.monthly_requests,
        minute = terms.per_minute,
        price = terms.price_usd_per_month,
        email = html_escape(&session.email),
    );
    Ok(poem::web::Html(page).into_response())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn see_other(url: &str) -> Response {
    Response::builder().status(poem::http::StatusCode::SEE_OTHER).header("location", url).finish()
}

/// Completes a local checkout: a signed `checkout.session.completed` goes through the webhook use
/// case (the same plan sync as Stripe's), then the user is sent to `success_url`.
#[handler]
pub async fn local_checkout_complete(
    poem::web::Path(id): poem::web::Path<String>,
    state: Data<&Arc<AppState>>,
) -> poem::Result<Response> {
    let Some(session) = state.local_checkout.as_ref().and_then(|l| l.take(&id)) else {
        return Err(ApiError::new(Code::NotFound, "No open local checkout session with this id.").into());
    };
    let now = state.clock.now().timestamp();
    let account = session.client_reference.trim_start_matches("acct_");
    let event = serde_json::json!({
        "id": format!("evt_{id}"),
        "object": "event",
        "created": now,
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": id,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "complete",
            "payment_status": "paid",
            "client_reference_id": session.client_reference,
            "customer": session.customer.clone().unwrap_or_else(|| format!("cus_local_{account}")),
            "subscription": format!("sub_local_{id}"),
            "metadata": {"plan": session.plan.as_str()},
        }},
    })
    .to_string();
    let signature = jobin_core::domain::sign_webhook(event.as_bytes(), &state.billing_webhook.secret, now);
    state.billing_webhook.execute(&signature, event.as_bytes()).await.map_err(ApiError::from_usecase)?;
    Ok(see_other(&session.success_url.replace("{CHECKOUT_SESSION_ID}", &id)))
}

/// Cancels a local checkout and sends the user to `cancel_url`; nothing changes.
#[handler]
pub async fn local_checkout_cancel(
    poem::web::Path(id): poem::web::Path<String>,
    state: Data<&Arc<AppState>>,
) -> poem::Result<Response> {
    match state.local_checkout.as_ref().and_then(|l| l.take(&id)) {
        Some(session) => Ok(see_other(&session.cancel_url)),
        None => Err(ApiError::new(Code::NotFound, "No open local checkout session with this id.").into()),
    }
}

#[derive(Debug, poem_openapi::Object)]
pub struct CheckoutBody {
    /// `starter`, `pro` or `scale`.
    pub plan: String,
    /// Redirect after payment; may contain `{CHECKOUT_SESSION_ID}`. https:// or http://localhost.
    pub success_url: String,
    /// Redirect if cancelled; same requirements.
    pub cancel_url: String,
}

#[derive(Debug, poem_openapi::Object)]
pub struct UrlBody {
    pub url: String,
}

#[derive(poem_openapi::ApiResponse)]
pub enum CheckoutResponse {
    /// Send the user to `url` to pay; then poll `GET /auth/me` until `plan` changes.
    #[oai(status = 200)]
    Ok(poem_openapi::payload::Json<UrlBody>),
}

crate::http::error::error_responses!(CheckoutErrorResponse {
    400 => BadRequest: "Unknown plan, or a redirect URL that is not https:// or http://localhost (`validation_failed`, naming the field).",
    401 => Unauthorized: "Missing, invalid or revoked API key.",
    409 => Conflict: "Already on this plan or higher (`already_on_plan`, with `portal`).",
    429 => TooManyRequests: "Per-minute limit reached (`rate_limited`, with `Retry-After`).",
    503 => Unavailable: "The payment provider is unreachable or has no price for the plan (`payment_unavailable`).",
});

pub struct BillingApi;

#[poem_openapi::OpenApi(tag = "crate::http::Tag::Billing")]
impl BillingApi {
    /// Start a checkout
    ///
    /// A checkout URL for a paid plan. After payment the plan changes through Stripe's webhook;
    /// poll `GET /auth/me` until `plan` changes. Without a Stripe key on this server the URL is a
    /// local page where the payment is simulated (no money moves) through the same plan sync.
    #[oai(path = "/billing/checkout", method = "post", operation_id = "create_checkout")]
    async fn checkout(
        &self,
        state: Data<&Arc<AppState>>,
        auth: crate::http::security::KeyAuth,
        body: poem_openapi::payload::Json<CheckoutBody>,
    ) -> Result<CheckoutResponse, CheckoutErrorResponse> {
        let b = body.0;
        match state.checkout.execute(&auth.0, &b.plan, &b.success_url, &b.cancel_url).await {
            Ok(session) => Ok(CheckoutResponse::Ok(poem_openapi::payload::Json(UrlBody { url: session.url }))),
            Err(jobin_core::usecases::CheckoutError::Invalid(f)) => {
                Err(ApiError::field(Code::ValidationFailed, f.field, f.reason).into())
            }
            Err(e @ jobin_core::usecases::CheckoutError::AlreadyOnPlan { .. }) => Err(ApiError::from_usecase(e)
                .with_extra(crate::http::error::Extra { portal: Some(state.portal_url.clone()), ..Default::default() })
                .into()),
            Err(e) => {
                tracing::warn!(error = %e, "checkout failed");
                let mut api = ApiError::new(e.code(), "The payment provider is unavailable; retry later.");
                api.retry_after = Some(30);
                Err(api.into())
            }
        }
    }
}
