//! Accounts: registration, sessions, keys, plans.

use jobin_adapters::crypto::Argon2Hasher;
use jobin_core::domain::SecretHasher;
use jobin_core::ports::{PasswordHasher, TokenSigner};
use jobin_core::services::LastUsedTracker;

use jobin_core::usecases::*;
use std::sync::Arc;

use crate::config::Config;
use crate::state::Accounts;

use super::Common;

/// Registration, sessions, keys and plans over the key store.
pub(super) fn build(
    c: &Common,
    hasher: &SecretHasher,
    signer: Arc<dyn TokenSigner>,
    last_used: Arc<LastUsedTracker>,
    config: &Config,
) -> anyhow::Result<Accounts> {
    // Concurrent argon2 hashes (19 MiB each).
    let passwords: Arc<dyn PasswordHasher> = Arc::new(Argon2Hasher::new(config.password_hash_concurrency)?);
    let max_login_age = chrono::Duration::from_std(config.session_max_age)?;
    let issuer = KeyIssuer { hasher: hasher.clone(), entropy: c.entropy.clone() };
    let sessions = SessionIssuer {
        store: c.keys.clone(),
        signer,
        hasher: hasher.clone(),
        entropy: c.entropy.clone(),
        clock: c.clock.clone(),
        max_login_age,
    };
    let failures = FailureAllowance { meter: c.meter.clone() };
    let store = c.keys.clone();
    let clock = c.clock.clone();
    Ok(Accounts {
        register: Register {
            store: store.clone(),
            passwords: passwords.clone(),
            issuer: issuer.clone(),
            clock: clock.clone(),
        },
        login: Login {
            store: store.clone(),
            passwords: passwords.clone(),
            sessions: sessions.clone(),
            failures: failures.clone(),
        },
        change_password: ChangePassword { store: store.clone(), passwords, failures, clock: clock.clone() },
        refresh: Refresh { store: store.clone(), sessions },
        logout: Logout { store: store.clone(), clock: clock.clone() },
        me: Me {
            catalog: c.catalog.clone(),
            store: store.clone(),
            monthly: c.monthly.clone(),
            last_used,
            clock: clock.clone(),
            billing: c.billing.clone(),
        },
        create_key: CreateKey { store: store.clone(), issuer: issuer.clone(), clock: clock.clone() },
        rotate: RotateKeys { store: store.clone(), lock: c.lock.clone(), issuer, clock: clock.clone() },
        revoke: RevokeKey { store: store.clone(), clock: clock.clone() },
        set_plan: SetPlan { store: store.clone(), clock },
        store,
    })
}
