//! One stored job by id: the whole posting with its merged copies; an expired one is reported as
//! such (with when it expired) rather than served as if open.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::ports::{ExpiredReason, JobStore, JobStoreError, StoredJob};
use crate::{Code, ErrorCode};

/// Longest id looked up (ours are `source:native`, far shorter); longer ones cannot exist.
pub const MAX_JOB_ID_CHARS: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum GetJobError {
    #[error("No job has the id `{0}`.")]
    NotFound(String),
    #[error("The job `{id}` expired at {at}; it is no longer open.", at = .expired_at.format("%Y-%m-%dT%H:%M:%SZ"))]
    Expired { id: String, expired_at: DateTime<Utc>, reason: Option<ExpiredReason> },
    #[error(transparent)]
    Store(JobStoreError),
}

impl ErrorCode for GetJobError {
    fn code(&self) -> Code {
        match self {
            GetJobError::NotFound(_) => Code::JobNotFound,
            GetJobError::Expired { .. } => Code::JobExpired,
            GetJobError::Store(e) if e.is_outage() => Code::DependencyUnavailable,
            GetJobError::Store(_) => Code::Internal,
        }
    }
}

pub struct GetJob {
    pub store: Arc<dyn JobStore>,
}

impl GetJob {
    /// The job with `id`, or the job a listing with that id was merged into (its `id` then
    /// differs from the one asked for).
    pub async fn execute(&self, id: &str) -> Result<StoredJob, GetJobError> {
        let id = id.trim();
        if id.is_empty() || id.chars().count() > MAX_JOB_ID_CHARS {
            return Err(GetJobError::NotFound(id.chars().take(64).collect()));
        }
        let found = self.store.get(id).await.map_err(GetJobError::Store)?;
        match found {
            None => Err(GetJobError::NotFound(id.to_owned())),
            Some(f) => match f.expired_at {
                Some(expired_at) => {
                    Err(GetJobError::Expired { id: f.stored.job.id, expired_at, reason: f.expired_reason })
                }
                None => Ok(f.stored),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Job, SourceId};
    use crate::ports::FoundJob;
    use crate::ports::job_store::MockJobStore;

    fn stored(expired: Option<i64>) -> FoundJob {
        let at = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).unwrap();
        FoundJob {
            stored: StoredJob {
                job: Job::sample(SourceId::Reed, "9", "Data Engineer", "Acme", "London"),
                seq: 1,
                first_seen_at: at(0),
                last_seen_at: at(0),
                updated_at: at(0),
            },
            expired_at: expired.map(at),
            expired_reason: expired.map(|_| ExpiredReason::LeftListing),
        }
    }

    #[tokio::test]
    async fn an_active_job_is_served_an_expired_one_is_gone_an_unknown_one_not_found() {
        let mut store = MockJobStore::new();
        store.expect_get().withf(|id| id == "reed:9").returning(|_| Ok(Some(stored(None))));
        store.expect_get().withf(|id| id == "reed:8").returning(|_| Ok(Some(stored(Some(86_400)))));
        store.expect_get().withf(|id| id == "reed:7").returning(|_| Ok(None));
        let get = GetJob { store: Arc::new(store) };
        assert_eq!(get.execute(" reed:9 ").await.unwrap().job.id, "reed:9");
        let gone = get.execute("reed:8").await.unwrap_err();
        assert_eq!(gone.code(), Code::JobExpired);
        assert!(matches!(
            gone,
            GetJobError::Expired { expired_at, reason: Some(ExpiredReason::LeftListing), .. } if expired_at.timestamp() == 86_400
        ));
        assert_eq!(get.execute("reed:7").await.unwrap_err().code(), Code::JobNotFound);
    }

    #[tokio::test]
    async fn ids_that_cannot_exist_are_not_looked_up() {
        let mut store = MockJobStore::new();
        store.expect_get().never();
        let get = GetJob { store: Arc::new(store) };
        for id in ["", "  ", &"x".repeat(MAX_JOB_ID_CHARS + 1)] {
            assert_eq!(get.execute(id).await.unwrap_err().code(), Code::JobNotFound);
        }
    }
}
