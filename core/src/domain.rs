//! Validated domain types. Each newtype has a private field and a `parse`/`new` that returns a
//! typed error, so an invalid value cannot be constructed; none implements `Deserialize`.

pub mod account;
pub mod api_key;
pub mod catalog;
pub mod email;
pub mod password;
pub mod plan;
pub mod secret;

pub use account::{Account, AccountId, ApiKeyRecord, KeyId, KeyName, KeyNameError};
pub use api_key::{ApiKeySecret, KeyFormatError, KeyPrefix};
pub use catalog::{AiTier, CatalogError, CatalogOverrides, PlanCatalog, PlanOverride, PlanTerms};
pub use email::{Email, EmailError};
pub use password::{Password, PasswordError};
pub use plan::{Endpoint, Plan, UnknownPlan};
pub use secret::{SecretHash, SecretHasher, random_token};
