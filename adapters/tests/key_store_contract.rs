//! One `KeyStore` contract, run against every implementation: SQLite (in memory) and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Duration, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::SqlKeyStore;
use jobin_adapters::principal_cache::{CachedKeyStore, PrincipalCache};
use jobin_adapters::testing::contract;
use jobin_core::domain::{AccountId, ApiKeySecret, Email, KeyId, KeyName, Plan, Scope, Scopes, SecretHasher};
use jobin_core::ports::{KeyStore, KeyStoreError, Logins, NewKey, NewRefreshToken, RefreshOutcome};
use std::sync::Arc;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn hasher() -> SecretHasher {
    SecretHasher::new(b"contract-pepper".to_vec())
}

/// A key whose first bytes are `tag` (so tests choose colliding or distinct prefixes).
fn key(tag: u8, salt: u8) -> (ApiKeySecret, NewKey) {
    let mut bytes = [salt; 32];
    bytes[0] = tag;
    bytes[1] = tag;
    let k = ApiKeySecret::from_random(bytes);
    let new = NewKey {
        name: KeyName::parse("k").unwrap(),
        hash: hasher().hash(k.expose()),
        prefix: k.prefix(),
        scopes: Scopes::ALL,
        minted_by_login: None,
    };
    (k, new)
}

/// Stores refresh token `secret` of login `family` (begun at `started`), expiring at `expires`,
/// written at `now`.
async fn refresh_token(store: &dyn KeyStore, account: AccountId, family: &str, secret: &str, at: [i64; 3]) {
    let [started, expires, now] = at;
    let token = NewRefreshToken {
        account,
        family: family.into(),
        hash: hasher().hash(secret),
        login_started_at: t(started),
        expires_at: t(expires),
    };
    store.insert_refresh_token(token, t(now)).await.unwrap();
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

async fn register(store: &dyn KeyStore, addr: &str, tag: u8) -> AccountId {
    // Same tag → same display prefix; the salt keeps the keys themselves distinct per account.
    let salt = addr.bytes().fold(0u8, |a, b| a.wrapping_add(b));
    let (_, k) = key(tag, salt);
    store.create_account(&email(addr), "$argon2id$h", Plan::Free, k, t(0)).await.unwrap().0.id
}

async fn creates_accounts_with_their_first_key(store: Arc<dyn KeyStore>) {
    store.ping().await.unwrap();
    let (secret, k) = key(1, 1);
    let (acc, rec) = store.create_account(&email("a@example.com"), "$argon2id$h", Plan::Free, k, t(0)).await.unwrap();
    assert_eq!(acc.email.as_str(), "a@example.com");
    assert_eq!(acc.plan, Plan::Free);
    assert_eq!(rec.account_id, acc.id);
    assert_eq!(rec.prefix, secret.prefix());
    assert_eq!(rec.created_at, t(0));

    let login = store.find_login(&email("a@example.com")).await.unwrap().unwrap();
    assert_eq!(login.account, acc);
    assert_eq!(login.password_hash, "$argon2id$h");
    assert!(store.find_login(&email("nobody@example.com")).await.unwrap().is_none());
    assert_eq!(store.find_account(acc.id).await.unwrap(), Some(acc.clone()));
    assert_eq!(store.find_account(AccountId(999_999)).await.unwrap(), None);

    let (found, owner) = store.find_key_by_hash(&hasher().hash(secret.expose())).await.unwrap().unwrap();
    assert_eq!(found, rec);
    assert_eq!(owner, acc);
    let (other, _) = key(9, 9);
    assert!(store.find_key_by_hash(&hasher().hash(other.expose())).await.unwrap().is_none());
}

async fn duplicate_email_is_rejected_and_writes_nothing(store: Arc<dyn KeyStore>) {
    let id = register(store.as_ref(), "dup@example.com", 1).await;
    let (secret, k) = key(2, 2);
    let err = store.create_account(&email("dup@example.com"), "$x", Plan::Pro, k, t(1)).await.unwrap_err();
    assert!(matches!(err, KeyStoreError::EmailTaken), "{err:?}");
    assert!(store.find_key_by_hash(&hasher().hash(secret.expose())).await.unwrap().is_none());
    assert_eq!(store.list_active_keys(id).await.unwrap().len(), 1);
    assert_eq!(store.find_login(&email("dup@example.com")).await.unwrap().unwrap().account.plan, Plan::Free);
}

async fn display_prefixes_are_unique_per_account_only(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    let b = register(store.as_ref(), "b@example.com", 1).await; // same prefix, other account: fine
    let (_, same_prefix) = key(1, 7);
    let err = store.insert_key(a, same_prefix, 20, t(1)).await.unwrap_err();
    assert!(matches!(err, KeyStoreError::PrefixTaken), "{err:?}");
    assert_eq!(store.list_active_keys(a).await.unwrap().len(), 1);
    let (_, fresh) = key(3, 7);
    let rec = store.insert_key(a, fresh, 20, t(2)).await.unwrap();
    assert_eq!(rec.account_id, a);
    assert_eq!(store.list_active_keys(a).await.unwrap().len(), 2);
    assert_eq!(store.list_active_keys(b).await.unwrap().len(), 1);
}

async fn active_key_limit_is_enforced(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    for tag in 2..=3u8 {
        store.insert_key(a, key(tag, 0).1, 3, t(1)).await.unwrap();
    }
    let err = store.insert_key(a, key(4, 0).1, 3, t(1)).await.unwrap_err();
    assert!(matches!(err, KeyStoreError::KeyLimitReached), "{err:?}");
    assert_eq!(store.list_active_keys(a).await.unwrap().len(), 3);
}

async fn rotation_revokes_every_active_key_atomically(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    let b = register(store.as_ref(), "b@example.com", 2).await;
    store.insert_key(a, key(3, 0).1, 20, t(1)).await.unwrap();
    // A rotation whose new prefix collides (with the revoked-to-be key 3) writes nothing.
    let err = store.rotate_keys(a, key(3, 5).1, Logins::All, t(2)).await.unwrap_err();
    assert!(matches!(err, KeyStoreError::PrefixTaken), "{err:?}");
    assert_eq!(store.list_active_keys(a).await.unwrap().len(), 2);

    let (secret, k) = key(4, 0);
    let rec = store.rotate_keys(a, k, Logins::All, t(3)).await.unwrap();
    let active = store.list_active_keys(a).await.unwrap();
    assert_eq!(active, vec![rec.clone()]);
    assert_eq!(rec.prefix, secret.prefix());
    let (old, _) = store.find_key_by_hash(&hasher().hash(key(3, 0).0.expose())).await.unwrap().unwrap();
    assert_eq!(old.revoked_at, Some(t(3)));
    // The other account is untouched.
    assert_eq!(store.list_active_keys(b).await.unwrap().len(), 1);
}

async fn revocation_is_scoped_to_the_owner(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    let b = register(store.as_ref(), "b@example.com", 2).await;
    let b_prefix = key(2, 0).0.prefix();
    let b_key = store.list_active_keys(b).await.unwrap()[0].clone();
    assert!(!store.revoke_key(a, &b_prefix, t(1)).await.unwrap());
    assert_eq!(store.list_active_keys(b).await.unwrap().len(), 1);
    assert!(store.revoke_key(b, &b_prefix, t(1)).await.unwrap());
    assert!(store.list_active_keys(b).await.unwrap().is_empty());
    // Already revoked: nothing to revoke.
    assert!(!store.revoke_key(b, &b_prefix, t(2)).await.unwrap());
    assert_eq!(b_key.prefix, b_prefix);
    assert_eq!(store.list_active_keys(a).await.unwrap().len(), 1);
}

async fn last_use_only_moves_forward(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    let id: KeyId = store.list_active_keys(a).await.unwrap()[0].id;
    store.record_key_use(&[(id, t(50))]).await.unwrap();
    store.record_key_use(&[(id, t(20))]).await.unwrap();
    assert_eq!(store.list_active_keys(a).await.unwrap()[0].last_used_at, Some(t(50)));
    store.record_key_use(&[(id, t(80) + Duration::milliseconds(400))]).await.unwrap();
    assert_eq!(store.list_active_keys(a).await.unwrap()[0].last_used_at, Some(t(80)));
    store.record_key_use(&[]).await.unwrap();
}

async fn refresh_tokens_are_single_use_and_replay_revokes_the_family(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    let h = hasher();
    refresh_token(store.as_ref(), a, "fam1", "r1", [0, 100, 0]).await;
    refresh_token(store.as_ref(), a, "fam2", "other", [0, 100, 0]).await;
    assert_eq!(
        store.consume_refresh_token(&h.hash("r1"), t(1)).await.unwrap(),
        RefreshOutcome::Valid { account_id: a, family: "fam1".into(), login_started_at: t(0), expires_at: t(100) }
    );
    // The successor keeps the login's start, not its own creation time.
    refresh_token(store.as_ref(), a, "fam1", "r2", [0, 200, 1]).await;
    let next = store.consume_refresh_token(&h.hash("r2"), t(2)).await.unwrap();
    assert_eq!(
        next,
        RefreshOutcome::Valid { account_id: a, family: "fam1".into(), login_started_at: t(0), expires_at: t(200) }
    );
    refresh_token(store.as_ref(), a, "fam1", "r3", [0, 300, 2]).await;
    // Replaying r1 revokes fam1, so its latest successor r3 is dead too.
    assert_eq!(
        store.consume_refresh_token(&h.hash("r1"), t(3)).await.unwrap(),
        RefreshOutcome::Reused { family: "fam1".into() }
    );
    assert_eq!(
        store.consume_refresh_token(&h.hash("r3"), t(3)).await.unwrap(),
        RefreshOutcome::Reused { family: "fam1".into() }
    );
    // Another family of the same account is unaffected.
    assert!(matches!(store.consume_refresh_token(&h.hash("other"), t(3)).await.unwrap(), RefreshOutcome::Valid { .. }));
    assert_eq!(store.consume_refresh_token(&h.hash("nope"), t(3)).await.unwrap(), RefreshOutcome::Unknown);
}

async fn concurrent_spends_of_one_token_yield_one_winner(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    let h = hasher();
    refresh_token(store.as_ref(), a, "fam", "tok", [0, 100, 0]).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let hash = h.hash("tok");
            tokio::spawn(async move { store.consume_refresh_token(&hash, t(1)).await.unwrap() })
        })
        .collect();
    let mut valid = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), RefreshOutcome::Valid { .. }) {
            valid += 1;
        }
    }
    assert_eq!(valid, 1);
}

async fn each_key_keeps_its_own_scopes(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    let read_only = Scopes::of(&[Scope::JobsRead, Scope::AnalyticsRead]);
    let (secret, mut k) = key(2, 0);
    k.scopes = read_only;
    let rec = store.insert_key(a, k, 20, t(1)).await.unwrap();
    assert_eq!(rec.scopes, read_only);
    let (found, _) = store.find_key_by_hash(&hasher().hash(secret.expose())).await.unwrap().unwrap();
    assert_eq!(found.scopes, read_only);
    let listed: Vec<_> = store.list_active_keys(a).await.unwrap().into_iter().map(|k| k.scopes).collect();
    assert_eq!(listed, vec![Scopes::ALL, read_only]);

    let (rotated, mut k) = key(3, 0);
    k.scopes = Scopes::of(&[Scope::ApplicationsWrite]);
    store.rotate_keys(a, k, Logins::All, t(2)).await.unwrap();
    let (found, _) = store.find_key_by_hash(&hasher().hash(rotated.expose())).await.unwrap().unwrap();
    assert_eq!(found.scopes, Scopes::of(&[Scope::ApplicationsWrite]));
}

async fn logins_end_by_family_or_all_at_once(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    let b = register(store.as_ref(), "b@example.com", 2).await;
    for (account, family, n) in [(a, "fa1", 1u8), (a, "fa2", 2), (b, "fb1", 3), (a, "fa2", 4)] {
        refresh_token(store.as_ref(), account, family, &format!("rt{n}"), [0, 3_600, 0]).await;
    }
    assert!(store.session_active("fa1").await.unwrap());
    assert!(!store.session_active("no-such-family").await.unwrap());
    // Another account's family is not ended through this one.
    assert_eq!(store.revoke_sessions(a, Logins::One("fb1".into()), t(1)).await.unwrap(), 0);
    assert_eq!(store.revoke_sessions(a, Logins::One("fa1".into()), t(1)).await.unwrap(), 1);
    assert!(!store.session_active("fa1").await.unwrap());
    assert!(store.session_active("fa2").await.unwrap());
    // Logins are counted, not tokens: fa2 has two.
    assert_eq!(store.revoke_sessions(a, Logins::All, t(2)).await.unwrap(), 1);
    assert!(!store.session_active("fa2").await.unwrap());
    assert!(store.session_active("fb1").await.unwrap());
    // A revoked family's refresh token is a replay.
    let spent = store.consume_refresh_token(&hasher().hash("rt2"), t(3)).await.unwrap();
    assert!(matches!(spent, RefreshOutcome::Reused { .. }), "{spent:?}");
}

async fn rotation_and_password_change_end_every_login_but_the_callers(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    let b = register(store.as_ref(), "b@example.com", 2).await;
    for (account, family, n) in [(a, "mine", 1u8), (a, "other1", 2), (a, "other2", 3), (b, "theirs", 4)] {
        refresh_token(store.as_ref(), account, family, &format!("rt{n}"), [0, 3_600, 0]).await;
    }
    // A rotation keeping the caller's login; the new key records that login.
    let (secret, mut k) = key(5, 0);
    k.minted_by_login = Some("mine".into());
    store.rotate_keys(a, k, Logins::AllExcept("mine".into()), t(1)).await.unwrap();
    let (found, _) = store.find_key_by_hash(&hasher().hash(secret.expose())).await.unwrap().unwrap();
    assert_eq!(found.minted_by_login.as_deref(), Some("mine"));
    assert!(store.session_active("mine").await.unwrap());
    assert!(!store.session_active("other1").await.unwrap());
    assert!(!store.session_active("other2").await.unwrap());
    assert!(store.session_active("theirs").await.unwrap(), "another account's login is untouched");

    // A failed rotation ends nothing.
    refresh_token(store.as_ref(), a, "later", "rt5", [1, 3_600, 1]).await;
    let err = store.rotate_keys(a, key(5, 9).1, Logins::All, t(2)).await.unwrap_err();
    assert!(matches!(err, KeyStoreError::PrefixTaken), "{err:?}");
    assert!(store.session_active("later").await.unwrap());

    // A password change: the new hash, and every login but the caller's ends.
    assert_eq!(store.set_password(a, "$argon2id$new", Logins::AllExcept("mine".into()), t(3)).await.unwrap(), Some(1));
    assert_eq!(store.find_login(&email("a@example.com")).await.unwrap().unwrap().password_hash, "$argon2id$new");
    assert!(store.session_active("mine").await.unwrap());
    assert!(!store.session_active("later").await.unwrap());
    assert_eq!(store.find_login(&email("b@example.com")).await.unwrap().unwrap().password_hash, "$argon2id$h");
    assert_eq!(store.set_password(AccountId(999_999), "$x", Logins::All, t(4)).await.unwrap(), None);
}

async fn plans_can_be_changed_by_email(store: Arc<dyn KeyStore>) {
    let a = register(store.as_ref(), "a@example.com", 1).await;
    let acc = store.set_plan(&email("a@example.com"), Plan::Pro, t(5)).await.unwrap().unwrap();
    assert_eq!((acc.id, acc.plan), (a, Plan::Pro));
    assert_eq!(store.find_account(a).await.unwrap().unwrap().plan, Plan::Pro);
    assert!(store.set_plan(&email("x@example.com"), Plan::Pro, t(5)).await.unwrap().is_none());
}

fn store(db: sea_orm::DatabaseConnection) -> Arc<dyn KeyStore> {
    Arc::new(SqlKeyStore::new(db))
}

/// The SQL store behind the principal cache, whose entries outlive every case: each case then
/// shows that what this store writes is never answered from the cache's old copy.
fn cached(db: sea_orm::DatabaseConnection) -> Arc<dyn KeyStore> {
    let cache = Arc::new(PrincipalCache::new(std::time::Duration::from_secs(3600)));
    Arc::new(CachedKeyStore::new(store(db), cache))
}

contract_suite! {
    cases: [creates_accounts_with_their_first_key,
    duplicate_email_is_rejected_and_writes_nothing,
    display_prefixes_are_unique_per_account_only,
    active_key_limit_is_enforced,
    rotation_revokes_every_active_key_atomically,
    revocation_is_scoped_to_the_owner,
    last_use_only_moves_forward,
    refresh_tokens_are_single_use_and_replay_revokes_the_family,
    concurrent_spends_of_one_token_yield_one_winner,
    each_key_keeps_its_own_scopes,
    logins_end_by_family_or_all_at_once,
    rotation_and_password_change_end_every_login_but_the_callers,
    plans_can_be_changed_by_email];
    sqlite => contract::sqlite(store),
    cached_sqlite => contract::sqlite(cached),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(store),
}
