//! The application tracker's vocabulary: an application's status (its pipeline), the events of
//! its timeline, and the checks every written field passes. Storage and operations build on it.

use chrono::{DateTime, Duration, Utc};

use super::normalize::parse_iso_datetime;
use super::{FieldError, PayPeriod, Salary};

/// Where an application stands. The order is the pipeline's (`saved` first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApplicationStatus {
    Saved,
    Applied,
    Screening,
    Interviewing,
    Offer,
    Accepted,
    Rejected,
    Withdrawn,
}

impl ApplicationStatus {
    pub const ALL: [ApplicationStatus; 8] = [
        ApplicationStatus::Saved,
        ApplicationStatus::Applied,
        ApplicationStatus::Screening,
        ApplicationStatus::Interviewing,
        ApplicationStatus::Offer,
        ApplicationStatus::Accepted,
        ApplicationStatus::Rejected,
        ApplicationStatus::Withdrawn,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Saved => "saved",
            ApplicationStatus::Applied => "applied",
            ApplicationStatus::Screening => "screening",
            ApplicationStatus::Interviewing => "interviewing",
            ApplicationStatus::Offer => "offer",
            ApplicationStatus::Accepted => "accepted",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        Self::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(raw)).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
            FieldError::new("status", format!("`{raw}` is not one of {}", names.join(", ")))
        })
    }

    /// Whether reaching this status means the employer answered an application: screening and
    /// later stages, or a rejection. `saved`, `applied` and `withdrawn` are not answers.
    pub const fn is_employer_response(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Screening
                | ApplicationStatus::Interviewing
                | ApplicationStatus::Offer
                | ApplicationStatus::Accepted
                | ApplicationStatus::Rejected
        )
    }
}

/// What a list of applications is ordered by. Every order ends with the id (same direction), so
/// pages never overlap or skip under ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationSort {
    CreatedAt,
    UpdatedAt,
    /// Applications never applied to come last in either direction.
    AppliedAt,
    /// Case- and accent-insensitive.
    CompanyName,
    /// In pipeline order (`saved` first), not alphabetically.
    Status,
}

impl ApplicationSort {
    pub const ALL: [ApplicationSort; 5] = [
        ApplicationSort::CreatedAt,
        ApplicationSort::UpdatedAt,
        ApplicationSort::AppliedAt,
        ApplicationSort::CompanyName,
        ApplicationSort::Status,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ApplicationSort::CreatedAt => "created_at",
            ApplicationSort::UpdatedAt => "updated_at",
            ApplicationSort::AppliedAt => "applied_at",
            ApplicationSort::CompanyName => "company_name",
            ApplicationSort::Status => "status",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim()).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
            FieldError::new("sort", format!("`{raw}` is not one of {}", names.join(", ")))
        })
    }
}

/// The direction of a sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortOrder {
    /// Both directions.
    pub const ALL: [SortOrder; 2] = [SortOrder::Asc, SortOrder::Desc];

    pub const fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "asc" => Ok(SortOrder::Asc),
            "desc" => Ok(SortOrder::Desc),
            other => Err(FieldError::new("order", format!("`{other}` is not one of asc, desc"))),
        }
    }
}

impl ApplicationStatus {
    /// Whether an application in this status has been sent: every status but `saved` and
    /// `withdrawn` (one may withdraw before applying).
    pub const fn implies_applied(self) -> bool {
        !matches!(self, ApplicationStatus::Saved | ApplicationStatus::Withdrawn)
    }

    /// The status's place in the pipeline (`saved` = 0), the `status` sort key.
    pub fn rank(self) -> i16 {
        Self::ALL.iter().position(|s| *s == self).map_or(0, |i| i as i16)
    }
}

/// What an entry of an application's timeline records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Recorded by the tracker when the status changes (never sent by a client).
    StatusChange,
    Interview,
    Note,
    FollowUp,
}

impl EventKind {
    /// The kinds a client may add.
    pub const USER: [EventKind; 3] = [EventKind::Interview, EventKind::Note, EventKind::FollowUp];

    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::StatusChange => "status_change",
            EventKind::Interview => "interview",
            EventKind::Note => "note",
            EventKind::FollowUp => "follow_up",
        }
    }

    /// A kind read back from storage (any kind).
    pub fn from_stored(raw: &str) -> Option<Self> {
        [EventKind::StatusChange, EventKind::Interview, EventKind::Note, EventKind::FollowUp]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }

    /// A kind a client sends: `interview`, `note` or `follow_up`.
    pub fn parse_user(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        Self::USER
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| FieldError::new("kind", format!("`{raw}` is not one of interview, note, follow_up")))
    }
}

/// One entry of an application's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationEvent {
    pub id: i64,
    pub kind: EventKind,
    /// When it happens or happened (a status change: when it was recorded).
    pub at: DateTime<Utc>,
    /// Status changes: the status before and after.
    pub from_status: Option<ApplicationStatus>,
    pub to_status: Option<ApplicationStatus>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Longest title, company and location, in characters.
pub const TEXT_MAX_CHARS: usize = 200;
/// Longest notes, in characters.
pub const NOTES_MAX_CHARS: usize = 10_000;
/// Longest URL, in bytes.
pub const URL_MAX_BYTES: usize = 2_048;
/// At most this many tags, each at most [`TAG_MAX_CHARS`].
pub const TAGS_MAX: usize = 20;
pub const TAG_MAX_CHARS: usize = 50;

/// A required one-line text (title, company): trimmed, 1 to 200 characters, no control characters.
pub fn required_text(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let text = optional_text(field, raw, TEXT_MAX_CHARS)?;
    if text.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    Ok(text)
}

/// An optional text: trimmed, at most `max` characters; line breaks and tabs are allowed in
/// multi-line fields (`max` above one line's), other control characters never.
pub fn optional_text(field: &'static str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    let multi_line = max > TEXT_MAX_CHARS;
    if text.chars().any(|c| c.is_control() && !(multi_line && matches!(c, '\n' | '\r' | '\t'))) {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(text.to_owned())
}

/// An `http://` or `https://` URL without spaces, at most 2,048 bytes; empty means none.
pub fn optional_url(raw: &str) -> Result<Option<String>, FieldError> {
    let url = raw.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.len() > URL_MAX_BYTES || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldError::new("url", "must be an http:// or https:// URL of at most 2048 bytes"));
    }
    Ok(Some(url.to_owned()))
}

/// Tags: trimmed, lower-cased, duplicates dropped (first kept), empty ones refused; at most 20 of
/// at most 50 characters each.
pub fn tags(raw: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for tag in raw {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > TAG_MAX_CHARS || tag.chars().any(char::is_control) {
            return Err(FieldError::new("tags", format!("each tag must be 1 to {TAG_MAX_CHARS} characters")));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > TAGS_MAX {
        return Err(FieldError::new("tags", format!("at most {TAGS_MAX} tags")));
    }
    Ok(out)
}

/// A salary as a client states it: `min <= max`, both positive and finite (one may be absent),
/// a three-letter currency (upper-cased), a period (`year` by default).
pub fn salary(min: Option<f64>, max: Option<f64>, currency: &str, period: Option<&str>) -> Result<Salary, FieldError> {
    let bad = |v: Option<f64>| v.is_some_and(|x| !x.is_finite() || x <= 0.0);
    if bad(min) || bad(max) {
        return Err(FieldError::new("salary", "amounts must be positive numbers"));
    }
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        return Err(FieldError::new("salary", "min must not exceed max"));
    }
    let currency = currency.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(FieldError::new("salary", "currency must be a three-letter ISO 4217 code"));
    }
    let period = match period.map(str::trim) {
        None | Some("") => PayPeriod::Year,
        Some(p) => PayPeriod::parse(&p.to_ascii_lowercase())
            .ok_or_else(|| FieldError::new("salary", "period must be hour, day, week, month or year"))?,
    };
    Salary::from_bounds(min, max, &currency, period).ok_or_else(|| FieldError::new("salary", "give min, max or both"))
}

/// How far in the future a "past" date may be: a day of clock and time-zone skew.
pub const CLOCK_SLACK: Duration = Duration::hours(24);

/// An instant a client sends (`2026-11-30T09:00:00Z`, or a date meaning its first instant UTC).
pub fn instant(field: &'static str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    parse_iso_datetime(raw).ok_or_else(|| FieldError::new(field, "must be an ISO 8601 date-time or date"))
}

/// A date that has happened: not later than now (give or take a day of clock and zone skew).
pub fn past_instant(field: &'static str, raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    let at = instant(field, raw)?;
    if at > now + CLOCK_SLACK {
        return Err(FieldError::new(field, "must not be in the future"));
    }
    Ok(at)
}

/// A snapshot text from a posting: one line, within the field's length.
pub fn snapshot_text(raw: &str) -> String {
    raw.chars().map(|c| if c.is_control() { ' ' } else { c }).take(TEXT_MAX_CHARS).collect::<String>().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_an_unknown_one_names_the_choices() {
        for s in ApplicationStatus::ALL {
            assert_eq!(ApplicationStatus::parse(s.as_str()), Ok(s));
        }
        assert_eq!(ApplicationStatus::parse(" Applied "), Ok(ApplicationStatus::Applied));
        let e = ApplicationStatus::parse("hired").unwrap_err();
        assert_eq!(e.field, "status");
        assert!(e.reason.contains("saved, applied, screening"), "{e}");
        let answers: Vec<_> = ApplicationStatus::ALL.into_iter().filter(|s| s.is_employer_response()).collect();
        assert_eq!(answers.len(), 5);
        assert!(!ApplicationStatus::Withdrawn.is_employer_response());
    }

    #[test]
    fn clients_add_interviews_notes_and_follow_ups_but_never_status_changes() {
        assert_eq!(EventKind::parse_user("follow_up"), Ok(EventKind::FollowUp));
        assert_eq!(EventKind::parse_user("status_change").unwrap_err().field, "kind");
        for k in [EventKind::StatusChange, EventKind::Interview, EventKind::Note, EventKind::FollowUp] {
            assert_eq!(EventKind::from_stored(k.as_str()), Some(k));
        }
    }

    #[test]
    fn texts_urls_and_tags_are_checked_and_normalized() {
        assert_eq!(required_text("job_title", "  Data Engineer ").unwrap(), "Data Engineer");
        assert_eq!(required_text("job_title", "   ").unwrap_err().reason, "must not be empty");
        assert!(required_text("company_name", &"x".repeat(201)).is_err());
        assert!(required_text("company_name", "Acme\u{0}").is_err());
        assert_eq!(optional_text("notes", "line 1\nline 2", NOTES_MAX_CHARS).unwrap(), "line 1\nline 2");
        assert!(optional_text("location", "Leeds\nUK", TEXT_MAX_CHARS).is_err(), "one-line fields stay one line");
        assert_eq!(optional_url(" ").unwrap(), None);
        assert!(optional_url("ftp://x").is_err() && optional_url("https://a b").is_err());
        assert_eq!(optional_url("https://reed.co.uk/jobs/1").unwrap().as_deref(), Some("https://reed.co.uk/jobs/1"));
        assert_eq!(tags(&["Remote".into(), " remote ".into(), "Rust".into()]).unwrap(), ["remote", "rust"]);
        assert!(tags(&["".into()]).is_err());
        assert!(tags(&(0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()).is_err());
    }

    #[test]
    fn salaries_are_ordered_positive_and_in_a_currency() {
        let s = salary(Some(50_000.0), Some(60_000.0), "gbp", None).unwrap();
        assert_eq!((s.min, s.max, s.currency.as_str(), s.period), (50_000.0, 60_000.0, "GBP", PayPeriod::Year));
        assert_eq!(salary(None, Some(30.0), "USD", Some("hour")).unwrap().min, 30.0);
        for (min, max, cur, period) in [
            (Some(60.0), Some(50.0), "GBP", None),
            (Some(-1.0), None, "GBP", None),
            (Some(f64::NAN), None, "GBP", None),
            (Some(1.0), None, "pounds", None),
            (Some(1.0), None, "GBP", Some("fortnight")),
            (None, None, "GBP", None),
        ] {
            assert_eq!(salary(min, max, cur, period).unwrap_err().field, "salary", "{min:?} {max:?} {cur} {period:?}");
        }
    }
}
