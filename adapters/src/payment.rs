//! Payment gateways: `StripeGateway` (async-stripe, when `JOBIN_STRIPE_SECRET_KEY` is set) and
//! `LocalPayments`, the offline stand-in used otherwise (the embedded default and `make demo`).

pub mod local;
pub mod stripe;

pub use local::{LocalAction, LocalPayments, LocalPortal};
pub use stripe::{STRIPE_API_URL, StripeGateway};
