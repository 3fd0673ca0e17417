//! The JobIn HTTP surface: configuration, wiring of adapters into use cases, and the poem /
//! poem-openapi server. `main.rs` only parses the command line and calls in here.

pub mod answers;
pub mod cli;
pub mod config;
pub mod endpoints;
pub mod http;
pub mod listener;
pub mod mcp;
pub mod metrics;
pub mod secrets;
pub mod server;
pub mod state;
pub mod stores;
pub mod telemetry;
pub mod usage_writer;
pub mod wiring;

pub use config::Config;
pub use http::document::{api_service, openapi_json};
pub use state::AppState;
