//! Schema migrations, one per file (sea-orm names a migration after its module).

mod m20261123_000001_create_accounts;
mod m20261123_000002_create_api_keys;
mod m20261123_000003_create_refresh_tokens;
mod m20261123_000004_create_usage_log;
mod m20261123_000005_create_billing;
mod m20261123_000006_create_jobs;
mod m20261129_000007_job_corpus;
mod m20261129_000008_key_scopes;
mod m20261130_000009_usage_monthly;
mod m20261130_000010_unique_customer;
mod m20261130_000011_login_lineage;
mod m20261130_000012_applications;
mod m20261130_000013_application_search;
mod m20261206_000014_saved_searches;
mod m20261206_000015_search_matches;
mod m20261206_000016_search_scopes;
mod m20261206_000017_webhooks;
mod m20261206_000018_feed_tokens;
mod m20261206_000019_digests;
mod m20261207_000020_store_probe;
mod m20261207_000021_server_mode;
mod m20261207_000022_job_index;
mod m20261207_000023_expired_reason;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_accounts::Migration),
            Box::new(m20261123_000002_create_api_keys::Migration),
            Box::new(m20261123_000003_create_refresh_tokens::Migration),
            Box::new(m20261123_000004_create_usage_log::Migration),
            Box::new(m20261123_000005_create_billing::Migration),
            Box::new(m20261123_000006_create_jobs::Migration),
            Box::new(m20261129_000007_job_corpus::Migration),
            Box::new(m20261129_000008_key_scopes::Migration),
            Box::new(m20261130_000009_usage_monthly::Migration),
            Box::new(m20261130_000010_unique_customer::Migration),
            Box::new(m20261130_000011_login_lineage::Migration),
            Box::new(m20261130_000012_applications::Migration),
            Box::new(m20261130_000013_application_search::Migration),
            Box::new(m20261206_000014_saved_searches::Migration),
            Box::new(m20261206_000015_search_matches::Migration),
            Box::new(m20261206_000016_search_scopes::Migration),
            Box::new(m20261206_000017_webhooks::Migration),
            Box::new(m20261206_000018_feed_tokens::Migration),
            Box::new(m20261206_000019_digests::Migration),
            Box::new(m20261207_000020_store_probe::Migration),
            Box::new(m20261207_000021_server_mode::Migration),
            Box::new(m20261207_000022_job_index::Migration),
            Box::new(m20261207_000023_expired_reason::Migration),
        ]
    }
}

#[derive(DeriveIden)]
pub(crate) enum Accounts {
    Table,
    Id,
    Email,
    PasswordHash,
    Plan,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum ApiKeys {
    Table,
    Id,
    AccountId,
    Name,
    KeyHash,
    Prefix,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
    Scopes,
    MintedByLogin,
}

#[derive(DeriveIden)]
pub(crate) enum RefreshTokens {
    Table,
    Id,
    AccountId,
    Family,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    LoginStartedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Applications {
    Table,
    Id,
    AccountId,
    JobTitle,
    CompanyName,
    /// `company_name` folded (lower case, accents dropped) for sorting.
    CompanySort,
    JobId,
    Url,
    Location,
    SalaryMin,
    SalaryMax,
    SalaryCurrency,
    SalaryPeriod,
    Status,
    AppliedAt,
    Notes,
    /// Tags, one per line.
    Tags,
    CreatedAt,
    UpdatedAt,
    /// Title, company, notes and tags folded, space-separated, with a space at each end: each
    /// search word matches the start of a word (`LIKE '% word%'`).
    SearchText,
    /// The status's place in the pipeline (`saved` = 0): the `status` sort.
    StatusRank,
}

#[derive(DeriveIden)]
pub(crate) enum ApplicationEvents {
    Table,
    Id,
    ApplicationId,
    Kind,
    At,
    FromStatus,
    ToStatus,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum UsageLog {
    Table,
    Id,
    At,
    AccountId,
    KeyPrefix,
    Endpoint,
    Status,
    CacheHit,
    LatencyMs,
    Monthly,
}

#[derive(DeriveIden)]
pub(crate) enum UsageMonthly {
    Table,
    AccountId,
    Month,
    Count,
}

#[derive(DeriveIden)]
pub(crate) enum Billing {
    Table,
    AccountId,
    StripeCustomer,
    StripeSubscription,
    Status,
    LastEventAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum BillingEvents {
    Table,
    EventId,
    AccountId,
    ReceivedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Jobs {
    Table,
    Id,
    Seq,
    Fingerprint,
    Source,
    Country,
    Remote,
    SearchText,
    ContentHash,
    Body,
    PostedAt,
    ValidThrough,
    FirstSeenAt,
    LastSeenAt,
    UpdatedAt,
    ExpiredAt,
    PlaceText,
    SourceMask,
    CopyIds,
    SalaryCurrency,
    SalaryAnnual,
    Skills,
    RemoteAny,
    Seniority,
}

#[derive(DeriveIden)]
pub(crate) enum JobSeq {
    Table,
    Id,
    Value,
}

/// Applies every migration before `name` (a migration's tests put rows in the old schema, then run
/// the rest).
#[derive(DeriveIden)]
pub(crate) enum SavedSearches {
    Table,
    Id,
    AccountId,
    Name,
    Q,
    Location,
    /// ISO 3166-1 alpha-2, lower case, as a request gives it.
    Country,
    Remote,
    /// Board names, space-separated.
    Sources,
    /// Yearly amount.
    SalaryMin,
    SalaryCurrency,
    /// Type names, space-separated.
    EmploymentTypes,
    WorkplaceTypes,
    CreatedAt,
    UpdatedAt,
    WebhookUrl,
    /// Random; the signing secret is the server's peppered HMAC of it.
    WebhookNonce,
    WebhookFailingSince,
    WebhookDisabledAt,
    /// The peppered hash of the Atom feed's read token.
    FeedTokenHash,
    /// Whether a daily email digest of new matches is sent.
    Digest,
    /// The newest match a digest has reported (or that existed when the digest was turned on).
    DigestSentThrough,
    DigestSentAt,
}

#[derive(DeriveIden)]
pub(crate) enum SearchMatches {
    Table,
    Id,
    SearchId,
    AccountId,
    JobId,
    /// The posting's `updated_at` when it matched: its version.
    JobUpdatedAt,
    Seq,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum WebhookDeliveries {
    Table,
    Id,
    MatchId,
    SearchId,
    AccountId,
    /// `pending`, `delivered` or `dead`.
    State,
    Attempts,
    NextAttemptAt,
    /// Until when the node that claimed it holds it.
    LeaseUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    At,
    StatusCode,
    LatencyMs,
    Error,
}

#[derive(DeriveIden)]
pub(crate) enum MatcherCursor {
    Table,
    /// Always 1: one row.
    Id,
    Seq,
}

#[cfg(test)]
pub(crate) async fn up_to_before(db: &sea_orm::DatabaseConnection, name: &str) {
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration named {name}"));
    Migrator::up(db, Some(before as u32)).await.expect("the earlier migrations apply");
}
