//! `POST /jobs/feed` and `GET /jobs/expired`: the incremental sync pair (README "Keeping a copy in
//! sync").

use jobin_core::Code;
use jobin_core::usecases::{FeedError, FeedRequest};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::sync::Arc;

use crate::http::Tag;
use crate::http::error::{ApiError, error_responses};
use crate::http::gate;
use crate::http::jobs::FeedJob;
use crate::http::jobs::errors::job_store_error;
use crate::http::security::KeyAuth;
use crate::state::AppState;

#[derive(Debug, Default, Object)]
pub struct FeedBody {
    /// `next_cursor` of the previous page; omit to start. Only valid with the same filters.
    pub cursor: Option<String>,
    /// RFC 3339: only jobs new or changed at or after this time (`updated_at`). For incremental
    /// runs send your last run's start minus 15 minutes.
    pub posted_after: Option<String>,
    /// Jobs per page, 1–1000 (default 100).
    pub batch_size: Option<i64>,
    /// Country code: any of the 20 countries a board serves (the value set lists them).
    pub country: Option<String>,
    pub remote: Option<bool>,
    /// adzuna, remotive, findwork, reed, arbeitnow or themuse.
    pub source: Option<String>,
    /// Words that must all appear in the title, company or skills.
    pub q: Option<String>,
}

#[derive(Debug, Object)]
pub struct FeedPageBody {
    /// Active jobs, oldest change first.
    pub jobs: Vec<FeedJob>,
    /// Send it back as `cursor` for the next page (also when `has_more` is false, to resume later
    /// with the same filters); null before any job exists.
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

#[derive(Debug, Object)]
pub struct ExpiredBody {
    /// Ids of jobs that expired since `expired_since` and are still expired.
    pub job_ids: Vec<String>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

#[derive(ApiResponse)]
pub enum FeedResponse {
    /// One page of the stream.
    #[oai(status = 200)]
    Ok(
        Json<FeedPageBody>,
        /// `true` or `false`, as `has_more`.
        #[oai(header = "X-Has-More")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum ExpiredResponse {
    /// One page of expired ids.
    #[oai(status = 200)]
    Ok(
        Json<ExpiredBody>,
        /// `true` or `false`, as `has_more`.
        #[oai(header = "X-Has-More")]
        String,
    ),
}

error_responses!(FeedErrorResponse {
    400 => BadRequest: "`Invalid cursor` (`invalid_cursor`: garbled, forged, or sent with other filters; drop it and restart), or a bad field (`validation_failed`: batch_size, posted_after, country, source, q; for /v1/jobs/expired an `expired_since` older than 7 days).",
    401 => Unauthorized: "Missing, invalid or revoked API key (session tokens are not accepted here).",
    403 => Forbidden: "The key lacks `jobs:read` (`insufficient_scope`, `details.required` names it), or the plan does not include the feed (`plan_upgrade_required`, with `upgrade`).",
    429 => TooManyRequests: "Monthly quota spent (`quota_exceeded`; /v1/jobs/expired never counts against it) or the plan's per-minute limit for data requests reached (`rate_limited`, `details.class` = `data`, with `Retry-After`).",
    503 => Unavailable: "The database or the usage meter is unreachable (`dependency_unavailable`, with `Retry-After`).",
});

pub(crate) fn feed_error(e: FeedError) -> ApiError {
    match e {
        FeedError::Invalid(f) => ApiError::field(Code::ValidationFailed, f.field, f.reason),
        FeedError::SinceTooOld => ApiError::field(
            Code::ValidationFailed,
            "expired_since",
            "cannot be older than 7 days; run a full re-sync with POST /v1/jobs/feed and drop the ids it no longer returns",
        ),
        FeedError::Cursor(_) => ApiError::new(Code::InvalidCursor, "Invalid cursor"),
        FeedError::Store(e) => job_store_error(&e),
    }
}

pub struct FeedApi;

#[OpenApi(tag = "Tag::Feed")]
impl FeedApi {
    /// Stream active jobs
    ///
    /// A cursor-paginated stream of every active job JobIn has seen (from searches and scheduled
    /// ingestion), oldest change first (Pro and up). Page with `next_cursor` until `has_more` is
    /// false. A full pass returns each active job once; a job that changes during a pass comes
    /// back later with its new content. Page cost does not grow with depth (keyset pagination).
    #[oai(path = "/jobs/feed", method = "post", operation_id = "jobs_feed")]
    async fn feed(
        &self,
        state: Data<&Arc<AppState>>,
        _auth: KeyAuth<gate::Feed>,
        body: Json<FeedBody>,
    ) -> Result<FeedResponse, FeedErrorResponse> {
        let b = body.0;
        let req = FeedRequest {
            cursor: b.cursor,
            posted_after: b.posted_after,
            batch_size: b.batch_size,
            country: b.country,
            remote: b.remote,
            source: b.source,
            q: b.q,
        };
        let page = state.jobs.feed.execute(req).await.map_err(feed_error)?;
        let has_more = page.has_more.to_string();
        let body = FeedPageBody {
            jobs: page.items.into_iter().map(FeedJob::from).collect(),
            next_cursor: page.next_cursor,
            has_more: page.has_more,
        };
        Ok(FeedResponse::Ok(Json(body), has_more))
    }

    /// Detect expired jobs
    ///
    /// Ids of jobs that expired (not seen by ingestion for the configured period, or reported gone
    /// by their board) since `expired_since` and have not come back (Pro and up). Does not count
    /// against the monthly quota; it is rate limited.
    #[oai(path = "/jobs/expired", method = "get", operation_id = "jobs_expired")]
    async fn expired(
        &self,
        state: Data<&Arc<AppState>>,
        _auth: KeyAuth<gate::Expired>,
        /// RFC 3339; default 24 hours ago; at most 7 days ago.
        expired_since: Query<Option<String>>,
        /// Ids per page, 1–10000 (default 1000).
        batch_size: Query<Option<i64>>,
        /// `next_cursor` of the previous page (only valid with the same `expired_since`).
        cursor: Query<Option<String>>,
    ) -> Result<ExpiredResponse, FeedErrorResponse> {
        expired_page(&state, expired_since.0, batch_size.0, cursor.0).await
    }
}

/// One page of the expired stream (this API's and the Jobo-compatible one, which share it).
pub(crate) async fn expired_page(
    state: &AppState,
    expired_since: Option<String>,
    batch_size: Option<i64>,
    cursor: Option<String>,
) -> Result<ExpiredResponse, FeedErrorResponse> {
    let page = state
        .jobs
        .expired
        .execute(expired_since.as_deref(), batch_size, cursor.as_deref())
        .await
        .map_err(feed_error)?;
    let has_more = page.has_more.to_string();
    let body = ExpiredBody { job_ids: page.items, next_cursor: page.next_cursor, has_more: page.has_more };
    Ok(ExpiredResponse::Ok(Json(body), has_more))
}
