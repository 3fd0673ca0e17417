//! A search's answer as the API sends it: the search use case behind the node's copies of its
//! encoded answers. When a search is answered from the search cache, its encoded body is kept
//! here for a short while, so the same question asked again is answered with a copy of those
//! bytes — no cache read, no decoding, no encoding.
//!
//! A copy never outlives the cached answer it was made from (`cached_until`), and lives at most
//! [`COPY_LIFE`]: an answer that ingestion refreshed in the shared cache is served by every node
//! within that time. The copies are bounded in bytes; the ones closest to expiry go first.

use bytes::Bytes;
use jobin_core::ports::Clock;
use jobin_core::usecases::{SearchJobs, SearchJobsError, SearchJobsOutcome, SearchJobsRequest};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How an answer is encoded, and whether it keeps the jobs' whole descriptions (the HTTP layer's
/// body, chosen in wiring).
pub type Encode = fn(SearchJobsOutcome, bool) -> Bytes;

/// An encoded answer and whether the search cache answered it (`X-Cache`).
pub struct EncodedAnswer {
    pub body: Bytes,
    pub cache_hit: bool,
}

pub struct SearchAnswers {
    search: SearchJobs,
    copies: AnswerCopies,
    clock: Arc<dyn Clock>,
    encode: Encode,
}

impl SearchAnswers {
    pub fn new(search: SearchJobs, copies: AnswerCopies, clock: Arc<dyn Clock>, encode: Encode) -> Self {
        Self { search, copies, clock, encode }
    }

    /// The answer to `req`, encoded: a live copy when the node has one, else the use case's.
    pub async fn answer(
        &self,
        req: &SearchJobsRequest,
        with_description: bool,
    ) -> Result<EncodedAnswer, SearchJobsError> {
        // An enhanced answer is never copied: it is the model's, made for this request.
        let key = req.enhance.is_none().then(|| format!("{}:{}", req.query.key(), u8::from(with_description)));
        if let Some(key) = &key {
            let copy = self.copies.get(key);
            crate::metrics::search_body_read(copy.is_some());
            if let Some(body) = copy {
                return Ok(EncodedAnswer { body, cache_hit: true });
            }
        }
        let outcome = self.search.execute(req).await?;
        let (hit, cached_until) = (outcome.outcome.cache_hit, outcome.outcome.cached_until);
        let body = (self.encode)(outcome, with_description);
        // Only a cache HIT is copied: the copy is what the cache answers, word for word, and it
        // never outlives the cached answer.
        if let (true, Some(key), Some(until)) = (hit, key, cached_until) {
            let left = (until - self.clock.now()).to_std().unwrap_or_default();
            self.copies.keep(key, body.clone(), left);
        }
        Ok(EncodedAnswer { body, cache_hit: hit })
    }
}

/// The longest a node serves a copy of a cached search answer.
pub const COPY_LIFE: Duration = Duration::from_secs(2);
/// The most bytes of copies a node keeps.
pub const COPIES_MAX_BYTES: usize = 32 * 1024 * 1024;

pub struct AnswerCopies {
    life: Duration,
    max_bytes: usize,
    inner: Mutex<Copies>,
}

#[derive(Default)]
struct Copies {
    map: HashMap<String, Copy>,
    bytes: usize,
}

struct Copy {
    body: Bytes,
    until: Instant,
}

impl Default for AnswerCopies {
    fn default() -> Self {
        Self::new(COPY_LIFE, COPIES_MAX_BYTES)
    }
}

impl AnswerCopies {
    pub fn new(life: Duration, max_bytes: usize) -> Self {
        Self { life, max_bytes, inner: Mutex::new(Copies::default()) }
    }

    /// The live copy kept under `key`.
    pub fn get(&self, key: &str) -> Option<Bytes> {
        let now = Instant::now();
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let copy = c.map.get(key)?;
        if copy.until > now {
            return Some(copy.body.clone());
        }
        c.remove(key);
        None
    }

    /// Keeps `body` under `key` for the copy's life, or less when the answer it encodes expires
    /// sooner (`answer_life`, what is left of the cached answer's life).
    pub fn keep(&self, key: String, body: Bytes, answer_life: Duration) {
        let life = self.life.min(answer_life);
        if life.is_zero() || body.len() > self.max_bytes / 4 {
            return;
        }
        let now = Instant::now();
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        c.remove(&key);
        c.bytes += body.len();
        c.map.insert(key, Copy { body, until: now + life });
        if c.bytes > self.max_bytes {
            c.make_room(now, self.max_bytes);
        }
    }

    /// Bytes held (for tests and the bound).
    pub fn held_bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }
}

impl Copies {
    fn remove(&mut self, key: &str) {
        if let Some(old) = self.map.remove(key) {
            self.bytes -= old.body.len();
        }
    }

    /// Drops the expired copies, then the ones closest to expiry, until `max` bytes are held.
    fn make_room(&mut self, now: Instant, max: usize) {
        self.map.retain(|_, c| c.until > now);
        self.bytes = self.map.values().map(|c| c.body.len()).sum();
        if self.bytes <= max {
            return;
        }
        let mut by_expiry: Vec<(Instant, String)> = self.map.iter().map(|(k, c)| (c.until, k.clone())).collect();
        by_expiry.sort();
        for (_, key) in by_expiry {
            if self.bytes <= max {
                break;
            }
            self.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(n: usize) -> Bytes {
        Bytes::from(vec![b'x'; n])
    }

    #[test]
    fn a_copy_is_served_until_the_shorter_of_its_life_and_the_answers() {
        let copies = AnswerCopies::new(Duration::from_millis(300), 1 << 20);
        copies.keep("long".into(), body(10), Duration::from_secs(900));
        copies.keep("short".into(), body(10), Duration::from_millis(50));
        copies.keep("expired".into(), body(10), Duration::ZERO);
        assert_eq!(copies.get("long").as_deref(), Some(&b"xxxxxxxxxx"[..]));
        assert!(copies.get("short").is_some());
        assert!(copies.get("expired").is_none(), "an expired answer is never copied");
        std::thread::sleep(Duration::from_millis(120));
        assert!(copies.get("short").is_none(), "not past the cached answer's expiry");
        assert!(copies.get("long").is_some());
        std::thread::sleep(Duration::from_millis(250));
        assert!(copies.get("long").is_none(), "not past the copy's own life");
        assert_eq!(copies.held_bytes(), 0, "expired copies are dropped when read");
    }

    #[test]
    fn copies_are_bounded_in_bytes_and_the_soonest_to_expire_go_first() {
        let copies = AnswerCopies::new(Duration::from_secs(60), 1000);
        copies.keep("huge".into(), body(300), Duration::from_secs(60));
        assert!(copies.get("huge").is_none(), "one answer may not take more than a quarter");
        copies.keep("a".into(), body(200), Duration::from_secs(10));
        copies.keep("b".into(), body(200), Duration::from_secs(50));
        copies.keep("c".into(), body(200), Duration::from_secs(40));
        copies.keep("d".into(), body(200), Duration::from_secs(30));
        copies.keep("b".into(), body(200), Duration::from_secs(50));
        assert_eq!(copies.held_bytes(), 800, "a replaced copy is counted once");
        copies.keep("e".into(), body(250), Duration::from_secs(60));
        assert!(copies.get("a").is_none(), "the soonest to expire went");
        for k in ["b", "c", "d", "e"] {
            assert!(copies.get(k).is_some(), "{k} kept");
        }
        assert_eq!(copies.held_bytes(), 850);
    }
}
