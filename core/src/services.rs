//! Services: domain logic several use cases (or adapters, through a port) share, that is not a
//! use case of its own. Like use cases they hold ports and do no I/O themselves.

pub mod ai;
pub mod enhance;
pub mod last_used;
pub mod monthly;

pub use ai::{
    AI_BUDGET, AiChoice, AiError, AiGateway, ChoicePart, ProviderStatus, ProviderView, ProvidersView, Selection,
};
pub use enhance::{Enhanced, Enhancer, Extraction};
pub use last_used::LastUsedTracker;
pub use monthly::MonthlyCounts;
