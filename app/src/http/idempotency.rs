//! `Idempotency-Key` on mutating requests (POST, PATCH, DELETE; not the Stripe webhook, which
//! dedups by event id): the key must be a UUID (else 400). Within 24 hours the same key with the
//! same request (method, operation, body) replays the first answer's status and body with
//! `Idempotent-Replayed: true` and applies nothing again; with another request it is 422
//! `idempotency_key_reused`; while the first is still running, 409 `idempotency_in_progress`. Keys
//! are per account; a request whose credentials do not resolve to an account is passed through
//! unchanged (it is refused by its handler). Only 2xx answers are kept: a failed request may be
//! retried with the same key. Kept in the cache and locked with the lock ports, so it holds across
//! nodes sharing Redis.

use jobin_core::Code;
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

use crate::http::error::ApiError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
/// How long an answer is replayed.
pub const KEEP: Duration = Duration::from_secs(24 * 3600);
/// How long a request may hold its key while running.
const IN_FLIGHT: Duration = Duration::from_secs(60);

/// A kept answer and the request it answered.
#[derive(Serialize, Deserialize)]
struct Kept {
    /// SHA-256 (hex) of method, operation and body: another request under the same key is refused.
    request: String,
    status: u16,
    content_type: Option<String>,
    /// Hex of the answer's body.
    body: String,
}

fn applies(method: &Method, path: &str) -> bool {
    let path = crate::http::versions::unversioned(path);
    matches!(*method, Method::POST | Method::PATCH | Method::DELETE)
        && path != "/billing/webhook"
        && !path.starts_with("/billing/local-")
}

pub async fn idempotency<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let Some(raw) = req.headers().get(HEADER).cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    if !applies(req.method(), req.uri().path()) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let key = match raw.to_str().ok().and_then(|v| uuid::Uuid::parse_str(v.trim()).ok()) {
        Some(k) => k.hyphenated().to_string(),
        None => {
            return Err(ApiError::field(Code::ValidationFailed, "Idempotency-Key", "must be a UUID").into());
        }
    };
    let Some(state) = req.data::<Arc<AppState>>().cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    // The account the key belongs to; unresolvable credentials are the handler's to refuse. The
    // principal is handed on, so the handler does not look the credentials up again.
    let principal = match crate::http::security::presented(&req) {
        Ok(creds) => match state.access.authenticate.execute(creds, true).await {
            Ok(p) => p,
            Err(_) => return next.call(req).await.map(IntoResponse::into_response),
        },
        Err(_) => return next.call(req).await.map(IntoResponse::into_response),
    };
    let account = principal.account.id.0;
    req.extensions_mut().insert(crate::http::security::Authenticated(principal));
    let body = req.take_body().into_bytes().await?;
    let operation = crate::http::versions::unversioned(req.uri().path()).to_owned();
    let fingerprint = {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for part in [req.method().as_str().as_bytes(), b" ", operation.as_bytes(), b"\n", &body] {
            h.update(part);
        }
        hex::encode(h.finalize())
    };
    req.set_body(Body::from(body));
    let name = format!("idempotency:{account}:{key}");
    let idem = &state.idempotency;
    if let Some(kept) = read(idem, &name).await? {
        return replay(kept, &fingerprint);
    }
    let Some(token) = idem.lock.try_acquire(&name, IN_FLIGHT).await.map_err(|e| unavailable(&e))? else {
        return Err(ApiError::new(
            Code::IdempotencyInProgress,
            "A request with this Idempotency-Key is still running; retry after it ends.",
        )
        .into());
    };
    // Another node may have finished it between the read and the lock.
    if let Some(kept) = read(idem, &name).await? {
        let _ = idem.lock.release(&name, &token).await;
        return replay(kept, &fingerprint);
    }
    let result = next.call(req).await.map(IntoResponse::into_response);
    let outcome = match result {
        Ok(resp) if resp.status().is_success() => {
            let (parts, body) = resp.into_parts();
            let bytes = body.into_bytes().await?;
            let kept = Kept {
                request: fingerprint,
                status: parts.status.as_u16(),
                content_type: parts.headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned),
                body: hex::encode(&bytes),
            };
            if let Ok(json) = serde_json::to_vec(&kept)
                && let Err(e) = idem.cache.set(&name, json, KEEP).await
            {
                tracing::warn!(error = %e, "could not keep an idempotent answer; a retry would apply again");
            }
            Ok(Response::from_parts(parts, Body::from(bytes)))
        }
        other => other,
    };
    let _ = idem.lock.release(&name, &token).await;
    outcome
}

async fn read(idem: &crate::state::Idempotency, name: &str) -> poem::Result<Option<Kept>> {
    match idem.cache.get(name).await {
        Ok(Some(bytes)) => Ok(serde_json::from_slice(&bytes).ok()),
        Ok(None) => Ok(None),
        Err(e) => Err(unavailable(&e)),
    }
}

fn replay(kept: Kept, fingerprint: &str) -> poem::Result<Response> {
    if kept.request != fingerprint {
        return Err(ApiError::new(
            Code::IdempotencyKeyReused,
            "This Idempotency-Key was used with a different request; use a new key for a new request.",
        )
        .into());
    }
    let mut resp = Response::builder()
        .status(StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK))
        .header("idempotent-replayed", HeaderValue::from_static("true"));
    if let Some(ct) = &kept.content_type {
        resp = resp.content_type(ct.as_str());
    }
    Ok(resp.body(hex::decode(&kept.body).unwrap_or_default()))
}

/// 503 `dependency_unavailable` with `Retry-After` when the cache or lock does not answer.
fn unavailable(e: &dyn std::fmt::Display) -> poem::Error {
    tracing::warn!(error = %e, "idempotency store unavailable");
    let mut api =
        ApiError::new(Code::DependencyUnavailable, "A backing service is temporarily unavailable. Retry shortly.");
    api.retry_after = Some(5);
    api.into()
}

/// Documents `Idempotency-Key` on every operation it applies to (the middleware reads it, so no
/// handler declares it).
pub fn document(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(serde_json::Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(ops) = item.as_object_mut() else { continue };
        for (method, op) in ops.iter_mut() {
            let Ok(m) = method.to_uppercase().parse::<Method>() else { continue };
            if !applies(&m, path) || op.get("security").is_none() {
                continue;
            }
            let param = serde_json::json!({
                "name": "Idempotency-Key",
                "in": "header",
                "required": false,
                "deprecated": false,
                "description": "A UUID. Within 24 hours the same key with the same request replays the first \
                    2xx answer with `Idempotent-Replayed: true` and applies nothing again; another request \
                    under the key is 422 `idempotency_key_reused`; while the first runs, 409 \
                    `idempotency_in_progress`. Per account; errors are not kept.",
                "schema": {"type": "string", "format": "uuid"}
            });
            if let Some(params) = op.get_mut("parameters").and_then(serde_json::Value::as_array_mut) {
                params.push(param);
            } else if let Some(o) = op.as_object_mut() {
                o.insert("parameters".into(), serde_json::Value::Array(vec![param]));
            }
        }
    }
}
