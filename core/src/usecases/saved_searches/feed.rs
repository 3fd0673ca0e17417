//! A saved search's Atom feed: turned on with a read token shown once, off, and read by whoever
//! holds the token (a wrong, revoked or unknown one is `NotFound`, like a search that is not
//! there).

use super::*;

impl SavedSearches {
    /// Turns the search's Atom feed on with a new read token (any earlier token stops working);
    /// the token is in this answer only.
    pub async fn open_feed(&self, account: AccountId, id: i64) -> Result<(SavedSearch, String), SavedSearchError> {
        let token = format!("{FEED_TOKEN_PREFIX}{}", random_token(self.webhooks.entropy.as_ref()));
        let hash = self.webhooks.hasher.hash(&token);
        let saved = self
            .store
            .set_feed_token(account, id, Some(hash), self.clock.now())
            .await?
            .ok_or(SavedSearchError::NotFound(id))?;
        Ok((saved, token))
    }

    /// Turns the feed off: its token stops working.
    pub async fn close_feed(&self, account: AccountId, id: i64) -> Result<SavedSearch, SavedSearchError> {
        self.store.set_feed_token(account, id, None, self.clock.now()).await?.ok_or(SavedSearchError::NotFound(id))
    }

    /// The search and its newest matches, for whoever holds its feed token; a wrong token, a
    /// revoked one and an unknown search are all `NotFound`.
    pub async fn feed(&self, id: i64, token: &str) -> Result<(SavedSearch, Vec<MatchedJob>), SavedSearchError> {
        use subtle::ConstantTimeEq;
        let search = self.store.find(id).await?.ok_or(SavedSearchError::NotFound(id))?;
        let given = self.webhooks.hasher.hash(token.trim());
        let valid = search
            .feed_token
            .as_ref()
            .is_some_and(|kept| bool::from(kept.as_str().as_bytes().ct_eq(given.as_str().as_bytes())));
        if !valid {
            return Err(SavedSearchError::NotFound(id));
        }
        let events = self.matches.recent(search.account, id, None, FEED_ENTRIES).await?;
        Ok((search, self.with_jobs(events).await?))
    }
}
