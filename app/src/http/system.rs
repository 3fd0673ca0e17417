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

pub struct SystemApi;

#[OpenApi(tag = "Tag::System")]
impl SystemApi {
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
