//! The application tracker's operations on one account's applications: save (optionally from a
//! stored job, whose title, company, location, salary and URL become an editable snapshot), read,
//! change (a status change is recorded on the timeline), delete, the timeline, and the list with
//! its paging, sorts, filters and word search. Every operation names the account; another
//! account's application is reported exactly like one that does not exist.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::domain::application::{
    self, ApplicationEvent, ApplicationSort, ApplicationStatus, EventKind, NOTES_MAX_CHARS, SortOrder, TEXT_MAX_CHARS,
    instant, past_instant, snapshot_text,
};
use crate::domain::normalize::query_words;
use crate::domain::{AccountId, FieldError, Job, Salary};
use crate::ports::{
    Application, ApplicationFields, ApplicationPage, ApplicationQuery, ApplicationStore, ApplicationStoreError, Clock,
    JobStore, JobStoreError, NewEvent,
};
use crate::{Code, ErrorCode};

/// Items per page unless asked; the most a page may hold.
pub const PER_PAGE_DEFAULT: u64 = 20;
pub const PER_PAGE_MAX: u64 = 500;
/// Longest `search`, in characters.
pub const SEARCH_MAX_CHARS: usize = 200;
/// How far ahead of the server's clock a past date (`applied_at`) may be: clients' clocks and
/// time zones differ.

#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    /// One or more fields fail their checks (all of them are listed).
    #[error("{}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<FieldError>),
    #[error("No application has the id {0}.")]
    NotFound(i64),
    #[error(transparent)]
    Store(ApplicationStoreError),
    #[error(transparent)]
    Jobs(JobStoreError),
}

impl ApplicationError {
    fn field(field: &'static str, reason: impl ToString) -> Self {
        ApplicationError::Invalid(vec![FieldError::new(field, reason)])
    }
}

impl ErrorCode for ApplicationError {
    fn code(&self) -> Code {
        match self {
            ApplicationError::Invalid(_) => Code::ValidationFailed,
            ApplicationError::NotFound(_) => Code::ApplicationNotFound,
            ApplicationError::Store(ApplicationStoreError::Unavailable(_)) => Code::DependencyUnavailable,
            ApplicationError::Jobs(e) if e.is_outage() => Code::DependencyUnavailable,
            ApplicationError::Store(_) | ApplicationError::Jobs(_) => Code::Internal,
        }
    }
}

impl From<ApplicationStoreError> for ApplicationError {
    fn from(e: ApplicationStoreError) -> Self {
        ApplicationError::Store(e)
    }
}

/// A salary as a client sends it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SalaryInput {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub currency: String,
    pub period: Option<String>,
}

/// A new application as the client sends it, unchecked. With `job_id`, the stored job fills
/// whatever of title, company, location, salary and URL the draft leaves out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplicationDraft {
    pub job_title: Option<String>,
    pub company_name: Option<String>,
    pub job_id: Option<String>,
    pub url: Option<String>,
    pub location: Option<String>,
    pub salary: Option<SalaryInput>,
    pub status: Option<String>,
    pub applied_at: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// A change: `None` keeps a field; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplicationPatch {
    pub job_title: Option<String>,
    pub company_name: Option<String>,
    pub job_id: Option<Option<String>>,
    pub url: Option<Option<String>>,
    pub location: Option<Option<String>>,
    pub salary: Option<Option<SalaryInput>>,
    pub status: Option<String>,
    pub applied_at: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
}

/// A timeline entry as the client sends it (`at` defaults to now).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventDraft {
    pub kind: String,
    pub at: Option<String>,
    pub note: Option<String>,
}

/// A list request as the client sends it, unchecked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListRequest {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub search: Option<String>,
    /// Each value may hold several, comma-separated.
    pub status: Vec<String>,
    pub tag: Option<String>,
    pub applied_after: Option<String>,
    pub applied_before: Option<String>,
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    pub items: Vec<Application>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub has_more: bool,
}

pub struct Applications {
    pub store: Arc<dyn ApplicationStore>,
    pub jobs: Arc<dyn JobStore>,
    pub clock: Arc<dyn Clock>,
}

/// Collects every failing field of a request instead of stopping at the first.
#[derive(Default)]
struct Checks(Vec<FieldError>);

impl Checks {
    fn take<T: Default>(&mut self, r: Result<T, FieldError>) -> T {
        r.unwrap_or_else(|e| {
            self.0.push(e);
            T::default()
        })
    }

    fn done(self) -> Result<(), ApplicationError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApplicationError::Invalid(self.0)) }
    }
}

fn optional(field: &'static str, raw: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    let text = application::optional_text(field, raw.unwrap_or_default(), max)?;
    Ok((!text.is_empty()).then_some(text))
}

fn salary(s: &SalaryInput) -> Result<Salary, FieldError> {
    application::salary(s.min, s.max, &s.currency, s.period.as_deref())
}

/// The status change entry for `from` → `to` at `at`.
fn status_change(from: Option<ApplicationStatus>, to: ApplicationStatus, at: DateTime<Utc>) -> NewEvent {
    NewEvent { kind: EventKind::StatusChange, at, from_status: from, to_status: Some(to), note: None }
}

impl Applications {
    /// The stored job `id` (expired ones too: the application outlives the posting), or a 400 on
    /// `job_id`.
    async fn linked_job(&self, id: &str) -> Result<Job, ApplicationError> {
        let id = id.trim();
        if id.is_empty() || id.chars().count() > crate::usecases::get_job::MAX_JOB_ID_CHARS {
            return Err(ApplicationError::field("job_id", "must be a JobIn job id such as `reed:12345`"));
        }
        match self.jobs.get(id).await.map_err(ApplicationError::Jobs)? {
            Some(found) => Ok(found.stored.job),
            None => Err(ApplicationError::field("job_id", format!("no stored job has the id `{id}`"))),
        }
    }

    pub async fn create(&self, account: AccountId, d: ApplicationDraft) -> Result<Application, ApplicationError> {
        let now = self.clock.now();
        let job = match d.job_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => Some(self.linked_job(id).await?),
            None => None,
        };
        let mut c = Checks::default();
        let title = d.job_title.clone().or_else(|| job.as_ref().map(|j| snapshot_text(&j.title)));
        let company = d.company_name.clone().or_else(|| job.as_ref().map(|j| snapshot_text(&j.company)));
        let job_title = match title {
            Some(t) => c.take(application::required_text("job_title", &t)),
            None => c.take(Err(FieldError::new("job_title", "is required (or give a job_id to copy it from)"))),
        };
        let company_name = match company {
            Some(t) => c.take(application::required_text("company_name", &t)),
            None => c.take(Err(FieldError::new("company_name", "is required (or give a job_id to copy it from)"))),
        };
        let url = match (&d.url, &job) {
            (Some(u), _) => c.take(application::optional_url(u)),
            (None, Some(j)) => application::optional_url(&j.url).ok().flatten(),
            (None, None) => None,
        };
        let location = match (&d.location, &job) {
            (Some(l), _) => c.take(optional("location", Some(l), TEXT_MAX_CHARS)),
            (None, Some(j)) => j.location.line().map(|l| snapshot_text(&l)).filter(|l| !l.is_empty()),
            (None, None) => None,
        };
        let salary = match (&d.salary, &job) {
            (Some(s), _) => c.take(salary(s).map(Some)),
            (None, Some(j)) => j.salary.clone(),
            (None, None) => None,
        };
        let status = match &d.status {
            Some(s) => c.take(ApplicationStatus::parse(s).map(Some)).unwrap_or(ApplicationStatus::Saved),
            None => ApplicationStatus::Saved,
        };
        let applied_at = match &d.applied_at {
            Some(raw) => c.take(past_instant("applied_at", raw, now).map(Some)),
            None => None,
        };
        let notes = c.take(optional("notes", d.notes.as_deref(), NOTES_MAX_CHARS));
        let tags = c.take(application::tags(d.tags.as_deref().unwrap_or_default()));
        c.done()?;
        let fields = ApplicationFields {
            job_title,
            company_name,
            job_id: job.map(|j| j.id),
            url,
            location,
            salary,
            status,
            applied_at: applied_at.or_else(|| status.implies_applied().then_some(now)),
            notes,
            tags,
        };
        let first = vec![status_change(None, status, now)];
        Ok(self.store.create(account, fields, first, now).await?)
    }

    pub async fn get(&self, account: AccountId, id: i64) -> Result<Application, ApplicationError> {
        self.store.get(account, id).await?.ok_or(ApplicationError::NotFound(id))
    }

    pub async fn update(
        &self,
        account: AccountId,
        id: i64,
        p: ApplicationPatch,
    ) -> Result<Application, ApplicationError> {
        let now = self.clock.now();
        let current = self.get(account, id).await?;
        let mut f = current.fields.clone();
        let mut c = Checks::default();
        if let Some(t) = &p.job_title {
            f.job_title = c.take(application::required_text("job_title", t));
        }
        if let Some(t) = &p.company_name {
            f.company_name = c.take(application::required_text("company_name", t));
        }
        if let Some(u) = &p.url {
            f.url = c.take(application::optional_url(u.as_deref().unwrap_or_default()));
        }
        if let Some(l) = &p.location {
            f.location = c.take(optional("location", l.as_deref(), TEXT_MAX_CHARS));
        }
        if let Some(s) = &p.salary {
            f.salary = match s {
                Some(s) => c.take(salary(s).map(Some)),
                None => None,
            };
        }
        if let Some(s) = &p.status {
            f.status = c.take(ApplicationStatus::parse(s).map(Some)).unwrap_or(f.status);
        }
        if let Some(a) = &p.applied_at {
            f.applied_at = match a {
                Some(raw) => c.take(past_instant("applied_at", raw, now).map(Some)),
                None => None,
            };
        }
        if let Some(n) = &p.notes {
            f.notes = c.take(optional("notes", n.as_deref(), NOTES_MAX_CHARS));
        }
        if let Some(t) = &p.tags {
            f.tags = c.take(application::tags(t));
        }
        c.done()?;
        // A new link is checked (it must exist); no snapshot is taken: the fields are the user's.
        if let Some(link) = &p.job_id {
            f.job_id = match link.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(job) => Some(self.linked_job(job).await?.id),
                None => None,
            };
        }
        let mut events = vec![];
        if f.status != current.fields.status {
            events.push(status_change(Some(current.fields.status), f.status, now));
            // Moving into the pipeline dates the application unless the client dates it.
            if f.applied_at.is_none() && p.applied_at.is_none() && f.status.implies_applied() {
                f.applied_at = Some(now);
            }
        }
        self.store.update(account, id, f, events, now).await?.ok_or(ApplicationError::NotFound(id))
    }

    pub async fn delete(&self, account: AccountId, id: i64) -> Result<(), ApplicationError> {
        if self.store.delete(account, id).await? { Ok(()) } else { Err(ApplicationError::NotFound(id)) }
    }

    pub async fn add_event(
        &self,
        account: AccountId,
        id: i64,
        d: EventDraft,
    ) -> Result<ApplicationEvent, ApplicationError> {
        let now = self.clock.now();
        let mut c = Checks::default();
        let kind = c.take(EventKind::parse_user(&d.kind).map(Some));
        // A planned interview or follow-up may lie ahead: any well-formed date is allowed.
        let at = match &d.at {
            Some(raw) => c.take(instant("at", raw).map(Some)),
            None => Some(now),
        };
        let note = c.take(optional("note", d.note.as_deref(), NOTES_MAX_CHARS));
        c.done()?;
        let (Some(kind), Some(at)) = (kind, at) else { return Err(ApplicationError::field("kind", "is required")) };
        let event = NewEvent { kind, at, from_status: None, to_status: None, note };
        self.store.add_event(account, id, event, now).await?.ok_or(ApplicationError::NotFound(id))
    }

    pub async fn events(&self, account: AccountId, id: i64) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        self.store.events(account, id).await?.ok_or(ApplicationError::NotFound(id))
    }

    pub async fn list(&self, account: AccountId, r: ListRequest) -> Result<ListPage, ApplicationError> {
        let mut c = Checks::default();
        let page = r.page.unwrap_or(1);
        if page == 0 {
            c.0.push(FieldError::new("page", "must be 1 or more (pages are numbered from 1)"));
        }
        let per_page = r.per_page.unwrap_or(PER_PAGE_DEFAULT);
        if !(1..=PER_PAGE_MAX).contains(&per_page) {
            c.0.push(FieldError::new("per_page", format!("must be between 1 and {PER_PAGE_MAX}")));
        }
        let sort = match &r.sort {
            Some(s) => c.take(ApplicationSort::parse(s).map(Some)).unwrap_or(ApplicationSort::CreatedAt),
            None => ApplicationSort::CreatedAt,
        };
        let order = match &r.order {
            Some(o) => c.take(SortOrder::parse(o).map(Some)).unwrap_or(SortOrder::Desc),
            None => SortOrder::Desc,
        };
        let search = r.search.as_deref().unwrap_or_default();
        if search.chars().count() > SEARCH_MAX_CHARS {
            c.0.push(FieldError::new("search", format!("must be at most {SEARCH_MAX_CHARS} characters")));
        }
        let mut statuses = vec![];
        for raw in r.status.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
            if let Some(s) = c.take(ApplicationStatus::parse(raw).map(Some))
                && !statuses.contains(&s)
            {
                statuses.push(s);
            }
        }
        let tag = match r.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => c.take(application::tags(&[t.to_owned()]).map(|t| t.into_iter().next())),
            None => None,
        };
        let after = match r.applied_after.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(raw) => c.take(instant("applied_after", raw).map(Some)),
            None => None,
        };
        let before = match r.applied_before.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(raw) => c.take(instant("applied_before", raw).map(Some)),
            None => None,
        };
        if let (Some(a), Some(b)) = (after, before)
            && a >= b
        {
            c.0.push(FieldError::new("applied_before", "must be later than applied_after"));
        }
        c.done()?;
        let query = ApplicationQuery {
            sort,
            order,
            offset: (page - 1).saturating_mul(per_page),
            limit: per_page,
            words: query_words(search),
            statuses,
            tag,
            applied_after: after,
            applied_before: before,
        };
        let ApplicationPage { items, total } = self.store.list(account, &query).await?;
        let has_more = page.saturating_mul(per_page) < total;
        Ok(ListPage { items, total, page, per_page, has_more })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Job, PayPeriod, SourceId};
    use crate::ports::application_store::MockApplicationStore;
    use crate::ports::job_store::MockJobStore;
    use crate::ports::{ExpiredReason, FoundJob, StoredJob};
    use crate::testing::FixedClock;

    const NOW: i64 = 1_764_547_200; // 2025-12-01T00:00:00Z
    const A: AccountId = AccountId(7);

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(s, 0).unwrap()
    }

    fn tracker(store: MockApplicationStore, jobs: MockJobStore) -> Applications {
        Applications { store: Arc::new(store), jobs: Arc::new(jobs), clock: Arc::new(FixedClock::at(NOW)) }
    }

    fn stored(fields: ApplicationFields) -> Application {
        Application { id: 1, account: A, fields, created_at: at(NOW), updated_at: at(NOW) }
    }

    fn echo_create(store: &mut MockApplicationStore) {
        store.expect_create().returning(|_, f, _, _| Ok(stored(f)));
    }

    fn reed_job() -> FoundJob {
        let mut job = Job::sample(SourceId::Reed, "55012345", "Data Engineer", "Acme", "Leeds");
        job.url = "https://www.reed.co.uk/jobs/55012345".into();
        job.location.region = "West Yorkshire".into();
        job.location.country = "GB".into();
        job.salary = Salary::from_bounds(Some(50_000.0), Some(60_000.0), "GBP", PayPeriod::Year);
        FoundJob {
            stored: StoredJob { job, seq: 1, first_seen_at: at(0), last_seen_at: at(0), updated_at: at(0) },
            // An expired posting can still be saved: the application outlives it.
            expired_at: Some(at(NOW - 10)),
            expired_reason: Some(ExpiredReason::Gone),
        }
    }

    #[tokio::test]
    async fn saving_from_a_stored_job_copies_a_snapshot_the_client_may_override() {
        let mut store = MockApplicationStore::new();
        store
            .expect_create()
            .withf(|a, _, events, _| {
                *a == A
                    && events.len() == 1
                    && events[0].to_status == Some(ApplicationStatus::Saved)
                    && events[0].from_status.is_none()
            })
            .returning(|_, f, _, _| Ok(stored(f)));
        let mut jobs = MockJobStore::new();
        jobs.expect_get().withf(|id| id == "reed:55012345").returning(|_| Ok(Some(reed_job())));
        let draft = ApplicationDraft {
            job_id: Some(" reed:55012345 ".into()),
            job_title: Some("Senior Data Engineer".into()),
            ..Default::default()
        };
        let app = tracker(store, jobs).create(A, draft).await.unwrap();
        let f = app.fields;
        assert_eq!(f.job_id.as_deref(), Some("reed:55012345"));
        assert_eq!((f.job_title.as_str(), f.company_name.as_str()), ("Senior Data Engineer", "Acme"));
        assert_eq!(f.location.as_deref(), Some("Leeds, West Yorkshire, GB"));
        assert_eq!(f.url.as_deref(), Some("https://www.reed.co.uk/jobs/55012345"));
        assert_eq!(f.salary.map(|s| (s.min, s.max)), Some((50_000.0, 60_000.0)));
        assert_eq!((f.status, f.applied_at), (ApplicationStatus::Saved, None));
    }

    #[tokio::test]
    async fn an_unknown_job_and_every_bad_field_are_400s_naming_the_fields() {
        let mut jobs = MockJobStore::new();
        jobs.expect_get().returning(|_| Ok(None));
        let t = tracker(MockApplicationStore::new(), jobs);
        let e =
            t.create(A, ApplicationDraft { job_id: Some("reed:1".into()), ..Default::default() }).await.unwrap_err();
        let ApplicationError::Invalid(fields) = e else { panic!("{e:?}") };
        assert_eq!(fields[0].field, "job_id");
        let draft = ApplicationDraft {
            job_title: Some(" ".into()),
            status: Some("hired".into()),
            applied_at: Some("2099-01-01".into()),
            url: Some("javascript:alert(1)".into()),
            tags: Some(vec!["".into()]),
            ..Default::default()
        };
        let e = t.create(A, draft).await.unwrap_err();
        assert_eq!(e.code(), Code::ValidationFailed);
        let ApplicationError::Invalid(fields) = e else { panic!() };
        let names: Vec<_> = fields.iter().map(|f| f.field).collect();
        assert_eq!(names, ["job_title", "company_name", "url", "status", "applied_at", "tags"]);
    }

    #[tokio::test]
    async fn an_application_created_as_applied_is_dated_now_unless_dated() {
        let mut store = MockApplicationStore::new();
        echo_create(&mut store);
        let t = tracker(store, MockJobStore::new());
        let draft = |applied_at: Option<&str>| ApplicationDraft {
            job_title: Some("Analyst".into()),
            company_name: Some("Beta".into()),
            status: Some("applied".into()),
            applied_at: applied_at.map(Into::into),
            ..Default::default()
        };
        assert_eq!(t.create(A, draft(None)).await.unwrap().fields.applied_at, Some(at(NOW)));
        let dated = t.create(A, draft(Some("2025-11-20"))).await.unwrap();
        assert_eq!(dated.fields.applied_at.unwrap().to_rfc3339(), "2025-11-20T00:00:00+00:00");
    }

    #[tokio::test]
    async fn a_status_change_is_recorded_and_dates_the_application_once() {
        let mut store = MockApplicationStore::new();
        let saved = ApplicationFields {
            job_title: "Analyst".into(),
            company_name: "Beta".into(),
            job_id: None,
            url: None,
            location: None,
            salary: None,
            status: ApplicationStatus::Saved,
            applied_at: None,
            notes: Some("keep".into()),
            tags: vec![],
        };
        store.expect_get().returning(move |_, _| Ok(Some(stored(saved.clone()))));
        store
            .expect_update()
            .withf(|_, id, f, events, _| {
                *id == 1
                    && f.applied_at == Some(at(NOW))
                    && f.notes.is_none()
                    && events.len() == 1
                    && events[0].from_status == Some(ApplicationStatus::Saved)
                    && events[0].to_status == Some(ApplicationStatus::Applied)
            })
            .returning(|_, _, f, _, _| Ok(Some(stored(f))));
        let patch = ApplicationPatch { status: Some("applied".into()), notes: Some(None), ..Default::default() };
        let app = tracker(store, MockJobStore::new()).update(A, 1, patch).await.unwrap();
        assert_eq!(app.fields.status, ApplicationStatus::Applied);
    }

    #[tokio::test]
    async fn another_accounts_application_is_not_found() {
        let mut store = MockApplicationStore::new();
        store.expect_get().returning(|_, _| Ok(None));
        store.expect_delete().returning(|_, _| Ok(false));
        store.expect_events().returning(|_, _| Ok(None));
        let t = tracker(store, MockJobStore::new());
        assert_eq!(t.get(A, 9).await.unwrap_err().code(), Code::ApplicationNotFound);
        assert_eq!(t.update(A, 9, ApplicationPatch::default()).await.unwrap_err().code(), Code::ApplicationNotFound);
        assert_eq!(t.delete(A, 9).await.unwrap_err().code(), Code::ApplicationNotFound);
        assert_eq!(t.events(A, 9).await.unwrap_err().code(), Code::ApplicationNotFound);
    }

    #[tokio::test]
    async fn list_requests_are_checked_and_paged_from_one() {
        let mut store = MockApplicationStore::new();
        store
            .expect_list()
            .withf(|_, q| {
                q.offset == 1_000
                    && q.limit == 500
                    && q.sort == ApplicationSort::CompanyName
                    && q.order == SortOrder::Asc
                    && q.words == ["rust", "leeds"]
                    && q.statuses == [ApplicationStatus::Applied, ApplicationStatus::Offer]
                    && q.tag.as_deref() == Some("remote")
            })
            .returning(|_, _| Ok(ApplicationPage { items: vec![], total: 1_400 }));
        let t = tracker(store, MockJobStore::new());
        let r = ListRequest {
            page: Some(3),
            per_page: Some(500),
            sort: Some("company_name".into()),
            order: Some("asc".into()),
            search: Some("Rust, Leeds".into()),
            status: vec!["applied,offer".into(), "applied".into()],
            tag: Some(" Remote ".into()),
            ..Default::default()
        };
        let page = t.list(A, r).await.unwrap();
        assert_eq!((page.page, page.per_page, page.total, page.has_more), (3, 500, 1_400, false));
        for (bad, field) in [
            (ListRequest { page: Some(0), ..Default::default() }, "page"),
            (ListRequest { per_page: Some(501), ..Default::default() }, "per_page"),
            (ListRequest { per_page: Some(0), ..Default::default() }, "per_page"),
            (ListRequest { sort: Some("title".into()), ..Default::default() }, "sort"),
            (ListRequest { order: Some("up".into()), ..Default::default() }, "order"),
            (ListRequest { status: vec!["applied,hired".into()], ..Default::default() }, "status"),
            (ListRequest { applied_after: Some("yesterday".into()), ..Default::default() }, "applied_after"),
            (
                ListRequest {
                    applied_after: Some("2025-02-01".into()),
                    applied_before: Some("2025-01-01".into()),
                    ..Default::default()
                },
                "applied_before",
            ),
        ] {
            let ApplicationError::Invalid(f) = t.list(A, bad).await.unwrap_err() else { panic!() };
            assert_eq!(f[0].field, field);
        }
    }

    #[tokio::test]
    async fn clients_add_interviews_notes_and_follow_ups_dated_or_now() {
        let mut store = MockApplicationStore::new();
        store.expect_add_event().returning(|_, _, e, now| {
            Ok(Some(ApplicationEvent {
                id: 1,
                kind: e.kind,
                at: e.at,
                from_status: None,
                to_status: None,
                note: e.note,
                created_at: now,
            }))
        });
        let t = tracker(store, MockJobStore::new());
        let planned = EventDraft {
            kind: "interview".into(),
            at: Some("2026-01-10T14:00:00Z".into()),
            note: Some("Panel".into()),
        };
        let e = t.add_event(A, 1, planned).await.unwrap();
        assert_eq!((e.kind, e.at.to_rfc3339().as_str()), (EventKind::Interview, "2026-01-10T14:00:00+00:00"));
        let now = t.add_event(A, 1, EventDraft { kind: "note".into(), ..Default::default() }).await.unwrap();
        assert_eq!(now.at, at(NOW));
        let bad = EventDraft { kind: "status_change".into(), ..Default::default() };
        let ApplicationError::Invalid(f) = t.add_event(A, 1, bad).await.unwrap_err() else { panic!() };
        assert_eq!(f[0].field, "kind");
    }
}
