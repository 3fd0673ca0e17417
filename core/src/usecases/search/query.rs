//! A search's query, parsed once: what the client sent ([`SearchRequest`]) becomes a
//! [`SearchQuery`] at the edge, and everything after — the answer copies, the search cache, the
//! fan-out, the analytics' corpus — reads that one value and its [`SearchQuery::key`].

use crate::domain::normalize::fold;
use crate::domain::{Country, FieldError, Plan};
use crate::{Code, ErrorCode};

/// Longest accepted `q` and `location`, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// What the client asked, before validation.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: Option<String>,
    pub location: Option<String>,
    /// Defaults to `gb`.
    pub country: Option<String>,
    pub remote: bool,
    pub plan: Option<Plan>,
}

/// A query that cannot be searched: the field and why.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Invalid(FieldError),
}

impl ErrorCode for SearchError {
    fn code(&self) -> Code {
        match self {
            SearchError::Invalid(_) => Code::ValidationFailed,
        }
    }
}

/// A validated query: `q` trimmed and non-blank, `location` trimmed (blank is none), `country`
/// known (`gb` by default), the caller's plan (Free by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    q: String,
    location: Option<String>,
    country: Country,
    remote: bool,
    plan: Plan,
}

impl SearchQuery {
    /// Checks what the client sent; the error names the field.
    pub fn parse(req: SearchRequest) -> Result<Self, SearchError> {
        let invalid = |field, reason| Err(SearchError::Invalid(FieldError::new(field, reason)));
        let q = req.q.as_deref().map(str::trim).unwrap_or_default();
        if q.is_empty() {
            return invalid("q", "is required and must not be blank");
        }
        if q.chars().count() > MAX_QUERY_CHARS {
            return invalid("q", "must be at most 200 characters");
        }
        let location = req.location.as_deref().map(str::trim).filter(|l| !l.is_empty());
        if location.is_some_and(|l| l.chars().count() > MAX_QUERY_CHARS) {
            return invalid("location", "must be at most 200 characters");
        }
        let country = match req.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => Country::Gb,
            Some(raw) => Country::parse(raw).map_err(|e| SearchError::Invalid(FieldError::new("country", e)))?,
        };
        Ok(Self {
            q: q.to_owned(),
            location: location.map(str::to_owned),
            country,
            remote: req.remote,
            plan: req.plan.unwrap_or(Plan::Free),
        })
    }

    /// The query's identity for every cache keyed by it: plan, country, remote, and `q` and
    /// `location` folded (case, accents and spacing do not make another query).
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.plan,
            self.country,
            u8::from(self.remote),
            fold(&self.q),
            self.location.as_deref().map(fold).unwrap_or_default()
        )
    }

    pub fn q(&self) -> &str {
        &self.q
    }

    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    pub fn country(&self) -> Country {
        self.country
    }

    pub fn remote(&self) -> bool {
        self.remote
    }

    pub fn plan(&self) -> Plan {
        self.plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: SearchRequest) -> &'static str {
        let Err(SearchError::Invalid(f)) = SearchQuery::parse(r) else { panic!("accepted") };
        f.field
    }

    fn req(q: &str) -> SearchRequest {
        SearchRequest { q: Some(q.into()), ..Default::default() }
    }

    #[test]
    fn a_query_is_checked_field_by_field() {
        assert_eq!(field(req("  ")), "q");
        assert_eq!(field(req(&"x".repeat(201))), "q");
        assert!(SearchQuery::parse(req(&"é".repeat(200))).is_ok(), "characters, not bytes");
        let long_place = SearchRequest { location: Some("y".repeat(201)), ..req("rust") };
        assert_eq!(field(long_place), "location");
        let unknown = SearchRequest { country: Some("xx".into()), ..req("rust") };
        let Err(SearchError::Invalid(f)) = SearchQuery::parse(unknown) else { panic!("accepted") };
        assert_eq!(
            (f.field, f.reason.as_str()),
            (
                "country",
                "unsupported country `xx`; supported: gb, us, au, ca, de, fr, at, be, br, ch, cz, es, in, it, mx, nl, nz, pl, sg, za"
            )
        );
        assert_eq!(field(SearchRequest::default()), "q");
        let q = SearchQuery::parse(SearchRequest { location: Some("  ".into()), ..req(" rust ") }).unwrap();
        assert_eq!((q.q(), q.location(), q.country(), q.plan()), ("rust", None, Country::Gb, Plan::Free));
    }

    #[test]
    fn the_key_folds_what_does_not_make_another_query_and_keeps_what_does() {
        let key = |r: SearchRequest| SearchQuery::parse(r).unwrap().key();
        let base = key(SearchRequest { location: Some("London".into()), ..req("Rust Developer") });
        assert_eq!(base, "free:gb:0:rust developer:london");
        assert_eq!(key(SearchRequest { location: Some(" LONDON ".into()), ..req("  rust   developer") }), base);
        assert_ne!(key(SearchRequest { remote: true, location: Some("London".into()), ..req("rust developer") }), base);
        let pro = SearchRequest { plan: Some(Plan::Pro), location: Some("London".into()), ..req("rust developer") };
        assert_ne!(key(pro), base, "each plan asks other boards");
    }
}
