//! Where every fetched job is kept (the persistent store arrives with the feed API; until then a
//! no-op adapter stands in).

use async_trait::async_trait;

use crate::domain::Job;

#[derive(Debug, thiserror::Error)]
pub enum JobStoreError {
    #[error("the job store is unreachable")]
    Unavailable(#[source] anyhow::Error),
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Records the jobs (merged, with their copies) by id. Callers log `Err` and go on: a search
    /// never fails because the store did.
    async fn upsert(&self, jobs: &[Job]) -> Result<(), JobStoreError>;
}
