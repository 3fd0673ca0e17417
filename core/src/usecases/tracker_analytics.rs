//! The tracker's figures for one account, computed from each application's status and timeline:
//! counts per status, how many were sent and answered, the response rate, the median time to a
//! first answer, offers and acceptances, and a weekly timeline.
//!
//! Definitions (the API documents them): an application is *applied* when it has `applied_at`;
//! it is *answered* when its timeline reached an employer answer (screening, interviewing, offer,
//! accepted or rejected; see `ApplicationStatus::is_employer_response`), at the first such status
//! change. Rates are fractions (0.25 = 25%) and absent when their denominator is zero.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::sync::Arc;

use crate::domain::FieldError;
use crate::domain::application::ApplicationStatus;
use crate::ports::{ApplicationHistory, ApplicationStore, ApplicationStoreError, Clock};
use crate::{Code, ErrorCode};

pub const WEEKS_DEFAULT: u32 = 12;
pub const WEEKS_MAX: u32 = 104;

#[derive(Debug, thiserror::Error)]
pub enum TrackerAnalyticsError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error(transparent)]
    Store(ApplicationStoreError),
}

impl ErrorCode for TrackerAnalyticsError {
    fn code(&self) -> Code {
        match self {
            TrackerAnalyticsError::Invalid(_) => Code::ValidationFailed,
            TrackerAnalyticsError::Store(ApplicationStoreError::Unavailable(_)) => Code::DependencyUnavailable,
            TrackerAnalyticsError::Store(_) => Code::Internal,
        }
    }
}

/// One week of the timeline (weeks start on Monday, UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct WeekCount {
    pub week_start: NaiveDate,
    /// Applications sent that week (`applied_at`).
    pub applications: u64,
    /// First employer answers recorded that week.
    pub responses: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrackerReport {
    pub total: u64,
    /// Every status, in pipeline order, with its count (zeros included).
    pub by_status: Vec<(ApplicationStatus, u64)>,
    pub applied: u64,
    pub responded: u64,
    /// `responded / applied`.
    pub response_rate: Option<f64>,
    /// Median days from `applied_at` to the first answer, over the answered applications.
    pub median_days_to_response: Option<f64>,
    /// Applications that reached an offer (an accepted one did).
    pub offers: u64,
    /// Applications accepted (current status).
    pub accepted: u64,
    /// `offers / applied`.
    pub offer_rate: Option<f64>,
    /// `accepted / offers`.
    pub acceptance_rate: Option<f64>,
    /// The last `weeks` weeks, oldest first; the last one is the current (partial) week.
    pub weeks: Vec<WeekCount>,
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| ((n as f64 / d as f64) * 10_000.0).round() / 10_000.0)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    let mid = if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 };
    Some((mid * 10.0).round() / 10.0)
}

fn monday_of(t: DateTime<Utc>) -> NaiveDate {
    let d = t.date_naive();
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// The figures over `history` at `now`, with `weeks` weeks of timeline.
pub fn report(history: &[ApplicationHistory], now: DateTime<Utc>, weeks: u32) -> TrackerReport {
    let by_status = ApplicationStatus::ALL
        .into_iter()
        .map(|s| (s, history.iter().filter(|h| h.status == s).count() as u64))
        .collect();
    let applied: Vec<&ApplicationHistory> = history.iter().filter(|h| h.applied_at.is_some()).collect();
    let mut days = vec![];
    let mut responded = 0;
    for h in &applied {
        if let (Some(sent), Some(answer)) = (h.applied_at, h.first_response_at) {
            responded += 1;
            // An answer recorded before the date the user gave for sending counts as same-day.
            days.push(((answer - sent).num_seconds() as f64 / 86_400.0).max(0.0));
        }
    }
    let offers = applied.iter().filter(|h| h.reached_offer).count() as u64;
    let accepted = applied.iter().filter(|h| h.status == ApplicationStatus::Accepted).count() as u64;
    let applied_n = applied.len() as u64;
    let first_week = monday_of(now) - Duration::weeks(i64::from(weeks.max(1)) - 1);
    let mut timeline: Vec<WeekCount> = (0..weeks.max(1))
        .map(|i| WeekCount { week_start: first_week + Duration::weeks(i64::from(i)), applications: 0, responses: 0 })
        .collect();
    let slot = |t: DateTime<Utc>| -> Option<usize> {
        let w = monday_of(t);
        (w >= first_week && t <= now).then(|| ((w - first_week).num_days() / 7) as usize)
    };
    for h in history {
        if let Some(i) = h.applied_at.and_then(slot) {
            timeline[i].applications += 1;
        }
        if let Some(i) = h.first_response_at.and_then(slot) {
            timeline[i].responses += 1;
        }
    }
    TrackerReport {
        total: history.len() as u64,
        by_status,
        applied: applied_n,
        responded,
        response_rate: ratio(responded, applied_n),
        median_days_to_response: median(days),
        offers,
        accepted,
        offer_rate: ratio(offers, applied_n),
        acceptance_rate: ratio(accepted, offers),
        weeks: timeline,
    }
}

pub struct TrackerAnalytics {
    pub store: Arc<dyn ApplicationStore>,
    pub clock: Arc<dyn Clock>,
}

impl TrackerAnalytics {
    pub async fn execute(
        &self,
        account: crate::domain::AccountId,
        weeks: Option<u32>,
    ) -> Result<TrackerReport, TrackerAnalyticsError> {
        let weeks = weeks.unwrap_or(WEEKS_DEFAULT);
        if !(1..=WEEKS_MAX).contains(&weeks) {
            return Err(TrackerAnalyticsError::Invalid(FieldError::new(
                "weeks",
                format!("must be between 1 and {WEEKS_MAX}"),
            )));
        }
        let history = self.store.history(account).await.map_err(TrackerAnalyticsError::Store)?;
        Ok(report(&history, self.clock.now(), weeks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStatus::*;

    fn day(d: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{d}T12:00:00Z")).unwrap().to_utc()
    }

    fn h(status: ApplicationStatus, applied: Option<&str>, answer: Option<&str>, offer: bool) -> ApplicationHistory {
        ApplicationHistory {
            status,
            applied_at: applied.map(day),
            first_response_at: answer.map(day),
            reached_offer: offer,
        }
    }

    #[test]
    fn figures_over_a_known_set() {
        // Now: Wednesday 2025-12-03; the current week starts Monday 2025-12-01.
        let history = [
            h(Saved, None, None, false),
            h(Applied, Some("2025-11-24"), None, false),
            h(Rejected, Some("2025-11-20"), Some("2025-11-22"), false), // 2 days
            h(Interviewing, Some("2025-11-25"), Some("2025-12-01"), false), // 6 days
            h(Accepted, Some("2025-11-10"), Some("2025-11-14"), true),  // 4 days
            h(Offer, Some("2025-11-26"), Some("2025-12-02"), true),     // 6 days
            h(Withdrawn, None, None, false),                            // withdrawn before applying
        ];
        let r = report(&history, day("2025-12-03"), 4);
        assert_eq!(r.total, 7);
        assert_eq!(r.by_status.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [1, 1, 0, 1, 1, 1, 1, 1]);
        assert_eq!((r.applied, r.responded, r.offers, r.accepted), (5, 4, 2, 1));
        assert_eq!(r.response_rate, Some(0.8));
        assert_eq!(r.median_days_to_response, Some(5.0), "median of 2, 4, 6, 6");
        assert_eq!((r.offer_rate, r.acceptance_rate), (Some(0.4), Some(0.5)));
        let weeks: Vec<(String, u64, u64)> =
            r.weeks.iter().map(|w| (w.week_start.to_string(), w.applications, w.responses)).collect();
        assert_eq!(
            weeks,
            [
                ("2025-11-10".into(), 1, 1),
                ("2025-11-17".into(), 1, 1),
                ("2025-11-24".into(), 3, 0),
                ("2025-12-01".into(), 0, 2),
            ]
        );
    }

    #[test]
    fn an_empty_tracker_has_counts_of_zero_and_no_rates() {
        let r = report(&[], day("2025-12-03"), 12);
        assert_eq!((r.total, r.applied, r.response_rate, r.median_days_to_response), (0, 0, None, None));
        assert_eq!(r.acceptance_rate, None);
        assert_eq!(r.by_status.len(), 8);
        assert_eq!(r.weeks.len(), 12);
        assert!(r.weeks.iter().all(|w| w.applications == 0 && w.responses == 0));
    }
}
