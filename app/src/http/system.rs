//! `GET /health`.

use chrono::Utc;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::json;
use std::sync::Arc;

use crate::http::Tag;
use crate::http::error::{ApiError, error_responses};
use crate::wiring::AppState;

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

error_responses!(HealthError {
    503 => Unavailable: "The database is unreachable (`details.database` = `unreachable`).",
});

#[derive(Debug, Object)]
pub struct PlanInfo {
    pub plan: String,
    pub monthly_requests: u64,
    pub per_minute: u32,
    pub data_sources: u8,
    /// AI model tiers the plan may use (`lite`, `flagship`).
    pub ai_tiers: Vec<String>,
    pub price_usd_per_month: u32,
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
    /// The plans this server sells: monthly requests, per-minute limit, data sources, AI tiers,
    /// price and endpoints. Public; the `upgrade` link of 403 and 429 answers points here.
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
                    data_sources: t.data_sources,
                    ai_tiers: t.ai_tiers.iter().map(|a| a.as_str().to_owned()).collect(),
                    price_usd_per_month: t.price_usd_per_month,
                    endpoints: state.catalog.endpoints(p).into_iter().map(String::from).collect(),
                }
            })
            .collect();
        PricingResponse::Ok(Json(Pricing { plans }))
    }

    /// Health check
    ///
    /// Pings the database: 200 when it answers, 503 when it does not. Public.
    #[oai(path = "/health", method = "get", operation_id = "get_health")]
    async fn health(&self, state: Data<&Arc<AppState>>) -> Result<HealthResponse, HealthError> {
        match state.store.ping().await {
            Ok(()) => Ok(HealthResponse::Ok(Json(Health {
                status: "ok".into(),
                ts: Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            }))),
            Err(e) => {
                tracing::warn!(error = %e, "health check: database unreachable");
                let mut err = ApiError::new(jobin_core::Code::DependencyUnavailable, "The database is unreachable.")
                    .with_details(json!({"database": "unreachable"}));
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
