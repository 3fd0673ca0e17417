//! Payment gateways: `StripeGateway` (async-stripe, when `JOBIN_STRIPE_SECRET_KEY` is set),
//! `LocalPayments`, the offline stand-in (`make demo`, `JOBIN_BILLING=local`), `NoPayments` for a
//! server with neither, and `StripeEvents`, the webhook reader Stripe and the stand-in deliver
//! through.

pub mod local;
pub mod stripe;
pub mod stripe_webhook;
pub mod unconfigured;

pub use local::LocalPayments;
pub use stripe::{STRIPE_API_URL, StripeGateway};
pub use stripe_webhook::{StripeEvents, sign_webhook};
pub use unconfigured::NoPayments;
