//! `/billing/*`. The Stripe webhook is a plain poem handler (not a poem-openapi operation): its
//! signature covers the raw body bytes, which a typed JSON payload would re-serialize.

use jobin_core::Code;
use jobin_core::usecases::WebhookOutcome;
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
