//! Passwords as received from a client: length-checked, never printed.

use std::fmt;

/// Minimum password length in characters (the JobIn document: "Minimum 8 characters").
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Upper bound so a client cannot make the server hash megabytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A password that meets the length policy. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("password must be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
}

impl Password {
    /// Checks the length policy. Whitespace is significant and kept as sent.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort);
        }
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(raw.to_owned()))
    }

    /// For login: any non-empty string up to the byte limit is checked against the stored hash,
    /// so a password set under an older policy still works.
    pub fn for_login(raw: &str) -> Option<Self> {
        (!raw.is_empty() && raw.len() <= MAX_PASSWORD_BYTES).then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_in_characters() {
        assert_eq!(Password::parse("short").unwrap_err(), PasswordError::TooShort);
        assert_eq!(Password::parse("1234567").unwrap_err(), PasswordError::TooShort);
        assert!(Password::parse("12345678").is_ok());
        // Eight characters of multi-byte text count as eight.
        assert!(Password::parse("éééééééé").is_ok());
        assert_eq!(Password::parse(&"x".repeat(MAX_PASSWORD_BYTES + 1)).unwrap_err(), PasswordError::TooLong);
    }

    #[test]
    fn debug_is_redacted() {
        let p = Password::parse("hunter2hunter2").unwrap();
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }
}
