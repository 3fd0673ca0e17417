//! HTTP surface: one module per tag, plus the error envelope, security schemes and middleware.

pub mod auth;
pub mod billing;
pub mod body_fields;
pub mod client_ip;
pub mod context;
pub mod corpus;
pub mod doc_headers;
pub mod doc_rules;
pub mod document;
pub mod encoded;
pub mod error;
pub mod error_examples;
pub mod feed;
pub mod gate;
pub mod idempotency;
pub mod jobo;
pub mod jobs;
pub mod middleware;
pub mod paths;
pub mod routes;
pub mod scrape;
pub mod searches;
pub mod security;
pub mod system;
pub mod text_guard;
pub mod tracker;
pub mod versions;

/// OpenAPI tags.
#[derive(poem_openapi::Tags)]
pub enum Tag {
    /// Registration, login sessions and API key management.
    Account,
    /// Job search across the boards, salary statistics, AI trends and insight, AI providers.
    Jobs,
    /// Incremental sync of every job we have seen: the active-jobs feed and the expired ids.
    Feed,
    /// Checkout, the customer portal and Stripe webhooks.
    Billing,
    /// The application tracker: applications, their timelines, analytics and fit scores (`/v1` only).
    Tracker,
    /// Saved searches: be told of new postings that match (`/v1` only).
    Searches,
    /// Health and service metadata.
    System,
}
