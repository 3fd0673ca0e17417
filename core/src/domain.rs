//! Validated domain types. Each newtype has a private field and a `parse`/`new` that returns a
//! typed error, so an invalid value cannot be constructed; none implements `Deserialize`. Job
//! records (`job.rs`) are plain data with public fields; they serialize for the search cache.

pub mod account;
pub mod ai;
pub mod api_key;
pub mod application;
pub mod billing;
pub mod corpus;
pub mod country;
pub mod dedup;
pub mod email;
mod entities;
pub mod facts;
pub mod feed;
pub mod grounded;
pub mod html;
pub mod job;
pub mod normalize;
pub mod outbound;
pub mod password;
pub mod plan;
pub mod plan_catalog;
pub mod provenance;
pub mod routing;
pub mod saved_search;
pub mod scope;
pub mod secret;
pub mod skills;
pub mod stats;
pub mod title;
pub mod webhook;

pub use account::{Account, AccountId, ApiKeyRecord, KeyId, KeyName, KeyNameError, LoginId};
pub use ai::{AiProvider, ModelCatalog, ModelCatalogError, ModelEntry, ModelOverride, ModelStatus, SelectError};
pub use api_key::{ApiKeySecret, KeyFormatError, KeyPrefix};
pub use billing::{BillingEvent, EventKind, SubscriptionStatus};
pub use country::{Country, UnsupportedCountry};
pub use dedup::{Fingerprint, merge};
pub use email::{Email, EmailError};
pub use facts::{AnnualSalary, JobFacts};
pub use feed::{CursorCodec, InvalidCursor, Stream, content_hash};
pub use job::{
    CompanyDetails, EmploymentType, Job, JobCopy, JobDetails, Location, PayPeriod, Salary, Seniority, SourceId,
    WorkplaceType,
};
pub use password::{Password, PasswordError};
pub use plan::{Endpoint, Plan, UnknownPlan};
pub use plan_catalog::{
    ACCOUNT_PER_MINUTE, AI_PER_HOUR, AiTier, CatalogError, CatalogOverrides, PlanCatalog, PlanOverride, PlanTerms,
    PublicLimits, PublicOverride, TRACKER_PER_MINUTE,
};
pub use provenance::Provenance;
pub use routing::{Route, Skip, in_plan, route};
pub use scope::{Scope, Scopes, UnknownScope};
pub use secret::{SEAL_OVERHEAD, Sealer, SecretHash, SecretHasher, random_token};
pub use skills::{PostingText, canonical_skill, grounded_skills};
pub use stats::{SalarySample, SalaryStats};

/// A field that failed validation: which one and why (the API's 400 names it in `details`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: &'static str,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &'static str, reason: impl ToString) -> Self {
        Self { field, reason: reason.to_string() }
    }
}

/// Whether the server may send a client (a redirect) or a request (a webhook) to `url`:
/// `https://…`, or `http://` to this machine
/// (`localhost`, `127.0.0.1`, `[::1]`, any port).
pub fn https_or_loopback(url: &str) -> bool {
    let url = url.trim();
    if url.len() > 2_048 || url.chars().any(char::is_whitespace) {
        return false;
    }
    if let Some(rest) = url.strip_prefix("https://") {
        return rest.split(['/', '?', '#']).next().is_some_and(|host| !host.is_empty());
    }
    // Plain http only to this machine (development): localhost and the loopback addresses.
    let local = ["http://localhost", "http://127.0.0.1", "http://[::1]"].into_iter().find_map(|p| url.strip_prefix(p));
    match local {
        Some(rest) => {
            rest.is_empty()
                || rest.starts_with(['/', '?', '#'])
                || rest.strip_prefix(':').is_some_and(|r| {
                    let port: String = r.chars().take_while(char::is_ascii_digit).collect();
                    !port.is_empty() && r[port.len()..].chars().next().is_none_or(|c| matches!(c, '/' | '?' | '#'))
                })
        }
        None => false,
    }
}
