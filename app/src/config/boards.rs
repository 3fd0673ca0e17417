//! The job boards (`JOBIN_<BOARD>_*`), search tuning (`JOBIN_SOURCE_*`, `JOBIN_SEARCH_*`) and the
//! demo boards (`JOBIN_DEMO*`).

use jobin_core::domain::SourceId;
use secrecy::SecretString;

use super::env::{ConfigError, Vars, comma_items, err};

/// The six boards' base URLs (the adapter appends the documented path) and credentials.
#[derive(Clone)]
pub struct BoardsConfig {
    pub adzuna_base_url: String,
    /// `(app_id, app_key)`; both or neither.
    pub adzuna_credentials: Option<(String, SecretString)>,
    pub reed_base_url: String,
    pub reed_api_key: Option<SecretString>,
    pub remotive_base_url: String,
    pub findwork_base_url: String,
    pub findwork_api_key: Option<SecretString>,
    pub arbeitnow_base_url: String,
    pub themuse_base_url: String,
    pub themuse_api_key: Option<SecretString>,
}

impl BoardsConfig {
    pub(super) fn read(v: &Vars) -> Result<Self, ConfigError> {
        let adzuna_credentials = match (v.var("JOBIN_ADZUNA_APP_ID"), v.key("JOBIN_ADZUNA_APP_KEY")) {
            (Some(id), Some(k)) => Some((id, k)),
            (None, None) => None,
            (Some(_), None) => return Err(err("JOBIN_ADZUNA_APP_KEY", "is required when JOBIN_ADZUNA_APP_ID is set")),
            (None, Some(_)) => return Err(err("JOBIN_ADZUNA_APP_ID", "is required when JOBIN_ADZUNA_APP_KEY is set")),
        };
        Ok(Self {
            adzuna_base_url: v.base_url("JOBIN_ADZUNA_BASE_URL", "https://api.adzuna.com/v1/api")?,
            adzuna_credentials,
            reed_base_url: v.base_url("JOBIN_REED_BASE_URL", "https://www.reed.co.uk/api/1.0")?,
            reed_api_key: v.key("JOBIN_REED_API_KEY"),
            remotive_base_url: v.base_url("JOBIN_REMOTIVE_BASE_URL", "https://remotive.com/api")?,
            findwork_base_url: v.base_url("JOBIN_FINDWORK_BASE_URL", "https://findwork.dev/api")?,
            findwork_api_key: v.key("JOBIN_FINDWORK_API_KEY"),
            arbeitnow_base_url: v.base_url("JOBIN_ARBEITNOW_BASE_URL", "https://www.arbeitnow.com/api")?,
            themuse_base_url: v.base_url("JOBIN_THEMUSE_BASE_URL", "https://www.themuse.com/api/public")?,
            themuse_api_key: v.key("JOBIN_THEMUSE_API_KEY"),
        })
    }

    /// The settings that configure `source` (for messages that say what to set).
    pub fn settings(source: jobin_core::domain::SourceId) -> &'static str {
        use jobin_core::domain::SourceId;
        match source {
            SourceId::Adzuna => "JOBIN_ADZUNA_APP_ID and JOBIN_ADZUNA_APP_KEY",
            SourceId::Reed => "JOBIN_REED_API_KEY",
            SourceId::Findwork => "JOBIN_FINDWORK_API_KEY",
            SourceId::TheMuse => "JOBIN_THEMUSE_API_KEY",
            SourceId::Remotive | SourceId::Arbeitnow => "no key (it is keyless)",
            SourceId::Import => "JOBIN_IMPORT_FILE",
        }
    }

    /// Whether searches can ask `source` with this configuration (keyless boards always can; The
    /// Muse's key is optional).
    pub fn reachable(&self, source: jobin_core::domain::SourceId) -> bool {
        use jobin_core::domain::SourceId;
        match source {
            SourceId::Adzuna => self.adzuna_credentials.is_some(),
            SourceId::Reed => self.reed_api_key.is_some(),
            SourceId::Findwork => self.findwork_api_key.is_some(),
            SourceId::Remotive | SourceId::Arbeitnow | SourceId::TheMuse => true,
            SourceId::Import => false,
        }
    }

    /// The keyed boards that have their credentials (for logs: names only, never keys).
    pub fn configured(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.adzuna_credentials.is_some() {
            out.push("adzuna");
        }
        if self.reed_api_key.is_some() {
            out.push("reed");
        }
        if self.findwork_api_key.is_some() {
            out.push("findwork");
        }
        if self.themuse_api_key.is_some() {
            out.push("themuse");
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchSettings {
    pub source_timeout_ms: u64,
    pub per_source_limit: usize,
    pub cache_secs: u64,
}

impl SearchSettings {
    pub(super) fn read(v: &Vars) -> Result<Self, ConfigError> {
        Ok(Self {
            source_timeout_ms: v.number("JOBIN_SOURCE_TIMEOUT_MS", 8_000, 100, 60_000)?,
            per_source_limit: v.number("JOBIN_SOURCE_RESULT_CAP", 50, 1, 500)? as usize,
            cache_secs: v.number("JOBIN_SEARCH_CACHE_SECS", 900, 1, 86_400)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSettings {
    /// Base latency of the fake boards (each board answers at a multiple of it).
    pub latency_ms: u64,
    /// Fake boards that answer HTTP 500.
    pub failing: Vec<SourceId>,
    pub seed: u64,
}

impl DemoSettings {
    /// The demo settings (`JOBIN_DEMO_*`) and whether demo mode is on (`JOBIN_DEMO`).
    pub(super) fn read(v: &Vars) -> Result<(Self, bool), ConfigError> {
        let failing = match v.var("JOBIN_DEMO_FAILING") {
            None => Vec::new(),
            Some(list) => comma_items(&list)
                .map(|s| {
                    SourceId::parse(s).ok_or_else(|| {
                        err(
                            "JOBIN_DEMO_FAILING",
                            format!("unknown board `{s}` (adzuna, remotive, findwork, reed, arbeitnow, themuse)"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let settings = Self { latency_ms: v.number("JOBIN_DEMO_LATENCY_MS", 60, 0, 60_000)?, failing, seed: 42 };
        let on = match v.var("JOBIN_DEMO").as_deref() {
            None | Some("0" | "false") => false,
            Some("1" | "true") => true,
            Some(other) => return Err(err("JOBIN_DEMO", format!("`{other}` is not 1/true or 0/false"))),
        };
        Ok((settings, on))
    }
}
