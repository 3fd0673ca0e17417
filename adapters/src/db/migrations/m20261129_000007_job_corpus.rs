//! The corpus columns of `jobs` (what analytics read without decoding bodies: place text, source
//! mask, merged copy ids, annual salary, skills, remote, seniority), the text index of
//! `search_text` and `place_text` (SQLite: the external-content FTS5 table `jobs_fts` keyed by
//! `seq`, kept by triggers; PostgreSQL: GIN indexes over `to_tsvector('simple', …)`), an index on
//! `country`, and the stored rows brought up to date (folded `search_text`, the new columns).

use super::Jobs;
use crate::db::job_store::corpus_columns;
use jobin_core::domain::Job;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows rewritten per batch while bringing stored jobs up to date.
const BATCH: u64 = 500;

const SQLITE_FTS: &[&str] = &[
    "CREATE VIRTUAL TABLE IF NOT EXISTS jobs_fts USING fts5(search_text, place_text, content='jobs', \
     content_rowid='seq', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS jobs_fts_insert AFTER INSERT ON jobs BEGIN \
     INSERT INTO jobs_fts(rowid, search_text, place_text) VALUES (new.seq, new.search_text, new.place_text); END",
    "CREATE TRIGGER IF NOT EXISTS jobs_fts_delete AFTER DELETE ON jobs BEGIN \
     INSERT INTO jobs_fts(jobs_fts, rowid, search_text, place_text) \
     VALUES ('delete', old.seq, old.search_text, old.place_text); END",
    "CREATE TRIGGER IF NOT EXISTS jobs_fts_update AFTER UPDATE OF seq, search_text, place_text ON jobs BEGIN \
     INSERT INTO jobs_fts(jobs_fts, rowid, search_text, place_text) \
     VALUES ('delete', old.seq, old.search_text, old.place_text); \
     INSERT INTO jobs_fts(rowid, search_text, place_text) VALUES (new.seq, new.search_text, new.place_text); END",
    "INSERT INTO jobs_fts(jobs_fts) VALUES ('rebuild')",
];

const POSTGRES_INDEXES: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS ix_jobs_search_fts ON jobs USING gin (to_tsvector('simple', search_text))",
    "CREATE INDEX IF NOT EXISTS ix_jobs_place_fts ON jobs USING gin (to_tsvector('simple', place_text))",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            text(Jobs::PlaceText).default("").to_owned(),
            big_integer(Jobs::SourceMask).default(0).to_owned(),
            text(Jobs::CopyIds).default("").to_owned(),
            string_len_null(Jobs::SalaryCurrency, 8),
            double_null(Jobs::SalaryAnnual),
            text(Jobs::Skills).default("").to_owned(),
            boolean(Jobs::RemoteAny).default(false).to_owned(),
            string_len_null(Jobs::Seniority, 16),
        ];
        for mut col in columns {
            manager.alter_table(Table::alter().table(Jobs::Table).add_column(&mut col).to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_country")
                    .table(Jobs::Table)
                    .col(Jobs::Country)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        backfill(manager).await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let statements = if backend == DbBackend::Postgres { POSTGRES_INDEXES } else { SQLITE_FTS };
        for sql in statements {
            db.execute_raw(Statement::from_string(backend, (*sql).to_owned())).await?;
        }
        Ok(())
    }
}

/// Recomputes every stored job's derived columns from its body, in `seq` order.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let mut after = i64::MIN;
    loop {
        let select = Query::select()
            .columns([Jobs::Seq, Jobs::Body])
            .from(Jobs::Table)
            .and_where(Expr::col(Jobs::Seq).gt(after))
            .order_by(Jobs::Seq, Order::Asc)
            .limit(BATCH)
            .to_owned();
        let rows = db.query_all(&select).await?;
        if rows.is_empty() {
            return Ok(());
        }
        for row in rows {
            let seq: i64 = row.try_get("", "seq")?;
            let body: String = row.try_get("", "body")?;
            after = seq;
            let Ok(job) = serde_json::from_str::<Job>(&body) else { continue };
            let mut update = Query::update();
            update.table(Jobs::Table).and_where(Expr::col(Jobs::Seq).eq(seq));
            for (col, value) in corpus_columns(&job) {
                update.value(col, value);
            }
            db.execute(&update).await?;
        }
    }
}
