//! Use cases: one file each, a plain struct over `Arc<dyn Port>`s with an `execute` method. The
//! services they share (AI selection, enhancement, the boards' request budget, last-used times)
//! are in [`crate::services`].

pub mod admit;
pub mod analytics;
pub mod applications;
pub mod authenticate;
pub mod billing_webhook;
pub mod change_password;
pub mod checkout;
pub mod crawl;
pub mod deliver_webhooks;
pub mod feed;
pub mod fit_score;
pub mod get_job;
pub mod insight;
pub mod keys;
pub mod liveness;
pub mod login;
pub mod logout;
pub mod match_landed;
pub mod me;
pub mod refresh;
pub mod register;
pub mod revoke;
pub mod rotate;
pub mod salary_percentiles;
pub mod saved_searches;
pub mod search;
pub mod search_corpus;
pub mod search_jobs;
pub mod send_digests;
pub mod set_plan;
pub mod throttle;
pub mod tracker_analytics;
pub mod trends;

pub use crate::domain::FieldError;
use crate::{Code, ErrorCode, ports::KeyStoreError};

pub use crate::domain::https_or_loopback as redirect_allowed;
pub use admit::{Admit, AdmitError, LimitClass, Metered, RateStatus};
pub use analytics::{ANALYTICS_TTL, AnalyticsError, AnalyticsRequest, Corpus, Coverage, distinct};
pub use applications::{
    ApplicationDraft, ApplicationError, ApplicationPatch, Applications, EventDraft, ListPage, ListRequest, SalaryInput,
};
pub use authenticate::{AuthError, Authenticate, Credential, Presented, Principal};
pub use billing_webhook::{BillingWebhook, WebhookError, WebhookOutcome, client_reference};
pub use change_password::{ChangePassword, ChangePasswordError};
pub use checkout::{Checkout, CheckoutError, PORTAL_MIN_PLAN, Portal, PortalError};
pub use crawl::{BoardCrawl, Crawl, CrawlPorts, CrawlSettings};
pub use deliver_webhooks::{
    DELIVERY_BATCH, DELIVERY_LEASE, DeliverWebhooks, DeliveryRun, InFlight, PER_ACCOUNT_IN_FLIGHT,
    PER_DESTINATION_IN_FLIGHT,
};
pub use feed::{Expired, Feed, FeedBatch, FeedError, FeedRequest, INGEST_LOCK, Ingest, IngestReport};
pub use fit_score::{FitScore, FitScoreError, Profile, ScoreApplication};
pub use get_job::{GetJob, GetJobError};
pub use insight::{Insight, InsightReport, SalaryRange, SkillTrend};
pub use keys::{CreateKey, IssuedKey, KeyIssuer};
pub use liveness::{CheckLiveness, LivenessPorts, LivenessReport, LivenessSettings};
pub use login::{FailureAllowance, Login, LoginError, SessionIssuer, SessionTokens};
pub use logout::{Logout, LogoutError};
pub use match_landed::{MATCH_LOCK, MATCH_PAGE, MatchCycle, MatchError, MatchLanded, MatchRun};
pub use me::{Me, MeView};
pub use refresh::{Refresh, RefreshError};
pub use register::{Register, RegisterError, Registered};
pub use revoke::{RevokeError, RevokeKey};
pub use rotate::{RotateError, RotateKeys};
pub use salary_percentiles::{SalaryPercentiles, SalaryReport};
pub use saved_searches::{
    DeliveryPage, MatchPage, MatchedJob, Saved, SavedSearchError, SavedSearches, SearchDraft, SearchListPage,
    SearchPatch, TestDelivery, Webhooks,
};
pub use search::{
    Search, SearchConfig, SearchError, SearchOutcome, SearchPorts, SearchQuery, SearchRequest, SourceReport,
    SourceStatus,
};
pub use search_corpus::{
    CORPUS_LIMIT, CorpusAnswer, CorpusError, CorpusQuery, CorpusRequest, Counts, Facets, SearchCorpus, TOTAL_BOUND,
};
pub use search_jobs::{
    EnhanceSummary, SearchJobs, SearchJobsError, SearchJobsOutcome, SearchJobsRequest, SearchNotice,
};
pub use send_digests::{DIGEST_EVERY, DIGEST_LOCK, SendDigests};
pub use set_plan::{SetPlan, SetPlanError};
pub use throttle::{PublicEndpoint, Throttle, ThrottleError};
pub use tracker_analytics::{TrackerAnalytics, TrackerAnalyticsError, TrackerReport, WeekCount};
pub use trends::{SeniorityCounts, SkillCount, Trends, TrendsReport};

/// The code for a store failure that reaches a client.
pub(crate) fn store_code(e: &KeyStoreError) -> Code {
    match e {
        KeyStoreError::Unavailable(_) => Code::DependencyUnavailable,
        KeyStoreError::EmailTaken => Code::EmailTaken,
        KeyStoreError::KeyLimitReached => Code::KeyLimitReached,
        KeyStoreError::PrefixTaken | KeyStoreError::Unknown(_) => Code::Internal,
    }
}

impl ErrorCode for KeyStoreError {
    fn code(&self) -> Code {
        store_code(self)
    }
}
