//! Where a login and its keys come from: `refresh_tokens.login_started_at` (when the login's
//! password was proved, carried from token to token so refreshing cannot extend a login past its
//! maximum age) and `api_keys.minted_by_login` (the refresh-token family of the login session that
//! minted the key; NULL for keys made at registration or by another key). Existing tokens get the
//! creation time of their family's first token.

use super::{ApiKeys, RefreshTokens};
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .add_column(timestamp_with_time_zone_null(RefreshTokens::LoginStartedAt))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            "UPDATE refresh_tokens SET login_started_at = \
             (SELECT MIN(f.created_at) FROM refresh_tokens f WHERE f.family = refresh_tokens.family)",
        ))
        .await?;
        manager
            .alter_table(
                Table::alter().table(ApiKeys::Table).add_column(string_len_null(ApiKeys::MintedByLogin, 64)).to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use jobin_core::domain::{AccountId, SecretHash};
    use jobin_core::ports::{KeyStore, RefreshOutcome};
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::{MigrationName, MigratorTrait};

    #[tokio::test]
    async fn existing_logins_are_dated_from_their_first_token() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrations::up_to_before(&db, super::Migration.name()).await;
        let (first, second) = ("a".repeat(64), "b".repeat(64));
        for sql in [
            "INSERT INTO accounts (id, email, password_hash, plan, created_at, updated_at) VALUES \
             (1, 'old@example.com', 'x', 'free', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                .to_owned(),
            format!(
                "INSERT INTO refresh_tokens (account_id, family, token_hash, created_at, expires_at, used_at) \
                 VALUES (1, 'fam', '{first}', '2026-01-01 00:00:00', '2026-01-31 00:00:00', '2026-01-02 00:00:00')"
            ),
            format!(
                "INSERT INTO refresh_tokens (account_id, family, token_hash, created_at, expires_at) \
                 VALUES (1, 'fam', '{second}', '2026-01-02 00:00:00', '2026-02-01 00:00:00')"
            ),
        ] {
            db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        }
        crate::db::migrations::Migrator::up(&db, None).await.unwrap();
        let store = crate::db::SqlKeyStore::new(db);
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-03T00:00:00Z").unwrap().to_utc();
        let outcome = store.consume_refresh_token(&SecretHash::from_stored(second), now).await.unwrap();
        let RefreshOutcome::Valid { account_id, login_started_at, .. } = outcome else { panic!("{outcome:?}") };
        assert_eq!(account_id, AccountId(1));
        assert_eq!(login_started_at.to_rfc3339(), "2026-01-01T00:00:00+00:00");
    }
}
