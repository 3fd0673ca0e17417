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
