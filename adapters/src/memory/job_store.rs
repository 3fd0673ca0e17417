//! The job store until the persistent one exists (issue 7): accepts every job and keeps none.

use async_trait::async_trait;
use jobin_core::domain::Job;
use jobin_core::ports::{JobStore, JobStoreError};

#[derive(Debug, Default, Clone, Copy)]
pub struct NoopJobStore;

#[async_trait]
impl JobStore for NoopJobStore {
    async fn upsert(&self, _jobs: &[Job]) -> Result<(), JobStoreError> {
        Ok(())
    }
}
