//! The quota stage of the request pipeline, in the document's order: the key's scopes (403
//! `insufficient_scope`), endpoint access (403), monthly quota (429), per-minute limit (429).
//!
//! Two limit classes ([`LimitClass`]): a request to a plan-gated data endpoint counts in the
//! account's data window (the plan's `per_minute`) and, except the expired-ids stream (see
//! [`Endpoint::counts_monthly`]), against the monthly quota; an account request (keys, sessions,
//! billing) counts only in the account window (the plan's `account_per_minute`), which data traffic
//! never spends. A data request refused for its plan (403) counts in the data window only, so its
//! answer carries the rate headers and a client hammering a gated endpoint is still limited; it
//! never counts against the monthly quota; a request refused for a missing scope counts the same
//! way in its own class. A request refused with 429 counts against nothing.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::domain::{Endpoint, Plan, PlanCatalog, Scope, Scopes};
use crate::ports::usage::month_bounds;
use crate::ports::{Admission, AdmitRequest, Clock, MeterError, Verdict, WindowDecision};
use crate::services::MonthlyCounts;
use crate::usecases::Principal;
use crate::{Code, ErrorCode};

/// Which limit a request counts against: data requests (gated endpoints) against the plan's
/// `per_minute` (and the monthly quota), account requests (keys, sessions, billing) against the
/// plan's `account_per_minute`, application-tracker and saved-search requests against `tracker_per_minute`, and the
/// tracker's AI requests against `ai_per_hour`; each class a window of its own that no other class
/// spends. Only data requests count monthly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitClass {
    Data,
    Account,
    Tracker,
    Ai,
}

impl LimitClass {
    pub const fn as_str(self) -> &'static str {
        match self {
            LimitClass::Data => "data",
            LimitClass::Account => "account",
            LimitClass::Tracker => "tracker",
            LimitClass::Ai => "ai",
        }
    }
}

/// What a request is, for admission: a plan-gated data endpoint, or a request of another class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metered {
    Data(Endpoint),
    /// Keys, sessions, billing.
    Account,
    /// The application tracker and saved searches (all plans).
    Tracker,
    /// The tracker's AI requests (all plans; the model is chosen by plan).
    Ai,
}

/// What the response headers report: the plan, the class and its minute window; and whether the
/// request was counted against the monthly quota (for the usage log's durable count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub plan: Plan,
    pub class: LimitClass,
    pub minute: WindowDecision,
    pub monthly: bool,
}

fn minute_message(status: &RateStatus) -> String {
    let limit = status.minute.limit;
    match status.class {
        LimitClass::Data => {
            format!("Rate limit exceeded: {} requests per minute on the {} plan.", status.minute.limit, status.plan)
        }
        LimitClass::Account => format!(
            "Rate limit exceeded: {limit} account requests per minute (keys, sessions and billing have their own limit)."
        ),
        LimitClass::Tracker => {
            format!("Rate limit exceeded: {limit} requests per minute to the application tracker and saved searches.")
        }
        LimitClass::Ai => {
            format!("Rate limit exceeded: {limit} AI requests per hour (fit scores have their own limit).")
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    #[error("Your {plan} plan does not include this endpoint; it needs the {required} plan or higher.")]
    PlanTooLow { plan: Plan, required: Plan, endpoint: Endpoint, status: Option<RateStatus> },
    #[error("This API key does not have the `{}` scope this operation needs.", .missing.first().map_or("", Scope::as_str))]
    ScopeMissing { missing: Scopes, status: Option<RateStatus> },
    #[error("Monthly request limit exceeded")]
    MonthlyExceeded { limit: u64, used: u64, resets: DateTime<Utc>, status: RateStatus },
    #[error("{}", minute_message(.status))]
    MinuteExceeded { status: RateStatus },
    #[error(transparent)]
    Meter(MeterError),
}

impl AdmitError {
    /// The rate status to report in headers, when the meter was consulted.
    pub fn status(&self) -> Option<RateStatus> {
        match self {
            AdmitError::PlanTooLow { status, .. } | AdmitError::ScopeMissing { status, .. } => *status,
            AdmitError::MonthlyExceeded { status, .. } | AdmitError::MinuteExceeded { status } => Some(*status),
            AdmitError::Meter(_) => None,
        }
    }
}

impl ErrorCode for AdmitError {
    fn code(&self) -> Code {
        match self {
            AdmitError::PlanTooLow { .. } => Code::PlanUpgradeRequired,
            AdmitError::ScopeMissing { .. } => Code::InsufficientScope,
            AdmitError::MonthlyExceeded { .. } => Code::QuotaExceeded,
            AdmitError::MinuteExceeded { .. } => Code::RateLimited,
            AdmitError::Meter(_) => Code::DependencyUnavailable,
        }
    }
}

pub struct Admit {
    pub catalog: Arc<PlanCatalog>,
    /// The usage meter, and the durable monthly counts it is seeded from when it has none.
    pub monthly: Arc<MonthlyCounts>,
    pub clock: Arc<dyn Clock>,
}

impl Admit {
    /// `what` is the request's class (and, for data, the gated endpoint); `required` the scopes
    /// the operation needs. A credential without them is refused (403) before the plan is looked
    /// at.
    pub async fn execute(&self, who: &Principal, what: Metered, required: Scopes) -> Result<RateStatus, AdmitError> {
        let plan = who.account.plan;
        let terms = self.catalog.terms(plan);
        let missing = required.minus(who.scopes);
        if !missing.is_empty() {
            let status = self.refusal_window(who, what).await;
            return Err(AdmitError::ScopeMissing { missing, status });
        }
        let e = match what {
            Metered::Data(e) => e,
            other => {
                let (class, minute) = self.class_window(who, other).await.map_err(AdmitError::Meter)?;
                let status = RateStatus { plan, class, minute, monthly: false };
                return if minute.allowed { Ok(status) } else { Err(AdmitError::MinuteExceeded { status }) };
            }
        };
        let required = self.catalog.min_plan(e);
        if required > plan {
            let status = self.refusal_window(who, what).await;
            return Err(AdmitError::PlanTooLow { plan, required, endpoint: e, status });
        }
        let now = self.clock.now();
        let req = AdmitRequest {
            account: who.account.id,
            per_minute: terms.per_minute,
            monthly_limit: e.counts_monthly().then_some(terms.monthly_requests),
        };
        let mut admission = self.monthly.meter.admit(req, now).await.map_err(AdmitError::Meter)?;
        if admission.verdict == Verdict::Unseeded {
            // Nothing was counted: seed the month from the durable count, then ask again.
            self.monthly.seed(who.account.id, now).await.map_err(AdmitError::Meter)?;
            admission = self.monthly.meter.admit(req, now).await.map_err(AdmitError::Meter)?;
        }
        let Admission { verdict, minute, monthly_used } = admission;
        let monthly = verdict == Verdict::Admitted && req.monthly_limit.is_some();
        if monthly {
            self.monthly.ledger.add(who.account.id, now);
        }
        let status = RateStatus { plan, class: LimitClass::Data, minute, monthly };
        match verdict {
            Verdict::Admitted => Ok(status),
            Verdict::Unseeded => Err(AdmitError::Meter(MeterError::Unavailable(anyhow::anyhow!(
                "the monthly count was missing again right after seeding"
            )))),
            Verdict::MinuteExceeded => Err(AdmitError::MinuteExceeded { status }),
            Verdict::MonthlyExceeded => Err(AdmitError::MonthlyExceeded {
                limit: terms.monthly_requests,
                used: monthly_used,
                resets: month_bounds(now).1,
                status,
            }),
        }
    }

    /// Counts a request of a class with a window of its own (not data) in that window.
    async fn class_window(&self, who: &Principal, what: Metered) -> Result<(LimitClass, WindowDecision), MeterError> {
        let terms = self.catalog.terms(who.account.plan);
        let (class, limit, secs) = match what {
            Metered::Tracker => (LimitClass::Tracker, terms.tracker_per_minute, 60),
            Metered::Ai => (LimitClass::Ai, terms.ai_per_hour, 3_600),
            Metered::Account | Metered::Data(_) => (LimitClass::Account, terms.account_per_minute, 60),
        };
        let bucket = format!("{}-class:{}", class.as_str(), who.account.id.0);
        let window = self.monthly.meter.hit_window(&bucket, limit, secs, self.clock.now()).await?;
        Ok((class, window))
    }

    /// A refused request (403) counts in its class's window and never monthly; the 403 stands
    /// whatever the meter says, the window only feeds the headers.
    async fn refusal_window(&self, who: &Principal, what: Metered) -> Option<RateStatus> {
        let plan = who.account.plan;
        let counted = match what {
            Metered::Account | Metered::Tracker | Metered::Ai => self.class_window(who, what).await,
            Metered::Data(_) => {
                let per_minute = self.catalog.terms(plan).per_minute;
                let req = AdmitRequest { account: who.account.id, per_minute, monthly_limit: None };
                self.monthly.meter.admit(req, self.clock.now()).await.map(|a| (LimitClass::Data, a.minute))
            }
        };
        match counted {
            Ok((class, minute)) => Some(RateStatus { plan, class, minute, monthly: false }),
            Err(e) => {
                tracing::warn!(error = %e, "usage meter unavailable while refusing a request");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ACCOUNT_PER_MINUTE, AccountId};
    use crate::ports::monthly_ledger::MockMonthlyLedger;
    use crate::ports::usage::MockUsageMeter;
    use crate::testing::FixedClock;
    use crate::usecases::Credential;

    fn who(plan: Plan) -> Principal {
        crate::testing::principal(1, plan, Credential::Session { family: "f".into() }, Scopes::ALL)
    }

    fn window(limit: u32, used: u32) -> WindowDecision {
        WindowDecision {
            allowed: used <= limit,
            limit,
            used,
            resets_at: DateTime::<Utc>::from_timestamp(60, 0).unwrap(),
        }
    }

    /// A ledger that expects one addition per request admitted against the month.
    fn ledger_adding(n: usize) -> MockMonthlyLedger {
        let mut ledger = MockMonthlyLedger::new();
        ledger.expect_add().times(n).return_const(());
        ledger
    }

    fn admit(meter: MockUsageMeter) -> Admit {
        let mut ledger = MockMonthlyLedger::new();
        ledger.expect_add().return_const(());
        admit_with(meter, ledger)
    }

    fn admit_with(meter: MockUsageMeter, log: MockMonthlyLedger) -> Admit {
        Admit {
            catalog: Arc::new(PlanCatalog::document()),
            monthly: Arc::new(MonthlyCounts { meter: Arc::new(meter), ledger: Arc::new(log) }),
            clock: Arc::new(FixedClock::at(1_764_547_200 - 10)), // 2025-11-30T23:59:50Z
        }
    }

    #[tokio::test]
    async fn an_unseeded_month_is_seeded_from_the_durable_count_before_anything_is_admitted() {
        let mut seq = mockall::Sequence::new();
        let mut meter = MockUsageMeter::new();
        meter.expect_admit().times(1).in_sequence(&mut seq).returning(|r, _| {
            Ok(Admission { verdict: Verdict::Unseeded, minute: window(r.per_minute, 0), monthly_used: 0 })
        });
        meter
            .expect_seed_monthly()
            .withf(|a, _, n| *a == AccountId(1) && *n == 1_000)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, n| Ok(n));
        // The Free plan's 1,000 were spent before the restart: the second ask is refused.
        meter.expect_admit().times(1).in_sequence(&mut seq).returning(|r, _| {
            Ok(Admission { verdict: Verdict::MonthlyExceeded, minute: window(r.per_minute, 0), monthly_used: 1_000 })
        });
        let mut log = ledger_adding(0);
        log.expect_count().times(1).returning(|_, _| Ok(1_000));
        let e = admit_with(meter, log)
            .execute(&who(Plan::Free), Metered::Data(Endpoint::JobsSearch), Scopes::NONE)
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::QuotaExceeded);
    }

    #[tokio::test]
    async fn only_requests_admitted_against_the_month_are_marked_monthly() {
        let mut meter = MockUsageMeter::new();
        meter.expect_admit().returning(|r, _| {
            Ok(Admission { verdict: Verdict::Admitted, minute: window(r.per_minute, 1), monthly_used: 1 })
        });
        // The one request admitted against the month is added to the ledger at once.
        let a = admit_with(meter, ledger_adding(1));
        let s = a.execute(&who(Plan::Pro), Metered::Data(Endpoint::JobsSearch), Scopes::NONE).await.unwrap();
        assert!(s.monthly);
        let s = a.execute(&who(Plan::Pro), Metered::Data(Endpoint::JobsExpired), Scopes::NONE).await.unwrap();
        assert!(!s.monthly, "the expired stream is not counted monthly");
    }

    #[tokio::test]
    async fn endpoint_access_is_checked_first_and_a_refusal_never_counts_monthly() {
        let mut meter = MockUsageMeter::new();
        meter.expect_admit().withf(|r, _| r.monthly_limit.is_none() && r.per_minute == 60).times(1).returning(
            |r, _| {
                Ok(Admission { verdict: Verdict::MinuteExceeded, minute: window(r.per_minute, 61), monthly_used: 0 })
            },
        );
        let e = admit(meter)
            .execute(&who(Plan::Starter), Metered::Data(Endpoint::JobsTrends), Scopes::NONE)
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PlanUpgradeRequired, "403 even when the minute window is full");
        assert_eq!(e.status().map(|s| s.minute.limit), Some(60));
        assert!(
            matches!(e, AdmitError::PlanTooLow { endpoint: Endpoint::JobsTrends, required: Plan::Pro, .. }),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn every_gated_endpoint_is_refused_exactly_below_its_quick_reference_plan() {
        for plan in Plan::ALL {
            for endpoint in Endpoint::ALL {
                let mut meter = MockUsageMeter::new();
                meter.expect_admit().returning(|r, _| {
                    Ok(Admission { verdict: Verdict::Admitted, minute: window(r.per_minute, 1), monthly_used: 1 })
                });
                let result = admit(meter).execute(&who(plan), Metered::Data(endpoint), Scopes::NONE).await;
                let allowed = match (endpoint, plan) {
                    (
                        Endpoint::JobsSearch
                        | Endpoint::JobsProviders
                        | Endpoint::JobsGet
                        | Endpoint::SearchMatches
                        | Endpoint::JobsCorpus,
                        _,
                    ) => true,
                    (Endpoint::JobsSalary, p) => p >= Plan::Starter,
                    (Endpoint::JobsTrends | Endpoint::JobsInsight, p) => p >= Plan::Pro,
                    (Endpoint::JobsFeed | Endpoint::JobsExpired, p) => p >= Plan::Pro,
                };
                match result {
                    Ok(_) => assert!(allowed, "{plan} may not call {endpoint:?}"),
                    Err(AdmitError::PlanTooLow { required, .. }) => {
                        assert!(!allowed, "{plan} may call {endpoint:?}");
                        assert_eq!(required, endpoint.min_plan());
                    }
                    Err(e) => panic!("{e:?}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn the_expired_stream_is_rate_limited_but_never_metered_monthly() {
        let mut meter = MockUsageMeter::new();
        meter
            .expect_admit()
            .withf(|r, _| r.per_minute == 300 && r.monthly_limit.is_none())
            .times(1)
            .returning(|_, _| Ok(Admission { verdict: Verdict::Admitted, minute: window(300, 1), monthly_used: 0 }));
        admit(meter).execute(&who(Plan::Pro), Metered::Data(Endpoint::JobsExpired), Scopes::NONE).await.unwrap();
    }

    #[tokio::test]
    async fn only_data_endpoints_are_metered_monthly_with_the_plans_limits() {
        let mut meter = MockUsageMeter::new();
        meter
            .expect_admit()
            .withf(|r, _| r.per_minute == 300 && r.monthly_limit == Some(500_000))
            .times(1)
            .returning(|_, _| Ok(Admission { verdict: Verdict::Admitted, minute: window(300, 1), monthly_used: 1 }));
        meter
            .expect_admit()
            .withf(|r, _| r.per_minute == 300 && r.monthly_limit.is_none())
            .times(1)
            .returning(|_, _| Ok(Admission { verdict: Verdict::Admitted, minute: window(300, 2), monthly_used: 1 }));
        let a = admit(meter);
        let s = a.execute(&who(Plan::Pro), Metered::Data(Endpoint::JobsSearch), Scopes::NONE).await.unwrap();
        assert_eq!((s.plan, s.class, s.minute.used), (Plan::Pro, LimitClass::Data, 1));
        let s = a.execute(&who(Plan::Pro), Metered::Data(Endpoint::JobsExpired), Scopes::NONE).await.unwrap();
        assert_eq!(s.class, LimitClass::Data, "the expired stream is a data request, not counted monthly");
    }

    #[tokio::test]
    async fn account_requests_have_their_own_window_that_data_traffic_never_spends() {
        let mut meter = MockUsageMeter::new();
        // The data window is full…
        meter.expect_admit().never();
        // …the account class is counted in its own bucket, with the plan's account limit.
        meter
            .expect_hit_window()
            .withf(|bucket, limit, window, _| {
                bucket == "account-class:1" && *limit == ACCOUNT_PER_MINUTE && *window == 60
            })
            .times(2)
            .returning(|_, limit, _, now| {
                Ok(WindowDecision { allowed: true, limit, used: 1, resets_at: now + chrono::Duration::seconds(10) })
            });
        let a = admit(meter);
        for plan in [Plan::Free, Plan::Scale] {
            let s = a.execute(&who(plan), Metered::Account, Scopes::NONE).await.unwrap();
            assert_eq!((s.class, s.minute.limit), (LimitClass::Account, ACCOUNT_PER_MINUTE));
        }
    }

    #[tokio::test]
    async fn a_full_account_window_is_a_429_naming_the_account_class() {
        let mut meter = MockUsageMeter::new();
        meter.expect_hit_window().returning(|_, limit, _, now| {
            Ok(WindowDecision { allowed: false, limit, used: limit, resets_at: now + chrono::Duration::seconds(5) })
        });
        let e = admit(meter).execute(&who(Plan::Free), Metered::Account, Scopes::NONE).await.unwrap_err();
        assert_eq!(e.code(), Code::RateLimited);
        assert_eq!(e.status().map(|s| s.class), Some(LimitClass::Account));
        assert!(e.to_string().contains("60 account requests per minute"), "{e}");
    }

    #[tokio::test]
    async fn monthly_quota_reports_the_next_month_as_reset() {
        let mut meter = MockUsageMeter::new();
        meter.expect_admit().returning(|_, _| {
            Ok(Admission { verdict: Verdict::MonthlyExceeded, minute: window(10, 3), monthly_used: 1_000 })
        });
        match admit(meter)
            .execute(&who(Plan::Free), Metered::Data(Endpoint::JobsSearch), Scopes::NONE)
            .await
            .unwrap_err()
        {
            AdmitError::MonthlyExceeded { limit, used, resets, .. } => {
                assert_eq!((limit, used), (1_000, 1_000));
                assert_eq!(resets.to_rfc3339(), "2025-12-01T00:00:00+00:00");
            }
            other => panic!("{other:?}"),
        }
    }

    fn with_scopes(plan: Plan, scopes: &[Scope]) -> Principal {
        Principal { scopes: Scopes::of(scopes), ..who(plan) }
    }

    #[tokio::test]
    async fn a_missing_scope_is_refused_before_the_plan_and_never_counts_monthly() {
        let mut meter = MockUsageMeter::new();
        // A Free key without analytics:read asking for salary: the scope is named, not the plan.
        meter.expect_admit().withf(|r, _| r.monthly_limit.is_none()).times(1).returning(|r, _| {
            Ok(Admission { verdict: Verdict::Admitted, minute: window(r.per_minute, 4), monthly_used: 0 })
        });
        let e = admit(meter)
            .execute(
                &with_scopes(Plan::Free, &[Scope::JobsRead]),
                Metered::Data(Endpoint::JobsSalary),
                Scopes::of(&[Scope::AnalyticsRead]),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InsufficientScope);
        assert!(
            matches!(e, AdmitError::ScopeMissing { missing, .. } if missing == Scopes::of(&[Scope::AnalyticsRead]))
        );
        assert_eq!(e.status().map(|s| (s.class, s.minute.used)), Some((LimitClass::Data, 4)));
        assert!(e.to_string().contains("`analytics:read`"), "{e}");
    }

    #[tokio::test]
    async fn only_the_scopes_the_key_lacks_are_missing_and_account_refusals_count_in_the_account_class() {
        let mut meter = MockUsageMeter::new();
        meter.expect_admit().never();
        meter.expect_hit_window().times(1).returning(|_, limit, _, now| {
            Ok(WindowDecision { allowed: true, limit, used: 2, resets_at: now + chrono::Duration::seconds(5) })
        });
        let need = Scopes::of(&[Scope::JobsRead, Scope::KeysWrite]);
        match admit(meter)
            .execute(&with_scopes(Plan::Pro, &[Scope::JobsRead]), Metered::Account, need)
            .await
            .unwrap_err()
        {
            AdmitError::ScopeMissing { missing, status } => {
                assert_eq!(missing, Scopes::of(&[Scope::KeysWrite]));
                assert_eq!(status.map(|s| s.class), Some(LimitClass::Account));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_key_holding_the_scopes_goes_on_to_the_quota() {
        let mut meter = MockUsageMeter::new();
        meter.expect_admit().withf(|r, _| r.monthly_limit == Some(1_000)).times(1).returning(|r, _| {
            Ok(Admission { verdict: Verdict::Admitted, minute: window(r.per_minute, 1), monthly_used: 1 })
        });
        let who = with_scopes(Plan::Free, &[Scope::JobsRead, Scope::AiUse]);
        let need = Scopes::of(&[Scope::JobsRead, Scope::AiUse]);
        admit(meter).execute(&who, Metered::Data(Endpoint::JobsSearch), need).await.unwrap();
    }

    #[tokio::test]
    async fn tracker_and_ai_requests_count_in_windows_of_their_own_and_never_monthly() {
        let mut meter = MockUsageMeter::new();
        meter
            .expect_hit_window()
            .withf(|bucket, limit, secs, _| bucket == "tracker-class:1" && *limit == 100 && *secs == 60)
            .times(1)
            .returning(|_, limit, _, _| Ok(window(limit, 1)));
        meter
            .expect_hit_window()
            .withf(|bucket, limit, secs, _| bucket == "ai-class:1" && *limit == 20 && *secs == 3_600)
            .times(1)
            .returning(|_, limit, _, _| Ok(window(limit, 21)));
        meter.expect_admit().never();
        let a = admit(meter);
        let s = a.execute(&who(Plan::Free), Metered::Tracker, Scopes::NONE).await.unwrap();
        assert_eq!((s.class, s.monthly, s.minute.limit), (LimitClass::Tracker, false, 100));
        let e = a.execute(&who(Plan::Free), Metered::Ai, Scopes::NONE).await.unwrap_err();
        assert_eq!(e.code(), Code::RateLimited);
        assert_eq!(e.to_string(), "Rate limit exceeded: 20 AI requests per hour (fit scores have their own limit).");
    }
}
