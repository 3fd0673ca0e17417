//! Each authenticated handler names its gate in its extractor type (`KeyAuth<gate::Salary>`): the
//! plan-gated operation it is (if any) and the scopes a key needs to call it, so admission never
//! looks at the request path. Core gates by [`Endpoint`]; `crate::endpoints` is the one map of each
//! gated operation to its route. [`OPERATION_SCOPES`] states each operation's scopes in the
//! OpenAPI document; a test holds it to the gates the handlers use.

use jobin_core::domain::{Endpoint, Scope, Scopes};
use jobin_core::usecases::Metered;
use poem::Request;

/// A handler's gate.
pub trait Gate: Send + Sync + 'static {
    /// The request's limit class, and for data requests the plan-gated operation.
    const METERED: Metered;
    /// The scopes every call needs.
    const SCOPES: Scopes;

    /// The scopes this call needs: [`Gate::SCOPES`], plus any its parameters ask for.
    fn required(_req: &Request) -> Scopes {
        Self::SCOPES
    }
}

macro_rules! gates {
    ($($(#[$m:meta])* $name:ident => $endpoint:expr, [$($scope:ident),*];)*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl Gate for $name {
            const METERED: Metered = $endpoint;
            const SCOPES: Scopes = Scopes::of(&[$(Scope::$scope),*]);
        }
    )*};
}

gates! {
    /// Any valid credential, whatever its scopes; not plan-gated (the account view).
    Ungated => Metered::Account, [];
    /// Creating, rotating and revoking keys.
    Keys => Metered::Account, [KeysWrite];
    /// Checkouts and the billing portal.
    Billing => Metered::Account, [BillingWrite];
    Salary => Metered::Data(Endpoint::JobsSalary), [AnalyticsRead];
    Trends => Metered::Data(Endpoint::JobsTrends), [AnalyticsRead];
    Insight => Metered::Data(Endpoint::JobsInsight), [AnalyticsRead];
    Providers => Metered::Data(Endpoint::JobsProviders), [AiUse];
    Feed => Metered::Data(Endpoint::JobsFeed), [JobsRead];
    Expired => Metered::Data(Endpoint::JobsExpired), [JobsRead];
    /// One job by id.
    JobGet => Metered::Data(Endpoint::JobsGet), [JobsRead];
    /// The stored corpus searched.
    Corpus => Metered::Data(Endpoint::JobsCorpus), [JobsRead];
    /// Reading the application tracker.
    TrackerRead => Metered::Tracker, [ApplicationsRead];
    /// Changing the application tracker.
    TrackerWrite => Metered::Tracker, [ApplicationsWrite];
    /// A fit score: the AI class.
    TrackerScore => Metered::Ai, [ApplicationsRead, AiUse];
    /// Reading saved searches (the tracker's class).
    SearchesRead => Metered::Tracker, [SearchesRead];
    /// Changing saved searches (the tracker's class).
    SearchesWrite => Metered::Tracker, [SearchesWrite];
    /// A saved search's matches: job data.
    SearchMatches => Metered::Data(Endpoint::SearchMatches), [SearchesRead, JobsRead];
}

/// Job search: `jobs:read`, and `ai:use` as well with `enhance=true`.
#[derive(Debug, Clone, Copy)]
pub struct Search;

impl Gate for Search {
    const METERED: Metered = Metered::Data(Endpoint::JobsSearch);
    const SCOPES: Scopes = Scopes::of(&[Scope::JobsRead]);

    fn required(req: &Request) -> Scopes {
        // The value the handler's `enhance` reads: the first one, decoded, by the parser
        // poem-openapi reads the operation's parameters with (`Request::params`). `true` is the
        // one spelling of true; anything else is false or a 400 from the parameter itself.
        let pairs = req.params::<Vec<(String, String)>>().unwrap_or_default();
        let first = pairs.into_iter().find_map(|(name, value)| (name == "enhance").then_some(value));
        Self::scopes(first.as_deref() == Some("true"))
    }
}

impl Search {
    /// A search's scopes, enhanced (AI extraction) or not.
    pub const fn scopes(enhanced: bool) -> Scopes {
        if enhanced { Self::SCOPES.union(Scopes::of(&[Scope::AiUse])) } else { Self::SCOPES }
    }
}

/// An operation's scopes as the OpenAPI document states them.
pub struct OperationScopes {
    /// Always needed.
    pub scopes: Scopes,
    /// What a parameter adds, in words.
    pub note: Option<&'static str>,
}

const fn always(scopes: Scopes) -> OperationScopes {
    OperationScopes { scopes, note: None }
}

/// The scopes of each authenticated operation, by operation id (the versioned one). A test checks
/// that every secured operation of the document is listed and that each call is refused without
/// them.
pub const OPERATION_SCOPES: &[(&str, OperationScopes)] = &[
    ("search_jobs", OperationScopes { scopes: Search::SCOPES, note: Some("`ai:use` as well with `enhance=true`") }),
    ("salary_stats", always(Salary::SCOPES)),
    ("skill_trends", always(Trends::SCOPES)),
    ("market_insight", always(Insight::SCOPES)),
    ("ai_providers", always(Providers::SCOPES)),
    ("jobs_feed", always(Feed::SCOPES)),
    ("jobs_expired", always(Expired::SCOPES)),
    ("get_job", always(JobGet::SCOPES)),
    ("search_corpus", always(Corpus::SCOPES)),
    ("jobo_jobs_feed", always(Feed::SCOPES)),
    ("jobo_jobs_expired", always(Expired::SCOPES)),
    ("create_application", always(TrackerWrite::SCOPES)),
    ("list_applications", always(TrackerRead::SCOPES)),
    ("application_analytics", always(TrackerRead::SCOPES)),
    ("get_application", always(TrackerRead::SCOPES)),
    ("update_application", always(TrackerWrite::SCOPES)),
    ("delete_application", always(TrackerWrite::SCOPES)),
    ("add_application_event", always(TrackerWrite::SCOPES)),
    ("list_application_events", always(TrackerRead::SCOPES)),
    ("score_application", always(TrackerScore::SCOPES)),
    ("create_saved_search", always(SearchesWrite::SCOPES)),
    ("list_saved_searches", always(SearchesRead::SCOPES)),
    ("get_saved_search", always(SearchesRead::SCOPES)),
    ("update_saved_search", always(SearchesWrite::SCOPES)),
    ("delete_saved_search", always(SearchesWrite::SCOPES)),
    ("list_saved_search_matches", always(SearchMatches::SCOPES)),
    ("list_webhook_deliveries", always(SearchesRead::SCOPES)),
    ("retry_webhook_delivery", always(SearchesWrite::SCOPES)),
    ("test_webhook", always(SearchesWrite::SCOPES)),
    ("create_feed_token", always(SearchesWrite::SCOPES)),
    ("delete_feed_token", always(SearchesWrite::SCOPES)),
    ("get_account", always(Ungated::SCOPES)),
    ("logout", always(Ungated::SCOPES)),
    ("logout_all", always(Keys::SCOPES)),
    ("change_password", always(Keys::SCOPES)),
    ("create_api_key", always(Keys::SCOPES)),
    ("rotate_api_keys", always(Keys::SCOPES)),
    ("revoke_api_key", always(Keys::SCOPES)),
    ("create_checkout", always(Billing::SCOPES)),
    ("create_portal_session", always(Billing::SCOPES)),
];

/// The scopes of the operation with this id (`_unversioned` ids name the same operation).
pub fn operation_scopes(operation_id: &str) -> Option<&'static OperationScopes> {
    let id = operation_id.strip_suffix("_unversioned").unwrap_or(operation_id);
    OPERATION_SCOPES.iter().find(|(op, _)| *op == id).map(|(_, s)| s)
}

/// Adds each secured operation's scopes to the document: `x-required-scopes` (the names) and a
/// line in its description. OpenAPI 3.0 has scopes for OAuth2 schemes only, hence the extension.
pub fn document(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else { return };
    for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
        for op in item.values_mut().filter_map(|o| o.as_object_mut()) {
            if op.get("security").is_none() {
                continue;
            }
            let Some(scopes) = op.get("operationId").and_then(|id| id.as_str()).and_then(operation_scopes) else {
                continue;
            };
            let names = scopes.scopes.names();
            let mut line = if names.is_empty() {
                "**Scopes:** none; any valid key or session token.".to_owned()
            } else {
                let list = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                format!("**Scopes:** {list}")
            };
            if let Some(note) = scopes.note {
                line = format!("{line}; {note}");
            }
            if !names.is_empty() {
                line.push_str(" (403 `insufficient_scope` without).");
            }
            let description = match op.get("description").and_then(|d| d.as_str()) {
                Some(d) if !d.is_empty() => format!("{d}\n\n{line}"),
                _ => line,
            };
            op.insert("description".into(), description.into());
            op.insert("x-required-scopes".into(), serde_json::json!(names));
        }
    }
}

pub use crate::endpoints::{at_path, current_path, path};

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str) -> Request {
        Request::builder().uri(uri.parse().unwrap()).finish()
    }

    #[test]
    fn search_needs_ai_use_only_when_enhanced() {
        let plain = Scopes::of(&[Scope::JobsRead]);
        let enhanced = Scopes::of(&[Scope::JobsRead, Scope::AiUse]);
        assert_eq!(Search::required(&req("/v1/jobs/search?q=rust")), plain);
        assert_eq!(Search::required(&req("/v1/jobs/search?q=rust&enhance=false")), plain);
        assert_eq!(Search::required(&req("/v1/jobs/search?q=rust&enhance=true")), enhanced);
        assert_eq!(Search::required(&req("/jobs/search?enhance=true&q=x")), enhanced);
        assert_eq!(Search::required(&req("/jobs/search?notenhance=true")), plain);
        assert_eq!(Search::required(&req("/jobs/search?enhance=%74rue")), enhanced, "decoded");
        assert_eq!(Search::required(&req("/jobs/search?enh%61nce=true")), enhanced, "decoded");
        assert_eq!(Search::required(&req("/jobs/search?enhance=true&enhance=false")), enhanced, "the first");
        assert_eq!(Search::required(&req("/jobs/search?enhance=false&enhance=true")), plain, "the first");
    }

    #[test]
    fn every_scope_gates_some_documented_operation() {
        let documented = OPERATION_SCOPES.iter().fold(Scopes::NONE, |acc, (_, s)| acc.union(s.scopes));
        assert_eq!(Scopes::ALL.minus(documented), Scopes::NONE);
    }
}
