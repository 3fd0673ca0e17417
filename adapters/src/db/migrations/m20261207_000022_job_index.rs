//! The corpus index (`job_index`, `job_copies`; see `job_store/index.rs`) for `GET /v1/jobs`, filled
//! from every active stored posting, with progress in the log; and `place_text` of every active
//! posting recomputed (it now holds every place a multi-location posting names).

use crate::db::job_store::index;
use jobin_core::domain::Job;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Postings read and indexed per batch.
const BATCH: i64 = 1_000;
/// A progress line every this many postings.
const REPORT_EVERY: u64 = 50_000;

fn tables(backend: DbBackend) -> Vec<String> {
    let (seq, boolean, real, text) = match backend {
        DbBackend::Postgres => ("BIGINT PRIMARY KEY", "BOOLEAN", "DOUBLE PRECISION", "TEXT COLLATE \"C\""),
        _ => ("INTEGER NOT NULL UNIQUE", "INTEGER", "REAL", "TEXT"),
    };
    // SQLite keeps the rows in the order of their key, (country, posted_rank, id): a country
    // filter, the most common, reads its postings newest first from a few contiguous pages instead
    // of one page per posting. PostgreSQL keeps a heap and indexes it (its bitmap scans read the
    // pages a country's postings are on in order).
    let (key, rowid) = match backend {
        DbBackend::Postgres => ("", ""),
        _ => (", PRIMARY KEY (country, posted_rank, id)", " WITHOUT ROWID"),
    };
    let mut v = vec![
        format!(
            "CREATE TABLE IF NOT EXISTS job_index (seq {seq}, id {text} NOT NULL UNIQUE, hidden {boolean} NOT NULL, \
             country {text} NOT NULL, countries {text} NOT NULL, remote {boolean} NOT NULL, employment_type {text}, \
             seniority {text}, source_mask BIGINT NOT NULL, company_key {text} NOT NULL, company {text} NOT NULL, \
             salary_currency {text}, annual_min {real}, annual_max {real}, salary_rank BIGINT, visa {boolean}, \
             posted_rank BIGINT NOT NULL, title {text} NOT NULL, search_text {text} NOT NULL, \
             place_text {text} NOT NULL{key}){rowid}"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS job_copies (holder {text} NOT NULL, copy_id {text} NOT NULL, \
             PRIMARY KEY (holder, copy_id))"
        ),
        "CREATE INDEX IF NOT EXISTS ix_job_copies_copy ON job_copies (copy_id)".to_owned(),
        "CREATE INDEX IF NOT EXISTS ix_job_index_posted ON job_index (posted_rank, id)".to_owned(),
        "CREATE INDEX IF NOT EXISTS ix_job_index_salary ON job_index (salary_currency, salary_rank, posted_rank, id)"
            .to_owned(),
        "CREATE INDEX IF NOT EXISTS ix_job_index_company ON job_index (company_key)".to_owned(),
    ];
    if backend == DbBackend::Postgres {
        v.push("CREATE INDEX IF NOT EXISTS ix_job_index_country ON job_index (country, posted_rank, id)".to_owned());
    }
    v
}

const POSTGRES_TEXT: &[&str] = &[
    "ALTER TABLE job_index ADD COLUMN IF NOT EXISTS search_tsv tsvector \
     GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "ALTER TABLE job_index ADD COLUMN IF NOT EXISTS place_tsv tsvector \
     GENERATED ALWAYS AS (to_tsvector('simple', place_text)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_job_index_search_tsv ON job_index USING gin (search_tsv)",
    "CREATE INDEX IF NOT EXISTS ix_job_index_place_tsv ON job_index USING gin (place_tsv)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        for sql in tables(backend) {
            db.execute_raw(Statement::from_string(backend, sql)).await?;
        }
        if backend == DbBackend::Postgres {
            for sql in POSTGRES_TEXT {
                db.execute_raw(Statement::from_string(backend, (*sql).to_owned())).await?;
            }
        }
        let total: i64 = db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM jobs WHERE expired_at IS NULL".to_owned(),
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if total > 0 {
            tracing::info!(postings = total, "building the corpus index");
        }
        let mut after = i64::MIN;
        let mut done = 0u64;
        loop {
            let mut sql = index::Sql::new(backend);
            sql.push("SELECT seq, body FROM jobs WHERE expired_at IS NULL AND seq > ")
                .bind(after)
                .push(" ORDER BY seq LIMIT ")
                .bind(BATCH);
            let rows = db.query_all_raw(sql.statement()).await?;
            if rows.is_empty() {
                break;
            }
            let mut jobs = Vec::with_capacity(rows.len());
            for row in rows {
                let seq: i64 = row.try_get("", "seq")?;
                let body: String = row.try_get("", "body")?;
                after = seq;
                // A row that does not decode is left out of the index (the feed reports it).
                if let Ok(job) = serde_json::from_str::<Job>(&body) {
                    jobs.push((job, seq));
                }
            }
            for (job, seq) in &jobs {
                if !job.details.locations.is_empty() {
                    let mut sql = index::Sql::new(backend);
                    sql.push("UPDATE jobs SET place_text = ").bind(job.place_text()).push(" WHERE seq = ").bind(*seq);
                    db.execute_raw(sql.statement()).await?;
                }
            }
            let refs: Vec<(&Job, i64)> = jobs.iter().map(|(j, s)| (j, *s)).collect();
            index::fill(db, &refs).await.map_err(|e| DbErr::Custom(format!("{:#}", anyhow::Error::new(e))))?;
            let before = done / REPORT_EVERY;
            done += refs.len() as u64;
            if done / REPORT_EVERY > before {
                tracing::info!(indexed = done, of = total, "building the corpus index");
            }
        }
        db.execute_raw(Statement::from_string(backend, index::HIDDEN_RULE.to_owned())).await?;
        if total > 0 {
            tracing::info!(indexed = done, "corpus index built");
        }
        Ok(())
    }
}
