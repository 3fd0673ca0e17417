//! `jobin accounts set-plan EMAIL PLAN`: the operator's way to change an account's plan.

use std::sync::Arc;

use crate::domain::{Account, Email, Plan};
use crate::ports::{Clock, KeyStore, KeyStoreError};
use crate::usecases::{FieldError, store_code};
use crate::{Code, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum SetPlanError {
    #[error(transparent)]
    Invalid(FieldError),
    #[error("no account with email {0}")]
    NoSuchAccount(String),
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for SetPlanError {
    fn code(&self) -> Code {
        match self {
            SetPlanError::Invalid(_) => Code::ValidationFailed,
            SetPlanError::NoSuchAccount(_) => Code::NotFound,
            SetPlanError::Store(e) => store_code(e),
        }
    }
}

pub struct SetPlan {
    pub store: Arc<dyn KeyStore>,
    pub clock: Arc<dyn Clock>,
}

impl SetPlan {
    pub async fn execute(&self, email: &str, plan: &str) -> Result<Account, SetPlanError> {
        let email = Email::parse(email).map_err(|e| SetPlanError::Invalid(FieldError::new("email", e)))?;
        let plan = Plan::parse(plan).map_err(|e| SetPlanError::Invalid(FieldError::new("plan", e)))?;
        self.store
            .set_plan(&email, plan, self.clock.now())
            .await
            .map_err(SetPlanError::Store)?
            .ok_or_else(|| SetPlanError::NoSuchAccount(email.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AccountId;
    use crate::ports::key_store::MockKeyStore;
    use crate::testing::FixedClock;
    use mockall::predicate::eq;

    fn set_plan(store: MockKeyStore) -> SetPlan {
        SetPlan { store: Arc::new(store), clock: Arc::new(FixedClock::at(1_764_547_200)) }
    }

    #[tokio::test]
    async fn the_plan_is_set_on_the_normalized_email_at_the_clocks_time() {
        let mut store = MockKeyStore::new();
        let email = Email::parse("dev@example.com").unwrap();
        let at = chrono::DateTime::from_timestamp(1_764_547_200, 0).unwrap();
        store
            .expect_set_plan()
            .with(eq(email.clone()), eq(Plan::Pro), eq(at))
            .times(1)
            .returning(move |e, p, t| Ok(Some(Account { id: AccountId(7), email: e.clone(), plan: p, created_at: t })));
        let account = set_plan(store).execute("  Dev@Example.com ", "pro").await.unwrap();
        assert_eq!((account.id, account.plan), (AccountId(7), Plan::Pro));
    }

    #[tokio::test]
    async fn bad_input_is_refused_before_the_store_and_an_unknown_email_is_named() {
        let store = MockKeyStore::new(); // no call expected
        let s = set_plan(store);
        let e = s.execute("not-an-email", "pro").await.unwrap_err();
        assert!(matches!(&e, SetPlanError::Invalid(f) if f.field == "email"), "{e:?}");
        let e = s.execute("dev@example.com", "gold").await.unwrap_err();
        assert!(matches!(&e, SetPlanError::Invalid(f) if f.field == "plan"), "{e:?}");
        assert_eq!(e.code(), Code::ValidationFailed);

        let mut store = MockKeyStore::new();
        store.expect_set_plan().times(1).returning(|_, _, _| Ok(None));
        let e = set_plan(store).execute("nobody@example.com", "pro").await.unwrap_err();
        assert_eq!(e.to_string(), "no account with email nobody@example.com");
        assert_eq!(e.code(), Code::NotFound);
    }
}
