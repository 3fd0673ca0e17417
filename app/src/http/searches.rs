//! `/v1/searches*`: saved searches (README "Saved searches"). Managing them takes an API key or a
//! login session, in the tracker's limit class (`tracker_per_minute`), never counted monthly; a
//! search's matches are job data (an API key with `jobs:read`, the data limits and the monthly
//! quota). Another account's search answers 404 like one that does not exist.

mod atom;
mod dto;

use jobin_core::Code;
use jobin_core::usecases::SavedSearchError;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, OpenApi};
use std::sync::Arc;

pub use dto::*;

use crate::http::Tag;
use crate::http::error::{ApiError, error_responses};
use crate::http::gate;
use crate::http::security::{AccountAuth, KeyAuth};
use crate::state::AppState;

/// Seconds to wait after the store was unreachable.
const STORE_RETRY_AFTER_SECS: u64 = 5;

error_responses!(SearchErrorResponse {
    400 => BadRequest: "A field or parameter fails its check (`validation_failed`; `details.field` and `details.reason` name it), or the `webhook_url` points where the server may not send (`destination_not_allowed`; `details.rule` names the rule: `https_required`, `credentials_in_url`, `internal_name`, `loopback_address`, `private_address`, `link_local_address`, `reserved_address`).",
    401 => Unauthorized: "Missing, invalid or revoked API key or session token.",
    403 => Forbidden: "The key lacks `searches:read` / `searches:write` (`insufficient_scope`, `details.required` names it).",
    404 => NotFound: "No saved search with this id in your account (`saved_search_not_found`; another account's is reported the same way), or no such delivery of it (`delivery_not_found`).",
    409 => Conflict: "Your plan's saved searches are all in use (`saved_search_limit_reached`, `details.limit`): delete one or upgrade; or, for a test delivery, the search has no webhook (`no_webhook`).",
    429 => TooManyRequests: "The per-minute limit of the tracker class reached (`rate_limited`, `details.class` = `tracker`, with `Retry-After` and `retry_after`).",
    503 => Unavailable: "The database or the usage meter is unreachable (`dependency_unavailable`, with `Retry-After`).",
});

error_responses!(MatchesErrorResponse {
    400 => BadRequest: "A parameter fails its check (`validation_failed`).",
    401 => Unauthorized: "Missing, invalid or revoked API key (a session token is not accepted: this is job data).",
    403 => Forbidden: "The key lacks `searches:read` or `jobs:read` (`insufficient_scope`), or the plan does not include it (`plan_upgrade_required`).",
    404 => NotFound: "No saved search with this id in your account (`saved_search_not_found`).",
    429 => TooManyRequests: "Rate limit (`rate_limited`) or monthly quota (`quota_exceeded`) reached, with `Retry-After`.",
    503 => Unavailable: "The database or the usage meter is unreachable (`dependency_unavailable`, with `Retry-After`).",
});

#[derive(ApiResponse)]
pub enum CreatedResponse {
    /// Saved; matching starts with postings that land from now on.
    #[oai(status = 201)]
    Created(
        Json<SavedSearchEnvelope>,
        /// The saved search's URL.
        #[oai(header = "Location")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum SearchResponse {
    #[oai(status = 200)]
    Ok(Json<SavedSearchEnvelope>),
}

#[derive(ApiResponse)]
pub enum ListResponse {
    #[oai(status = 200)]
    Ok(Json<SavedSearchPageEnvelope>),
}

#[derive(ApiResponse)]
pub enum DeletedResponse {
    /// Deleted, with its matches.
    #[oai(status = 204)]
    Deleted,
}

#[derive(ApiResponse)]
pub enum DeliveriesResponse {
    #[oai(status = 200)]
    Ok(Json<DeliveryPageEnvelope>),
}

#[derive(ApiResponse)]
pub enum RetryResponse {
    /// Queued again, due now: the next delivery run sends it (within about a second).
    #[oai(status = 202)]
    Accepted(Json<DeliveryEnvelope>),
}

#[derive(ApiResponse)]
pub enum TestResponse {
    /// Sent; `data.delivered` says whether the receiver answered 2xx.
    #[oai(status = 200)]
    Ok(Json<TestDeliveryEnvelope>),
}

#[derive(ApiResponse)]
pub enum FeedTokenResponse {
    /// The feed is on with this token (any earlier token no longer works).
    #[oai(status = 201)]
    Created(Json<FeedTokenEnvelope>),
}

#[derive(ApiResponse)]
pub enum FeedClosedResponse {
    /// The feed is off: its token no longer works.
    #[oai(status = 204)]
    Closed,
}

#[derive(ApiResponse)]
pub enum AtomResponse {
    /// An Atom 1.0 feed of the newest matches (50), newest first.
    #[oai(status = 200, content_type = "application/atom+xml")]
    Ok(PlainText<String>),
}

error_responses!(FeedErrorResponse {
    400 => BadRequest: "A parameter fails its check (`validation_failed`).",
    404 => NotFound: "No feed at this address: an unknown search, or a wrong or revoked token (`saved_search_not_found`).",
    429 => TooManyRequests: "Too many feed requests from this address (`rate_limited`; 60 a minute by default, the catalog's `[public] feed_per_minute`), with `Retry-After`.",
    503 => Unavailable: "The database is unreachable (`dependency_unavailable`, with `Retry-After`).",
});

#[derive(ApiResponse)]
pub enum MatchesResponse {
    #[oai(status = 200)]
    Ok(Json<MatchPageEnvelope>),
}

pub(crate) fn search_error(e: SavedSearchError) -> ApiError {
    match e {
        SavedSearchError::Invalid(f) => ApiError::field(Code::ValidationFailed, f.field, f.reason),
        SavedSearchError::DestinationNotAllowed(refusal) => ApiError::new(
            Code::DestinationNotAllowed,
            format!("webhook_url: {refusal}. Webhooks go to public https:// receivers only."),
        )
        .with_details(serde_json::json!({"field": "webhook_url", "rule": refusal.rule()})),
        SavedSearchError::LimitReached { plan, limit } => {
            let details = serde_json::json!({"limit": limit, "plan": plan.as_str()});
            ApiError::from_usecase(SavedSearchError::LimitReached { plan, limit }).with_details(details)
        }
        e => {
            let mut api = ApiError::from_usecase(e);
            if api.code == Code::DependencyUnavailable {
                api.retry_after = Some(STORE_RETRY_AFTER_SECS);
            }
            api
        }
    }
}

fn location(id: i64) -> String {
    format!("{}/searches/{id}", crate::endpoints::API_VERSION)
}

/// Saving a search (`create_saved_search`, over REST and MCP).
pub(crate) async fn create_answer(
    state: &AppState,
    who: &jobin_core::domain::Account,
    new: NewSavedSearch,
) -> Result<SavedSearchEnvelope, ApiError> {
    let saved = state.searches.create(who.id, who.plan, new.into()).await.map_err(search_error)?;
    Ok(SavedSearchEnvelope { data: saved.into() })
}

pub struct SearchesApi;

#[OpenApi(tag = "Tag::Searches")]
impl SearchesApi {
    /// Save a search
    ///
    /// Saves a search to be told about new postings: from now on, every posting that lands in
    /// the store (ingestion, searches, imports) new, changed or back from expiry, and matches,
    /// is recorded once per version as a `job.matched` event (see `GET
    /// /v1/searches/{id}/matches`). Your plan holds a number of saved searches (`/v1/pricing`,
    /// `saved_searches`: Free 1, Starter 10, Pro 100, Scale 1,000).
    #[oai(path = "/searches", method = "post", operation_id = "create_saved_search")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::SearchesWrite>,
        body: Json<NewSavedSearch>,
    ) -> Result<CreatedResponse, SearchErrorResponse> {
        let saved = create_answer(&state, &auth.0.account, body.0).await?;
        let at = location(saved.data.id);
        Ok(CreatedResponse::Created(Json(saved), at))
    }

    /// List saved searches
    ///
    /// Your saved searches, oldest first.
    #[oai(path = "/searches", method = "get", operation_id = "list_saved_searches")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::SearchesRead>,
        /// Page number, from 1 (default 1). A page past the end is empty.
        page: Query<Option<u64>>,
        /// Items per page, 1–100 (default 20).
        per_page: Query<Option<u64>>,
    ) -> Result<ListResponse, SearchErrorResponse> {
        let page = state.searches.list(auth.0.account.id, page.0, per_page.0).await.map_err(search_error)?;
        Ok(ListResponse::Ok(Json(page.into())))
    }

    /// Get a saved search
    #[oai(path = "/searches/:id", method = "get", operation_id = "get_saved_search")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::SearchesRead>,
        id: Path<i64>,
    ) -> Result<SearchResponse, SearchErrorResponse> {
        let saved = state.searches.get(auth.0.account.id, id.0).await.map_err(search_error)?;
        Ok(SearchResponse::Ok(Json(SavedSearchEnvelope { data: saved.into() })))
    }

    /// Change a saved search
    ///
    /// Partial: omitted fields stay, `null` clears an optional one. The changed search matches
    /// postings that land from now on; what it matched before stays.
    #[oai(path = "/searches/:id", method = "patch", operation_id = "update_saved_search")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::SearchesWrite>,
        id: Path<i64>,
        body: Json<SavedSearchChange>,
    ) -> Result<SearchResponse, SearchErrorResponse> {
        let saved = state.searches.update(auth.0.account.id, id.0, body.0.into()).await.map_err(search_error)?;
        Ok(SearchResponse::Ok(Json(SavedSearchEnvelope { data: saved.into() })))
    }

    /// Delete a saved search
    ///
    /// Deletes it and what it matched.
    #[oai(path = "/searches/:id", method = "delete", operation_id = "delete_saved_search")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::SearchesWrite>,
        id: Path<i64>,
    ) -> Result<DeletedResponse, SearchErrorResponse> {
        state.searches.delete(auth.0.account.id, id.0).await.map_err(search_error)?;
        Ok(DeletedResponse::Deleted)
    }

    /// A saved search's matches
    ///
    /// The `job.matched` events of the search, newest first, each with the posting as stored
    /// now. One event per posting and version: a posting that changes or comes back after
    /// expiring matches again; the same version never twice. Matching runs a few seconds after
    /// postings land (`JOBIN_MATCH_INTERVAL`). Job data: an API key with `jobs:read`, counted
    /// against the monthly quota like a search.
    #[oai(path = "/searches/:id/matches", method = "get", operation_id = "list_saved_search_matches")]
    async fn matches(
        &self,
        state: Data<&Arc<AppState>>,
        auth: KeyAuth<gate::SearchMatches>,
        id: Path<i64>,
        /// Only events older than this event id (the previous page's `next_before`).
        before: Query<Option<i64>>,
        /// Events per page, 1–100 (default 20).
        limit: Query<Option<u64>>,
    ) -> Result<MatchesResponse, MatchesErrorResponse> {
        let page = state.searches.matches(auth.0.account.id, id.0, before.0, limit.0).await.map_err(search_error)?;
        Ok(MatchesResponse::Ok(Json(page.into())))
    }

    /// A saved search's webhook deliveries
    ///
    /// Each `job.matched` event queued for the search's webhook, newest first, with every
    /// attempt (time, HTTP status, latency, error). Delivery is at least once: a failed attempt
    /// is tried again after about 30 s, 2 min, 10 min, 1 h and 6 h, then the delivery is `dead`.
    #[oai(path = "/searches/:id/deliveries", method = "get", operation_id = "list_webhook_deliveries")]
    async fn deliveries(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::SearchesRead>,
        id: Path<i64>,
        /// Only deliveries older than this delivery id (the previous page's `next_before`).
        before: Query<Option<i64>>,
        /// Deliveries per page, 1–100 (default 20).
        limit: Query<Option<u64>>,
    ) -> Result<DeliveriesResponse, SearchErrorResponse> {
        let page = state.searches.deliveries(auth.0.account.id, id.0, before.0, limit.0).await.map_err(search_error)?;
        Ok(DeliveriesResponse::Ok(Json(page.into())))
    }

    /// Deliver an event again
    ///
    /// Queues the delivery again, due now, whatever its status (a `dead` one after the receiver
    /// is fixed, or a `delivered` one to send it once more). A disabled webhook sends nothing
    /// until its URL is set again.
    #[oai(
        path = "/searches/:id/deliveries/:delivery_id/retry",
        method = "post",
        operation_id = "retry_webhook_delivery"
    )]
    async fn retry(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::SearchesWrite>,
        id: Path<i64>,
        delivery_id: Path<i64>,
    ) -> Result<RetryResponse, SearchErrorResponse> {
        let d = state.searches.retry(auth.0.account.id, id.0, delivery_id.0).await.map_err(search_error)?;
        Ok(RetryResponse::Accepted(Json(DeliveryEnvelope { data: d.into() })))
    }

    /// Send a test event
    ///
    /// POSTs a signed `test` event (`{"id": 0, "type": "test", "created", "data": {"search_id"}}`)
    /// to the search's webhook now, even a disabled one, and answers how the receiver took it.
    /// Nothing is queued or retried.
    #[oai(path = "/searches/:id/test", method = "post", operation_id = "test_webhook")]
    async fn test(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::SearchesWrite>,
        id: Path<i64>,
    ) -> Result<TestResponse, SearchErrorResponse> {
        let t = state.searches.test(auth.0.account.id, id.0).await.map_err(search_error)?;
        Ok(TestResponse::Ok(Json(t.into())))
    }

    /// Turn the Atom feed on
    ///
    /// Makes a new read token for the search's Atom feed (`GET
    /// /v1/searches/{id}/feed.atom?token=…`) and answers it with the feed's address; any earlier
    /// token stops working. The token is shown in this answer only.
    #[oai(path = "/searches/:id/feed-token", method = "post", operation_id = "create_feed_token")]
    async fn open_feed(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::SearchesWrite>,
        id: Path<i64>,
    ) -> Result<FeedTokenResponse, SearchErrorResponse> {
        let (_, token) = state.searches.open_feed(auth.0.account.id, id.0).await.map_err(search_error)?;
        let feed_url = format!("{}?token={token}", feed_address(&state, id.0));
        Ok(FeedTokenResponse::Created(Json(FeedTokenEnvelope { data: FeedTokenOut { token, feed_url } })))
    }

    /// Turn the Atom feed off
    ///
    /// Revokes the feed's token.
    #[oai(path = "/searches/:id/feed-token", method = "delete", operation_id = "delete_feed_token")]
    async fn close_feed(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AccountAuth<gate::SearchesWrite>,
        id: Path<i64>,
    ) -> Result<FeedClosedResponse, SearchErrorResponse> {
        state.searches.close_feed(auth.0.account.id, id.0).await.map_err(search_error)?;
        Ok(FeedClosedResponse::Closed)
    }

    /// A saved search's Atom feed
    ///
    /// The newest 50 matches as an Atom 1.0 feed for feed readers: each entry a posting's title,
    /// company, place and salary, linking to the posting. The credential is the feed's read token
    /// (`POST /v1/searches/{id}/feed-token`), so a reader needs no API key; a wrong or revoked
    /// token answers 404 like an unknown search. Limited per client address (60 a minute by
    /// default), like the other operations that take no API key.
    #[oai(path = "/searches/:id/feed.atom", method = "get", operation_id = "saved_search_feed")]
    async fn feed(
        &self,
        state: Data<&Arc<AppState>>,
        id: Path<i64>,
        /// The feed's read token (`jf_…`).
        token: Query<String>,
    ) -> Result<AtomResponse, FeedErrorResponse> {
        let (search, items) = state.searches.feed(id.0, &token.0).await.map_err(|e| match e {
            SavedSearchError::NotFound(_) => ApiError::new(Code::SavedSearchNotFound, "No feed at this address."),
            e => search_error(e),
        })?;
        Ok(AtomResponse::Ok(PlainText(atom::render(&search, &items, &feed_address(&state, id.0)))))
    }
}

/// The feed's public address, without its token.
fn feed_address(state: &AppState, id: i64) -> String {
    format!("{}{}/searches/{id}/feed.atom", state.urls.public.trim_end_matches('/'), crate::endpoints::API_VERSION)
}
