//! Accounts and the records of their API keys.

use chrono::{DateTime, Utc};
use std::fmt;

use super::{Email, KeyPrefix, Plan, Scopes};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub i64);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub email: Email,
    pub plan: Plan,
    pub created_at: DateTime<Utc>,
}

/// A stored API key as the account sees it: never the key itself, never its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: KeyId,
    pub account_id: AccountId,
    pub name: KeyName,
    pub prefix: KeyPrefix,
    /// What the key may do.
    pub scopes: Scopes,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The login (refresh-token family) whose session minted the key; `None` for the key made at
    /// registration and for keys minted or rotated in by another key.
    pub minted_by_login: Option<String>,
}

/// The public name of a login: derived from its refresh-token family so that listing it (with
/// the account) hands out nothing a request could use, while still telling logins apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoginId(String);

impl LoginId {
    pub fn of(family: &str) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new().chain_update(b"jobin-login:").chain_update(family.as_bytes()).finalize();
        Self(format!("login_{}", hex::encode(&digest[..8])))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key label: 1 to 64 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(String);

pub const KEY_NAME_MAX_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyNameError {
    #[error("name must not be empty")]
    Empty,
    #[error("name must be at most {KEY_NAME_MAX_CHARS} characters")]
    TooLong,
    #[error("name must not contain control characters")]
    Control,
}

impl KeyName {
    pub fn parse(raw: &str) -> Result<Self, KeyNameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(KeyNameError::Empty);
        }
        if name.chars().count() > KEY_NAME_MAX_CHARS {
            return Err(KeyNameError::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(KeyNameError::Control);
        }
        Ok(Self(name.to_owned()))
    }

    /// `Some(raw)` is validated; `None` gives the documented default.
    pub fn parse_or(raw: Option<&str>, default: &'static str) -> Result<Self, KeyNameError> {
        match raw {
            Some(raw) => Self::parse(raw),
            None => Ok(Self(default.to_owned())),
        }
    }

    /// Wraps a name read back from storage (validated when it was written).
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_trimmed_and_bounded() {
        assert_eq!(KeyName::parse("  CI key ").unwrap().as_str(), "CI key");
        assert_eq!(KeyName::parse("   "), Err(KeyNameError::Empty));
        assert_eq!(KeyName::parse(&"n".repeat(65)), Err(KeyNameError::TooLong));
        assert!(KeyName::parse(&"n".repeat(64)).is_ok());
        assert_eq!(KeyName::parse("a\u{7}b"), Err(KeyNameError::Control));
        assert_eq!(KeyName::parse_or(None, "Default Key").unwrap().as_str(), "Default Key");
    }
}
