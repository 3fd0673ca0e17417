//! Black-box API tests: one binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

mod ai;
mod ai_remote;
mod analytics;
mod billing;
mod corpus;
mod durability;
mod faults;
mod feed;
mod idempotency;
mod jobo;
mod keys;
mod mcp;
mod metrics;
mod outbound;
mod quota;
mod readme;
mod register_login;
mod scopes;
mod search;
mod searches;
mod security;
mod system;
mod tracker;
mod versions;
