//! The Jobo-compatible sync pair: `POST /api/jobs/feed` and `GET /api/jobs/expired` speak the
//! Jobo Feed document (request fields, `{jobs|job_ids, next_cursor, has_more}`, the JobDto field
//! names), so a client written for Jobo syncs from JobIn with only its base URL and key changed.
//! The same use cases, store, cursors and plan rules as `/v1/jobs/feed` and `/v1/jobs/expired`;
//! only the response mapping differs.

use jobin_core::domain::Location;
use jobin_core::ports::StoredJob;
use jobin_core::usecases::FeedRequest;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use std::sync::Arc;

use crate::http::Tag;
use crate::http::feed::{ExpiredResponse, FeedErrorResponse, expired_page, feed_error};
use crate::http::gate;
use crate::http::jobs::iso_seconds;
use crate::http::security::KeyAuth;
use crate::state::AppState;

/// The Jobo feed request.
#[derive(Debug, Default, Object)]
pub struct JoboFeedRequest {
    /// `next_cursor` of the previous page; omit to start.
    pub cursor: Option<String>,
    /// Jobs per page, 1–1000 (default 100).
    pub batch_size: Option<i64>,
    /// RFC 3339: only jobs new or changed at or after this time (send your last run's start minus
    /// 15 minutes).
    pub posted_after: Option<String>,
}

/// Embedded company summary.
#[derive(Debug, Object)]
pub struct JoboCompany {
    pub name: String,
    /// The logo as the board hosts it.
    pub logo_url: Option<String>,
    /// The company's page.
    pub website_url: Option<String>,
    /// Head-count bucket as the board states it (`11-50`).
    pub size: Option<String>,
}

/// One place the posting names.
#[derive(Debug, Object)]
pub struct JoboLocation {
    pub city: Option<String>,
    /// County, state or region.
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: Option<String>,
}

/// A stated pay range (never an estimate).
#[derive(Debug, Object)]
pub struct JoboCompensation {
    pub min: f64,
    pub max: f64,
    /// ISO 4217.
    pub currency: String,
    /// `hour`, `day`, `week`, `month` or `year`.
    pub period: String,
}

/// Structured qualifications (JobIn extracts none: both lists are empty).
#[derive(Debug, Object)]
pub struct JoboQualifications {
    pub must_have: Vec<String>,
    pub preferred: Vec<String>,
}

/// The Jobo JobDto. Fields JobIn does not know are null or empty, never guessed.
#[derive(Debug, Object)]
pub struct JoboJob {
    /// Stable id (`source:native`): the primary key for upserts.
    pub id: String,
    pub title: String,
    /// The title normalized: place and work-mode tails removed (` - London`, `(Hybrid)`), case,
    /// accents and punctuation folded, gender markers dropped, `Sr.`/`Snr`/`Jnr`/`Mgr` written out
    /// (`senior rust engineer`); the form JobIn's dedup compares. Null when the title is empty.
    pub normalized_title: Option<String>,
    pub company: JoboCompany,
    /// Plain text; line breaks kept.
    pub description: String,
    /// The description's first 300 characters or so (not AI-written).
    pub summary: Option<String>,
    pub listing_url: String,
    /// The employer's application page when the board gives one, else `listing_url`.
    pub apply_url: String,
    pub locations: Vec<JoboLocation>,
    /// Null when no board states a salary.
    pub compensation: Option<JoboCompensation>,
    /// `full_time`, `part_time`, `contract`, `internship` or `temporary`.
    pub employment_type: Option<String>,
    /// `remote`, `hybrid` or `onsite`.
    pub workplace_type: Option<String>,
    /// `entry`, `mid`, `senior`, `lead` or `executive`.
    pub experience_level: Option<String>,
    /// The board: adzuna, reed, remotive, findwork, arbeitnow, themuse.
    pub source: String,
    /// When JobIn first saw it (UTC).
    pub created_at: String,
    /// The last change to its content (UTC): skip writes when unchanged.
    pub updated_at: String,
    /// When the board says it was posted (UTC).
    pub date_posted: Option<String>,
    /// When the board says it closes (UTC).
    pub valid_through: Option<String>,
    pub qualifications: JoboQualifications,
    pub responsibilities: Vec<String>,
    pub benefits: Vec<String>,
    pub is_work_auth_required: Option<bool>,
    pub is_h1b_sponsor: Option<bool>,
    pub is_clearance_required: Option<bool>,
}

#[derive(Debug, Object)]
pub struct JoboFeedPage {
    /// Active jobs, oldest change first.
    pub jobs: Vec<JoboJob>,
    /// Send it back as `cursor`; null before any job exists.
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

#[derive(poem_openapi::ApiResponse)]
pub enum JoboFeedResponse {
    /// One page of the stream.
    #[oai(status = 200)]
    Ok(Json<JoboFeedPage>),
}

fn text(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn place(l: Location) -> JoboLocation {
    JoboLocation { city: text(l.city), region: text(l.region), country: text(l.country) }
}

impl From<StoredJob> for JoboJob {
    fn from(s: StoredJob) -> Self {
        let j = s.job;
        let normalized = jobin_core::domain::title::normalized_title(&j);
        let summary = text(j.summary());
        let d = j.details;
        // A posting that names no place list still has its one location, if it has one.
        let mut locations: Vec<JoboLocation> = d.locations.into_iter().map(place).collect();
        if locations.is_empty() && !(j.location.city.is_empty() && j.location.region.is_empty()) {
            locations.push(place(j.location));
        }
        JoboJob {
            normalized_title: (!normalized.is_empty()).then_some(normalized),
            company: JoboCompany {
                name: j.company,
                logo_url: d.company.logo_url,
                website_url: d.company.url,
                size: d.company.size,
            },
            summary,
            apply_url: d.apply_url.unwrap_or_else(|| j.url.clone()),
            listing_url: j.url,
            locations,
            compensation: j.salary.map(|s| JoboCompensation {
                min: s.min,
                max: s.max,
                currency: s.currency,
                period: s.period.as_str().to_owned(),
            }),
            employment_type: d.employment_type.map(|t| t.as_str().to_owned()),
            workplace_type: d.workplace_type.map(|t| t.as_str().to_owned()),
            experience_level: j.seniority.map(|s| s.experience_level().to_owned()),
            source: j.source.as_str().to_owned(),
            created_at: iso_seconds(s.first_seen_at),
            updated_at: iso_seconds(s.updated_at),
            date_posted: j.posted_at.map(iso_seconds),
            valid_through: j.valid_through.map(iso_seconds),
            qualifications: JoboQualifications { must_have: vec![], preferred: vec![] },
            responsibilities: vec![],
            benefits: vec![],
            is_work_auth_required: None,
            is_h1b_sponsor: None,
            is_clearance_required: None,
            description: j.description,
            title: j.title,
            id: j.id,
        }
    }
}

pub struct JoboApi;

#[OpenApi(tag = "Tag::Feed")]
impl JoboApi {
    /// Stream active jobs (Jobo-compatible)
    ///
    /// The Jobo Feed API's `POST /api/jobs/feed`: the same stream, cursors, guarantees and plan
    /// rules as `POST /v1/jobs/feed` (Pro and up, `jobs:read`, counted against the monthly
    /// quota), answered in Jobo's JobDto shape. Send the key as `X-Api-Key`. On 503 wait
    /// `Retry-After` (5) seconds; on 400 `invalid_cursor` drop the cursor and restart.
    #[oai(path = "/api/jobs/feed", method = "post", operation_id = "jobo_jobs_feed")]
    async fn feed(
        &self,
        state: Data<&Arc<AppState>>,
        _auth: KeyAuth<gate::Feed>,
        body: Json<JoboFeedRequest>,
    ) -> Result<JoboFeedResponse, FeedErrorResponse> {
        let b = body.0;
        let req = FeedRequest {
            cursor: b.cursor,
            posted_after: b.posted_after,
            batch_size: b.batch_size,
            ..FeedRequest::default()
        };
        let page = state.jobs.feed.execute(req).await.map_err(feed_error)?;
        Ok(JoboFeedResponse::Ok(Json(JoboFeedPage {
            jobs: page.items.into_iter().map(JoboJob::from).collect(),
            next_cursor: page.next_cursor,
            has_more: page.has_more,
        })))
    }

    /// Detect expired jobs (Jobo-compatible)
    ///
    /// The Jobo Feed API's `GET /api/jobs/expired`: ids of jobs expired since `expired_since`
    /// (default 24 hours, at most 7 days ago), as `GET /v1/jobs/expired` (Pro and up, `jobs:read`,
    /// not counted against the monthly quota).
    #[oai(path = "/api/jobs/expired", method = "get", operation_id = "jobo_jobs_expired")]
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
