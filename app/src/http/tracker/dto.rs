//! The tracker's wire types: the Pipeline document's envelopes (`{"data": …}` for one object,
//! `{"data": […], "total", "page", "per_page", "has_more"}` for a page) around applications,
//! timeline entries, the analytics and fit scores. Absent optional fields are omitted, never null.

use jobin_core::domain::application::{ApplicationEvent, ApplicationStatus, EventKind};
use jobin_core::domain::{PayPeriod, Salary};
use jobin_core::ports::Application;
use jobin_core::usecases::{
    ApplicationDraft, ApplicationPatch, EventDraft, FitScore, ListPage, SalaryInput, TrackerReport,
};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};

use crate::http::error::iso_millis;

/// Where an application stands, in pipeline order.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "snake_case")]
pub enum StatusName {
    Saved,
    Applied,
    Screening,
    Interviewing,
    Offer,
    Accepted,
    Rejected,
    Withdrawn,
}

impl From<ApplicationStatus> for StatusName {
    fn from(s: ApplicationStatus) -> Self {
        match s {
            ApplicationStatus::Saved => StatusName::Saved,
            ApplicationStatus::Applied => StatusName::Applied,
            ApplicationStatus::Screening => StatusName::Screening,
            ApplicationStatus::Interviewing => StatusName::Interviewing,
            ApplicationStatus::Offer => StatusName::Offer,
            ApplicationStatus::Accepted => StatusName::Accepted,
            ApplicationStatus::Rejected => StatusName::Rejected,
            ApplicationStatus::Withdrawn => StatusName::Withdrawn,
        }
    }
}

/// What a timeline entry records.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "snake_case")]
pub enum EventKindName {
    /// Recorded by the tracker when the status changes.
    StatusChange,
    Interview,
    Note,
    FollowUp,
}

impl From<EventKind> for EventKindName {
    fn from(k: EventKind) -> Self {
        match k {
            EventKind::StatusChange => EventKindName::StatusChange,
            EventKind::Interview => EventKindName::Interview,
            EventKind::Note => EventKindName::Note,
            EventKind::FollowUp => EventKindName::FollowUp,
        }
    }
}

/// Pay period of a salary.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "lowercase")]
pub enum PeriodName {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl From<PayPeriod> for PeriodName {
    fn from(p: PayPeriod) -> Self {
        match p {
            PayPeriod::Hour => PeriodName::Hour,
            PayPeriod::Day => PeriodName::Day,
            PayPeriod::Week => PeriodName::Week,
            PayPeriod::Month => PeriodName::Month,
            PayPeriod::Year => PeriodName::Year,
        }
    }
}

/// A salary as stored: both bounds (equal when one was given).
#[derive(Debug, Object)]
pub struct SalaryOut {
    pub min: f64,
    pub max: f64,
    /// ISO 4217, upper case.
    pub currency: String,
    pub period: PeriodName,
}

impl From<Salary> for SalaryOut {
    fn from(s: Salary) -> Self {
        Self { min: s.min, max: s.max, currency: s.currency, period: s.period.into() }
    }
}

/// A salary as sent: `min`, `max` or both (positive, `min <= max`).
#[derive(Debug, Object)]
pub struct SalaryIn {
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// ISO 4217 code, e.g. `GBP`.
    pub currency: String,
    /// `hour`, `day`, `week`, `month` or `year` (default `year`).
    pub period: Option<String>,
}

impl From<SalaryIn> for SalaryInput {
    fn from(s: SalaryIn) -> Self {
        Self { min: s.min, max: s.max, currency: s.currency, period: s.period }
    }
}

/// An application.
#[derive(Debug, Object)]
pub struct ApplicationOut {
    pub id: i64,
    pub job_title: String,
    pub company_name: String,
    /// The JobIn job it was saved from (`reed:123`).
    #[oai(skip_serializing_if_is_none)]
    pub job_id: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub url: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub location: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub salary: Option<SalaryOut>,
    pub status: StatusName,
    /// When it was sent (ISO 8601 UTC); set the first time the status moves to `applied` or
    /// beyond unless given.
    #[oai(skip_serializing_if_is_none)]
    pub applied_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Application> for ApplicationOut {
    fn from(a: Application) -> Self {
        let f = a.fields;
        Self {
            id: a.id,
            job_title: f.job_title,
            company_name: f.company_name,
            job_id: f.job_id,
            url: f.url,
            location: f.location,
            salary: f.salary.map(Into::into),
            status: f.status.into(),
            applied_at: f.applied_at.map(iso_millis),
            notes: f.notes,
            tags: f.tags,
            created_at: iso_millis(a.created_at),
            updated_at: iso_millis(a.updated_at),
        }
    }
}

/// `{"data": application}`.
#[derive(Debug, Object)]
pub struct ApplicationEnvelope {
    pub data: ApplicationOut,
}

/// One page of applications.
#[derive(Debug, Object)]
pub struct ApplicationPageEnvelope {
    pub data: Vec<ApplicationOut>,
    /// Applications matching the filters, on all pages.
    pub total: u64,
    /// This page's number (from 1).
    pub page: u64,
    pub per_page: u64,
    /// Whether a later page holds more.
    pub has_more: bool,
}

impl From<ListPage> for ApplicationPageEnvelope {
    fn from(p: ListPage) -> Self {
        Self {
            data: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
            has_more: p.has_more,
        }
    }
}

/// A new application. Give `job_id` to copy title, company, location, salary and URL from a
/// stored job (any of them given here wins); without it `job_title` and `company_name` are
/// required.
#[derive(Debug, Object)]
pub struct NewApplication {
    /// 1–200 characters.
    pub job_title: Option<String>,
    /// 1–200 characters.
    pub company_name: Option<String>,
    /// A JobIn job id from `/v1/jobs/search` or `/v1/jobs/{id}` (expired jobs too).
    pub job_id: Option<String>,
    /// An http(s) URL of at most 2,048 bytes.
    pub url: Option<String>,
    /// At most 200 characters.
    pub location: Option<String>,
    pub salary: Option<SalaryIn>,
    /// `saved` (default), `applied`, `screening`, `interviewing`, `offer`, `accepted`, `rejected` or
    /// `withdrawn`.
    pub status: Option<String>,
    /// ISO 8601 date-time or date, not in the future; defaults to now when the status is `applied`
    /// or beyond.
    pub applied_at: Option<String>,
    /// At most 10,000 characters; line breaks allowed.
    pub notes: Option<String>,
    /// At most 20 tags of 1–50 characters; stored lower-cased, duplicates dropped.
    pub tags: Option<Vec<String>>,
}

impl From<NewApplication> for ApplicationDraft {
    fn from(n: NewApplication) -> Self {
        Self {
            job_title: n.job_title,
            company_name: n.company_name,
            job_id: n.job_id,
            url: n.url,
            location: n.location,
            salary: n.salary.map(Into::into),
            status: n.status,
            applied_at: n.applied_at,
            notes: n.notes,
            tags: n.tags,
        }
    }
}

/// A change: omitted fields stay; `null` clears an optional one. A new `status` is recorded on the
/// timeline.
#[derive(Debug, Object)]
pub struct ApplicationChange {
    pub job_title: Option<String>,
    pub company_name: Option<String>,
    /// Link (or with `null` unlink) a stored job; nothing is copied from it.
    pub job_id: MaybeUndefined<String>,
    pub url: MaybeUndefined<String>,
    pub location: MaybeUndefined<String>,
    pub salary: MaybeUndefined<SalaryIn>,
    pub status: Option<String>,
    pub applied_at: MaybeUndefined<String>,
    pub notes: MaybeUndefined<String>,
    pub tags: Option<Vec<String>>,
}

fn tri<T, U>(v: MaybeUndefined<T>, f: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(f(v))),
    }
}

impl From<ApplicationChange> for ApplicationPatch {
    fn from(c: ApplicationChange) -> Self {
        Self {
            job_title: c.job_title,
            company_name: c.company_name,
            job_id: tri(c.job_id, |v| v),
            url: tri(c.url, |v| v),
            location: tri(c.location, |v| v),
            salary: tri(c.salary, Into::into),
            status: c.status,
            applied_at: tri(c.applied_at, |v| v),
            notes: tri(c.notes, |v| v),
            tags: c.tags,
        }
    }
}

/// A timeline entry.
#[derive(Debug, Object)]
pub struct EventOut {
    pub id: i64,
    pub kind: EventKindName,
    /// When it happens or happened (ISO 8601 UTC).
    pub at: String,
    /// Status changes: the status before (absent for the first).
    #[oai(skip_serializing_if_is_none)]
    pub from_status: Option<StatusName>,
    #[oai(skip_serializing_if_is_none)]
    pub to_status: Option<StatusName>,
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
    /// When it was recorded.
    pub created_at: String,
}

impl From<ApplicationEvent> for EventOut {
    fn from(e: ApplicationEvent) -> Self {
        Self {
            id: e.id,
            kind: e.kind.into(),
            at: iso_millis(e.at),
            from_status: e.from_status.map(Into::into),
            to_status: e.to_status.map(Into::into),
            note: e.note,
            created_at: iso_millis(e.created_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct EventEnvelope {
    pub data: EventOut,
}

/// The whole timeline, by date.
#[derive(Debug, Object)]
pub struct EventListEnvelope {
    pub data: Vec<EventOut>,
    pub total: u64,
}

/// A timeline entry to add.
#[derive(Debug, Object)]
pub struct NewEvent {
    /// `interview`, `note` or `follow_up` (status changes are recorded by the tracker).
    pub kind: String,
    /// ISO 8601 date-time or date (a planned interview may lie ahead); default now.
    pub at: Option<String>,
    /// At most 10,000 characters.
    pub note: Option<String>,
}

impl From<NewEvent> for EventDraft {
    fn from(e: NewEvent) -> Self {
        Self { kind: e.kind, at: e.at, note: e.note }
    }
}

#[derive(Debug, Object)]
pub struct StatusCount {
    pub status: StatusName,
    pub count: u64,
}

#[derive(Debug, Object)]
pub struct WeekOut {
    /// The Monday the week starts (UTC), `YYYY-MM-DD`.
    pub week_start: String,
    /// Applications sent that week.
    pub applications: u64,
    /// First employer answers that week.
    pub responses: u64,
}

/// The tracker's figures. An application is *applied* when it has `applied_at`; *answered* when
/// its status reached `screening`, `interviewing`, `offer`, `accepted` or `rejected`. Rates are
/// fractions (0.25 = 25%), omitted when nothing was applied to (or, for `acceptance_rate`, no
/// offer was received).
#[derive(Debug, Object)]
pub struct AnalyticsOut {
    pub total: u64,
    /// Every status with its count, in pipeline order.
    pub by_status: Vec<StatusCount>,
    pub applied: u64,
    pub responded: u64,
    /// `responded / applied`.
    #[oai(skip_serializing_if_is_none)]
    pub response_rate: Option<f64>,
    /// Median days from `applied_at` to the first answer (one decimal).
    #[oai(skip_serializing_if_is_none)]
    pub median_days_to_response: Option<f64>,
    /// Applications that reached `offer` (accepted ones included).
    pub offers: u64,
    pub accepted: u64,
    /// `offers / applied`.
    #[oai(skip_serializing_if_is_none)]
    pub offer_rate: Option<f64>,
    /// `accepted / offers`.
    #[oai(skip_serializing_if_is_none)]
    pub acceptance_rate: Option<f64>,
    /// The last `weeks` weeks, oldest first; the last is the current week.
    pub weeks: Vec<WeekOut>,
}

impl From<TrackerReport> for AnalyticsOut {
    fn from(r: TrackerReport) -> Self {
        Self {
            total: r.total,
            by_status: r.by_status.into_iter().map(|(s, count)| StatusCount { status: s.into(), count }).collect(),
            applied: r.applied,
            responded: r.responded,
            response_rate: r.response_rate,
            median_days_to_response: r.median_days_to_response,
            offers: r.offers,
            accepted: r.accepted,
            offer_rate: r.offer_rate,
            acceptance_rate: r.acceptance_rate,
            weeks: r
                .weeks
                .into_iter()
                .map(|w| WeekOut {
                    week_start: w.week_start.to_string(),
                    applications: w.applications,
                    responses: w.responses,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Object)]
pub struct AnalyticsEnvelope {
    pub data: AnalyticsOut,
}

/// The job seeker's profile to score against.
#[derive(Debug, Default, Object)]
pub struct ScoreRequest {
    /// At most 50 skills (default none).
    pub skills: Option<Vec<String>>,
    /// `intern`, `junior`, `mid`, `senior`, `lead` or `executive`.
    pub seniority: Option<String>,
    /// Places the seeker would work in (at most 10), e.g. `Leeds` or `GB` (default none).
    pub locations: Option<Vec<String>>,
    /// Whether the seeker wants remote work.
    pub remote: Option<bool>,
}

/// How the linked job fits the profile.
#[derive(Debug, Object)]
pub struct ScoreOut {
    pub application_id: i64,
    pub job_id: String,
    /// 0–100.
    pub score: u8,
    /// Why, in sentences grounded in the posting: they never name a skill the posting does not.
    pub reasons: Vec<String>,
    /// Skills the posting names that the profile has / lacks.
    pub matched_skills: Vec<String>,
    pub missing_skills: Vec<String>,
    pub ai_provider: String,
    pub ai_model: String,
}

impl From<FitScore> for ScoreOut {
    fn from(s: FitScore) -> Self {
        Self {
            application_id: s.application_id,
            job_id: s.job_id,
            score: s.score,
            reasons: s.reasons,
            matched_skills: s.matched_skills,
            missing_skills: s.missing_skills,
            ai_provider: s.ai_provider,
            ai_model: s.ai_model,
        }
    }
}

#[derive(Debug, Object)]
pub struct ScoreEnvelope {
    pub data: ScoreOut,
}
