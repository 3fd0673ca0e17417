//! Session refresh: spends a refresh token and returns a new pair in the same family. A token
//! presented twice revokes its whole family (the legitimate holder must log in again). Refreshing
//! never extends a login past its maximum age, counted from the login itself.

use std::sync::Arc;

use crate::ports::{KeyStore, KeyStoreError, RefreshOutcome};
use crate::usecases::{SessionIssuer, SessionTokens, store_code};
use crate::{Code, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("The refresh token is not valid.")]
    Invalid,
    #[error("The refresh token has expired; log in again.")]
    Expired,
    #[error("This login has reached its maximum age ({}); log in again.", spoken(*.max_age))]
    LoginTooOld { max_age: chrono::Duration },
    #[error("This refresh token was already used; every session of its login has been revoked. Log in again.")]
    Reused,
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for RefreshError {
    fn code(&self) -> Code {
        match self {
            RefreshError::Invalid => Code::InvalidCredentials,
            RefreshError::Expired | RefreshError::LoginTooOld { .. } => Code::TokenExpired,
            RefreshError::Reused => Code::RefreshTokenReused,
            RefreshError::Store(e) => store_code(e),
        }
    }
}

/// `30 days`, `12 hours`, `90 seconds`: the largest whole unit.
fn spoken(d: chrono::Duration) -> String {
    let secs = d.num_seconds();
    let (n, unit) = match secs {
        s if s % 86_400 == 0 => (s / 86_400, "day"),
        s if s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

pub struct Refresh {
    pub store: Arc<dyn KeyStore>,
    pub sessions: SessionIssuer,
}

impl Refresh {
    pub async fn execute(&self, refresh_token: &str) -> Result<SessionTokens, RefreshError> {
        let token = refresh_token.trim();
        // Our tokens are 64 hex characters; anything else cannot match and is not looked up.
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RefreshError::Invalid);
        }
        let now = self.sessions.clock.now();
        let hash = self.sessions.hasher.hash(token);
        match self.store.consume_refresh_token(&hash, now).await.map_err(RefreshError::Store)? {
            RefreshOutcome::Valid { login_started_at, .. } if self.sessions.login_ends_at(login_started_at) <= now => {
                Err(RefreshError::LoginTooOld { max_age: self.sessions.max_login_age })
            }
            RefreshOutcome::Valid { expires_at, .. } if expires_at <= now => Err(RefreshError::Expired),
            RefreshOutcome::Valid { account_id, family, login_started_at, .. } => {
                self.sessions.issue(account_id, family, login_started_at).await.map_err(RefreshError::Store)
            }
            RefreshOutcome::Reused { .. } => Err(RefreshError::Reused),
            RefreshOutcome::Unknown => Err(RefreshError::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, SecretHasher};
    use crate::ports::TokenError;
    use crate::ports::key_store::MockKeyStore;
    use crate::ports::token::MockTokenSigner;
    use crate::testing::{CountingEntropy, FixedClock};
    use chrono::{DateTime, Duration, Utc};

    /// Tokens that are their expiry (so a test reads what was issued); none verifies.
    fn expiry_signer() -> MockTokenSigner {
        let mut signer = MockTokenSigner::new();
        signer.expect_issue().returning(|c, _| c.expires_at.timestamp().to_string());
        signer.expect_verify().returning(|_, _| Err(TokenError::Invalid));
        signer
    }

    const NOW: i64 = 10 * 86_400;
    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(secs, 0).unwrap()
    }

    /// A refresh whose login began at `started` (and whose token is valid), with a 30-day maximum.
    fn refresh(started: i64, store: MockKeyStore) -> Refresh {
        let mut store = store;
        store.expect_consume_refresh_token().returning(move |_, _| {
            Ok(RefreshOutcome::Valid {
                account_id: AccountId(1),
                family: "fam".into(),
                login_started_at: at(started),
                expires_at: at(NOW + 86_400),
            })
        });
        let store: Arc<dyn KeyStore> = Arc::new(store);
        Refresh {
            store: store.clone(),
            sessions: SessionIssuer {
                store,
                signer: Arc::new(expiry_signer()),
                hasher: SecretHasher::new(b"p".to_vec()),
                entropy: Arc::new(CountingEntropy::default()),
                clock: Arc::new(FixedClock::at(NOW)),
                max_login_age: Duration::days(30),
            },
        }
    }

    #[tokio::test]
    async fn refreshing_keeps_the_login_start_and_never_outlives_the_maximum_age() {
        // The login began 29 days and 23 hours before the refresh: an hour of it is left.
        let started = NOW + 3_600 - 30 * 86_400;
        let mut store = MockKeyStore::new();
        store
            .expect_insert_refresh_token()
            .times(1)
            .withf(move |t, now| {
                t.family == "fam"
                    && t.login_started_at == at(started)
                    && t.expires_at == at(NOW + 3_600)
                    && *now == at(NOW)
            })
            .returning(|_, _| Ok(()));
        let tokens = refresh(started, store).execute(TOKEN).await.unwrap();
        assert_eq!(tokens.login_expires_at, at(NOW + 3_600));
        // 3,600 s is also the access token's usual life; take a login with 10 minutes left.
        let started = NOW + 600 - 30 * 86_400;
        let mut store = MockKeyStore::new();
        store.expect_insert_refresh_token().returning(|_, _| Ok(()));
        let tokens = refresh(started, store).execute(TOKEN).await.unwrap();
        assert_eq!(tokens.expires_in, 600, "the access token ends with the login");
        assert_eq!(tokens.access_token, (NOW + 600).to_string());
    }

    #[tokio::test]
    async fn a_login_at_its_maximum_age_is_not_refreshed() {
        let mut store = MockKeyStore::new();
        store.expect_insert_refresh_token().never();
        let e = refresh(NOW - 30 * 86_400, store).execute(TOKEN).await.unwrap_err();
        assert_eq!(e.code(), Code::TokenExpired);
        assert_eq!(e.to_string(), "This login has reached its maximum age (30 days); log in again.");
    }

    #[test]
    fn durations_are_spoken_in_their_largest_whole_unit() {
        assert_eq!(spoken(Duration::days(30)), "30 days");
        assert_eq!(spoken(Duration::hours(1)), "1 hour");
        assert_eq!(spoken(Duration::minutes(90)), "90 minutes");
        assert_eq!(spoken(Duration::seconds(45)), "45 seconds");
    }
}
