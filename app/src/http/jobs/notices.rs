//! `meta.notices` of a search, worded: the search reasons why an answer is empty or incomplete
//! (`jobin_core::usecases::SearchNotice`); this says it, with what fixes it.

use jobin_core::domain::SourceId;
use jobin_core::ports::FailureCause;
use jobin_core::usecases::SearchNotice;
use poem_openapi::Object;

/// Why a board failed, as a client may branch on it (a named schema of the document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cause(pub FailureCause);

crate::http::error::domain_enum_type!(
    Cause(FailureCause),
    "FailureCause",
    "Why a board failed: `dns` (its host name did not resolve), `connect` (the connection failed), \
     `timeout`, `http_4xx` (it refused the request: credentials, rate limit), `http_5xx` (a server error \
     on its side), `parse` (its answer could not be read)."
);

/// One reason an answer is empty or incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct Notice {
    /// Stable: `source_unconfigured`, `source_failed`, `source_budget_exhausted`,
    /// `plan_limits_sources`, `no_board_reachable`, `no_match`.
    pub code: String,
    /// The board it is about.
    #[oai(skip_serializing_if_is_none)]
    pub source: Option<String>,
    /// What happened and what fixes it.
    pub message: String,
    /// For `source_failed`: why the board failed.
    #[oai(skip_serializing_if_is_none)]
    pub cause: Option<Cause>,
}

/// Every notice code.
pub const CODES: [&str; 6] = SearchNotice::CODES;

fn names(sources: &[SourceId]) -> String {
    sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

impl From<&SearchNotice> for Notice {
    fn from(n: &SearchNotice) -> Self {
        let mut cause = None;
        let message = match n {
            SearchNotice::SourceUnconfigured(s) => format!(
                "{s} is in your plan but not configured on this server: its operator sets {}.",
                crate::config::BoardsConfig::settings(*s)
            ),
            SearchNotice::SourceFailed { source, cause: c } => {
                cause = Some(Cause(*c));
                let fix = match c {
                    FailureCause::Dns | FailureCause::Connect => {
                        " This server could not reach it: its operator checks the network (and the board's base URL)."
                    }
                    FailureCause::Http4xx => " Its operator checks this server's settings for it (keys, limits).",
                    FailureCause::Timeout | FailureCause::Http5xx | FailureCause::Parse => " Retry later.",
                };
                format!("{source} failed ({c}: {}); its jobs are missing from this answer.{fix}", c.describe())
            }
            SearchNotice::SourceBudgetExhausted(s) => format!(
                "{s}'s request budget on this server is spent for now (the board's own rate limit); its jobs are \
                 missing from this answer."
            ),
            SearchNotice::PlanLimitsSources { plan, asked, outside, upgrade } => {
                let upgrade = upgrade.as_ref().map_or_else(String::new, |(p, adds)| {
                    format!(" The {p} plan adds {} (see /v1/pricing).", names(adds))
                });
                format!(
                    "Your {plan} plan searches {} board{} here ({}); {} {} not in it.{upgrade}",
                    asked.len(),
                    if asked.len() == 1 { "" } else { "s" },
                    if asked.is_empty() { "none".to_owned() } else { names(asked) },
                    names(outside),
                    if outside.len() == 1 { "is" } else { "are" },
                )
            }
            SearchNotice::NoBoardReachable { plan, unconfigured, move_to } => {
                let settings: Vec<&str> =
                    unconfigured.iter().map(|s| crate::config::BoardsConfig::settings(*s)).collect();
                let move_to = move_to.as_ref().map_or_else(String::new, |(p, reaches)| {
                    format!(
                        " or moves this account to the {p} plan, whose boards it reaches ({}): `jobin accounts \
                         set-plan <your email> {p}`, or you buy it (/v1/billing/checkout);",
                        names(reaches)
                    )
                });
                format!(
                    "No board of your {plan} plan can be searched on this server yet, so every search answers \
                     empty. To get postings, its operator sets {}{move_to} to try JobIn offline, run `make demo` \
                     (fake boards).",
                    settings.join(" and ")
                )
            }
            SearchNotice::NoMatch => "No posting on the boards asked matched every word of the query; try fewer or \
                                      other words, another location or country."
                .to_owned(),
        };
        Notice { code: n.code().to_owned(), source: n.source().map(|s| s.as_str().to_owned()), message, cause }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobin_core::domain::{Plan, PlanCatalog};
    use jobin_core::usecases::search::notices;
    use jobin_core::usecases::{SourceReport, SourceStatus};

    /// The boards a server with no keys reaches.
    const KEYLESS: [SourceId; 3] = [SourceId::Remotive, SourceId::Arbeitnow, SourceId::TheMuse];

    fn report(source: SourceId, status: SourceStatus) -> SourceReport {
        SourceReport { source, status, count: 0, latency_ms: 0, cause: None }
    }

    fn for_search(sources: &[SourceReport], found: usize, plan: Plan) -> Vec<Notice> {
        notices(sources, found, plan, &PlanCatalog::document(), &KEYLESS).iter().map(Notice::from).collect()
    }

    #[test]
    fn an_empty_free_search_on_an_unconfigured_board_says_what_fixes_it() {
        use SourceStatus::*;
        let sources = [
            report(SourceId::Adzuna, Unconfigured),
            report(SourceId::Remotive, NotInPlan),
            report(SourceId::Findwork, NotInPlan),
            report(SourceId::Reed, NotInPlan),
        ];
        let n = for_search(&sources, 0, Plan::Free);
        let codes: Vec<&str> = n.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(codes, ["source_unconfigured", "plan_limits_sources", "no_board_reachable"]);
        assert!(n[0].message.contains("JOBIN_ADZUNA_APP_ID"), "{}", n[0].message);
        assert_eq!(n[0].source.as_deref(), Some("adzuna"));
        assert_eq!(
            n[1].message,
            "Your free plan searches 1 board here (adzuna); remotive, findwork, reed are not in it. The starter \
             plan adds remotive, findwork (see /v1/pricing)."
        );
        // Every way to a first answer, in the answer itself.
        let what = &n[2].message;
        for needed in [
            "JOBIN_ADZUNA_APP_ID and JOBIN_ADZUNA_APP_KEY",
            "`jobin accounts set-plan <your email> starter`",
            "(remotive)",
            "`make demo`",
        ] {
            assert!(what.contains(needed), "{needed} in: {what}");
        }
    }

    #[test]
    fn a_failure_notice_carries_its_class_and_the_fix_that_class_calls_for() {
        let cases = [
            (FailureCause::Dns, "could not reach it"),
            (FailureCause::Connect, "could not reach it"),
            (FailureCause::Http4xx, "settings for it"),
            (FailureCause::Http5xx, "Retry later"),
            (FailureCause::Timeout, "Retry later"),
            (FailureCause::Parse, "Retry later"),
        ];
        for (cause, fix) in cases {
            let r = SourceReport { cause: Some(cause), ..report(SourceId::Reed, SourceStatus::Error) };
            let n = for_search(&[r], 1, Plan::Scale);
            assert_eq!(n[0].cause, Some(Cause(cause)));
            let m = &n[0].message;
            assert!(m.starts_with(&format!("reed failed ({cause}: {}", cause.describe())), "{m}");
            assert!(m.contains(fix), "{cause}: {m}");
        }
    }

    #[test]
    fn every_notice_is_worded_under_its_code() {
        use SourceStatus::*;
        let sources = [report(SourceId::Adzuna, Ok), report(SourceId::Reed, BudgetExhausted)];
        let n = for_search(&sources, 0, Plan::Scale);
        assert_eq!(n.iter().map(|n| n.code.as_str()).collect::<Vec<_>>(), ["source_budget_exhausted", "no_match"]);
        assert!(n[0].message.starts_with("reed's request budget"), "{}", n[0].message);
        assert!(n[1].message.starts_with("No posting on the boards asked"), "{}", n[1].message);
    }
}
