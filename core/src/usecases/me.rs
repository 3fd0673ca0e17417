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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Account, AccountId, Email, KeyId, KeyName, KeyPrefix, Scopes};
    use crate::ports::BillingRecord;
    use crate::ports::billing_store::MockBillingStore;
    use crate::ports::key_store::MockKeyStore;
    use crate::ports::monthly_ledger::MockMonthlyLedger;
    use crate::ports::usage::MockUsageMeter;
    use crate::testing::FixedClock;

    fn at(ts: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(ts, 0).unwrap()
    }

    fn account(plan: Plan) -> Account {
        Account { id: AccountId(5), email: Email::parse("a@example.com").unwrap(), plan, created_at: at(0) }
    }

    fn who(plan: Plan) -> Principal {
        crate::testing::principal(5, plan, crate::testing::api_key(), Scopes::ALL)
    }

    fn key(id: i64, last_used: Option<i64>) -> ApiKeyRecord {
        ApiKeyRecord {
            id: KeyId(id),
            account_id: AccountId(5),
            name: KeyName::parse("Default Key").unwrap(),
            prefix: KeyPrefix::parse(&format!("jl_live_ab1{id}")).unwrap(),
            scopes: Scopes::ALL,
            created_at: at(0),
            last_used_at: last_used.map(at),
            revoked_at: None,
            minted_by_login: None,
        }
    }

    /// `Me` over a store with two keys, a meter holding `used` (or nothing: then the ledger's
    /// `durable` seeds it) and a billing record of `status`.
    fn me(used: Option<u64>, durable: u64, status: Option<BillingStatus>, last_used: Arc<LastUsedTracker>) -> Me {
        let mut store = MockKeyStore::new();
        store.expect_list_active_keys().returning(|_| Ok(vec![key(1, Some(100)), key(2, None)]));
        let mut meter = MockUsageMeter::new();
        meter.expect_monthly_used().returning(move |_, _| Ok(used));
        meter.expect_seed_monthly().returning(|_, _, n| Ok(n));
        let mut ledger = MockMonthlyLedger::new();
        ledger.expect_count().returning(move |_, _| Ok(durable));
        let mut billing = MockBillingStore::new();
        billing.expect_billing().returning(move |_| {
            Ok(status.map(|status| BillingRecord {
                account: account(Plan::Pro),
                customer: Some("cus_1".into()),
                subscription: Some("sub_1".into()),
                status,
                last_event_at: None,
            }))
        });
        Me {
            catalog: Arc::new(PlanCatalog::document()),
            store: Arc::new(store),
            monthly: Arc::new(MonthlyCounts { meter: Arc::new(meter), ledger: Arc::new(ledger) }),
            last_used,
            clock: Arc::new(FixedClock::at(1_764_547_200)),
            billing: Arc::new(billing),
        }
    }

    #[tokio::test]
    async fn the_view_has_the_plans_terms_the_months_count_and_the_latest_use_of_each_key() {
        let last_used = Arc::new(LastUsedTracker::default());
        last_used.record(KeyId(1), at(50)); // older than the stored use: the stored one stays
        last_used.record(KeyId(2), at(200)); // not flushed yet: shown
        let view = me(Some(12), 0, Some(BillingStatus::Active), last_used).execute(&who(Plan::Pro)).await.unwrap();
        assert_eq!((view.plan, view.monthly_used, view.monthly_limit), (Plan::Pro, 12, 500_000));
        assert_eq!(view.endpoints, PlanCatalog::document().endpoints(Plan::Pro));
        let uses: Vec<_> = view.keys.iter().map(|k| k.last_used_at).collect();
        assert_eq!(uses, [Some(at(100)), Some(at(200))]);
        assert_eq!(view.billing_status, BillingStatus::Active);
    }

    #[tokio::test]
    async fn a_meter_without_the_month_is_seeded_from_the_durable_count() {
        let view = me(None, 37, None, Default::default()).execute(&who(Plan::Free)).await.unwrap();
        assert_eq!(view.monthly_used, 37);
    }

    #[tokio::test]
    async fn the_billing_status_says_what_stands_behind_the_plan() {
        let status = |plan, stored| async move {
            me(Some(0), 0, stored, Default::default()).execute(&who(plan)).await.unwrap().billing_status
        };
        assert_eq!(status(Plan::Free, None).await, BillingStatus::None, "never paid");
        assert_eq!(
            status(Plan::Free, Some(BillingStatus::Active)).await,
            BillingStatus::None,
            "checkout never completed"
        );
        assert_eq!(status(Plan::Free, Some(BillingStatus::Canceled)).await, BillingStatus::Canceled);
        assert_eq!(status(Plan::Starter, None).await, BillingStatus::Active, "set by the operator");
        assert_eq!(status(Plan::Pro, Some(BillingStatus::PastDue)).await, BillingStatus::PastDue);
    }
}
