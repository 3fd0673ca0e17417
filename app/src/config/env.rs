//! Reading `JOBIN_*` values: the lookup (the environment, or a map in tests), typed readers that
//! name the variable in every error, and secret-safe display of URLs.

use secrecy::SecretString;
use std::fmt;
use std::time::Duration;

/// A configuration error: the variable and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.message)
    }
}

impl std::error::Error for ConfigError {}

pub fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { var, message: message.into() }
}

/// Minimum length of JOBIN_JWT_SECRET and JOBIN_KEY_PEPPER.
pub const MIN_SECRET_BYTES: usize = 32;

/// The variables, read through one lookup. Values are trimmed; empty values count as unset.
pub struct Vars<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Vars<'a> {
    pub fn new(get: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { get }
    }

    pub fn var(&self, name: &str) -> Option<String> {
        (self.get)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// A key or password: kept secret, never checked beyond being set.
    pub fn key(&self, name: &str) -> Option<SecretString> {
        self.var(name).map(SecretString::from)
    }

    /// A server secret of at least [`MIN_SECRET_BYTES`].
    pub fn secret(&self, name: &'static str) -> Result<Option<SecretString>, ConfigError> {
        match self.var(name) {
            None => Ok(None),
            Some(v) if v.len() < MIN_SECRET_BYTES => {
                Err(err(name, format!("must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)")))
            }
            Some(v) => Ok(Some(SecretString::from(v))),
        }
    }

    /// An `http://` or `https://` URL without its trailing `/`.
    pub fn base_url(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        match self.var(name) {
            None => Ok(default.to_owned()),
            Some(v) if is_http_url(&v) => Ok(v.trim_end_matches('/').to_owned()),
            Some(v) => Err(err(name, format!("`{v}` is not an http:// or https:// URL"))),
        }
    }

    /// A whole number in `min..=max`.
    pub fn number(&self, name: &'static str, default: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
        match self.var(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| err(name, format!("`{v}` is not a number between {min} and {max}"))),
        }
    }

    /// A duration such as `90s`, `30m`, `2h` or `7d`; `off` is `None`.
    pub fn duration(&self, name: &'static str, default: &str) -> Result<Option<Duration>, ConfigError> {
        let raw = self.var(name).unwrap_or_else(|| default.to_owned());
        parse_duration(&raw)
            .ok_or_else(|| err(name, format!("`{raw}` is not a duration such as 90s, 30m, 2h or 7d (or `off`)")))
    }
}

pub fn is_http_url(v: &str) -> bool {
    (v.starts_with("https://") || v.starts_with("http://")) && !v.contains(char::is_whitespace)
}

/// `90s`, `30m`, `2h`, `7d` (a plain number is seconds); `off` or `0` is `None`.
pub fn parse_duration(raw: &str) -> Option<Option<Duration>> {
    let raw = raw.trim().to_ascii_lowercase();
    if raw == "off" || raw == "0" {
        return Some(None);
    }
    let (num, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = num.parse().ok().filter(|n| *n > 0)?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3_600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Some(Duration::from_secs(secs)))
}

/// The non-empty, trimmed items of a comma-separated value.
pub fn comma_items(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// `postgres://user:pw@host/db` → `postgres://user:***@host/db`, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
