//! Saved searches (issue 20): one account's searches — create under the plan's cap, read, change,
//! delete, list — and what each matched, newest first, with the posting as stored now. Every
//! operation names the account; another account's search is reported exactly like one that does
//! not exist.

use std::sync::Arc;

use crate::domain::saved_search::{self, RawCriteria, SearchCriteria};
use crate::domain::{AccountId, FieldError, Plan, PlanCatalog};
use crate::ports::{
    Clock, Created, FoundJob, JobStore, JobStoreError, MatchEvent, MatchStore, SavedSearch, SavedSearchStore,
    SavedSearchStoreError,
};
use crate::{Code, ErrorCode};

/// Searches per page unless asked; the most a page may hold.
pub const PER_PAGE_DEFAULT: u64 = 20;
pub const PER_PAGE_MAX: u64 = 100;
/// Matches per page unless asked; the most a page may hold.
pub const MATCHES_DEFAULT: u64 = 20;
pub const MATCHES_MAX: u64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum SavedSearchError {
    #[error(transparent)]
    Invalid(FieldError),
    #[error("No saved search has the id {0}.")]
    NotFound(i64),
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
}

/// A name given, or the keywords as the name (cut to the longest name allowed).
fn name_or_q(name: Option<&str>, criteria: &SearchCriteria) -> Result<String, FieldError> {
    match name {
        Some(n) => saved_search::name(n),
        None => Ok(criteria.q.chars().take(saved_search::NAME_MAX_CHARS).collect::<String>().trim().to_owned()),
    }
}

impl SavedSearches {
    pub async fn create(
        &self,
        account: AccountId,
        plan: Plan,
        draft: SearchDraft,
    ) -> Result<SavedSearch, SavedSearchError> {
        let criteria = SearchCriteria::parse(draft.criteria)?;
        let name = name_or_q(draft.name.as_deref(), &criteria)?;
        let cap = u64::from(self.catalog.terms(plan).saved_searches);
        match self.store.create(account, name, criteria, cap, self.clock.now()).await? {
            Created::Saved(s) => Ok(*s),
            Created::AtCap { cap } => Err(SavedSearchError::LimitReached { plan, limit: cap }),
        }
    }

    pub async fn get(&self, account: AccountId, id: i64) -> Result<SavedSearch, SavedSearchError> {
        self.store.get(account, id).await?.ok_or(SavedSearchError::NotFound(id))
    }

    /// Applies the change to the stored search and checks the result as a whole; nothing is
    /// written when a field fails.
    pub async fn update(
        &self,
        account: AccountId,
        id: i64,
        patch: SearchPatch,
    ) -> Result<SavedSearch, SavedSearchError> {
        let current = self.get(account, id).await?;
        let name = match patch.name.as_deref() {
            Some(n) => saved_search::name(n)?,
            None => current.name.clone(),
        };
        let criteria = SearchCriteria::parse(patch.apply(current.criteria.to_raw()))?;
        self.store.update(account, id, name, criteria, self.clock.now()).await?.ok_or(SavedSearchError::NotFound(id))
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
        let limit = limit.unwrap_or(MATCHES_DEFAULT);
        if !(1..=MATCHES_MAX).contains(&limit) {
            return Err(FieldError::new("limit", format!("must be between 1 and {MATCHES_MAX}")).into());
        }
        if before.is_some_and(|b| b < 1) {
            return Err(FieldError::new("before", "must be a match id (1 or more)").into());
        }
        self.get(account, id).await?;
        let events = self.matches.recent(account, id, before, limit).await?;
        let next_before = (events.len() as u64 == limit).then(|| events.last().map(|e| e.id)).flatten();
        let mut items = Vec::with_capacity(events.len());
        for event in events {
            let job = self.jobs.get(&event.event.job_id).await.map_err(SavedSearchError::Jobs)?;
            items.push(MatchedJob { event, job });
        }
        Ok(MatchPage { items, next_before })
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
        }
    }

    fn raw(q: &str) -> RawCriteria {
        RawCriteria { q: Some(q.into()), ..Default::default() }
    }

    #[tokio::test]
    async fn create_passes_the_plans_cap_and_reports_it_when_reached() {
        let mut store = MockSavedSearchStore::new();
        store.expect_create().times(1).returning(|_, name, _, cap, _| {
            assert_eq!((name.as_str(), cap), ("rust leeds", 10), "the name defaults to q; Starter holds 10");
            Ok(Created::AtCap { cap })
        });
        let s = searches(store, MockMatchStore::new(), MockJobStore::new());
        let draft = SearchDraft { name: None, criteria: raw(" rust leeds ") };
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
        assert_eq!(bad(SearchDraft { name: None, criteria: raw(" ") }).await, "q");
        assert_eq!(bad(SearchDraft { name: Some(" ".into()), criteria: raw("rust") }).await, "name");
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
        assert_eq!(s.update(A, 3, patch).await.unwrap().name, "Rust", "the name is kept");
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
