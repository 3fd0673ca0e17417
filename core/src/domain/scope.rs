//! Scopes of API keys: what a key may do. A key holds a set of them (all by default); a login
//! session holds [`Scopes::SESSION`]. The names are part of the API and never change.

use std::fmt;

/// One permission. The order of [`Scope::ALL`] is the order lists are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Job search, the feed and expired streams, single jobs.
    JobsRead,
    /// Salary percentiles, skill trends, market insight.
    AnalyticsRead,
    /// AI use: `enhance=true` on a search and the AI provider list.
    AiUse,
    /// Creating, rotating and revoking API keys.
    KeysWrite,
    /// Starting checkouts and opening the billing portal.
    BillingWrite,
    /// Reading the application tracker.
    ApplicationsRead,
    /// Changing the application tracker.
    ApplicationsWrite,
    /// Reading saved searches and what they matched.
    SearchesRead,
    /// Creating, changing and deleting saved searches.
    SearchesWrite,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`; scopes are {list}", list = Scope::names().join(", "))]
pub struct UnknownScope(pub String);

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::JobsRead,
        Scope::AnalyticsRead,
        Scope::AiUse,
        Scope::KeysWrite,
        Scope::BillingWrite,
        Scope::ApplicationsRead,
        Scope::ApplicationsWrite,
        Scope::SearchesRead,
        Scope::SearchesWrite,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::JobsRead => "jobs:read",
            Scope::AnalyticsRead => "analytics:read",
            Scope::AiUse => "ai:use",
            Scope::KeysWrite => "keys:write",
            Scope::BillingWrite => "billing:write",
            Scope::ApplicationsRead => "applications:read",
            Scope::ApplicationsWrite => "applications:write",
            Scope::SearchesRead => "searches:read",
            Scope::SearchesWrite => "searches:write",
        }
    }

    /// What the scope allows, for documentation.
    pub const fn describe(self) -> &'static str {
        match self {
            Scope::JobsRead => "search jobs, read the feed and expired streams and single jobs",
            Scope::AnalyticsRead => "salary percentiles, skill trends and market insight",
            Scope::AiUse => "AI use: `enhance=true` on a search and the AI provider list",
            Scope::KeysWrite => "create, rotate and revoke API keys",
            Scope::BillingWrite => "start checkouts and open the billing portal",
            Scope::ApplicationsRead => "read the application tracker",
            Scope::ApplicationsWrite => "change the application tracker",
            Scope::SearchesRead => "read saved searches and the jobs they matched",
            Scope::SearchesWrite => "create, change and delete saved searches",
        }
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|s| s.as_str()).collect()
    }

    /// Exact, case-sensitive names only (`jobs:read`), so a stored or sent name means one thing.
    pub fn parse(raw: &str) -> Result<Self, UnknownScope> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw).ok_or_else(|| UnknownScope(raw.to_owned()))
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scopes(u16);

impl Scopes {
    pub const NONE: Scopes = Scopes(0);
    pub const ALL: Scopes = Scopes::of(&Scope::ALL);
    /// What a login session may do: manage keys and billing (the key-recovery flow), use the
    /// application tracker (with its AI fit scores) and manage saved searches; no job data.
    pub const SESSION: Scopes = Scopes::of(&[
        Scope::AiUse,
        Scope::KeysWrite,
        Scope::BillingWrite,
        Scope::ApplicationsRead,
        Scope::ApplicationsWrite,
        Scope::SearchesRead,
        Scope::SearchesWrite,
    ]);

    pub const fn of(scopes: &[Scope]) -> Scopes {
        let mut bits = 0;
        let mut i = 0;
        while i < scopes.len() {
            bits |= scopes[i].bit();
            i += 1;
        }
        Scopes(bits)
    }

    pub const fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn union(self, other: Scopes) -> Scopes {
        Scopes(self.0 | other.0)
    }

    pub const fn intersection(self, other: Scopes) -> Scopes {
        Scopes(self.0 & other.0)
    }

    /// The scopes of `self` that `other` lacks.
    pub const fn minus(self, other: Scopes) -> Scopes {
        Scopes(self.0 & !other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Scope::as_str).collect()
    }

    /// The first scope in [`Scope::ALL`] order, if any.
    pub fn first(self) -> Option<Scope> {
        self.iter().next()
    }

    /// Parses a list of names; duplicates are folded. An empty list is an empty set (the caller
    /// decides whether that is allowed).
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Scopes, UnknownScope> {
        names.into_iter().try_fold(Scopes::NONE, |acc, name| Ok(acc.union(Scopes::of(&[Scope::parse(name)?]))))
    }

    /// The stored form: names separated by single spaces, in [`Scope::ALL`] order.
    pub fn to_stored(self) -> String {
        self.names().join(" ")
    }

    /// Reads the stored form back; empty means no scopes.
    pub fn from_stored(stored: &str) -> Result<Scopes, UnknownScope> {
        Self::parse(stored.split_ascii_whitespace())
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_the_documented_ones() {
        assert_eq!(
            Scope::names(),
            [
                "jobs:read",
                "analytics:read",
                "ai:use",
                "keys:write",
                "billing:write",
                "applications:read",
                "applications:write",
                "searches:read",
                "searches:write"
            ]
        );
        assert_eq!(
            Scopes::SESSION.names(),
            [
                "ai:use",
                "keys:write",
                "billing:write",
                "applications:read",
                "applications:write",
                "searches:read",
                "searches:write"
            ]
        );
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Ok(s));
        }
        for bad in ["JOBS:READ", "jobs:write", "jobs", "", " jobs:read"] {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
        let e = Scope::parse("jobs:write").unwrap_err().to_string();
        assert!(e.contains("jobs:write") && e.contains("analytics:read"), "{e}");
    }

    proptest! {
        #[test]
        fn stored_form_round_trips(bits in 0u16..(1 << Scope::ALL.len())) {
            let set = Scopes(bits);
            prop_assert_eq!(Scopes::from_stored(&set.to_stored()).unwrap(), set);
            prop_assert_eq!(set.iter().count(), bits.count_ones() as usize);
            prop_assert_eq!(set.union(Scopes::ALL), Scopes::ALL);
            prop_assert!(set.minus(set).is_empty());
            prop_assert_eq!(set.minus(Scopes::NONE), set);
            prop_assert_eq!(set.intersection(Scopes::ALL), set);
        }
    }

    #[test]
    fn parse_folds_duplicates_and_names_the_unknown() {
        let s = Scopes::parse(["ai:use", "jobs:read", "ai:use"]).unwrap();
        assert_eq!(s.names(), ["jobs:read", "ai:use"]);
        assert_eq!(Scopes::parse(["jobs:read", "nope"]), Err(UnknownScope("nope".into())));
        assert!(Scopes::parse([]).unwrap().is_empty());
    }
}
