//! API keys: `jl_live_` + 64 lowercase hex characters (72 in all), shown once, stored only as a
//! peppered hash; the display prefix (`jl_live_ab12****`) is what clients see afterwards.

use std::fmt;

pub const KEY_PREFIX: &str = "jl_live_";
/// Hex characters after `jl_live_`.
pub const KEY_HEX_LEN: usize = 64;
/// Hex characters of the key shown in its display prefix.
pub const PREFIX_HEX_LEN: usize = 4;
const MASK: &str = "****";

/// A full API key. Its `Debug` shows only the display prefix.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("API keys start with `jl_live_` followed by 64 lowercase hex characters")]
    Malformed,
    #[error("key prefixes look like `jl_live_ab12****` (as the account's key list shows them)")]
    MalformedPrefix,
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl ApiKeySecret {
    /// Builds a key from 32 random bytes (the caller draws them from a CSPRNG).
    pub fn from_random(bytes: [u8; 32]) -> Self {
        Self(format!("{KEY_PREFIX}{}", hex::encode(bytes)))
    }

    /// Checks the format only; whether the key exists is the key store's business. Cheap, so a
    /// malformed key is rejected before any lookup.
    pub fn parse(raw: &str) -> Result<Self, KeyFormatError> {
        match raw.strip_prefix(KEY_PREFIX) {
            Some(hex) if hex.len() == KEY_HEX_LEN && is_lower_hex(hex) => Ok(Self(raw.to_owned())),
            _ => Err(KeyFormatError::Malformed),
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn prefix(&self) -> KeyPrefix {
        KeyPrefix(self.0[..KEY_PREFIX.len() + PREFIX_HEX_LEN].to_owned())
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeySecret({})", self.prefix())
    }
}

/// The public handle of a key: `jl_live_` + its first four hex characters. Displayed with a
/// `****` mask; parsed with or without it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyPrefix(String);

impl KeyPrefix {
    pub fn parse(raw: &str) -> Result<Self, KeyFormatError> {
        let bare = raw.strip_suffix(MASK).unwrap_or(raw);
        match bare.strip_prefix(KEY_PREFIX) {
            Some(hex) if hex.len() == PREFIX_HEX_LEN && is_lower_hex(hex) => Ok(Self(bare.to_owned())),
            _ => Err(KeyFormatError::MalformedPrefix),
        }
    }

    /// The masked form clients see, e.g. `jl_live_ab12****`.
    pub fn display(&self) -> String {
        format!("{}{MASK}", self.0)
    }
}

impl fmt::Display for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{MASK}", self.0)
    }
}

impl fmt::Debug for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPrefix({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn generated_keys_have_the_documented_format(bytes in any::<[u8; 32]>()) {
            let key = ApiKeySecret::from_random(bytes);
            let s = key.expose();
            prop_assert_eq!(s.len(), 72);
            prop_assert!(s.starts_with("jl_live_"));
            prop_assert!(is_lower_hex(&s[8..]));
            prop_assert_eq!(ApiKeySecret::parse(s).unwrap(), key.clone());
            let shown = key.prefix().display();
            prop_assert_eq!(shown.len(), 16);
            prop_assert_eq!(&shown[..12], &s[..12]);
            prop_assert!(shown.ends_with("****"));
            prop_assert_eq!(KeyPrefix::parse(&shown).unwrap(), key.prefix());
            prop_assert_eq!(KeyPrefix::parse(&shown[..12]).unwrap(), key.prefix());
            // The secret part never leaks through Debug.
            let debug = format!("{:?}", key);
            prop_assert!(!debug.contains(&s[12..]));
        }

        #[test]
        fn parse_accepts_exactly_the_documented_format(raw in "\\PC{0,80}") {
            let ok = raw.len() == 72
                && raw.starts_with("jl_live_")
                && is_lower_hex(&raw[8..]);
            prop_assert_eq!(ApiKeySecret::parse(&raw).is_ok(), ok);
        }

        #[test]
        fn prefix_parse_never_panics(raw in "\\PC{0,30}") {
            let _ = KeyPrefix::parse(&raw);
        }
    }

    #[test]
    fn rejects_near_misses() {
        let good = format!("jl_live_{}", "a".repeat(64));
        assert!(ApiKeySecret::parse(&good).is_ok());
        for bad in [
            format!("jl_live_{}", "A".repeat(64)),
            format!("jl_live_{}", "a".repeat(63)),
            format!("jl_live_{}", "a".repeat(65)),
            format!("jl_test_{}", "a".repeat(64)),
            format!("jl_live_{}g", "a".repeat(63)),
            String::new(),
        ] {
            assert_eq!(ApiKeySecret::parse(&bad), Err(KeyFormatError::Malformed), "{bad}");
        }
        for bad in ["jl_live_ab1", "jl_live_ab123", "jl_live_AB12****", "ab12****", "jl_live_ab12***"] {
            assert_eq!(KeyPrefix::parse(bad), Err(KeyFormatError::MalformedPrefix), "{bad}");
        }
    }
}
