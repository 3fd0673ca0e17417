//! `GET /health`.

use chrono::Utc;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::json;
use std::sync::Arc;

use crate::http::Tag;
use crate::http::error::{ApiError, error_responses};
use crate::state::AppState;

#[derive(Debug, Object)]
#[oai(example)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    /// Server time, ISO-8601 UTC with milliseconds.
    pub ts: String,
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    /// The service and its database are up.
    #[oai(status = 200)]
    Ok(Json<Health>),
}

error_responses!(HealthErrorResponse {
    503 => Unavailable: "The database or Redis is unreachable (`details.database`, `details.redis`).",
});

#[derive(Debug, Object)]
pub struct PlanInfo {
    pub plan: String,
    pub monthly_requests: u64,
    /// Data requests (`/v1/jobs/*`) per minute.
    pub per_minute: u32,
    /// Account requests (`/v1/auth/*`, `/v1/billing/*`) per minute: their own limit, which data traffic
    /// never spends.
    pub account_per_minute: u32,
    /// Application-tracker and saved-search requests (`/v1/applications*`, `/v1/searches*` but
    /// a search's matches, a data request) per minute: their own limit.
    pub tracker_per_minute: u32,
    /// The tracker's AI requests (`POST /v1/applications/{id}/score`) per hour: their own limit.
    pub ai_per_hour: u32,
    pub data_sources: u8,
    /// AI model tiers the plan may use (`lite`, `flagship`).
    pub ai_tiers: Vec<String>,
    pub price_usd_per_month: u32,
    /// How many saved searches an account may hold.
    pub saved_searches: u32,
    /// The data endpoints the plan may call.
    pub endpoints: Vec<String>,
}

#[derive(Debug, Object)]
pub struct Pricing {
    pub plans: Vec<PlanInfo>,
}

#[derive(ApiResponse)]
pub enum PricingResponse {
    /// Every plan with its limits, price and endpoints (this server's catalog).
    #[oai(status = 200)]
    Ok(Json<Pricing>),
}

pub struct SystemApi;

#[OpenApi(tag = "Tag::System")]
impl SystemApi {
    /// Plans and limits
    ///
    /// The plans this server sells: monthly requests, the per-minute limits of data requests and of
    /// account requests, tracker and saved-search requests per minute and tracker AI requests per hour (each class its own limit), data sources, AI tiers, price, saved searches and endpoints. Public; the `upgrade` link of 403 and 429 answers points here.
    #[oai(path = "/pricing", method = "get", operation_id = "get_pricing")]
    async fn pricing(&self, state: Data<&Arc<AppState>>) -> PricingResponse {
        let plans = jobin_core::domain::Plan::ALL
            .into_iter()
            .map(|p| {
                let t = state.catalog.terms(p);
                PlanInfo {
                    plan: p.as_str().into(),
                    monthly_requests: t.monthly_requests,
                    per_minute: t.per_minute,
                    account_per_minute: t.account_per_minute,
                    tracker_per_minute: t.tracker_per_minute,
                    ai_per_hour: t.ai_per_hour,
                    data_sources: t.data_sources,
                    ai_tiers: t.ai_tiers.iter().map(|a| a.as_str().to_owned()).collect(),
                    price_usd_per_month: t.price_usd_per_month,
                    saved_searches: t.saved_searches,
                    endpoints: state.catalog.endpoints(p).into_iter().map(crate::http::gate::current_path).collect(),
                }
            })
            .collect();
        PricingResponse::Ok(Json(Pricing { plans }))
    }

    /// Health check
    ///
    /// Checks the database (it answers, and it can take a write: one small probe write at most
    /// once a second) and Redis when configured: 200 when all hold, 503 `dependency_unavailable`
    /// otherwise, `details` naming each (`database`: `unreachable` or `unwritable`). Public.
    #[oai(path = "/health", method = "get", operation_id = "get_health")]
    async fn health(&self, state: Data<&Arc<AppState>>) -> Result<HealthResponse, HealthErrorResponse> {
        let store = &state.accounts.store;
        let database = match store.ping().await {
            Err(e) => Err(("unreachable", e)),
            Ok(()) => store.probe_write().await.map_err(|e| ("unwritable", e)),
        };
        if let Err((what, e)) = &database {
            tracing::warn!(error = %format!("{e:#}"), "health check: database {what}");
        }
        let redis_ok = match &state.health.shared {
            Some(r) => Some(r.ping().await),
            None => None,
        };
        match (&database, redis_ok) {
            (Ok(()), None | Some(true)) => Ok(HealthResponse::Ok(Json(Health {
                status: "ok".into(),
                ts: crate::http::error::iso_millis(Utc::now()),
            }))),
            (database, redis_ok) => {
                let db_label = match database {
                    Ok(()) => "ok",
                    Err((what, _)) => what,
                };
                let mut details = json!({"database": db_label});
                if let Some(ok) = redis_ok {
                    details["redis"] = json!(if ok { "ok" } else { "unreachable" });
                }
                let what = match (db_label, redis_ok) {
                    ("ok", _) => "Redis is unreachable.".to_owned(),
                    (db, Some(false)) => format!("The database is {db} and Redis is unreachable."),
                    (db, _) => format!("The database is {db}."),
                };
                let mut err = ApiError::new(jobin_core::Code::DependencyUnavailable, what).with_details(details);
                err.retry_after = Some(5);
                Err(err.into())
            }
        }
    }
}

impl poem_openapi::types::Example for Health {
    fn example() -> Self {
        Self { status: "ok".into(), ts: "2025-04-12T09:00:00.000Z".into() }
    }
}
