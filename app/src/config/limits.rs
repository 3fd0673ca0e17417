//! Process limits: connection bounds, concurrent password hashes, the longest a login lasts.

use std::time::Duration;

use super::ConfigError;
use super::env::Vars;
use crate::listener::{ConnectionSettings, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_IP};

/// `JOBIN_MAX_CONNECTIONS` (default 4096, lowered at start-up to what the open-files limit holds),
/// `JOBIN_HEADER_READ_TIMEOUT_SECS` (default 10: a request head must arrive within this of the
/// server waiting for it, which also closes idle keep-alive connections), `JOBIN_IDLE_TIMEOUT_SECS`
/// (default 60: no byte either way for this long closes the connection).
pub fn connections(v: &Vars<'_>) -> Result<ConnectionSettings, ConfigError> {
    let defaults = ConnectionSettings::default();
    Ok(ConnectionSettings {
        max_connections: v.number("JOBIN_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS as u64, 1, 1_000_000)? as usize,
        max_per_ip: v.number("JOBIN_MAX_CONNECTIONS_PER_IP", DEFAULT_MAX_PER_IP as u64, 1, 1_000_000)? as usize,
        body_read_timeout: Duration::from_secs(v.number(
            "JOBIN_BODY_READ_TIMEOUT_SECS",
            defaults.body_read_timeout.as_secs(),
            1,
            3_600,
        )?),
        header_read_timeout: Duration::from_secs(v.number(
            "JOBIN_HEADER_READ_TIMEOUT_SECS",
            defaults.header_read_timeout.as_secs(),
            1,
            3_600,
        )?),
        idle_timeout: Duration::from_secs(v.number(
            "JOBIN_IDLE_TIMEOUT_SECS",
            defaults.idle_timeout.as_secs(),
            1,
            3_600,
        )?),
    })
}

/// `JOBIN_PASSWORD_HASH_CONCURRENCY`: argon2 hashes run at once (19 MiB each); default the number
/// of CPUs, so a login burst costs at most that many buffers.
pub fn hash_concurrency(v: &Vars<'_>) -> Result<usize, ConfigError> {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) as u64;
    Ok(v.number("JOBIN_PASSWORD_HASH_CONCURRENCY", cpus, 1, 256)? as usize)
}

/// `JOBIN_SESSION_MAX_AGE` (default `30d`): the longest a login lasts from its password being
/// proved, however often it is refreshed; then the owner logs in again. Between 5 minutes and
/// 365 days; `off` is refused (a login must end).
pub fn session_max_age(v: &Vars<'_>) -> Result<Duration, ConfigError> {
    const NAME: &str = "JOBIN_SESSION_MAX_AGE";
    let default = format!("{}d", jobin_core::usecases::login::DEFAULT_MAX_LOGIN_AGE_DAYS);
    match v.duration(NAME, &default)? {
        Some(d) if (300..=365 * 86_400).contains(&d.as_secs()) => Ok(d),
        _ => Err(super::env::err(NAME, "must be a duration between 5m and 365d (such as 12h, 7d or 30d)")),
    }
}
