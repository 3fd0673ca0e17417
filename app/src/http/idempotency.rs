//! `Idempotency-Key` on requests that change state (POST, PATCH, DELETE, and MCP `tools/call` of a
//! tool that writes; not reads such as the feed, not protocol calls such as MCP `tools/list`, not
//! the Stripe webhook, which dedups by event id): the key must be a UUID (else 400). Within 24
//! hours the same key with the same request (method, operation, body) replays the first answer's
//! status and body with `Idempotent-Replayed: true` and applies nothing again; with another
//! request it is 422 `idempotency_key_reused`; while the first is still running, 409
//! `idempotency_in_progress`. Keys are per account; a request whose credentials do not resolve to
//! an account is passed through unchanged (it is refused by its handler). Only 2xx answers are
//! kept: a failed request may be retried with the same key.
//!
//! Multi-tenant bounds (issue 34):
//! - **A replay re-authorizes**: the answer is kept with the gate its request passed (scopes,
//!   plan class, API key only), and a replay must pass that gate again, else it gets the same
//!   refusal as without the key.
//! - **Kept answers are sealed** (ChaCha20-Poly1305 under a key derived from the pepper, bound to
//!   the account and key): they may hold a new API key, a webhook secret or a feed token, and the
//!   store (memory or Redis) holds none of them in clear.
//! - **Bounded by bytes, per account**: an answer over [`MAX_ANSWER_BYTES`] is not kept; each
//!   account has its own budget and the store a byte cap ([`crate::state::Idempotency`]), and one
//!   account's traffic never evicts another's answers. Every response to a request that passed
//!   the layer says whether it can be replayed: `Idempotent-Replayable: true|false`.

use jobin_core::Code;
use jobin_core::domain::AccountId;
use jobin_core::ports::Keeping;
use jobin_core::usecases::Metered;
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

use crate::http::context::PassedGate;
use crate::http::context::RequestSlot;
use crate::http::error::ApiError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
/// Says whether the answer was kept, so that a retry under the key replays it.
pub const REPLAYABLE_HEADER: &str = "idempotent-replayable";
/// How long an answer is replayed.
pub const KEEP: Duration = Duration::from_secs(24 * 3600);
/// How long a request may hold its key while running.
const IN_FLIGHT: Duration = Duration::from_secs(60);
/// The largest answer kept (its body); a larger one is answered but not kept.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A kept answer's head (its body follows it in the sealed value), the request it answered and
/// the gate that request passed.
#[derive(Serialize, Deserialize)]
struct Kept {
    /// SHA-256 (hex) of method, operation and body: another request under the same key is refused.
    request: String,
    status: u16,
    content_type: Option<String>,
    /// The gate: `Metered` as its name, scopes by name, whether it took an API key only.
    gate: Option<KeptGate>,
}

#[derive(Serialize, Deserialize)]
struct KeptGate {
    metered: String,
    scopes: Vec<String>,
    key_only: bool,
}

impl KeptGate {
    fn of(g: PassedGate) -> Self {
        Self {
            metered: format!("{:?}", g.metered),
            scopes: g.scopes.names().into_iter().map(str::to_owned).collect(),
            key_only: g.key_only,
        }
    }

    /// The gate again; `None` if it no longer reads (a replay is then refused, never let through).
    fn gate(&self) -> Option<PassedGate> {
        use jobin_core::domain::Endpoint;
        let metered = [Metered::Account, Metered::Tracker, Metered::Ai]
            .into_iter()
            .chain(Endpoint::ALL.into_iter().map(Metered::Data))
            .find(|m| format!("{m:?}") == self.metered)?;
        let scopes = jobin_core::domain::Scopes::parse(self.scopes.iter().map(String::as_str)).ok()?;
        Some(PassedGate { metered, scopes, key_only: self.key_only })
    }
}

/// Whether a request may pass the layer, by method and path (MCP by its body, later).
fn applies(method: &Method, path: &str) -> bool {
    let path = crate::http::paths::unversioned(path);
    matches!(*method, Method::POST | Method::PATCH | Method::DELETE)
        && path != "/billing/webhook"
        && !path.starts_with("/billing/local-")
        && !READS.contains(&path)
}

/// Operations sent as POST that only read: they change nothing, so there is nothing to replay.
const READS: [&str; 2] = ["/jobs/feed", "/api/jobs/feed"];

/// Whether an MCP message changes state: a `tools/call` of a tool that writes.
fn mcp_changes_state(body: &[u8]) -> bool {
    let Ok(msg) = serde_json::from_slice::<serde_json::Value>(body) else { return false };
    msg.get("method").and_then(serde_json::Value::as_str) == Some("tools/call")
        && msg
            .pointer("/params/name")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|tool| crate::endpoints::MCP_WRITE_TOOLS.contains(&tool))
}

pub async fn idempotency<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let Some(raw) = req.headers().get(HEADER).cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let mcp = req.uri().path() == crate::endpoints::MCP_PATH;
    let candidate = if mcp { *req.method() == Method::POST } else { applies(req.method(), req.uri().path()) };
    if !candidate {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let Some(state) = req.data::<Arc<AppState>>().cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let body = req.take_body().into_bytes().await?;
    // MCP: only a call of a tool that writes changes state; the rest of the protocol passes.
    if mcp && !mcp_changes_state(&body) {
        req.set_body(Body::from(body));
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let key = match raw.to_str().ok().and_then(|v| uuid::Uuid::parse_str(v.trim()).ok()) {
        Some(k) => k.hyphenated().to_string(),
        None => {
            return Err(ApiError::field(Code::ValidationFailed, "Idempotency-Key", "must be a UUID").into());
        }
    };
    // The account the key belongs to; unresolvable credentials are the handler's to refuse. The
    // principal is handed on, so the handler does not look the credentials up again.
    let principal = match crate::http::security::presented(&req) {
        Ok(creds) => state.access.authenticate.execute(creds, true).await.ok(),
        Err(_) => None,
    };
    let Some(principal) = principal else {
        req.set_body(Body::from(body));
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let account = principal.account.id;
    req.extensions_mut().insert(crate::http::security::Authenticated(principal.clone()));
    let slot = req.extensions().get::<RequestSlot>().cloned();
    let operation = crate::http::paths::unversioned(req.uri().path()).to_owned();
    let fingerprint = {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for part in [req.method().as_str().as_bytes(), b" ", operation.as_bytes(), b"\n", &body] {
            h.update(part);
        }
        hex::encode(h.finalize())
    };
    req.set_body(Body::from(body));
    let idem = &state.idempotency;
    let replay = |kept| replay(&state, &principal, slot.as_ref(), kept, &fingerprint);
    if let Some(kept) = read(idem, account, &key).await? {
        return replay(kept).await;
    }
    let name = format!("idempotency:{}:{key}", account.0);
    let Some(token) = idem.lock.try_acquire(&name, IN_FLIGHT).await.map_err(|e| unavailable(&e))? else {
        return Err(ApiError::new(
            Code::IdempotencyInProgress,
            "A request with this Idempotency-Key is still running; retry after it ends.",
        )
        .into());
    };
    // Another node may have finished it between the read and the lock.
    if let Some(kept) = read(idem, account, &key).await? {
        let _ = idem.lock.release(&name, &token).await;
        return replay(kept).await;
    }
    let result = next.call(req).await.map(IntoResponse::into_response);
    let outcome = match result {
        Ok(resp) if resp.status().is_success() => {
            let (mut parts, body) = resp.into_parts();
            let bytes = body.into_bytes().await?;
            let replayable = bytes.len() <= MAX_ANSWER_BYTES && {
                let head = Kept {
                    request: fingerprint.clone(),
                    status: parts.status.as_u16(),
                    content_type: parts.headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned),
                    gate: slot.as_ref().and_then(|s| s.get().gate).map(KeptGate::of),
                };
                keep(idem, account, &key, &head, &bytes).await
            };
            parts
                .headers
                .insert(REPLAYABLE_HEADER, HeaderValue::from_static(if replayable { "true" } else { "false" }));
            Ok(Response::from_parts(parts, Body::from(bytes)))
        }
        other => other,
    };
    let _ = idem.lock.release(&name, &token).await;
    outcome
}

/// What a kept answer is sealed to: whose it is, under which key.
fn context(account: AccountId, key: &str) -> Vec<u8> {
    format!("idempotency v1|{}|{key}", account.0).into_bytes()
}

/// Seals and keeps the answer; whether it was kept.
async fn keep(idem: &crate::state::Idempotency, account: AccountId, key: &str, head: &Kept, body: &[u8]) -> bool {
    let Ok(head) = serde_json::to_vec(head) else { return false };
    let Ok(head_len) = u32::try_from(head.len()) else { return false };
    let mut plain = Vec::with_capacity(4 + head.len() + body.len());
    plain.extend_from_slice(&head_len.to_be_bytes());
    plain.extend_from_slice(&head);
    plain.extend_from_slice(body);
    let mut nonce = [0u8; 12];
    idem.entropy.fill(&mut nonce);
    let sealed = idem.sealer.seal(nonce, &context(account, key), &plain);
    match idem.answers.keep(account, key, sealed, KEEP).await {
        Ok(Keeping::Kept) => true,
        Ok(Keeping::NoRoom) => {
            tracing::info!(
                account = account.0,
                "an idempotent answer was not kept: no room in its account's budget or the store"
            );
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not keep an idempotent answer; a retry would apply again");
            false
        }
    }
}

/// The kept answer and its body.
async fn read(
    idem: &crate::state::Idempotency,
    account: AccountId,
    key: &str,
) -> poem::Result<Option<(Kept, Vec<u8>)>> {
    let sealed = match idem.answers.get(account, key).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(None),
        Err(e) => return Err(unavailable(&e)),
    };
    let Some(plain) = idem.sealer.open(&context(account, key), &sealed) else {
        tracing::warn!("a kept idempotent answer could not be opened (another pepper?); treated as absent");
        return Ok(None);
    };
    let parsed = plain.get(..4).and_then(|n| {
        let n = u32::from_be_bytes(n.try_into().ok()?) as usize;
        let head: Kept = serde_json::from_slice(plain.get(4..4 + n)?).ok()?;
        Some((head, plain.get(4 + n..)?.to_vec()))
    });
    Ok(parsed)
}

/// Replays a kept answer to a caller who passes the gate its request passed.
async fn replay(
    state: &AppState,
    principal: &jobin_core::usecases::Principal,
    slot: Option<&RequestSlot>,
    (kept, body): (Kept, Vec<u8>),
    fingerprint: &str,
) -> poem::Result<Response> {
    if kept.request != fingerprint {
        return Err(ApiError::new(
            Code::IdempotencyKeyReused,
            "This Idempotency-Key was used with a different request; use a new key for a new request.",
        )
        .into());
    }
    if let Some(kept_gate) = &kept.gate {
        let Some(gate) = kept_gate.gate() else {
            return Err(ApiError::new(
                Code::IdempotencyKeyReused,
                "This Idempotency-Key's answer can no longer be replayed; use a new key.",
            )
            .into());
        };
        crate::http::security::admit(state, principal, slot, gate.metered, gate.scopes, gate.key_only).await?;
    }
    let mut resp = Response::builder()
        .status(StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK))
        .header("idempotent-replayed", HeaderValue::from_static("true"))
        .header(REPLAYABLE_HEADER, HeaderValue::from_static("true"));
    if let Some(ct) = &kept.content_type {
        resp = resp.content_type(ct.as_str());
    }
    Ok(resp.body(body))
}

/// 503 `dependency_unavailable` with `Retry-After` when the cache or lock does not answer.
fn unavailable(e: &dyn std::fmt::Display) -> poem::Error {
    tracing::warn!(error = %e, "idempotency store unavailable");
    let mut api = ApiError::dependency_unavailable();
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
                    2xx answer with `Idempotent-Replayed: true` and applies nothing again, to a caller who passes \
                    the same checks (scopes, plan) as the first; another request under the key is 422 \
                    `idempotency_key_reused`; while the first runs, 409 `idempotency_in_progress`. Per account; \
                    errors are not kept. An answer over 64 KiB, or one that finds its account's budget or the \
                    server's store full, is not kept: `Idempotent-Replayable: false` says so.",
                "schema": {"type": "string", "format": "uuid"}
            });
            let replayable = serde_json::json!({
                "description": "With an `Idempotency-Key`: `true` when this answer was kept (a retry under the key \
                    replays it), `false` when it was not (a retry would apply again).",
                "required": false,
                "schema": {"type": "string", "enum": ["true", "false"]}
            });
            if let Some(responses) = op.get_mut("responses").and_then(serde_json::Value::as_object_mut) {
                for (_, response) in responses.iter_mut().filter(|(c, _)| c.starts_with('2')) {
                    if let Some(r) = response.as_object_mut() {
                        let headers = r.entry("headers").or_insert_with(|| serde_json::json!({}));
                        if let Some(h) = headers.as_object_mut() {
                            h.insert("Idempotent-Replayable".into(), replayable.clone());
                        }
                    }
                }
            }
            if let Some(params) = op.get_mut("parameters").and_then(serde_json::Value::as_array_mut) {
                params.push(param);
            } else if let Some(o) = op.as_object_mut() {
                o.insert("parameters".into(), serde_json::Value::Array(vec![param]));
            }
        }
    }
}
