//! Middleware (as `around` functions), one job per module, outermost first: the envelope (request
//! id, security headers, the error envelope, `Allow`) and the access log it writes as the answer
//! leaves (the log line, the request metric under its route label), the body limits, the per-IP
//! limits of the public operations, and the rate headers and usage log of authenticated requests.

mod access_log;
mod account;
mod body;
mod envelope;
mod limits;

pub use account::account_rate_headers;
pub use body::body_limit;
pub use envelope::{envelope, operation_of, render_error};
pub(crate) use limits::per_ip_limited;
pub use limits::public_limits;
