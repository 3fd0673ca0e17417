//! Issuing API keys (shared by register, create and rotate) and creating an additional key.

use std::sync::Arc;

use crate::domain::{ApiKeyRecord, ApiKeySecret, KeyName, Scope, Scopes, SecretHasher, secret::random_bytes};
use crate::ports::{Clock, Entropy, KeyStore, KeyStoreError, NewKey};
use crate::usecases::{FieldError, Principal, store_code};
use crate::{Code, ErrorCode};

/// Default label of a key created without a name.
pub const DEFAULT_KEY_NAME: &str = "Default Key";
/// An account may hold this many active keys.
pub const MAX_ACTIVE_KEYS: u32 = 20;
/// Draws of a new key when its display prefix collides with one of the account's keys.
const PREFIX_ATTEMPTS: usize = 16;

/// A key as shown once to its owner.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ApiKeySecret,
    pub record: ApiKeyRecord,
}

/// Generates keys and their storable form.
#[derive(Clone)]
pub struct KeyIssuer {
    pub hasher: SecretHasher,
    pub entropy: Arc<dyn Entropy>,
}

impl KeyIssuer {
    /// `minted_by_login`: the refresh-token family of the login session minting the key, if any.
    pub fn generate(&self, name: KeyName, scopes: Scopes, minted_by_login: Option<&str>) -> (ApiKeySecret, NewKey) {
        let key = ApiKeySecret::from_random(random_bytes::<32>(self.entropy.as_ref()));
        let new = NewKey {
            name,
            hash: self.hasher.hash(key.expose()),
            prefix: key.prefix(),
            scopes,
            minted_by_login: minted_by_login.map(str::to_owned),
        };
        (key, new)
    }

    /// Runs `store_op` with fresh keys until one's display prefix is free on the account.
    pub async fn store_unique<F, Fut>(
        &self,
        name: KeyName,
        scopes: Scopes,
        minted_by_login: Option<&str>,
        mut store_op: F,
    ) -> Result<IssuedKey, KeyStoreError>
    where
        F: FnMut(NewKey) -> Fut,
        Fut: std::future::Future<Output = Result<ApiKeyRecord, KeyStoreError>>,
    {
        for _ in 0..PREFIX_ATTEMPTS {
            let (key, new) = self.generate(name.clone(), scopes, minted_by_login);
            match store_op(new).await {
                Ok(record) => return Ok(IssuedKey { key, record }),
                Err(KeyStoreError::PrefixTaken) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(KeyStoreError::Unknown(anyhow::anyhow!("no free display prefix after {PREFIX_ATTEMPTS} draws")))
    }
}

/// Why the scopes asked for a new key cannot be granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRequestError {
    /// An unknown name or an empty list (400).
    Invalid(FieldError),
    /// The calling key lacks these scopes, so it may not grant them (403 `insufficient_scope`).
    NotHeld(Scopes),
}

/// The scopes of a key `who` creates: the `requested` names, or `default` when none were sent.
/// Unknown names and an empty list are invalid; a key may only grant scopes it holds itself.
pub fn granted_scopes(
    who: &Principal,
    requested: Option<&[String]>,
    default: Scopes,
) -> Result<Scopes, ScopeRequestError> {
    let scopes = match requested {
        None => default,
        Some(names) => {
            let scopes = Scopes::parse(names.iter().map(String::as_str))
                .map_err(|e| ScopeRequestError::Invalid(FieldError::new("scopes", e)))?;
            if scopes.is_empty() {
                return Err(ScopeRequestError::Invalid(FieldError::new(
                    "scopes",
                    format!("a key needs at least one scope; scopes are {}", Scope::names().join(", ")),
                )));
            }
            scopes
        }
    };
    let missing = scopes.minus(who.grantable());
    if missing.is_empty() { Ok(scopes) } else { Err(ScopeRequestError::NotHeld(missing)) }
}

pub(crate) fn scope_not_held_message(missing: &Scopes) -> String {
    format!(
        "An API key may only create keys with scopes it holds; this one lacks {}. Use a key holding them, or log in.",
        missing.names().iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    )
}

#[derive(Debug, thiserror::Error)]
pub enum CreateKeyError {
    #[error(transparent)]
    Invalid(FieldError),
    #[error("{}", scope_not_held_message(.0))]
    ScopeNotHeld(Scopes),
    #[error("an account may have at most {MAX_ACTIVE_KEYS} active keys; revoke one first")]
    LimitReached,
    #[error(transparent)]
    Store(KeyStoreError),
}

impl ErrorCode for CreateKeyError {
    fn code(&self) -> Code {
        match self {
            CreateKeyError::Invalid(_) => Code::ValidationFailed,
            CreateKeyError::ScopeNotHeld(_) => Code::InsufficientScope,
            CreateKeyError::LimitReached => Code::KeyLimitReached,
            CreateKeyError::Store(e) => store_code(e),
        }
    }
}

/// An additional key for the caller's account.
pub struct CreateKey {
    pub store: Arc<dyn KeyStore>,
    pub issuer: KeyIssuer,
    pub clock: Arc<dyn Clock>,
}

impl CreateKey {
    /// `scopes`: the new key's scope names; by default all the caller may grant (every scope
    /// for a login session or a full key).
    pub async fn execute(
        &self,
        who: &Principal,
        name: Option<&str>,
        scopes: Option<&[String]>,
    ) -> Result<IssuedKey, CreateKeyError> {
        let name = KeyName::parse_or(name, DEFAULT_KEY_NAME)
            .map_err(|e| CreateKeyError::Invalid(FieldError::new("name", e)))?;
        let scopes = granted_scopes(who, scopes, who.grantable()).map_err(|e| match e {
            ScopeRequestError::Invalid(f) => CreateKeyError::Invalid(f),
            ScopeRequestError::NotHeld(missing) => CreateKeyError::ScopeNotHeld(missing),
        })?;
        let now = self.clock.now();
        let account = who.account.id;
        self.issuer
            .store_unique(name, scopes, who.login(), |new| self.store.insert_key(account, new, MAX_ACTIVE_KEYS, now))
            .await
            .map_err(|e| match e {
                KeyStoreError::KeyLimitReached => CreateKeyError::LimitReached,
                e => CreateKeyError::Store(e),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{KeyId, KeyPrefix, Plan};
    use crate::usecases::Credential;

    fn who(credential: Credential, scopes: Scopes) -> Principal {
        crate::testing::principal(1, Plan::Free, credential, scopes)
    }

    fn key(scopes: &[Scope]) -> Principal {
        let prefix = KeyPrefix::parse("jl_live_ab12").unwrap();
        who(Credential::ApiKey { id: KeyId(1), prefix }, Scopes::of(scopes))
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_session_grants_any_scope_and_defaults_to_all() {
        let session = who(Credential::Session { family: "f".into() }, Scopes::SESSION);
        assert_eq!(granted_scopes(&session, None, session.grantable()), Ok(Scopes::ALL));
        let asked = names(&["jobs:read", "analytics:read"]);
        assert_eq!(
            granted_scopes(&session, Some(&asked), Scopes::ALL),
            Ok(Scopes::of(&[Scope::JobsRead, Scope::AnalyticsRead]))
        );
    }

    #[test]
    fn a_key_grants_only_what_it_holds() {
        let k = key(&[Scope::JobsRead, Scope::KeysWrite]);
        assert_eq!(granted_scopes(&k, None, k.grantable()), Ok(k.scopes));
        let asked = names(&["jobs:read"]);
        assert_eq!(granted_scopes(&k, Some(&asked), k.grantable()), Ok(Scopes::of(&[Scope::JobsRead])));
        let asked = names(&["jobs:read", "billing:write", "ai:use"]);
        assert_eq!(
            granted_scopes(&k, Some(&asked), k.grantable()),
            Err(ScopeRequestError::NotHeld(Scopes::of(&[Scope::AiUse, Scope::BillingWrite])))
        );
        let e = CreateKeyError::ScopeNotHeld(Scopes::of(&[Scope::AiUse]));
        assert_eq!(e.code(), Code::InsufficientScope);
        assert!(e.to_string().contains("`ai:use`"), "{e}");
    }

    #[test]
    fn unknown_names_and_empty_lists_are_invalid() {
        let k = key(&Scope::ALL);
        for asked in [names(&["jobs:read", "jobs:write"]), names(&[]), names(&["Jobs:Read"])] {
            match granted_scopes(&k, Some(&asked), Scopes::ALL) {
                Err(ScopeRequestError::Invalid(f)) => assert_eq!(f.field, "scopes"),
                other => panic!("{asked:?}: {other:?}"),
            }
        }
    }
}
