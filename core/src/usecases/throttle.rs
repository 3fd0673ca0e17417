//! Per-client-IP limits on the operations that take no API key: the public account endpoints (the
//! document: register 5/IP/min, login 10/IP/min; refresh shares login's budget size in its own
//! bucket) and the saved searches' Atom feeds (60/IP/min); the operator's catalog may change them
//! (`[public]`), e.g. to lift them for a test run.

use std::net::IpAddr;
use std::sync::Arc;

use crate::domain::PublicLimits;
use crate::ports::{Clock, MeterError, UsageMeter, WindowDecision};
use crate::{Code, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicEndpoint {
    Register,
    Login,
    Refresh,
    /// A saved search's Atom feed (its read token is the credential).
    Feed,
}

impl PublicEndpoint {
    pub const fn per_minute(self, limits: PublicLimits) -> u32 {
        match self {
            PublicEndpoint::Register => limits.register_per_minute,
            PublicEndpoint::Login => limits.login_per_minute,
            PublicEndpoint::Refresh => limits.refresh_per_minute,
            PublicEndpoint::Feed => limits.feed_per_minute,
        }
    }

    const fn bucket(self) -> &'static str {
        match self {
            PublicEndpoint::Register => "register",
            PublicEndpoint::Login => "login",
            PublicEndpoint::Refresh => "refresh",
            PublicEndpoint::Feed => "feed",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ThrottleError {
    #[error("Too many requests from this address; retry after the window resets.")]
    Limited(WindowDecision),
    #[error(transparent)]
    Meter(MeterError),
}

impl ErrorCode for ThrottleError {
    fn code(&self) -> Code {
        match self {
            ThrottleError::Limited(_) => Code::RateLimited,
            ThrottleError::Meter(_) => Code::DependencyUnavailable,
        }
    }
}

pub struct Throttle {
    pub meter: Arc<dyn UsageMeter>,
    pub clock: Arc<dyn Clock>,
    pub limits: PublicLimits,
}

impl Throttle {
    /// Counts one request from `ip`; `Err(Limited)` once the minute's budget is spent.
    pub async fn execute(&self, endpoint: PublicEndpoint, ip: IpAddr) -> Result<WindowDecision, ThrottleError> {
        // IPv6 clients usually own a whole /64: limit the prefix, not each address.
        let client = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        };
        let bucket = format!("ip:{}:{client}", endpoint.bucket());
        let decision = self
            .meter
            .hit_window(&bucket, endpoint.per_minute(self.limits), 60, self.clock.now())
            .await
            .map_err(ThrottleError::Meter)?;
        if decision.allowed { Ok(decision) } else { Err(ThrottleError::Limited(decision)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::usage::MockUsageMeter;
    use crate::testing::FixedClock;
    use chrono::{DateTime, Utc};

    #[tokio::test]
    async fn ipv6_addresses_share_their_64_and_buckets_are_per_endpoint() {
        let mut meter = MockUsageMeter::new();
        meter
            .expect_hit_window()
            .withf(|bucket, limit, window, _| bucket == "ip:register:2001:db8:1:2::/64" && *limit == 5 && *window == 60)
            .times(2)
            .returning(|_, limit, _, now| Ok(WindowDecision { allowed: true, limit, used: 1, resets_at: now }));
        meter
            .expect_hit_window()
            .withf(|bucket, limit, _, _| bucket == "ip:login:10.0.0.1" && *limit == 10)
            .times(1)
            .returning(|_, limit, _, now| Ok(WindowDecision { allowed: false, limit, used: limit, resets_at: now }));
        let t =
            Throttle { meter: Arc::new(meter), clock: Arc::new(FixedClock::at(0)), limits: PublicLimits::default() };
        for ip in ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9"] {
            t.execute(PublicEndpoint::Register, ip.parse().unwrap()).await.unwrap();
        }
        let e = t.execute(PublicEndpoint::Login, "10.0.0.1".parse().unwrap()).await.unwrap_err();
        assert_eq!(e.code(), Code::RateLimited);
        let _ = DateTime::<Utc>::from_timestamp(0, 0);
    }

    #[tokio::test]
    async fn the_operator_sets_the_limits() {
        let mut meter = MockUsageMeter::new();
        meter
            .expect_hit_window()
            .withf(|bucket, limit, _, _| bucket == "ip:refresh:10.0.0.2" && *limit == 100_000)
            .times(1)
            .returning(|_, limit, _, now| Ok(WindowDecision { allowed: true, limit, used: 1, resets_at: now }));
        let limits = PublicLimits {
            register_per_minute: 1,
            login_per_minute: 2,
            refresh_per_minute: 100_000,
            feed_per_minute: 3,
        };
        let t = Throttle { meter: Arc::new(meter), clock: Arc::new(FixedClock::at(0)), limits };
        let d = t.execute(PublicEndpoint::Refresh, "10.0.0.2".parse().unwrap()).await.unwrap();
        assert_eq!(d.limit, 100_000);
    }
}
