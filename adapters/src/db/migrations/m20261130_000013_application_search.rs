//! What the tracker's list sorts and searches by: `applications.search_text` (title, company, notes
//! and tags folded, for word search) and `applications.status_rank` (the pipeline order of the
//! status, for the `status` sort, indexed like the other sort keys). Existing rows are filled in.

use super::Applications;
use jobin_core::domain::application::ApplicationStatus;
use sea_orm::{ConnectionTrait, Statement, Value};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Applications::Table)
                    .add_column(text(Applications::SearchText).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Applications::Table)
                    .add_column(small_integer(Applications::StatusRank).default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, job_title, company_name, notes, tags, status FROM applications",
            ))
            .await?;
        let update = match backend {
            sea_orm::DbBackend::Postgres => "UPDATE applications SET search_text = $1, status_rank = $2 WHERE id = $3",
            _ => "UPDATE applications SET search_text = ?, status_rank = ? WHERE id = ?",
        };
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let title: String = row.try_get("", "job_title")?;
            let company: String = row.try_get("", "company_name")?;
            let notes: Option<String> = row.try_get("", "notes")?;
            let tags: String = row.try_get("", "tags")?;
            let status: String = row.try_get("", "status")?;
            let tags: Vec<String> = tags.lines().map(str::to_owned).collect();
            let text = crate::db::application_store::search_text(&title, &company, notes.as_deref(), &tags);
            let rank = ApplicationStatus::parse(&status).map_or(0, ApplicationStatus::rank);
            let values: Vec<Value> = vec![text.into(), rank.into(), id.into()];
            db.execute_raw(Statement::from_sql_and_values(backend, update, values)).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_applications_account_status_rank")
                    .table(Applications::Table)
                    .col(Applications::AccountId)
                    .col(Applications::StatusRank)
                    .col(Applications::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use jobin_core::domain::AccountId;
    use jobin_core::domain::application::{ApplicationSort, ApplicationStatus, SortOrder};
    use jobin_core::ports::{ApplicationQuery, ApplicationStore};
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::{MigrationName, MigratorTrait};

    #[tokio::test]
    async fn existing_applications_become_searchable_and_sort_by_pipeline_order() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrations::up_to_before(&db, super::Migration.name()).await;
        for sql in [
            "INSERT INTO accounts (id, email, password_hash, plan, created_at, updated_at) VALUES \
             (1, 'old@example.com', 'x', 'free', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            "INSERT INTO applications (id, account_id, job_title, company_name, company_sort, status, notes, tags, \
             created_at, updated_at) VALUES (1, 1, 'Data Engineer', 'Zeta', 'zeta', 'offer', 'Met Renée', 'remote', \
             '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            "INSERT INTO applications (id, account_id, job_title, company_name, company_sort, status, tags, \
             created_at, updated_at) VALUES (2, 1, 'Analyst', 'Alpha', 'alpha', 'applied', '', \
             '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        ] {
            db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        }
        crate::db::migrations::Migrator::up(&db, None).await.unwrap();
        let store = crate::db::SqlApplicationStore::new(db);
        let query = |words: &[&str], sort| ApplicationQuery {
            sort,
            order: SortOrder::Asc,
            offset: 0,
            limit: 10,
            words: words.iter().map(|w| w.to_string()).collect(),
            statuses: vec![],
            tag: None,
            applied_after: None,
            applied_before: None,
        };
        let ids = |page: jobin_core::ports::ApplicationPage| page.items.iter().map(|a| a.id).collect::<Vec<_>>();
        let found = store.list(AccountId(1), &query(&["renee"], ApplicationSort::CreatedAt)).await.unwrap();
        assert_eq!(ids(found), [1]);
        let found = store.list(AccountId(1), &query(&["remote", "data"], ApplicationSort::CreatedAt)).await.unwrap();
        assert_eq!(ids(found), [1]);
        let by_status = store.list(AccountId(1), &query(&[], ApplicationSort::Status)).await.unwrap();
        assert_eq!(by_status.items[0].fields.status, ApplicationStatus::Applied);
        assert_eq!(ids(by_status), [2, 1]);
    }
}
