//! Email addresses: validated and normalized (trimmed, lower-cased) so one mailbox is one account.

use std::fmt;

/// A syntactically valid, normalized email address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why an email address was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("email is required")]
    Empty,
    #[error("email must be at most 254 characters")]
    TooLong,
    #[error("email must contain exactly one '@' with text on both sides")]
    Shape,
    #[error(
        "the part before '@' is not valid (letters, digits and .!#$%&'*+/=?^_`{{|}}~- only; no leading, trailing or double dots; at most 64 characters)"
    )]
    LocalPart,
    #[error(
        "the domain is not valid (dot-separated labels of letters, digits and hyphens, ending in a top-level domain of letters)"
    )]
    Domain,
}

impl Email {
    /// Parses and normalizes: surrounding whitespace is trimmed and the address is lower-cased.
    /// Quoted local parts, IP-literal domains and non-ASCII addresses are not accepted.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let normalized = trimmed.to_ascii_lowercase();
        let (local, domain) = match normalized.split_once('@') {
            Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@') => (l, d),
            _ => return Err(EmailError::Shape),
        };
        if !valid_local(local) {
            return Err(EmailError::LocalPart);
        }
        if !valid_domain(domain) {
            return Err(EmailError::Domain);
        }
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_local(local: &str) -> bool {
    const SPECIALS: &str = ".!#$%&'*+/=?^_`{|}~-";
    local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 || domain.len() > 253 {
        return false;
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let tld = labels[labels.len() - 1];
    labels.iter().all(label_ok) && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalizes_case_and_whitespace() {
        let e = Email::parse("  Dev.Ops+jobs@Example.CO.uk \n").unwrap();
        assert_eq!(e.as_str(), "dev.ops+jobs@example.co.uk");
    }

    #[test]
    fn rejects_malformed_addresses() {
        for (raw, err) in [
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            ("no-at-sign", EmailError::Shape),
            ("a@b@c.com", EmailError::Shape),
            ("@example.com", EmailError::Shape),
            ("dev@", EmailError::Shape),
            (".dev@example.com", EmailError::LocalPart),
            ("de..v@example.com", EmailError::LocalPart),
            ("d ev@example.com", EmailError::LocalPart),
            ("dev@localhost", EmailError::Domain),
            ("dev@-example.com", EmailError::Domain),
            ("dev@example.c0m", EmailError::Domain),
            ("dev@exa_mple.com", EmailError::Domain),
            ("dév@example.com", EmailError::LocalPart),
        ] {
            assert_eq!(Email::parse(raw), Err(err), "input {raw:?}");
        }
        assert_eq!(Email::parse(&format!("{}@example.com", "a".repeat(65))), Err(EmailError::LocalPart));
        assert_eq!(Email::parse(&format!("a@{}.com", "b".repeat(250))), Err(EmailError::TooLong));
    }

    fn local_part() -> impl Strategy<Value = String> {
        "[A-Za-z0-9+_-]{1,20}(\\.[A-Za-z0-9+_-]{1,10}){0,2}"
    }

    fn domain() -> impl Strategy<Value = String> {
        "[A-Za-z0-9]{1,15}(\\.[A-Za-z0-9]{1,10}){0,2}\\.[A-Za-z]{2,6}"
    }

    proptest! {
        #[test]
        fn normalization_is_idempotent_and_case_insensitive(
            local in local_part(), dom in domain(), pad in "[ \t]{0,3}"
        ) {
            let raw = format!("{pad}{local}@{dom}{pad}");
            let parsed = Email::parse(&raw).unwrap();
            prop_assert_eq!(parsed.as_str(), format!("{local}@{dom}").to_ascii_lowercase());
            prop_assert_eq!(Email::parse(parsed.as_str()).unwrap(), parsed.clone());
            prop_assert_eq!(Email::parse(&raw.to_ascii_uppercase()).unwrap(), parsed);
        }

        #[test]
        fn never_panics_and_output_is_normalized(raw in "\\PC{0,80}") {
            if let Ok(e) = Email::parse(&raw) {
                prop_assert_eq!(e.as_str(), e.as_str().trim());
                prop_assert!(!e.as_str().chars().any(|c| c.is_ascii_uppercase()));
                prop_assert_eq!(e.as_str().matches('@').count(), 1);
            }
        }
    }
}
