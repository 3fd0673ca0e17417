//! The core's unit-test doubles, in one place: deterministic stand-ins for the clock, entropy, timer
//! and cache, and the caller a use case is given. Every other port is doubled with mockall's
//! `Mock*` (`#[automock]` on the trait), scripted per test. A test writes its own stand-in only for
//! what a mock cannot script: an answer that takes virtual time (mockall's closures cannot await —
//! the search's slow boards), or a port whose state the test drives through several calls (the
//! billing webhook's store, across a subscription's events).
use crate::ports::{Cache, CacheError, Clock, Entropy, Timer};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub struct FixedClock(pub Mutex<DateTime<Utc>>);
impl FixedClock {
    pub fn at(ts: i64) -> Self {
        Self(Mutex::new(DateTime::<Utc>::from_timestamp(ts, 0).unwrap()))
    }
}
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Counts up, so each draw differs (and prefixes differ).
#[derive(Default)]
pub struct CountingEntropy(pub AtomicU64);
impl Entropy for CountingEntropy {
    fn fill(&self, dest: &mut [u8]) {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        for (i, b) in dest.iter_mut().enumerate() {
            *b = (n >> (8 * (i % 8))) as u8 ^ (i as u8);
        }
        // Put the counter in the first bytes so display prefixes differ too.
        dest[0] = n as u8;
        dest[1] = (n >> 8) as u8;
    }
}

/// Sleeps on Tokio's clock (paused in tests that use `start_paused`).
pub struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        tokio::time::sleep(d).boxed()
    }
}

/// A cache that keeps every entry with the TTL it was given (never expires).
#[derive(Default)]
pub struct MapCache(pub Mutex<HashMap<String, (Vec<u8>, Duration)>>);

#[async_trait]
impl Cache for MapCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.0.lock().unwrap().get(key).map(|(v, _)| v.clone()))
    }
    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<(), CacheError> {
        self.0.lock().unwrap().insert(key.to_owned(), (value, ttl));
        Ok(())
    }
}

/// A caller: account `id` (`a@example.com`, created at the epoch) on `plan`, with `credential`
/// holding `scopes`.
pub fn principal(
    id: i64,
    plan: crate::domain::Plan,
    credential: crate::usecases::Credential,
    scopes: crate::domain::Scopes,
) -> crate::usecases::Principal {
    crate::usecases::Principal {
        account: crate::domain::Account {
            id: crate::domain::AccountId(id),
            email: crate::domain::Email::parse("a@example.com").unwrap(),
            plan,
            created_at: DateTime::<Utc>::from_timestamp(0, 0).unwrap(),
        },
        credential,
        scopes,
    }
}

/// The credential of the API key `jl_live_ab12…` (key id 1).
pub fn api_key() -> crate::usecases::Credential {
    crate::usecases::Credential::ApiKey {
        id: crate::domain::KeyId(1),
        prefix: crate::domain::KeyPrefix::parse("jl_live_ab12").unwrap(),
    }
}
