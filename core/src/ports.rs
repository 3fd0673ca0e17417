//! Ports: the traits adapters implement. Each method's doc says what it returns on each failure.
//! Ports are held as `Arc<dyn Port>`; with the `mocks` feature (or in this crate's tests) each
//! async port also has a mockall `Mock*` type.

pub mod application_store;
pub mod billing_store;
pub mod cache;
pub mod clock;
pub mod entropy;
pub mod job_source;
pub mod job_store;
pub mod kept_answers;
pub mod key_store;
pub mod liveness;
pub mod llm;
pub mod lock;
pub mod match_store;
pub mod monthly_ledger;
pub mod notifier;
pub mod password;
pub mod payment;
pub mod reachable;
pub mod saved_search_store;
pub mod timer;
pub mod token;
pub mod usage;
pub mod usage_log;
pub mod webhook;

pub use application_store::{
    Application, ApplicationFields, ApplicationHistory, ApplicationPage, ApplicationQuery, ApplicationStore,
    ApplicationStoreError, NewEvent,
};
pub use billing_store::{BillingChange, BillingRecord, BillingStatus, BillingStore};
pub use cache::{Cache, CacheError};
pub use clock::Clock;
pub use entropy::Entropy;
pub use job_source::{FailureCause, JobSource, ListingPage, SourceError, SourceQuery};
pub use job_store::{
    CorpusPage, CorpusPageQuery, CorpusQuery, CorpusRow, ExpiredPage, ExpiredQuery, ExpiredReason, FeedPage, FeedQuery,
    FoundJob, JobStore, JobStoreError, StoredJob, UpsertReport,
};
pub use kept_answers::{Keeping, KeptAnswers, KeptLimits};
pub use key_store::{KeyStore, KeyStoreError, Logins, NewKey, NewRefreshToken, RefreshOutcome, StoredLogin};
pub use liveness::{Liveness, LivenessProbe};
#[cfg(any(test, feature = "mocks"))]
pub use llm::MockLlmProvider;
pub use llm::{ExtractItem, FitFacts, InsightFacts, LlmAnswer, LlmError, LlmProvider, LlmRequest, LlmTask, SkillFact};
pub use lock::{Lock, LockError, LockToken};
pub use match_store::{MatchEvent, MatchStore, NewMatch};
pub use monthly_ledger::MonthlyLedger;
pub use notifier::{Notice, Notifier, NotifyError};
pub use password::{HashError, PasswordHasher};
pub use payment::{
    CheckoutRequest, CheckoutSession, PaymentError, PaymentEvents, PaymentGateway, PaymentStandIn, PortalAction,
    PortalVisit, WebhookDelivery, WebhookReadError,
};
pub use reachable::Reachable;
pub use saved_search_store::{
    Created, DigestState, SavedSearch, SavedSearchPage, SavedSearchStore, SavedSearchStoreError, Webhook, WebhookChange,
};
pub use timer::Timer;
pub use token::{AccessClaims, TokenError, TokenSigner};
pub use usage::{Admission, AdmitRequest, MeterError, UsageMeter, Verdict, WindowDecision};
pub use usage_log::{MonthlyAdd, UsageLog, UsageRecord, month_key};
pub use webhook::{
    Attempt, Claimed, Delivery, DeliveryState, DeliveryStore, EventEncoder, Next, SendFailure, WebhookSender,
};
