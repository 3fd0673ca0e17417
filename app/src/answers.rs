//! A search's answer as the API sends it: the search use case behind the node's copies of its
//! encoded answers. A question asked again within a copy's life is answered with the bytes the
//! node encoded last time — no cache read, no decoding, no encoding (see [`copies`]).

pub mod copies;

use bytes::Bytes;
use jobin_core::ports::Clock;
use jobin_core::usecases::{SearchJobs, SearchJobsError, SearchJobsOutcome, SearchJobsRequest};
use std::sync::Arc;

pub use copies::AnswerCopies;

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
