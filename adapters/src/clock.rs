//! The wall clock and the Tokio timer.

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use jobin_core::ports::{Clock, Timer};
use std::time::Duration;

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Sleeps on the Tokio runtime's timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        tokio::time::sleep(duration).boxed()
    }
}
