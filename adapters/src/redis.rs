//! Redis adapters (fred) for several app nodes, one module each: the cache (GET / SET PX), the usage meter (one Lua script checks and counts
//! atomically, one round trip) and the lock (token-owned `SET NX PX`, compare-and-delete release).
//!
//! Failure behaviour: commands time out after `COMMAND_TIMEOUT` while Redis is unreachable and map
//! to the port's `Unavailable` error (callers fail closed with 503); fred reconnects in the
//! background, so service resumes by itself when Redis returns. After a command fails for want of
//! Redis, the others fail at once for [`FAST_FAIL`] instead of each waiting out the timeout; then
//! one command probes, and its success closes the breaker.

use anyhow::Context;
use fred::prelude::*;
use std::sync::Arc;
use std::time::Duration;

mod cache;
mod kept_answers;
mod lock;
mod meter;

pub use cache::RedisCache;
pub use kept_answers::RedisKeptAnswers;
pub use lock::RedisLock;
pub use meter::RedisMeter;

/// How long a command may wait (including while reconnecting) before it fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(750);

/// How long commands fail at once after one failed for want of Redis.
pub const FAST_FAIL: Duration = Duration::from_secs(1);

/// Fails commands fast while Redis is known to be unreachable; one probe at a time after that.
struct Breaker {
    base: std::time::Instant,
    /// Milliseconds since `base` until which commands fail at once; 0 when closed.
    open_until: std::sync::atomic::AtomicU64,
    probing: std::sync::atomic::AtomicBool,
}

#[derive(Debug, PartialEq, Eq)]
enum Pass {
    Go,
    Probe,
    FailFast,
}

impl Breaker {
    fn new() -> Self {
        Self {
            base: std::time::Instant::now(),
            open_until: std::sync::atomic::AtomicU64::new(0),
            probing: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX).max(1)
    }

    fn pass(&self) -> Pass {
        use std::sync::atomic::Ordering::*;
        let until = self.open_until.load(Acquire);
        if until == 0 {
            return Pass::Go;
        }
        if self.now_ms() < until || self.probing.compare_exchange(false, true, AcqRel, Acquire).is_err() {
            return Pass::FailFast;
        }
        Pass::Probe
    }

    fn record(&self, pass: &Pass, outage: bool) {
        use std::sync::atomic::Ordering::*;
        if outage {
            let until = self.now_ms() + u64::try_from(FAST_FAIL.as_millis()).unwrap_or(1_000);
            self.open_until.store(until, Release);
        } else {
            self.open_until.store(0, Release);
        }
        if *pass == Pass::Probe {
            self.probing.store(false, Release);
        }
    }
}

/// Errors that mean Redis cannot be reached (not a bad command).
fn is_outage(e: &fred::error::Error) -> bool {
    use fred::error::ErrorKind::*;
    matches!(e.kind(), IO | Timeout | Canceled | Routing | Backpressure)
}

/// How every client is built: bounded connection and command waits, reconnection forever.
fn builder(config: Config) -> Builder {
    let mut b = Builder::from_config(config);
    b.with_connection_config(|c| {
        c.connection_timeout = Duration::from_secs(2);
        c.internal_command_timeout = Duration::from_secs(2);
    })
    .with_performance_config(|p| p.default_command_timeout = COMMAND_TIMEOUT)
    .set_policy(ReconnectPolicy::new_exponential(0, 50, 1_000, 2));
    b
}

/// A connected client, shared by the Redis adapters.
#[derive(Clone)]
pub struct Redis {
    client: Client,
    /// How `client` was built (a subscriber connects the same way).
    config: Config,
    /// Prepended to every key (tests use a unique one per run).
    prefix: String,
    breaker: Arc<Breaker>,
}

impl Redis {
    /// Connects to `url` (`redis://host:port/db`); fails if Redis does not answer now.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let config = Config::from_url(url).context("JOBIN_REDIS_URL is not a valid redis:// URL")?;
        let client = builder(config.clone()).build().context("building the Redis client")?;
        tokio::time::timeout(Duration::from_secs(3), client.init())
            .await
            .context("Redis did not answer within 3 s")?
            .context("connecting to Redis")?;
        Ok(Self { client, config, prefix: prefix.to_owned(), breaker: Arc::new(Breaker::new()) })
    }

    /// A client of its own for subscriptions (a subscribed connection runs no other command),
    /// connected like this one; it subscribes again after each reconnection.
    pub(crate) async fn subscriber(&self) -> anyhow::Result<fred::clients::SubscriberClient> {
        let client = builder(self.config.clone()).build_subscriber_client().context("building a Redis subscriber")?;
        tokio::time::timeout(Duration::from_secs(3), client.init())
            .await
            .context("Redis did not answer within 3 s")?
            .context("connecting a Redis subscriber")?;
        Ok(client)
    }

    /// Publishes `message` on `channel` (under the prefix).
    pub(crate) async fn publish(&self, channel: &str, message: String) -> Result<(), fred::error::Error> {
        self.run(self.client.publish::<(), _, _>(self.channel(channel), message)).await
    }

    /// `channel` under the prefix, as `publish` names it.
    pub(crate) fn channel(&self, channel: &str) -> String {
        self.key(format_args!("{channel}"))
    }

    /// Runs one command through the breaker.
    async fn run<T>(
        &self,
        command: impl std::future::Future<Output = Result<T, fred::error::Error>>,
    ) -> Result<T, fred::error::Error> {
        let pass = self.breaker.pass();
        if pass == Pass::FailFast {
            return Err(fred::error::Error::new(
                fred::error::ErrorKind::IO,
                "Redis is unreachable (failing fast after the last failure)",
            ));
        }
        let result = command.await;
        let outage = result.as_ref().err().is_some_and(is_outage);
        if outage || pass == Pass::Probe {
            self.breaker.record(&pass, outage);
        }
        result
    }

    fn key(&self, parts: std::fmt::Arguments<'_>) -> String {
        format!("{}{parts}", self.prefix)
    }

    pub async fn ping(&self) -> bool {
        self.client.ping::<String>(None).await.is_ok()
    }
}

#[async_trait::async_trait]
impl jobin_core::ports::Reachable for Redis {
    async fn ping(&self) -> bool {
        Redis::ping(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_fails_fast_after_an_outage_and_lets_one_probe_through() {
        let b = Breaker::new();
        assert_eq!(b.pass(), Pass::Go);
        b.record(&Pass::Go, true);
        assert_eq!(b.pass(), Pass::FailFast, "right after a failure");
        // Once the fast-fail period is over, exactly one caller probes.
        b.open_until.store(1, std::sync::atomic::Ordering::Release);
        assert_eq!(b.pass(), Pass::Probe);
        assert_eq!(b.pass(), Pass::FailFast, "one probe at a time");
        b.record(&Pass::Probe, true);
        assert_eq!(b.pass(), Pass::FailFast, "a failed probe opens it again");
        b.open_until.store(1, std::sync::atomic::Ordering::Release);
        let probe = b.pass();
        b.record(&probe, false);
        assert_eq!(b.pass(), Pass::Go, "a good probe closes it");
    }
}
