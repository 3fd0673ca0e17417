//! The offline stand-in's pages (no Stripe key): plain HTML forms, outside the API document. What the
//! user does there becomes the delivery Stripe would send, applied through the same webhook use case.

use jobin_core::Code;
use jobin_core::domain::Plan;
use jobin_core::domain::normalize::thousands;
use jobin_core::ports::{PaymentStandIn, PortalAction, PortalVisit, WebhookDelivery};
use jobin_core::usecases::WebhookOutcome;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use std::sync::Arc;

use crate::http::error::ApiError;
use crate::state::AppState;

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn see_other(url: &str) -> Response {
    Response::builder().status(poem::http::StatusCode::SEE_OTHER).header("location", url).finish()
}

fn page(title: &str, body: &str) -> Response {
    poem::web::Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1>\
         <p>This server has no Stripe key, so this page stands in for Stripe. No money moves.</p>{body}</body></html>"
    ))
    .into_response()
}

/// A page for a checkout or portal link that is used up or unknown: readable in a browser, 404.
fn no_session(what: &str) -> poem::Error {
    let next = if what == "checkout" { "POST /v1/billing/checkout" } else { "POST /v1/billing/portal" };
    let body = page(
        &format!("This local {what} has ended"),
        &format!(
            "<p>This {what} link was completed, cancelled or has expired (the server keeps them in memory until \
             it restarts). Start a new one with <code>{next}</code>; <code>GET /v1/auth/me</code> shows your plan \
             and billing status.</p><p><a href=\"/docs\">API docs</a></p>"
        ),
    );
    poem::Error::from_response(body.with_status(poem::http::StatusCode::NOT_FOUND).into_response())
}

/// Where a local checkout can send the browser when the client has no page of its own:
/// `success_url` / `cancel_url` = `{JOBIN_PUBLIC_URL}/billing/local-done`.
#[handler]
pub async fn local_done_page() -> Response {
    page(
        "JobIn local checkout: done",
        "<p>The local checkout has ended. <code>GET /v1/auth/me</code> shows your plan and billing status.</p>\
         <p><a href=\"/docs\">API docs</a></p>",
    )
}

/// Applies a stand-in delivery through the webhook use case, exactly as a delivery from Stripe.
async fn deliver(state: &AppState, d: WebhookDelivery) -> poem::Result<WebhookOutcome> {
    state.billing.webhook.execute(&d.signature, &d.body).await.map_err(|e| ApiError::from_usecase(e).into())
}

/// The local checkout page: the plan and two buttons.
#[handler]
pub async fn local_checkout_page(
    poem::web::Path(id): poem::web::Path<String>,
    state: Data<&Arc<AppState>>,
) -> poem::Result<Response> {
    let Some(session) = state.billing.stand_in.as_ref().and_then(|l| l.checkout(&id)) else {
        return Err(no_session("checkout"));
    };
    let terms = state.catalog.terms(session.plan);
    let id = html_escape(&id);
    Ok(page(
        "JobIn local checkout",
        &format!(
            "<p>Plan: <strong>{plan}</strong> — {monthly} requests a month, {minute} a minute, ${price}/month.</p>\
             <p>Account: {email}</p>\
             <form method=\"post\" action=\"/billing/local-checkout/{id}/complete\"><button>Complete payment</button></form>\
             <form method=\"post\" action=\"/billing/local-checkout/{id}/cancel\"><button>Cancel</button></form>",
            plan = session.plan,
            monthly = thousands(terms.monthly_requests as i64),
            minute = thousands(i64::from(terms.per_minute)),
            price = terms.price_usd_per_month,
            email = html_escape(&session.email),
        ),
    ))
}

/// Completes a local checkout: a signed `checkout.session.completed` goes through the webhook use
/// case (the same plan sync as Stripe's), then the user is sent to `success_url`.
#[handler]
pub async fn local_checkout_complete(
    poem::web::Path(id): poem::web::Path<String>,
    state: Data<&Arc<AppState>>,
) -> poem::Result<Response> {
    let Some(local) = state.billing.stand_in.as_ref() else { return Err(no_session("checkout")) };
    let Some(session) = local.close_checkout(&id) else { return Err(no_session("checkout")) };
    deliver(&state, local.checkout_completed(&id, &session, state.clock.now())).await?;
    Ok(see_other(&session.success_url.replace("{CHECKOUT_SESSION_ID}", &id)))
}

/// Cancels a local checkout and sends the user to `cancel_url`; nothing changes.
#[handler]
pub async fn local_checkout_cancel(
    poem::web::Path(id): poem::web::Path<String>,
    state: Data<&Arc<AppState>>,
) -> poem::Result<Response> {
    match state.billing.stand_in.as_ref().and_then(|l| l.close_checkout(&id)) {
        Some(session) => Ok(see_other(&session.cancel_url)),
        None => Err(no_session("checkout")),
    }
}

/// The open local portal session `id` and the billing record of its customer.
async fn open_portal<'a>(
    state: &'a AppState,
    id: &str,
) -> poem::Result<(&'a dyn PaymentStandIn, PortalVisit, jobin_core::ports::BillingRecord)> {
    let local = state.billing.stand_in.as_deref().ok_or_else(|| no_session("portal"))?;
    let portal = local.portal(id).ok_or_else(|| no_session("portal"))?;
    let record = state
        .billing
        .store
        .find_by_provider_ids(None, Some(portal.customer.clone()))
        .await
        .map_err(ApiError::from_usecase)?
        .ok_or_else(|| no_session("portal"))?;
    Ok((local, portal, record))
}

/// The local portal page: the account's plan and billing status, and the actions Stripe's portal
/// offers (switch plan, cancel), plus "a renewal payment fails" and "pay the overdue invoice" to
/// walk through the past-due path.
#[handler]
pub async fn local_portal_page(
    poem::web::Path(id): poem::web::Path<String>,
    state: Data<&Arc<AppState>>,
) -> poem::Result<Response> {
    let (_, portal, record) = open_portal(&state, &id).await?;
    let plan = record.account.plan;
    let id = html_escape(&id);
    let form = |action: &str, label: &str| {
        format!("<form method=\"post\" action=\"/billing/local-portal/{id}/{action}\"><button>{label}</button></form>")
    };
    let mut actions = String::new();
    if record.subscription.is_some() && plan != Plan::Free {
        for other in [Plan::Starter, Plan::Pro, Plan::Scale].into_iter().filter(|p| *p != plan) {
            let terms = state.catalog.terms(other);
            actions +=
                &form(&format!("switch-{other}"), &format!("Switch to {other} (${}/month)", terms.price_usd_per_month));
        }
        // Only what applies now: a renewal can fail while paid up; an overdue invoice can be paid.
        match record.status {
            jobin_core::ports::BillingStatus::PastDue => actions += &form("pay", "Pay the overdue invoice"),
            _ => actions += &form("fail-payment", "Simulate a failed renewal payment"),
        }
        actions += &form("cancel", "Cancel subscription");
    } else {
        actions += "<p>No active subscription: start one with <code>POST /v1/billing/checkout</code>.</p>";
    }
    Ok(page(
        "JobIn local billing portal",
        &format!(
            "<p>Account: {email}</p><p>Plan: <strong>{plan}</strong> — billing status: <strong>{status}</strong></p>\
             {actions}<p><a href=\"{back}\">Return</a></p>",
            email = html_escape(record.account.email.as_str()),
            status = record.status.as_str(),
            back = html_escape(&portal.return_url),
        ),
    ))
}

/// One local portal action: the Stripe event it stands for goes through the webhook code, then
/// back to the portal page.
#[handler]
pub async fn local_portal_action(
    poem::web::Path((id, action)): poem::web::Path<(String, String)>,
    state: Data<&Arc<AppState>>,
) -> poem::Result<Response> {
    let (local, portal, record) = open_portal(&state, &id).await?;
    let action = match action.as_str() {
        "fail-payment" => PortalAction::FailPayment,
        "pay" => PortalAction::PayInvoice,
        "cancel" => PortalAction::Cancel,
        other => match other.strip_prefix("switch-").map(Plan::parse) {
            Some(Ok(plan)) if plan != Plan::Free => PortalAction::SwitchPlan(plan),
            _ => return Err(ApiError::new(Code::NotFound, "No such portal action.").into()),
        },
    };
    let Some(subscription) = record.subscription.as_deref().filter(|_| record.account.plan != Plan::Free) else {
        return Err(ApiError::new(Code::ValidationFailed, "This account has no active subscription.").into());
    };
    let now = state.clock.now();
    let event = local
        .portal_event(action, &portal.customer, subscription, record.account.plan, now)
        .map_err(|e| ApiError::new(Code::PaymentUnavailable, e.to_string()))?;
    deliver(&state, event).await?;
    if action == PortalAction::Cancel {
        return Ok(see_other(&portal.return_url));
    }
    Ok(see_other(&format!("/billing/local-portal/{id}")))
}
