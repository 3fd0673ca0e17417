//! `JobStore` over sea-orm (SQLite and PostgreSQL).
//!
//! Every write transaction first updates the one row of `job_seq`, which serializes writers: a
//! change's `seq` is only handed out once every lower `seq` is committed, so a reader paging by
//! `seq` (keyset, with the unique index on `seq`) never passes a gap that fills in later.

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use jobin_core::domain::corpus::{CorpusFilter, Facet, FacetTally};
use jobin_core::domain::{Fingerprint, Job, JobFacts, SourceId, content_hash};
use jobin_core::ports::{
    CorpusPage, CorpusPageQuery, CorpusQuery, CorpusRow, ExpiredPage, ExpiredQuery, ExpiredReason, FeedPage, FeedQuery,
    FoundJob, JobStore, JobStoreError, StoredJob, UpsertReport,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QuerySelect, TransactionTrait, Value,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::entities::{job, job_seq};

mod corpus;
pub(crate) mod index;
mod reads;

/// Rows per statement (inserts, `IN` lists), well under both backends' parameter limits.
const CHUNK: usize = 300;

#[derive(Clone)]
pub struct SqlJobStore {
    db: DatabaseConnection,
    written: Arc<Written>,
}

impl SqlJobStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, written: Arc::default() }
    }

    /// Keeps PostgreSQL's statistics of the job tables up to date with what this store writes.
    /// Its planner picks a corpus search's plan from them: with them a filtered page walks the
    /// date index and stops after 21 rows (0.3 ms over 1,000,000 postings); without them it reads
    /// every posting of the countries asked (20 ms). Autovacuum keeps them on a default server;
    /// where it is off, or lags a bulk load, `ANALYZE` runs here, in the background, once the
    /// rows written since the last run reach a tenth of all this store wrote (at least
    /// [`ANALYZE_AFTER`]) — autovacuum's own rule. A failure is logged; the write stands.
    fn keep_statistics(&self, rows: usize) {
        if rows == 0 || self.db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return;
        }
        let rows = rows as u64;
        let total = self.written.total.fetch_add(rows, Ordering::Relaxed) + rows;
        let threshold = ANALYZE_AFTER.max(total / 10);
        // One atomic step: the rows are counted, or the count starts over and this caller runs it.
        let mut due = false;
        let _ = self.written.since.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |since| {
            due = since + rows >= threshold;
            Some(if due { 0 } else { since + rows })
        });
        if !due {
            return;
        }
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(e) = db.execute_unprepared("ANALYZE jobs, job_index, job_copies").await {
                tracing::warn!(error = %e, "refreshing the job tables' statistics failed");
            }
        });
    }
}

/// Rows written (stored, changed, expired) before this store's first `ANALYZE`.
const ANALYZE_AFTER: u64 = 10_000;

/// Rows this store wrote to the job tables: since its last `ANALYZE`, and in all.
#[derive(Default)]
struct Written {
    since: AtomicU64,
    total: AtomicU64,
}

/// An outage when the database cannot be reached; otherwise a failed operation (the database
/// refused the query or a value), which is not reported as an outage.
fn err(context: &'static str) -> impl FnOnce(DbErr) -> JobStoreError {
    move |e| {
        if super::is_unavailable(&e) {
            JobStoreError::Unavailable(anyhow::Error::new(e).context(context))
        } else {
            JobStoreError::Failed(anyhow::Error::new(e).context(context))
        }
    }
}

/// Both backends keep microseconds; storing exactly that keeps reads equal to writes.
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// Takes the change sequence (blocking other writers until this transaction ends) and returns
/// its current value.
async fn lock_seq<C: ConnectionTrait>(tx: &C) -> Result<i64, JobStoreError> {
    job_seq::Entity::update_many()
        .col_expr(job_seq::Column::Value, Expr::col(job_seq::Column::Value))
        .filter(job_seq::Column::Id.eq(1))
        .exec(tx)
        .await
        .map_err(err("locking the job change sequence"))?;
    let row = job_seq::Entity::find_by_id(1).one(tx).await.map_err(err("reading the job change sequence"))?;
    row.map(|r| r.value)
        .ok_or_else(|| JobStoreError::Failed(anyhow::anyhow!("the job_seq row is missing (migrations not applied?)")))
}

async fn store_seq<C: ConnectionTrait>(tx: &C, value: i64) -> Result<(), JobStoreError> {
    job_seq::Entity::update_many()
        .col_expr(job_seq::Column::Value, Expr::value(value))
        .filter(job_seq::Column::Id.eq(1))
        .exec(tx)
        .await
        .map_err(err("advancing the job change sequence"))?;
    Ok(())
}

fn body(job: &Job) -> Result<String, JobStoreError> {
    serde_json::to_string(job).map_err(|e| JobStoreError::Failed(anyhow::Error::new(e).context("encoding a job")))
}

/// Ids of the other listings merged into `job`, one per line.
fn copy_ids(job: &Job) -> String {
    job.merged_ids().collect::<Vec<_>>().join("\n")
}

/// The columns derived from a job for matching and analytics (also used by the migration that
/// added them, to bring stored rows up to date).
pub(crate) fn corpus_columns(job: &Job) -> Vec<(job::Column, Value)> {
    let facts = JobFacts::of(job);
    vec![
        (job::Column::SearchText, job.search_text().into()),
        (job::Column::PlaceText, job.place_text().into()),
        (job::Column::SourceMask, job.source_mask().into()),
        (job::Column::CopyIds, copy_ids(job).into()),
        (job::Column::SalaryCurrency, facts.salary.as_ref().map(|s| s.currency.clone()).into()),
        (job::Column::SalaryAnnual, facts.salary.map(|s| s.annual).into()),
        (job::Column::Skills, facts.skills.join("\n").into()),
        (job::Column::RemoteAny, facts.remote.into()),
        (job::Column::Seniority, facts.seniority.map(|s| s.as_str().to_owned()).into()),
    ]
}

/// The columns derived from a job's content.
struct Content {
    fingerprint: String,
    source: String,
    country: String,
    remote: bool,
    body: String,
    posted_at: Option<DateTime<Utc>>,
    valid_through: Option<DateTime<Utc>>,
}

fn content(job: &Job) -> Result<Content, JobStoreError> {
    Ok(Content {
        fingerprint: Fingerprint::of(job).as_str().chars().take(128).collect(),
        source: job.source.as_str().to_owned(),
        country: job.location.country.clone(),
        remote: job.remote,
        body: body(job)?,
        posted_at: job.posted_at.map(micros),
        valid_through: job.valid_through.map(micros),
    })
}

fn new_row(job: &Job, hash: String, seq: i64, now: DateTime<Utc>) -> Result<job::ActiveModel, JobStoreError> {
    let c = content(job)?;
    let mut row = job::ActiveModel {
        id: Set(job.id.clone()),
        seq: Set(seq),
        fingerprint: Set(c.fingerprint),
        source: Set(c.source),
        country: Set(c.country),
        remote: Set(c.remote),
        content_hash: Set(hash),
        body: Set(c.body),
        posted_at: Set(c.posted_at),
        valid_through: Set(c.valid_through),
        first_seen_at: Set(now),
        last_seen_at: Set(now),
        updated_at: Set(now),
        expired_at: Set(None),
        ..Default::default()
    };
    for (col, value) in corpus_columns(job) {
        row.set(col, value);
    }
    Ok(row)
}

impl SqlJobStore {
    /// Expires the active jobs among `ids`, for `reason`, a chunk per transaction.
    async fn expire_for(
        &self,
        ids: &[String],
        now: DateTime<Utc>,
        reason: ExpiredReason,
    ) -> Result<u64, JobStoreError> {
        let now = micros(now);
        let mut n = 0;
        for chunk in ids.chunks(CHUNK) {
            n += self.expire_chunk(chunk, now, reason).await?;
        }
        Ok(n)
    }

    /// Expires the active jobs among `ids` in one transaction, for `reason`.
    async fn expire_chunk(
        &self,
        ids: &[String],
        now: DateTime<Utc>,
        reason: ExpiredReason,
    ) -> Result<u64, JobStoreError> {
        let tx = self.db.begin().await.map_err(err("starting a transaction"))?;
        let mut seq = lock_seq(&tx).await?;
        let mut active: Vec<String> = job::Entity::find()
            .select_only()
            .column(job::Column::Id)
            .filter(job::Column::Id.is_in(ids.iter().cloned()))
            .filter(job::Column::ExpiredAt.is_null())
            .into_tuple()
            .all(&tx)
            .await
            .map_err(err("reading jobs to expire"))?;
        active.sort();
        for id in &active {
            seq += 1;
            job::Entity::update_many()
                .col_expr(job::Column::ExpiredAt, Expr::value(now))
                .col_expr(job::Column::ExpiredReason, Expr::value(reason.as_str()))
                .col_expr(job::Column::Seq, Expr::value(seq))
                .filter(job::Column::Id.eq(id.as_str()))
                .exec(&tx)
                .await
                .map_err(err("expiring a job"))?;
        }
        let held = index::remove(&tx, &active).await?;
        index::mark_hidden(&tx, held).await?;
        store_seq(&tx, seq).await?;
        tx.commit().await.map_err(err("committing expiries"))?;
        self.keep_statistics(active.len());
        Ok(active.len() as u64)
    }
}

#[async_trait]
impl JobStore for SqlJobStore {
    async fn upsert(&self, jobs: &[Job], now: DateTime<Utc>) -> Result<UpsertReport, JobStoreError> {
        let now = micros(now);
        // One entry per id (the last wins), in a stable order.
        let mut unique: Vec<&Job> = Vec::with_capacity(jobs.len());
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for job in jobs {
            match seen.get(job.id.as_str()) {
                Some(&i) => unique[i] = job,
                None => {
                    seen.insert(&job.id, unique.len());
                    unique.push(job);
                }
            }
        }
        let mut report = UpsertReport::default();
        if unique.is_empty() {
            return Ok(report);
        }
        let tx = self.db.begin().await.map_err(err("starting a transaction"))?;
        let mut seq = lock_seq(&tx).await?;
        // Every posting whose `seq` moves, with it: its corpus index row is replaced.
        let mut moved: Vec<(&Job, i64)> = Vec::new();
        for chunk in unique.chunks(CHUNK) {
            let existing: HashMap<String, (String, Option<DateTime<Utc>>)> = job::Entity::find()
                .select_only()
                .columns([job::Column::Id, job::Column::ContentHash, job::Column::ExpiredAt])
                .filter(job::Column::Id.is_in(chunk.iter().map(|j| j.id.clone())))
                .into_tuple::<(String, String, Option<DateTime<Utc>>)>()
                .all(&tx)
                .await
                .map_err(err("reading stored jobs"))?
                .into_iter()
                .map(|(id, hash, expired)| (id, (hash, expired)))
                .collect();
            let mut inserts = Vec::new();
            let mut unchanged = Vec::new();
            for job in chunk {
                let hash = content_hash(job);
                match existing.get(&job.id) {
                    None => {
                        seq += 1;
                        moved.push((job, seq));
                        inserts.push(new_row(job, hash, seq, now)?);
                        report.inserted += 1;
                    }
                    Some((old, None)) if *old == hash => {
                        unchanged.push(job.id.clone());
                        report.unchanged += 1;
                    }
                    Some((_, expired)) => {
                        seq += 1;
                        moved.push((job, seq));
                        if expired.is_some() {
                            report.reactivated += 1;
                        } else {
                            report.changed += 1;
                        }
                        let c = content(job)?;
                        let mut update = job::Entity::update_many();
                        for (col, value) in corpus_columns(job) {
                            update = update.col_expr(col, Expr::value(value));
                        }
                        update
                            .col_expr(job::Column::Seq, Expr::value(seq))
                            .col_expr(job::Column::Fingerprint, Expr::value(c.fingerprint))
                            .col_expr(job::Column::Source, Expr::value(c.source))
                            .col_expr(job::Column::Country, Expr::value(c.country))
                            .col_expr(job::Column::Remote, Expr::value(c.remote))
                            .col_expr(job::Column::ContentHash, Expr::value(hash))
                            .col_expr(job::Column::Body, Expr::value(c.body))
                            .col_expr(job::Column::PostedAt, Expr::value(c.posted_at))
                            .col_expr(job::Column::ValidThrough, Expr::value(c.valid_through))
                            .col_expr(job::Column::LastSeenAt, Expr::value(now))
                            .col_expr(job::Column::UpdatedAt, Expr::value(now))
                            .col_expr(job::Column::ExpiredAt, Expr::value(Option::<DateTime<Utc>>::None))
                            .col_expr(job::Column::ExpiredReason, Expr::value(Option::<String>::None))
                            .filter(job::Column::Id.eq(job.id.as_str()))
                            .exec(&tx)
                            .await
                            .map_err(err("updating a job"))?;
                    }
                }
            }
            if !inserts.is_empty() {
                job::Entity::insert_many(inserts).exec(&tx).await.map_err(err("inserting jobs"))?;
            }
            if !unchanged.is_empty() {
                job::Entity::update_many()
                    .col_expr(job::Column::LastSeenAt, Expr::value(now))
                    .filter(job::Column::Id.is_in(unchanged))
                    // Never backwards: a slower writer (another node's import of the same file)
                    // must not make a job look unseen since an earlier time.
                    .filter(job::Column::LastSeenAt.lt(now))
                    .exec(&tx)
                    .await
                    .map_err(err("marking jobs seen"))?;
            }
        }
        index::put(&tx, &moved).await?;
        store_seq(&tx, seq).await?;
        tx.commit().await.map_err(err("committing jobs"))?;
        self.keep_statistics(moved.len());
        Ok(report)
    }

    async fn feed(&self, q: &FeedQuery) -> Result<FeedPage, JobStoreError> {
        self.read_feed(q).await
    }

    async fn expired(&self, q: &ExpiredQuery) -> Result<ExpiredPage, JobStoreError> {
        self.read_expired(q).await
    }

    async fn expire_unseen(&self, seen_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64, JobStoreError> {
        let ids: Vec<String> = job::Entity::find()
            .select_only()
            .column(job::Column::Id)
            .filter(job::Column::ExpiredAt.is_null())
            .filter(
                Condition::any()
                    .add(job::Column::Source.ne(SourceId::Import.as_str()))
                    .add(job::Column::ValidThrough.lt(micros(now))),
            )
            .filter(
                Condition::any()
                    .add(job::Column::LastSeenAt.lt(micros(seen_before)))
                    .add(job::Column::ValidThrough.lt(micros(now))),
            )
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(err("finding unseen jobs"))?;
        self.expire_for(&ids, now, ExpiredReason::Age).await
    }

    async fn expire_ids(&self, ids: &[String], now: DateTime<Utc>) -> Result<u64, JobStoreError> {
        self.expire_for(ids, now, ExpiredReason::Gone).await
    }

    async fn expire_source_unseen(
        &self,
        source: SourceId,
        seen_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, JobStoreError> {
        let ids: Vec<String> = job::Entity::find()
            .select_only()
            .column(job::Column::Id)
            .filter(job::Column::ExpiredAt.is_null())
            .filter(job::Column::Source.eq(source.as_str()))
            .filter(job::Column::LastSeenAt.lt(micros(seen_before)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(err("finding a source's unseen jobs"))?;
        self.expire_for(&ids, now, ExpiredReason::LeftListing).await
    }

    async fn stale(
        &self,
        sources: &[SourceId],
        seen_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StoredJob>, JobStoreError> {
        self.read_stale(sources, seen_before, limit).await
    }

    async fn corpus(&self, q: &CorpusQuery) -> Result<Vec<CorpusRow>, JobStoreError> {
        self.read_corpus(q).await
    }

    async fn find(&self, q: &CorpusQuery, limit: usize) -> Result<Vec<Job>, JobStoreError> {
        self.read_find(q, limit).await
    }

    async fn get(&self, id: &str) -> Result<Option<FoundJob>, JobStoreError> {
        self.read_get(id).await
    }

    async fn corpus_page(&self, q: &CorpusPageQuery) -> Result<CorpusPage, JobStoreError> {
        self.read_corpus_page(q).await
    }

    async fn corpus_count(&self, filter: &CorpusFilter, bound: u64) -> Result<u64, JobStoreError> {
        self.read_corpus_count(filter, bound).await
    }

    async fn corpus_facets(&self, filter: &CorpusFilter, facets: &[Facet]) -> Result<FacetTally, JobStoreError> {
        self.read_corpus_facets(filter, facets).await
    }
}
