//! Payment gateways: `StripeGateway` (async-stripe, when `JOBIN_STRIPE_SECRET_KEY` is set) and
//! `LocalPayments`, the offline stand-in used otherwise (the embedded default and `make demo`), and
//! `StripeEvents`, the webhook reader both deliver through.

pub mod local;
pub mod stripe;
pub mod stripe_webhook;

pub use local::LocalPayments;
pub use stripe::{STRIPE_API_URL, StripeGateway};
pub use stripe_webhook::{StripeEvents, sign_webhook};
