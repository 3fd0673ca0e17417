//! What one request carries from layer to layer: the slot the envelope opens and the security
//! extractor fills (account, key prefix, rate status, the gate passed, the operation that answered),
//! read by the response headers, the usage log, idempotency and the metrics. A leaf: it imports
//! nothing from the HTTP layer, so every layer may use it.

use jobin_core::domain::{AccountId, Scopes};
use jobin_core::usecases::{Metered, RateStatus};
use std::sync::Arc;

/// The gate a request passed: what admitted it, and whether it took an API key only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassedGate {
    pub metered: Metered,
    pub scopes: Scopes,
    pub key_only: bool,
}

/// What the security extractor learns about an authenticated request, for the response headers
/// and the usage log.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen {
    pub rate: Option<RateStatus>,
    pub account: Option<AccountId>,
    pub key: Option<KeyPrefixShown>,
    /// The operation that answered (its OpenAPI operation id), for the metrics' `route` label.
    pub operation: Option<&'static str>,
    /// The gate the request passed (a kept answer is replayed only through it again).
    pub gate: Option<PassedGate>,
}

/// A display prefix (`jl_live_ab12****`, 16 bytes), kept `Copy` for the slot.
#[derive(Debug, Clone, Copy)]
pub struct KeyPrefixShown(pub [u8; 16]);

#[derive(Clone, Default)]
pub struct RequestSlot(pub Arc<std::sync::Mutex<Seen>>);

impl RequestSlot {
    pub fn update(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()));
    }

    pub(crate) fn get(&self) -> Seen {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
