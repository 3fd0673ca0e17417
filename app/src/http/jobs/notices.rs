//! `meta.notices` of a search: why an answer is empty or incomplete, and what fixes it, for every
//! board that did not serve (not configured on this server, failed, out of request budget), for a
//! plan whose boards found nothing, and for a query nothing matched.

use jobin_core::domain::{Plan, PlanCatalog, SourceId, in_plan};
use jobin_core::ports::FailureCause;
use jobin_core::usecases::{SourceReport, SourceStatus};
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
pub const CODES: [&str; 6] = [
    "source_unconfigured",
    "source_failed",
    "source_budget_exhausted",
    "plan_limits_sources",
    "no_board_reachable",
    "no_match",
];

fn notice(code: &str, source: Option<SourceId>, message: String) -> Notice {
    debug_assert!(CODES.contains(&code), "{code} is listed in CODES");
    Notice { code: code.to_owned(), source: source.map(|s| s.as_str().to_owned()), message, cause: None }
}

fn names(sources: &[SourceId]) -> String {
    sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// The notices of a search answer for `plan` (`found`: how many jobs it holds; `reachable`: the
/// boards this server can search).
pub fn for_search(
    sources: &[SourceReport],
    found: usize,
    plan: Plan,
    catalog: &PlanCatalog,
    reachable: &[SourceId],
) -> Vec<Notice> {
    let mut out = Vec::new();
    for r in sources {
        let s = r.source;
        match r.status {
            SourceStatus::Unconfigured => out.push(notice(
                "source_unconfigured",
                Some(s),
                format!(
                    "{s} is in your plan but not configured on this server: its operator sets {}.",
                    crate::config::BoardsConfig::settings(s)
                ),
            )),
            SourceStatus::Timeout | SourceStatus::Error => {
                let cause = r.cause.unwrap_or(FailureCause::Timeout);
                let fix = match cause {
                    FailureCause::Dns | FailureCause::Connect => {
                        " This server could not reach it: its operator checks the network (and the board's base URL)."
                    }
                    FailureCause::Http4xx => " Its operator checks this server's settings for it (keys, limits).",
                    FailureCause::Timeout | FailureCause::Http5xx | FailureCause::Parse => " Retry later.",
                };
                let mut n = notice(
                    "source_failed",
                    Some(s),
                    format!("{s} failed ({cause}: {}); its jobs are missing from this answer.{fix}", cause.describe()),
                );
                n.cause = Some(Cause(cause));
                out.push(n);
            }
            SourceStatus::BudgetExhausted => out.push(notice(
                "source_budget_exhausted",
                Some(s),
                format!(
                    "{s}'s request budget on this server is spent for now (the board's own rate limit); its jobs \
                     are missing from this answer."
                ),
            )),
            SourceStatus::Ok | SourceStatus::Cached | SourceStatus::NotInPlan => {}
        }
    }
    if found > 0 {
        return out;
    }
    let served = sources.iter().any(|r| matches!(r.status, SourceStatus::Ok | SourceStatus::Cached));
    let outside: Vec<SourceId> =
        sources.iter().filter(|r| r.status == SourceStatus::NotInPlan).map(|r| r.source).collect();
    if !outside.is_empty() {
        let asked: Vec<SourceId> =
            sources.iter().filter(|r| !matches!(r.status, SourceStatus::NotInPlan)).map(|r| r.source).collect();
        let adds = |p: Plan| -> Vec<SourceId> {
            let n = catalog.terms(p).data_sources;
            outside.iter().copied().filter(|s| in_plan(*s, n)).collect()
        };
        let next = Plan::ALL.into_iter().find(|p| *p > plan && !adds(*p).is_empty());
        let upgrade = next.map_or_else(String::new, |p| {
            let adds = adds(p);
            format!(" The {p} plan adds {} (see /v1/pricing).", names(&adds))
        });
        out.push(notice(
            "plan_limits_sources",
            None,
            format!(
                "Your {plan} plan searches {} board{} here ({}); {} {} not in it.{upgrade}",
                asked.len(),
                if asked.len() == 1 { "" } else { "s" },
                if asked.is_empty() { "none".to_owned() } else { names(&asked) },
                names(&outside),
                if outside.len() == 1 { "is" } else { "are" },
            ),
        ));
    }
    let unconfigured: Vec<SourceId> =
        sources.iter().filter(|r| r.status == SourceStatus::Unconfigured).map(|r| r.source).collect();
    let asked_any = sources.iter().any(|r| r.status != SourceStatus::NotInPlan);
    if !served
        && asked_any
        && sources.iter().all(|r| matches!(r.status, SourceStatus::Unconfigured | SourceStatus::NotInPlan))
    {
        // Nothing the plan holds can be searched here: say every way to a first answer.
        let settings: Vec<&str> = unconfigured.iter().map(|s| crate::config::BoardsConfig::settings(*s)).collect();
        let reaches = |p: Plan| -> Vec<SourceId> {
            let n = catalog.terms(p).data_sources;
            reachable.iter().copied().filter(|s| in_plan(*s, n)).collect()
        };
        let move_to =
            Plan::ALL.into_iter().find(|p| *p > plan && !reaches(*p).is_empty()).map_or_else(String::new, |p| {
                format!(
                    " or moves this account to the {p} plan, whose boards it reaches ({}): `jobin accounts set-plan \
                     <your email> {p}`, or you buy it (/v1/billing/checkout);",
                    names(&reaches(p))
                )
            });
        out.push(notice(
            "no_board_reachable",
            None,
            format!(
                "No board of your {plan} plan can be searched on this server yet, so every search answers empty. \
                 To get postings, its operator sets {}{move_to} to try JobIn offline, run `make demo` (fake \
                 boards).",
                settings.join(" and ")
            ),
        ));
    }
    if served {
        out.push(notice(
            "no_match",
            None,
            "No posting on the boards asked matched every word of the query; try fewer or other words, another \
             location or country."
                .to_owned(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The boards a server with no keys reaches.
    const KEYLESS: [SourceId; 3] = [SourceId::Remotive, SourceId::Arbeitnow, SourceId::TheMuse];

    fn report(source: SourceId, status: SourceStatus) -> SourceReport {
        SourceReport { source, status, count: 0, latency_ms: 0, cause: None }
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
        let n = for_search(&sources, 0, Plan::Free, &PlanCatalog::document(), &KEYLESS);
        let codes: Vec<&str> = n.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(codes, ["source_unconfigured", "plan_limits_sources", "no_board_reachable"]);
        assert!(n[0].message.contains("JOBIN_ADZUNA_APP_ID"), "{}", n[0].message);
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
        // With Adzuna's keys set, the plan reaches its board: no such notice.
        let sources = [report(SourceId::Adzuna, Ok), report(SourceId::Remotive, NotInPlan)];
        let n = for_search(&sources, 0, Plan::Free, &PlanCatalog::document(), &KEYLESS);
        assert!(n.iter().all(|n| n.code != "no_board_reachable"), "{n:?}");
    }

    #[test]
    fn failures_are_named_even_when_other_boards_served_and_no_match_only_when_one_did() {
        use SourceStatus::*;
        let sources = [report(SourceId::Adzuna, Ok), report(SourceId::Remotive, Timeout)];
        let n = for_search(&sources, 3, Plan::Scale, &PlanCatalog::document(), &KEYLESS);
        assert_eq!(n.iter().map(|n| n.code.as_str()).collect::<Vec<_>>(), ["source_failed"]);
        let n = for_search(&sources, 0, Plan::Scale, &PlanCatalog::document(), &KEYLESS);
        assert_eq!(n.iter().map(|n| n.code.as_str()).collect::<Vec<_>>(), ["source_failed", "no_match"]);
        assert!(
            for_search(&[report(SourceId::Adzuna, Ok)], 5, Plan::Free, &PlanCatalog::document(), &KEYLESS).is_empty()
        );
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
            let n = for_search(&[r], 1, Plan::Scale, &PlanCatalog::document(), &KEYLESS);
            assert_eq!(n[0].cause, Some(Cause(cause)));
            let m = &n[0].message;
            assert!(m.starts_with(&format!("reed failed ({cause}: {}", cause.describe())), "{m}");
            assert!(m.contains(fix), "{cause}: {m}");
        }
    }
}
