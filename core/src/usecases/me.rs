//! The account view: plan, usage and the account's keys (never a key or its hash).

use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::domain::{ApiKeyRecord, Endpoint, Plan, PlanCatalog};
use crate::ports::{BillingStatus, BillingStore, Clock, KeyStore, KeyStoreError, MeterError};
use crate::services::{LastUsedTracker, MonthlyCounts};
use crate::usecases::{Principal, store_code};
use crate::{Code, ErrorCode};

#[derive(Debug, Clone)]
pub struct MeView {
    pub plan: Plan,
    pub monthly_used: u64,
    pub monthly_limit: u64,
    pub endpoints: Vec<Endpoint>,
    /// Active keys, oldest first, with `last_used_at` including uses not yet flushed.
    pub keys: Vec<ApiKeyRecord>,
    /// `active`, `past_due` (a payment failed; the plan is kept) or `canceled`.
    pub billing_status: BillingStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum MeError {
    #[error(transparent)]
    Store(KeyStoreError),
    #[error(transparent)]
    Meter(MeterError),
}

impl ErrorCode for MeError {
    fn code(&self) -> Code {
        match self {
            MeError::Store(e) => store_code(e),
            MeError::Meter(_) => Code::DependencyUnavailable,
        }
    }
}

pub struct Me {
    pub catalog: Arc<PlanCatalog>,
    pub store: Arc<dyn KeyStore>,
    /// The month's count, seeded from the durable one when the meter has none.
    pub monthly: Arc<MonthlyCounts>,
    pub last_used: Arc<LastUsedTracker>,
    pub clock: Arc<dyn Clock>,
    pub billing: Arc<dyn BillingStore>,
}

fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

impl Me {
    pub async fn execute(&self, who: &Principal) -> Result<MeView, MeError> {
        let account = &who.account;
        let mut keys = self.store.list_active_keys(account.id).await.map_err(MeError::Store)?;
        for key in &mut keys {
            key.last_used_at = latest(key.last_used_at, self.last_used.pending(key.id));
        }
        let monthly_used = self.monthly.used(account.id, self.clock.now()).await.map_err(MeError::Meter)?;
        let stored = self.billing.billing(account.id).await.map_err(MeError::Store)?.map(|b| b.status);
        let billing_status = match (account.plan, stored) {
            // Free with no subscription (never paid, or a checkout never completed).
            (crate::domain::Plan::Free, None | Some(BillingStatus::Active)) => BillingStatus::None,
            (_, Some(status)) => status,
            // A plan the operator set, with no subscription behind it.
            (_, None) => BillingStatus::Active,
        };
        Ok(MeView {
            billing_status,
            plan: account.plan,
            monthly_used,
            monthly_limit: self.catalog.terms(account.plan).monthly_requests,
            endpoints: self.catalog.endpoints(account.plan),
            keys,
        })
    }
}
