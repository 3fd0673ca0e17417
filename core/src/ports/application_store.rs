//! The tracker's applications and their timelines, per account. Every read and write names the
//! account: another account's application is as absent as one that never existed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::application::{ApplicationEvent, ApplicationSort, ApplicationStatus, EventKind, SortOrder};
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

/// Which of an account's applications to list, in what order, and which slice of them.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationQuery {
    pub sort: ApplicationSort,
    pub order: SortOrder,
    pub offset: u64,
    pub limit: u64,
    /// Folded words (see `normalize::fold`); each must occur in the title, company, notes or tags.
    pub words: Vec<String>,
    /// Any of these statuses (empty: all).
    pub statuses: Vec<ApplicationStatus>,
    /// This exact tag (tags are stored lower-cased).
    pub tag: Option<String>,
    /// `applied_at >= applied_after`.
    pub applied_after: Option<DateTime<Utc>>,
    /// `applied_at < applied_before`.
    pub applied_before: Option<DateTime<Utc>>,
}

/// One slice of a list, and how many applications match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationPage {
    pub items: Vec<Application>,
    pub total: u64,
}

/// What the analytics need of one application: its status now, when it was applied to, and from
/// its timeline when the employer first answered and whether it ever reached an offer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationHistory {
    pub status: ApplicationStatus,
    pub applied_at: Option<DateTime<Utc>>,
    /// The earliest status change to an employer answer (see `is_employer_response`).
    pub first_response_at: Option<DateTime<Utc>>,
    /// Whether a status change ever reached `offer` or `accepted`.
    pub reached_offer: bool,
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

    /// The applications matching `query`, sorted, one slice of them, with the total that match.
    async fn list(
        &self,
        account: AccountId,
        query: &ApplicationQuery,
    ) -> Result<ApplicationPage, ApplicationStoreError>;

    /// Every application of `account`, as the analytics need it.
    async fn history(&self, account: AccountId) -> Result<Vec<ApplicationHistory>, ApplicationStoreError>;
}
