//! The scopes of each API key (`api_keys.scopes`: scope names separated by single spaces). Keys
//! made before scopes existed could do everything, so they get every scope.

use super::ApiKeys;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every scope as of this migration, in the stored form. Written out rather than read from the
/// domain: what existing keys get must not change when scopes are added later.
const ALL_SCOPES_2026_11: &str =
    "jobs:read analytics:read ai:use keys:write billing:write applications:read applications:write";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .add_column(text(ApiKeys::Scopes).default(ALL_SCOPES_2026_11).to_owned())
                    .to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::migrations::Migrator;
    use jobin_core::domain::{Scopes, SecretHash};
    use jobin_core::ports::KeyStore;
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::{MigrationName, MigratorTrait};

    #[test]
    fn the_default_names_every_scope_of_its_time() {
        let later = super::super::m20261206_000016_search_scopes::ALL_SCOPES_BEFORE_SEARCHES;
        assert_eq!(ALL_SCOPES_2026_11, later);
        assert!(Scopes::from_stored(ALL_SCOPES_2026_11).is_ok());
    }

    #[tokio::test]
    async fn keys_made_before_scopes_keep_doing_everything() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrations::up_to_before(&db, super::Migration.name()).await;
        let hash = "h".repeat(64);
        for sql in [
            "INSERT INTO accounts (email, password_hash, plan, created_at, updated_at) \
             VALUES ('old@example.com', '$argon2id$x', 'free', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                .to_owned(),
            format!(
                "INSERT INTO api_keys (account_id, name, key_hash, prefix, created_at) \
                 VALUES (1, 'Old', '{hash}', 'jl_live_ab12****', '2026-01-01 00:00:00')"
            ),
        ] {
            db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        }
        Migrator::up(&db, None).await.unwrap();
        let store = crate::db::SqlKeyStore::new(db);
        let (key, _) = store.find_key_by_hash(&SecretHash::from_stored(hash)).await.unwrap().unwrap();
        assert_eq!(key.scopes, Scopes::ALL);
    }
}
