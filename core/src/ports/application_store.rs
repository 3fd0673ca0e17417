//! The tracker's applications and their timelines, per account. Every read and write names the
//! account: another account's application is as absent as one that never existed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::application::{ApplicationEvent, ApplicationStatus, EventKind};
use crate::domain::{AccountId, Salary};

#[derive(Debug, thiserror::Error)]
pub enum ApplicationStoreError {
    /// The store cannot be reached: an outage.
    #[error("the application store is unreachable")]
    Unavailable(#[source] anyhow::Error),
    /// The store answered but failed the operation: a defect.
    #[error("the application store failed the operation")]
    Failed(#[source] anyhow::Error),
}

/// An application's fields as written (checked by the domain's field checks).
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationFields {
    pub job_title: String,
    pub company_name: String,
    /// The JobIn job it was saved from (`reed:123`), if any.
    pub job_id: Option<String>,
    pub url: Option<String>,
    pub location: Option<String>,
    pub salary: Option<Salary>,
    pub status: ApplicationStatus,
    pub applied_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
}

/// A stored application.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub id: i64,
    pub account: AccountId,
    pub fields: ApplicationFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A timeline entry to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    pub from_status: Option<ApplicationStatus>,
    pub to_status: Option<ApplicationStatus>,
    pub note: Option<String>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// Stores a new application of `account` and, in the same transaction, its first timeline
    /// entries (`events`, e.g. the initial status).
    async fn create(
        &self,
        account: AccountId,
        fields: ApplicationFields,
        events: Vec<NewEvent>,
        now: DateTime<Utc>,
    ) -> Result<Application, ApplicationStoreError>;

    /// `Ok(None)` when `account` has no application `id`.
    async fn get(&self, account: AccountId, id: i64) -> Result<Option<Application>, ApplicationStoreError>;

    /// Replaces the fields of `account`'s application `id` and appends `events`, in one
    /// transaction. `Ok(None)` when there is no such application (nothing is written).
    async fn update(
        &self,
        account: AccountId,
        id: i64,
        fields: ApplicationFields,
        events: Vec<NewEvent>,
        now: DateTime<Utc>,
    ) -> Result<Option<Application>, ApplicationStoreError>;

    /// Deletes the application and its timeline; `Ok(false)` when there is no such application.
    async fn delete(&self, account: AccountId, id: i64) -> Result<bool, ApplicationStoreError>;

    /// Appends a timeline entry; `Ok(None)` when there is no such application.
    async fn add_event(
        &self,
        account: AccountId,
        id: i64,
        event: NewEvent,
        now: DateTime<Utc>,
    ) -> Result<Option<ApplicationEvent>, ApplicationStoreError>;

    /// The timeline, by `at` then by when it was recorded; `Ok(None)` when there is no such
    /// application.
    async fn events(&self, account: AccountId, id: i64)
    -> Result<Option<Vec<ApplicationEvent>>, ApplicationStoreError>;
}
