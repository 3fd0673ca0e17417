//! Saved searches on the wire: the tracker's envelopes (`{"data": …}` for one object, a page with
//! `total`, `page`, `per_page` and `has_more`), and matches as events (`id`, `type`, `created`,
//! `data`) — the shape webhooks deliver. Absent optional fields are omitted, never null.

use chrono::{DateTime, Utc};
use jobin_core::domain::saved_search::RawCriteria;
use jobin_core::ports::{Attempt, Delivery, EventEncoder, FoundJob, MatchEvent, SavedSearch};
use jobin_core::usecases::{
    DeliveryPage, MatchPage, MatchedJob, Saved, SearchDraft, SearchListPage, SearchPatch, TestDelivery,
};
use poem_openapi::Object;
use poem_openapi::types::{MaybeUndefined, ToJSON};

use crate::http::error::iso_millis;
use crate::http::jobs::FeedJob;

/// Where a delivery stands (a named schema of the document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryStatus(pub jobin_core::ports::DeliveryState);
crate::http::error::domain_enum_type!(
    DeliveryStatus(jobin_core::ports::DeliveryState),
    "DeliveryStatus",
    "Where a delivery stands."
);

/// The type of a match event.
pub const JOB_MATCHED: &str = "job.matched";
/// The type of the event `POST /v1/searches/{id}/test` sends.
pub const TEST_EVENT: &str = "test";

/// A new saved search.
#[derive(Debug, Object)]
pub struct NewSavedSearch {
    /// A name for you (default: `q`), at most 100 characters.
    pub name: Option<String>,
    /// Keywords, as for a job search: each word must start a word of the title, company or
    /// skills (case and accents ignored). Keywords without a letter or digit match every posting
    /// the other fields allow.
    pub q: String,
    /// Words that must each start a word of the posting's city, region or country.
    pub location: Option<String>,
    /// Only postings located in this country.
    pub country: Option<String>,
    /// Only remote postings (default `false`: any).
    pub remote: Option<bool>,
    /// Only postings listed on one of these boards (default: any).
    pub sources: Option<Vec<String>>,
    /// Only postings whose stated salary range, annualized, reaches this amount a year in
    /// `salary_currency` (postings without a salary, or in another currency, do not match).
    pub salary_min: Option<u64>,
    /// ISO 4217 code of `salary_min` (default: the `country`'s currency; required without a
    /// country).
    pub salary_currency: Option<String>,
    /// Only postings of one of these employment types (postings that do not say do not match).
    pub employment_types: Option<Vec<String>>,
    /// Only postings of one of these workplace types (postings that do not say do not match).
    pub workplace_types: Option<Vec<String>>,
    /// Where to POST each `job.matched` event, signed (`JobIn-Signature`): `https://…`, or
    /// `http://localhost`, `127.0.0.1` or `[::1]` for development. Its signing secret is in this
    /// answer only (`webhook.secret`).
    pub webhook_url: Option<String>,
    /// Email the account a daily digest of new matches (default `false`).
    pub digest: Option<bool>,
}

impl From<NewSavedSearch> for SearchDraft {
    fn from(n: NewSavedSearch) -> Self {
        Self {
            name: n.name,
            criteria: RawCriteria {
                q: Some(n.q),
                location: n.location,
                country: n.country,
                remote: n.remote,
                sources: n.sources.unwrap_or_default(),
                salary_min: n.salary_min,
                salary_currency: n.salary_currency,
                employment_types: n.employment_types.unwrap_or_default(),
                workplace_types: n.workplace_types.unwrap_or_default(),
            },
            webhook_url: n.webhook_url,
            digest: n.digest,
        }
    }
}

/// A change: omitted fields stay; `null` clears an optional one (clearing `salary_min` clears
/// its currency too). The result is checked as a whole.
#[derive(Debug, Object)]
pub struct SavedSearchChange {
    pub name: Option<String>,
    pub q: Option<String>,
    pub location: MaybeUndefined<String>,
    pub country: MaybeUndefined<String>,
    pub remote: Option<bool>,
    /// The new list (empty: any board).
    pub sources: Option<Vec<String>>,
    pub salary_min: MaybeUndefined<u64>,
    pub salary_currency: MaybeUndefined<String>,
    pub employment_types: Option<Vec<String>>,
    pub workplace_types: Option<Vec<String>>,
    /// A new URL (a disabled webhook is enabled again; the secret stays, or is made and shown
    /// once if there was no webhook); `null` removes the webhook.
    pub webhook_url: MaybeUndefined<String>,
    /// Turn the daily email digest on (it reports matches from now on) or off.
    pub digest: Option<bool>,
}

fn tri<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

impl From<SavedSearchChange> for SearchPatch {
    fn from(c: SavedSearchChange) -> Self {
        Self {
            name: c.name,
            q: c.q,
            location: tri(c.location),
            country: tri(c.country),
            remote: c.remote,
            sources: c.sources,
            salary_min: tri(c.salary_min),
            salary_currency: tri(c.salary_currency),
            employment_types: c.employment_types,
            workplace_types: c.workplace_types,
            webhook_url: tri(c.webhook_url),
            digest: c.digest,
        }
    }
}

/// A saved search's webhook.
#[derive(Debug, Object)]
pub struct WebhookOut {
    pub url: String,
    /// `active`, or `disabled` after failing every attempt for 3 days (set the URL again to
    /// enable it).
    pub status: String,
    /// Since when every attempt has failed, if so (ISO 8601 UTC).
    #[oai(skip_serializing_if_is_none)]
    pub failing_since: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub disabled_at: Option<String>,
    /// The signing secret: only in the answer that made it (create, or the first URL set).
    #[oai(skip_serializing_if_is_none)]
    pub secret: Option<String>,
}

/// A saved search.
#[derive(Debug, Object)]
pub struct SavedSearchOut {
    pub id: i64,
    pub name: String,
    pub q: String,
    #[oai(skip_serializing_if_is_none)]
    pub location: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub country: Option<String>,
    pub remote: bool,
    pub sources: Vec<String>,
    #[oai(skip_serializing_if_is_none)]
    pub salary_min: Option<u64>,
    #[oai(skip_serializing_if_is_none)]
    pub salary_currency: Option<String>,
    pub employment_types: Vec<String>,
    pub workplace_types: Vec<String>,
    /// Where matches are POSTed, if anywhere.
    #[oai(skip_serializing_if_is_none)]
    pub webhook: Option<WebhookOut>,
    /// Whether the Atom feed is on (`POST /v1/searches/{id}/feed-token`).
    pub feed: bool,
    /// Whether a daily email digest of new matches is sent to the account's address.
    pub digest: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Saved> for SavedSearchOut {
    fn from(s: Saved) -> Self {
        let mut out = SavedSearchOut::from(s.search);
        if let Some(w) = out.webhook.as_mut() {
            w.secret = s.webhook_secret;
        }
        out
    }
}

impl From<SavedSearch> for SavedSearchOut {
    fn from(s: SavedSearch) -> Self {
        let webhook = s.webhook.map(|w| WebhookOut {
            url: w.url,
            status: if w.disabled_at.is_some() { "disabled" } else { "active" }.to_owned(),
            failing_since: w.failing_since.map(iso_millis),
            disabled_at: w.disabled_at.map(iso_millis),
            secret: None,
        });
        let c = s.criteria.to_raw();
        Self {
            id: s.id,
            name: s.name,
            q: c.q.unwrap_or_default(),
            location: c.location,
            country: c.country,
            remote: c.remote.unwrap_or(false),
            sources: c.sources,
            salary_min: c.salary_min,
            salary_currency: c.salary_currency,
            employment_types: c.employment_types,
            workplace_types: c.workplace_types,
            webhook,
            feed: s.feed_token.is_some(),
            digest: s.digest.is_some(),
            created_at: iso_millis(s.created_at),
            updated_at: iso_millis(s.updated_at),
        }
    }
}

/// One saved search.
#[derive(Debug, Object)]
pub struct SavedSearchEnvelope {
    pub data: SavedSearchOut,
}

/// One page of saved searches.
#[derive(Debug, Object)]
pub struct SavedSearchPageEnvelope {
    pub data: Vec<SavedSearchOut>,
    /// Saved searches on all pages.
    pub total: u64,
    /// This page's number (from 1).
    pub page: u64,
    pub per_page: u64,
    /// Whether a later page holds more.
    pub has_more: bool,
}

impl From<SearchListPage> for SavedSearchPageEnvelope {
    fn from(p: SearchListPage) -> Self {
        Self {
            data: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
            has_more: p.has_more,
        }
    }
}

/// What a `job.matched` event carries.
#[derive(Debug, Object)]
pub struct MatchData {
    pub search_id: i64,
    pub job_id: String,
    /// The version of the posting that matched (its `updatedAt` then, ISO 8601 UTC): a posting
    /// that changes, or comes back after expiring, matches again.
    pub job_updated_at: String,
    /// The posting as stored now (absent if the store no longer holds it).
    #[oai(skip_serializing_if_is_none)]
    pub job: Option<FeedJob>,
    /// When the posting expired, if it has.
    #[oai(skip_serializing_if_is_none)]
    pub expired_at: Option<String>,
}

/// An event: a posting matched a saved search.
#[derive(Debug, Object)]
pub struct MatchEventOut {
    /// The event's id: unique, increasing, the same in every delivery of the event.
    pub id: i64,
    /// `job.matched`.
    #[oai(rename = "type")]
    pub kind: String,
    /// When the match was found (ISO 8601 UTC).
    pub created: String,
    pub data: MatchData,
}

impl From<MatchedJob> for MatchEventOut {
    fn from(m: MatchedJob) -> Self {
        let e = m.event.event;
        let (job, expired_at) = match m.job {
            Some(found) => (Some(FeedJob::from(found.stored)), found.expired_at.map(iso_millis)),
            None => (None, None),
        };
        Self {
            id: m.event.id,
            kind: JOB_MATCHED.to_owned(),
            created: iso_millis(e.created_at),
            data: MatchData {
                search_id: e.search,
                job_id: e.job_id,
                job_updated_at: iso_millis(e.job_updated_at),
                job,
                expired_at,
            },
        }
    }
}

/// A page of a saved search's matches, newest first.
#[derive(Debug, Object)]
pub struct MatchPageEnvelope {
    pub data: Vec<MatchEventOut>,
    /// Whether older matches may follow: ask again with `before` = `next_before`.
    pub has_more: bool,
    /// The `before` of the next page.
    #[oai(skip_serializing_if_is_none)]
    pub next_before: Option<i64>,
}

impl From<MatchPage> for MatchPageEnvelope {
    fn from(p: MatchPage) -> Self {
        Self {
            data: p.items.into_iter().map(Into::into).collect(),
            has_more: p.next_before.is_some(),
            next_before: p.next_before,
        }
    }
}

/// One attempt to deliver an event.
#[derive(Debug, Object)]
pub struct AttemptOut {
    /// When it was made (ISO 8601 UTC).
    pub at: String,
    /// The receiver's HTTP status, when it answered.
    #[oai(skip_serializing_if_is_none)]
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    /// Why it failed, when it did.
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
}

impl From<Attempt> for AttemptOut {
    fn from(a: Attempt) -> Self {
        Self { at: iso_millis(a.at), status_code: a.status_code, latency_ms: a.latency_ms, error: a.error }
    }
}

/// The delivery of one event to the search's webhook.
#[derive(Debug, Object)]
pub struct DeliveryOut {
    pub id: i64,
    /// The event delivered (its `id` in the body).
    pub event_id: i64,
    pub job_id: String,
    /// `pending` (due at `next_attempt_at`), `delivered` (a 2xx), or `dead` (every attempt
    /// failed; `retry` sends it again).
    pub status: DeliveryStatus,
    #[oai(skip_serializing_if_is_none)]
    pub next_attempt_at: Option<String>,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptOut>,
    pub created_at: String,
}

impl From<Delivery> for DeliveryOut {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            event_id: d.event.id,
            job_id: d.event.event.job_id,
            status: DeliveryStatus(d.state),
            next_attempt_at: d.next_attempt_at.map(iso_millis),
            attempts: d.attempts.into_iter().map(Into::into).collect(),
            created_at: iso_millis(d.created_at),
        }
    }
}

/// One delivery.
#[derive(Debug, Object)]
pub struct DeliveryEnvelope {
    pub data: DeliveryOut,
}

/// A page of deliveries, newest first.
#[derive(Debug, Object)]
pub struct DeliveryPageEnvelope {
    pub data: Vec<DeliveryOut>,
    /// Whether older deliveries may follow: ask again with `before` = `next_before`.
    pub has_more: bool,
    #[oai(skip_serializing_if_is_none)]
    pub next_before: Option<i64>,
}

impl From<DeliveryPage> for DeliveryPageEnvelope {
    fn from(p: DeliveryPage) -> Self {
        Self {
            data: p.items.into_iter().map(Into::into).collect(),
            has_more: p.next_before.is_some(),
            next_before: p.next_before,
        }
    }
}

/// How the receiver took a test event: delivered or not, and the receiver's status when it was.
/// Nothing more (no timing, no reason): an answer must not tell what listens at an address.
#[derive(Debug, Object)]
pub struct TestDeliveryOut {
    /// Whether the receiver answered 2xx.
    pub delivered: bool,
    /// The receiver's HTTP status, when delivered.
    pub status_code: Option<u16>,
}

/// The outcome of a test delivery.
#[derive(Debug, Object)]
pub struct TestDeliveryEnvelope {
    pub data: TestDeliveryOut,
}

impl From<TestDelivery> for TestDeliveryEnvelope {
    fn from(t: TestDelivery) -> Self {
        let status_code = if t.delivered { t.attempt.status_code } else { None };
        Self { data: TestDeliveryOut { delivered: t.delivered, status_code } }
    }
}

/// Events in the wire format of `GET /v1/searches/{id}/matches`: a webhook receives exactly what
/// the API lists.
pub struct WireEvents;

impl EventEncoder for WireEvents {
    fn matched(&self, event: &MatchEvent, job: Option<&FoundJob>) -> Vec<u8> {
        let out = MatchEventOut::from(MatchedJob { event: event.clone(), job: job.cloned() });
        out.to_json_string().into_bytes()
    }

    fn test(&self, search: i64, created: DateTime<Utc>) -> Vec<u8> {
        serde_json::json!({
            "id": 0,
            "type": TEST_EVENT,
            "created": iso_millis(created),
            "data": {"search_id": search},
        })
        .to_string()
        .into_bytes()
    }
}

/// The Atom feed's read token, shown once.
#[derive(Debug, Object)]
pub struct FeedTokenOut {
    /// The read token (`jf_…`): anyone holding it reads the feed. A new one revokes the last.
    pub token: String,
    /// The feed's address with the token, for a feed reader.
    pub feed_url: String,
}

/// A new feed token.
#[derive(Debug, Object)]
pub struct FeedTokenEnvelope {
    pub data: FeedTokenOut,
}
