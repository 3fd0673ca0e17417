//! The saved-search scopes (`searches:read`, `searches:write`) for the keys that held every scope
//! before they existed: such a key was made to do everything (the default), so it keeps doing
//! everything. A key narrowed on purpose stays as it was.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every scope before saved searches, in the stored form (names in order, single spaces).
/// Written out rather than read from the domain: what this migration matches must not change
/// when scopes are added later.
pub(crate) const ALL_SCOPES_BEFORE_SEARCHES: &str =
    "jobs:read analytics:read ai:use keys:write billing:write applications:read applications:write";
const WITH_SEARCHES: &str = "jobs:read analytics:read ai:use keys:write billing:write applications:read \
                             applications:write searches:read searches:write";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let update = Query::update()
            .table(super::ApiKeys::Table)
            .value(super::ApiKeys::Scopes, WITH_SEARCHES)
            .and_where(Expr::col(super::ApiKeys::Scopes).eq(ALL_SCOPES_BEFORE_SEARCHES))
            .to_owned();
        manager.exec_stmt(update).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::migrations::Migrator;
    use jobin_core::domain::{Scope, Scopes, SecretHash};
    use jobin_core::ports::KeyStore;
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::{MigrationName, MigratorTrait};

    #[test]
    fn the_forms_are_the_stored_ones() {
        let searches = Scopes::of(&[Scope::SearchesRead, Scope::SearchesWrite]);
        assert_eq!(Scopes::ALL.minus(searches).to_stored(), ALL_SCOPES_BEFORE_SEARCHES);
        assert_eq!(Scopes::ALL.to_stored(), WITH_SEARCHES);
    }

    #[tokio::test]
    async fn keys_that_held_everything_gain_the_search_scopes_and_narrow_keys_do_not() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrations::up_to_before(&db, super::Migration.name()).await;
        let sql = |s: String| Statement::from_string(db.get_database_backend(), s);
        db.execute_raw(sql("INSERT INTO accounts (email, password_hash, plan, created_at, updated_at) \
             VALUES ('old@example.com', '$argon2id$x', 'free', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            .to_owned()))
            .await
            .unwrap();
        for (n, scopes) in [(1, ALL_SCOPES_BEFORE_SEARCHES), (2, "jobs:read applications:read")] {
            let hash = n.to_string().repeat(64);
            db.execute_raw(sql(format!(
                "INSERT INTO api_keys (account_id, name, key_hash, prefix, created_at, scopes) \
                 VALUES (1, 'Old', '{hash}', 'jl_live_ab1{n}****', '2026-01-01 00:00:00', '{scopes}')"
            )))
            .await
            .unwrap();
        }
        Migrator::up(&db, None).await.unwrap();
        let store = crate::db::SqlKeyStore::new(db);
        let scopes = |n: i32| {
            let store = &store;
            async move {
                let hash = SecretHash::from_stored(n.to_string().repeat(64));
                store.find_key_by_hash(&hash).await.unwrap().unwrap().0.scopes
            }
        };
        assert_eq!(scopes(1).await, Scopes::ALL);
        assert_eq!(scopes(2).await, Scopes::of(&[Scope::JobsRead, Scope::ApplicationsRead]));
    }
}
