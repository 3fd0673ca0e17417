//! Saved searches (issue 20): one account's searches — create under the plan's cap, read, change,
//! delete, list — and what each matched, newest first, with the posting as stored now. A search's
//! webhook administration is in `webhooks`, its Atom feed in `feed`. Every
//! operation names the account; another account's search is reported exactly like one that does
//! not exist.

use std::sync::Arc;

use crate::domain::outbound::{OutboundPolicy, Refusal};
use crate::domain::saved_search::{self, RawCriteria, SearchCriteria};
use crate::domain::{AccountId, FieldError, Plan, PlanCatalog, SecretHasher, random_token, webhook};
use crate::ports::{
    Attempt, Clock, Created, Delivery, DeliveryStore, Entropy, EventEncoder, FoundJob, JobStore, JobStoreError,
    MatchEvent, MatchStore, SavedSearch, SavedSearchStore, SavedSearchStoreError, WebhookChange, WebhookSender,
};
use crate::{Code, ErrorCode};

mod feed;
mod webhooks;

pub use webhooks::Webhooks;
pub(crate) use webhooks::send_signed;

/// Searches per page unless asked; the most a page may hold.
pub const PER_PAGE_DEFAULT: u64 = 20;
pub const PER_PAGE_MAX: u64 = 100;
/// Matches per page unless asked; the most a page may hold.
pub const MATCHES_DEFAULT: u64 = 20;
pub const MATCHES_MAX: u64 = 100;
/// Entries of the Atom feed: the newest matches.
pub const FEED_ENTRIES: u64 = 50;
/// The prefix of a feed token.
pub const FEED_TOKEN_PREFIX: &str = "jf_";

#[derive(Debug, thiserror::Error)]
pub enum SavedSearchError {
    #[error(transparent)]
    Invalid(FieldError),
    #[error("No saved search has the id {0}.")]
    NotFound(i64),
    #[error("The saved search {0} has no delivery with the id {1}.")]
    DeliveryNotFound(i64, i64),
    #[error("The saved search {0} has no webhook_url; set one first.")]
    NoWebhook(i64),
    #[error("webhook_url: {0}")]
    DestinationNotAllowed(Refusal),
    #[error(
        "The {plan} plan holds at most {limit} saved search{s}; delete one or upgrade.",
        s = if *.limit == 1 { "" } else { "es" }
    )]
    LimitReached { plan: Plan, limit: u64 },
    #[error(transparent)]
    Store(SavedSearchStoreError),
    #[error(transparent)]
    Jobs(JobStoreError),
}

impl ErrorCode for SavedSearchError {
    fn code(&self) -> Code {
        match self {
            SavedSearchError::Invalid(_) => Code::ValidationFailed,
            SavedSearchError::NotFound(_) => Code::SavedSearchNotFound,
            SavedSearchError::DeliveryNotFound(..) => Code::DeliveryNotFound,
            SavedSearchError::NoWebhook(_) => Code::NoWebhook,
            SavedSearchError::DestinationNotAllowed(_) => Code::DestinationNotAllowed,
            SavedSearchError::LimitReached { .. } => Code::SavedSearchLimitReached,
            SavedSearchError::Store(SavedSearchStoreError::Unavailable(_)) => Code::DependencyUnavailable,
            SavedSearchError::Jobs(e) if e.is_outage() => Code::DependencyUnavailable,
            SavedSearchError::Store(_) | SavedSearchError::Jobs(_) => Code::Internal,
        }
    }
}

impl From<SavedSearchStoreError> for SavedSearchError {
    fn from(e: SavedSearchStoreError) -> Self {
        SavedSearchError::Store(e)
    }
}

impl From<FieldError> for SavedSearchError {
    fn from(e: FieldError) -> Self {
        SavedSearchError::Invalid(e)
    }
}

/// A new saved search as the client sends it; the name defaults to `q`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchDraft {
    pub name: Option<String>,
    pub criteria: RawCriteria,
    pub webhook_url: Option<String>,
    /// A daily email digest of new matches.
    pub digest: Option<bool>,
}

/// A saved search as written, and the webhook's signing secret when this write made one (it is
/// shown this once).
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub search: SavedSearch,
    pub webhook_secret: Option<String>,
}

/// The outcome of a test delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct TestDelivery {
    pub delivered: bool,
    pub attempt: Attempt,
}

/// One page of a search's deliveries, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    pub next_before: Option<i64>,
}

/// A change: `None` keeps a field; `Some(None)` clears an optional one. Clearing `salary_min`
/// clears its currency too unless the change names one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPatch {
    pub name: Option<String>,
    pub q: Option<String>,
    pub location: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub remote: Option<bool>,
    pub sources: Option<Vec<String>>,
    pub salary_min: Option<Option<u64>>,
    pub salary_currency: Option<Option<String>>,
    pub employment_types: Option<Vec<String>>,
    pub workplace_types: Option<Vec<String>>,
    /// `Some(None)` removes the webhook.
    pub webhook_url: Option<Option<String>>,
    pub digest: Option<bool>,
}

impl SearchPatch {
    /// `current` with this change applied, before checking.
    fn apply(self, current: RawCriteria) -> RawCriteria {
        let salary_currency = match (&self.salary_min, self.salary_currency) {
            (_, Some(c)) => c,
            (Some(None), None) => None,
            (_, None) => current.salary_currency,
        };
        RawCriteria {
            q: self.q.or(current.q),
            location: self.location.unwrap_or(current.location),
            country: self.country.unwrap_or(current.country),
            remote: self.remote.or(current.remote),
            sources: self.sources.unwrap_or(current.sources),
            salary_min: self.salary_min.unwrap_or(current.salary_min),
            salary_currency,
            employment_types: self.employment_types.unwrap_or(current.employment_types),
            workplace_types: self.workplace_types.unwrap_or(current.workplace_types),
        }
    }
}

/// One page of an account's saved searches.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchListPage {
    pub items: Vec<SavedSearch>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub has_more: bool,
}

/// A recorded match with the posting as stored now (`None` when the store no longer holds it).
#[derive(Debug, Clone)]
pub struct MatchedJob {
    pub event: MatchEvent,
    pub job: Option<FoundJob>,
}

/// One page of a search's matches, newest first.
#[derive(Debug, Clone)]
pub struct MatchPage {
    pub items: Vec<MatchedJob>,
    /// The `before` of the next page, when there may be one.
    pub next_before: Option<i64>,
}

pub struct SavedSearches {
    pub store: Arc<dyn SavedSearchStore>,
    pub matches: Arc<dyn MatchStore>,
    pub jobs: Arc<dyn JobStore>,
    pub catalog: Arc<PlanCatalog>,
    pub clock: Arc<dyn Clock>,
    pub webhooks: Webhooks,
}

/// The checked `limit` (default [`MATCHES_DEFAULT`]) of a page of events paged by `before` (an
/// id of `what`).
fn page_bounds(before: Option<i64>, limit: Option<u64>, what: &str) -> Result<u64, SavedSearchError> {
    let limit = limit.unwrap_or(MATCHES_DEFAULT);
    if !(1..=MATCHES_MAX).contains(&limit) {
        return Err(FieldError::new("limit", format!("must be between 1 and {MATCHES_MAX}")).into());
    }
    if before.is_some_and(|b| b < 1) {
        return Err(FieldError::new("before", format!("must be {what} (1 or more)")).into());
    }
    Ok(limit)
}

/// The `before` of the next page: the last id of a full page (a page cut short is the last).
fn next_before<T>(items: &[T], limit: u64, id: impl Fn(&T) -> i64) -> Option<i64> {
    if items.len() as u64 == limit { items.last().map(id) } else { None }
}

/// A name given, or the keywords as the name (cut to the longest name allowed).
fn name_or_q(name: Option<&str>, criteria: &SearchCriteria) -> Result<String, FieldError> {
    match name {
        Some(n) => saved_search::name(n),
        None => Ok(criteria.q.chars().take(saved_search::NAME_MAX_CHARS).collect::<String>().trim().to_owned()),
    }
}

impl SavedSearches {
    pub async fn create(&self, account: AccountId, plan: Plan, draft: SearchDraft) -> Result<Saved, SavedSearchError> {
        let criteria = SearchCriteria::parse(draft.criteria)?;
        let name = name_or_q(draft.name.as_deref(), &criteria)?;
        let hook = match draft.webhook_url.as_deref() {
            Some(url) => Some((self.webhooks.url(url)?, self.nonce())),
            None => None,
        };
        let webhook_secret = hook.as_ref().map(|(_, nonce)| webhook::secret(&self.webhooks.hasher, nonce));
        let cap = u64::from(self.catalog.terms(plan).saved_searches);
        let now = self.clock.now();
        let search = match self.store.create(account, name, criteria, hook, cap, now).await? {
            Created::Saved(s) => *s,
            Created::AtCap { cap } => return Err(SavedSearchError::LimitReached { plan, limit: cap }),
        };
        let search = match draft.digest {
            Some(true) => self
                .store
                .set_digest(account, search.id, Some(0), now)
                .await?
                .ok_or(SavedSearchError::NotFound(search.id))?,
            _ => search,
        };
        Ok(Saved { search, webhook_secret })
    }

    fn nonce(&self) -> String {
        random_token(self.webhooks.entropy.as_ref())
    }

    pub async fn get(&self, account: AccountId, id: i64) -> Result<SavedSearch, SavedSearchError> {
        self.store.get(account, id).await?.ok_or(SavedSearchError::NotFound(id))
    }

    /// Applies the change to the stored search and checks the result as a whole; nothing is
    /// written when a field fails. Setting a webhook where there was none makes its secret.
    pub async fn update(&self, account: AccountId, id: i64, mut patch: SearchPatch) -> Result<Saved, SavedSearchError> {
        let current = self.get(account, id).await?;
        let name = match patch.name.as_deref() {
            Some(n) => saved_search::name(n)?,
            None => current.name.clone(),
        };
        let (webhook_url, digest) = (patch.webhook_url.take(), patch.digest);
        let criteria = SearchCriteria::parse(patch.apply(current.criteria.to_raw()))?;
        let change = match &webhook_url {
            None => None,
            Some(None) => Some(WebhookChange::Remove),
            Some(Some(url)) => {
                let url = self.webhooks.url(url)?;
                Some(WebhookChange::Set { url, nonce: current.webhook.is_none().then(|| self.nonce()) })
            }
        };
        let now = self.clock.now();
        let mut saved =
            self.store.update(account, id, name, criteria, now).await?.ok_or(SavedSearchError::NotFound(id))?;
        let mut webhook_secret = None;
        if let Some(change) = change {
            if let WebhookChange::Set { nonce: Some(nonce), .. } = &change {
                webhook_secret = Some(webhook::secret(&self.webhooks.hasher, nonce));
            }
            saved = self.store.set_webhook(account, id, change, now).await?.ok_or(SavedSearchError::NotFound(id))?;
        }
        let digest = match (digest, current.digest) {
            // Turned on: from the newest match on (what the search has already found is not news).
            (Some(true), None) => {
                let newest = self.matches.recent(account, id, None, 1).await?.first().map_or(0, |m| m.id);
                Some(Some(newest))
            }
            (Some(false), Some(_)) => Some(None),
            _ => None,
        };
        if let Some(through) = digest {
            saved = self.store.set_digest(account, id, through, now).await?.ok_or(SavedSearchError::NotFound(id))?;
        }
        Ok(Saved { search: saved, webhook_secret })
    }

    /// Each event with its posting as stored now.
    async fn with_jobs(&self, events: Vec<MatchEvent>) -> Result<Vec<MatchedJob>, SavedSearchError> {
        let mut items = Vec::with_capacity(events.len());
        for event in events {
            let job = self.jobs.get(&event.event.job_id).await.map_err(SavedSearchError::Jobs)?;
            items.push(MatchedJob { event, job });
        }
        Ok(items)
    }

    /// Deletes the search and what it matched.
    pub async fn delete(&self, account: AccountId, id: i64) -> Result<(), SavedSearchError> {
        if self.store.delete(account, id).await? { Ok(()) } else { Err(SavedSearchError::NotFound(id)) }
    }

    pub async fn list(
        &self,
        account: AccountId,
        page: Option<u64>,
        per_page: Option<u64>,
    ) -> Result<SearchListPage, SavedSearchError> {
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(FieldError::new("page", "must be 1 or more (pages are numbered from 1)").into());
        }
        let per_page = per_page.unwrap_or(PER_PAGE_DEFAULT);
        if !(1..=PER_PAGE_MAX).contains(&per_page) {
            return Err(FieldError::new("per_page", format!("must be between 1 and {PER_PAGE_MAX}")).into());
        }
        let offset = (page - 1).saturating_mul(per_page);
        let found = self.store.list(account, offset, per_page).await?;
        let has_more = offset.saturating_add(found.items.len() as u64) < found.total;
        Ok(SearchListPage { items: found.items, total: found.total, page, per_page, has_more })
    }

    /// The search's matches, newest first; `before` (a match id from the previous page) pages on.
    pub async fn matches(
        &self,
        account: AccountId,
        id: i64,
        before: Option<i64>,
        limit: Option<u64>,
    ) -> Result<MatchPage, SavedSearchError> {
        let limit = page_bounds(before, limit, "a match id")?;
        self.get(account, id).await?;
        let events = self.matches.recent(account, id, before, limit).await?;
        let next_before = next_before(&events, limit, |e| e.id);
        Ok(MatchPage { items: self.with_jobs(events).await?, next_before })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::job_store::MockJobStore;
    use crate::ports::match_store::MockMatchStore;
    use crate::ports::saved_search_store::MockSavedSearchStore;
    use crate::ports::{NewMatch, SavedSearchPage};
    use crate::testing::FixedClock;

    const A: AccountId = AccountId(7);

    fn searches(store: MockSavedSearchStore, matches: MockMatchStore, jobs: MockJobStore) -> SavedSearches {
        SavedSearches {
            store: Arc::new(store),
            matches: Arc::new(matches),
            jobs: Arc::new(jobs),
            catalog: Arc::new(PlanCatalog::document()),
            clock: Arc::new(FixedClock::at(1_796_551_200)),
            webhooks: Webhooks {
                deliveries: Arc::new(crate::ports::webhook::MockDeliveryStore::new()),
                sender: Arc::new(crate::ports::webhook::MockWebhookSender::new()),
                encoder: Arc::new(crate::ports::webhook::MockEventEncoder::new()),
                hasher: SecretHasher::new(b"pepper".to_vec()),
                entropy: Arc::new(crate::testing::CountingEntropy::default()),
                outbound: OutboundPolicy::STRICT,
            },
        }
    }

    fn stored(id: i64, raw: RawCriteria) -> SavedSearch {
        let at = "2026-12-01T00:00:00Z".parse().unwrap();
        SavedSearch {
            id,
            account: A,
            name: "Rust".into(),
            criteria: SearchCriteria::parse(raw).unwrap(),
            created_at: at,
            updated_at: at,
            webhook: None,
            feed_token: None,
            digest: None,
        }
    }

    fn raw(q: &str) -> RawCriteria {
        RawCriteria { q: Some(q.into()), ..Default::default() }
    }

    #[tokio::test]
    async fn create_passes_the_plans_cap_and_reports_it_when_reached() {
        let mut store = MockSavedSearchStore::new();
        store.expect_create().times(1).returning(|_, name, _, _, cap, _| {
            assert_eq!((name.as_str(), cap), ("rust leeds", 10), "the name defaults to q; Starter holds 10");
            Ok(Created::AtCap { cap })
        });
        let s = searches(store, MockMatchStore::new(), MockJobStore::new());
        let draft = SearchDraft { criteria: raw(" rust leeds "), ..Default::default() };
        let e = s.create(A, Plan::Starter, draft).await.unwrap_err();
        assert_eq!(e.code(), Code::SavedSearchLimitReached);
        assert_eq!(e.to_string(), "The starter plan holds at most 10 saved searches; delete one or upgrade.");
    }

    #[tokio::test]
    async fn bad_fields_are_refused_before_the_store() {
        let s = searches(MockSavedSearchStore::new(), MockMatchStore::new(), MockJobStore::new());
        let bad = |d: SearchDraft| {
            let s = &s;
            async move {
                match s.create(A, Plan::Free, d).await.unwrap_err() {
                    SavedSearchError::Invalid(f) => f.field,
                    e => panic!("{e}"),
                }
            }
        };
        assert_eq!(bad(SearchDraft { criteria: raw(" "), ..Default::default() }).await, "q");
        assert_eq!(
            bad(SearchDraft { name: Some(" ".into()), criteria: raw("rust"), ..Default::default() }).await,
            "name"
        );
        assert_eq!(s.list(A, Some(0), None).await.unwrap_err().code(), Code::ValidationFailed);
        assert_eq!(s.list(A, None, Some(101)).await.unwrap_err().code(), Code::ValidationFailed);
        assert_eq!(s.matches(A, 1, None, Some(0)).await.unwrap_err().code(), Code::ValidationFailed);
        assert_eq!(s.matches(A, 1, Some(0), None).await.unwrap_err().code(), Code::ValidationFailed);
    }

    #[tokio::test]
    async fn a_change_merges_into_the_stored_search_and_is_checked_whole() {
        let mut store = MockSavedSearchStore::new();
        let current = stored(
            3,
            RawCriteria {
                country: Some("gb".into()),
                salary_min: Some(50_000),
                sources: vec!["reed".into()],
                ..raw("rust")
            },
        );
        let seen = current.clone();
        store.expect_get().returning(move |_, _| Ok(Some(seen.clone())));
        store.expect_update().times(1).returning(|account, id, name, criteria, _| {
            assert_eq!(criteria.q, "python", "changed");
            assert_eq!(criteria.sources.len(), 1, "kept");
            assert_eq!(criteria.salary_floor, None, "cleared, and its currency with it");
            assert_eq!(criteria.country, None, "cleared");
            Ok(Some(SavedSearch { id, account, name, criteria, ..stored(id, raw("x")) }))
        });
        let s = searches(store, MockMatchStore::new(), MockJobStore::new());
        let patch =
            SearchPatch { q: Some("python".into()), salary_min: Some(None), country: Some(None), ..Default::default() };
        assert_eq!(s.update(A, 3, patch).await.unwrap().search.name, "Rust", "the name is kept");
        // Clearing the country of a floor that took the country's currency keeps the currency.
        let patch = SearchPatch { country: Some(Some("zz".into())), ..Default::default() };
        assert_eq!(s.update(A, 3, patch).await.unwrap_err().code(), Code::ValidationFailed);
    }

    #[tokio::test]
    async fn another_accounts_search_is_not_found() {
        let mut store = MockSavedSearchStore::new();
        store.expect_get().returning(|_, _| Ok(None));
        store.expect_delete().returning(|_, _| Ok(false));
        let s = searches(store, MockMatchStore::new(), MockJobStore::new());
        assert_eq!(s.get(A, 9).await.unwrap_err().code(), Code::SavedSearchNotFound);
        assert_eq!(s.delete(A, 9).await.unwrap_err().code(), Code::SavedSearchNotFound);
        assert_eq!(s.update(A, 9, SearchPatch::default()).await.unwrap_err().code(), Code::SavedSearchNotFound);
        assert_eq!(s.matches(A, 9, None, None).await.unwrap_err().code(), Code::SavedSearchNotFound);
    }

    #[tokio::test]
    async fn list_pages_from_one_and_says_whether_more_follow() {
        let mut store = MockSavedSearchStore::new();
        store.expect_list().returning(|_, offset, limit| {
            let items = (offset..(offset + limit).min(5)).map(|i| stored(i as i64 + 1, raw("rust"))).collect();
            Ok(SavedSearchPage { items, total: 5 })
        });
        let s = searches(store, MockMatchStore::new(), MockJobStore::new());
        let p = s.list(A, Some(2), Some(2)).await.unwrap();
        assert_eq!((p.items.len(), p.items[0].id, p.total, p.has_more), (2, 3, 5, true));
        let p = s.list(A, Some(3), Some(2)).await.unwrap();
        assert_eq!((p.items.len(), p.has_more), (1, false));
    }

    #[tokio::test]
    async fn matches_come_with_the_stored_posting_and_the_next_page() {
        let mut store = MockSavedSearchStore::new();
        store.expect_get().returning(|_, id| Ok(Some(stored(id, raw("rust")))));
        let mut matches = MockMatchStore::new();
        matches.expect_recent().returning(|account, search, before, limit| {
            assert_eq!((before, limit), (Some(50), 2));
            let at = "2026-12-05T00:00:00Z".parse().unwrap();
            Ok([("reed:1", 12), ("reed:gone", 11)]
                .into_iter()
                .map(|(job, id)| MatchEvent {
                    id,
                    event: NewMatch {
                        search,
                        account,
                        job_id: job.into(),
                        job_updated_at: at,
                        seq: id,
                        created_at: at,
                    },
                })
                .collect())
        });
        let mut jobs = MockJobStore::new();
        jobs.expect_get().returning(|id| {
            Ok((id == "reed:1").then(|| FoundJob {
                stored: crate::ports::StoredJob {
                    job: crate::domain::Job::sample(crate::domain::SourceId::Reed, "1", "Rust", "Acme", "Leeds"),
                    seq: 1,
                    first_seen_at: "2026-12-05T00:00:00Z".parse().unwrap(),
                    last_seen_at: "2026-12-05T00:00:00Z".parse().unwrap(),
                    updated_at: "2026-12-05T00:00:00Z".parse().unwrap(),
                },
                expired_at: None,
                expired_reason: None,
            }))
        });
        let s = searches(store, matches, jobs);
        let page = s.matches(A, 3, Some(50), Some(2)).await.unwrap();
        assert_eq!(page.items.len(), 2);
        assert!(page.items[0].job.is_some());
        assert!(page.items[1].job.is_none(), "a posting the store no longer holds");
        assert_eq!(page.next_before, Some(11), "a full page may have a next");
    }
}
