//! The job store's reads: the feed and the expired stream (keyset pages by `seq`), the corpus
//! the analytics read (filtered in the database, FTS5 in SQLite, tsvector in PostgreSQL), and one
//! job by its id or a copy's.

use chrono::{DateTime, Utc};
use jobin_core::domain::{AnnualSalary, Job, JobFacts, Seniority};
use jobin_core::ports::{
    CorpusQuery, CorpusRow, ExpiredPage, ExpiredQuery, ExpiredReason, FeedPage, FeedQuery, FoundJob, JobStoreError,
    StoredJob,
};
use sea_orm::sea_query::{Expr, NullOrdering, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, DbBackend, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::db::entities::job;

use super::{SqlJobStore, err, micros};

pub(super) fn stored(row: job::Model) -> Result<StoredJob, JobStoreError> {
    let job: Job = serde_json::from_str(&row.body)
        .map_err(|e| JobStoreError::Failed(anyhow::Error::new(e).context(format!("stored job {}", row.id))))?;
    Ok(StoredJob {
        job,
        seq: row.seq,
        first_seen_at: row.first_seen_at,
        last_seen_at: row.last_seen_at,
        updated_at: row.updated_at,
    })
}

/// PostgreSQL's `tsquery` for word-prefix matching of every word (`'rust':* & 'dev':*`).
pub(super) fn tsquery(words: &[String]) -> String {
    words.iter().map(|w| format!("'{}':*", w.replace('\\', "").replace('\'', "''"))).collect::<Vec<_>>().join(" & ")
}

/// SQLite's FTS5 query over `jobs_fts` for word-prefix matching: every word of `words` starts a
/// word of `search_text`, every word of `place` a word of `place_text`. `None` without words.
pub(super) fn fts_query(words: &[String], place: &[String]) -> Option<String> {
    let phrase =
        |ws: &[String]| ws.iter().map(|w| format!("\"{}\"*", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" AND ");
    let mut parts = Vec::new();
    if !words.is_empty() {
        parts.push(format!("search_text : ({})", phrase(words)));
    }
    if !place.is_empty() {
        parts.push(format!("place_text : ({})", phrase(place)));
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// The text-index condition for word-prefix matching (`CorpusQuery::matches`): every word of
/// `words` starts a word of `search_text`, every word of `place` a word of `place_text`.
/// SQLite: the FTS5 table `jobs_fts` (rowid = `seq`); PostgreSQL: the stored `search_tsv` /
/// `place_tsv` (`to_tsvector('simple', …)`) under their GIN indexes. `None` when there are no words.
fn text_match(backend: DbBackend, words: &[String], place: &[String]) -> Option<SimpleExpr> {
    if words.is_empty() && place.is_empty() {
        return None;
    }
    if backend == DbBackend::Postgres {
        let mut cond = Condition::all();
        if !words.is_empty() {
            cond = cond.add(Expr::cust_with_values("search_tsv @@ to_tsquery('simple', $1)", [tsquery(words)]));
        }
        if !place.is_empty() {
            cond = cond.add(Expr::cust_with_values("place_tsv @@ to_tsquery('simple', $1)", [tsquery(place)]));
        }
        return Some(cond.into());
    }
    let query = fts_query(words, place)?;
    Some(Expr::cust_with_values("seq IN (SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH ?)", [query]))
}

impl SqlJobStore {
    pub(super) async fn read_feed(&self, q: &FeedQuery) -> Result<FeedPage, JobStoreError> {
        let mut select =
            job::Entity::find().filter(job::Column::Seq.gt(q.after)).filter(job::Column::ExpiredAt.is_null());
        if let Some(t) = q.updated_since {
            select = select.filter(job::Column::UpdatedAt.gte(micros(t)));
        }
        if let Some(c) = &q.country {
            select = select.filter(job::Column::Country.eq(c.as_str()));
        }
        if let Some(r) = q.remote {
            select = select.filter(job::Column::Remote.eq(r));
        }
        if let Some(s) = q.source {
            select = select.filter(job::Column::Source.eq(s.as_str()));
        }
        if let Some(m) = text_match(self.db.get_database_backend(), &q.words, &[]) {
            select = select.filter(m);
        }
        let mut rows = select
            .order_by_asc(job::Column::Seq)
            .limit((q.limit + 1) as u64)
            .all(&self.db)
            .await
            .map_err(err("reading the feed"))?;
        let has_more = rows.len() > q.limit;
        rows.truncate(q.limit);
        Ok(FeedPage { jobs: rows.into_iter().map(stored).collect::<Result<_, _>>()?, has_more })
    }

    pub(super) async fn read_expired(&self, q: &ExpiredQuery) -> Result<ExpiredPage, JobStoreError> {
        let mut ids: Vec<(String, i64)> = job::Entity::find()
            .select_only()
            .columns([job::Column::Id, job::Column::Seq])
            .filter(job::Column::Seq.gt(q.after))
            .filter(job::Column::ExpiredAt.gte(micros(q.since)))
            .order_by_asc(job::Column::Seq)
            .limit((q.limit + 1) as u64)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(err("reading expired jobs"))?;
        let has_more = ids.len() > q.limit;
        ids.truncate(q.limit);
        Ok(ExpiredPage { ids, has_more })
    }

    pub(super) async fn read_corpus(&self, q: &CorpusQuery) -> Result<Vec<CorpusRow>, JobStoreError> {
        type Row = (String, String, Option<String>, Option<f64>, String, bool, Option<String>, Option<DateTime<Utc>>);
        let rows: Vec<Row> = self
            .matching(q)
            .select_only()
            .columns([
                job::Column::Id,
                job::Column::CopyIds,
                job::Column::SalaryCurrency,
                job::Column::SalaryAnnual,
                job::Column::Skills,
                job::Column::RemoteAny,
                job::Column::Seniority,
                job::Column::PostedAt,
            ])
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(err("reading the corpus"))?;
        let lines = |s: &str| -> Vec<String> { s.split('\n').filter(|l| !l.is_empty()).map(str::to_owned).collect() };
        Ok(rows
            .into_iter()
            .map(|(id, copies, currency, annual, skills, remote, seniority, posted_at)| CorpusRow {
                id,
                copies: lines(&copies),
                facts: JobFacts {
                    salary: currency.zip(annual).map(|(currency, annual)| AnnualSalary { currency, annual }),
                    skills: lines(&skills),
                    remote,
                    seniority: seniority.as_deref().and_then(Seniority::parse),
                    posted_at,
                },
            })
            .collect())
    }

    pub(super) async fn read_stale(
        &self,
        sources: &[jobin_core::domain::SourceId],
        seen_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StoredJob>, JobStoreError> {
        if sources.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let rows = job::Entity::find()
            .filter(job::Column::ExpiredAt.is_null())
            .filter(job::Column::Source.is_in(sources.iter().map(|s| s.as_str())))
            .filter(job::Column::LastSeenAt.lt(micros(seen_before)))
            .order_by_asc(job::Column::LastSeenAt)
            .order_by_asc(job::Column::Id)
            .limit(limit as u64)
            .all(&self.db)
            .await
            .map_err(err("finding stale jobs"))?;
        rows.into_iter().map(stored).collect()
    }

    pub(super) async fn read_find(&self, q: &CorpusQuery, limit: usize) -> Result<Vec<Job>, JobStoreError> {
        let rows = self
            .matching(q)
            .order_by_with_nulls(job::Column::PostedAt, Order::Desc, NullOrdering::Last)
            .order_by_asc(job::Column::Id)
            .limit(limit as u64)
            .all(&self.db)
            .await
            .map_err(err("finding jobs"))?;
        rows.into_iter().map(|r| stored(r).map(|s| s.job)).collect()
    }

    pub(super) async fn read_get(&self, id: &str) -> Result<Option<FoundJob>, JobStoreError> {
        let own = job::Entity::find_by_id(id.to_owned()).one(&self.db).await.map_err(err("reading a job"))?;
        let row = match own {
            Some(row) => Some(row),
            // No listing id is empty or spans lines.
            None if id.is_empty() || id.contains('\n') => None,
            None => {
                // `copy_ids` holds one id per line: look for the whole line, whatever the id holds.
                let line = format!("\n{id}\n");
                let holds = match self.db.get_database_backend() {
                    DbBackend::Postgres => {
                        Expr::cust_with_values("strpos(E'\\n' || copy_ids || E'\\n', $1) > 0", [line])
                    }
                    _ => Expr::cust_with_values("instr(char(10) || copy_ids || char(10), ?) > 0", [line]),
                };
                job::Entity::find()
                    .filter(holds)
                    .order_by_with_nulls(job::Column::ExpiredAt, Order::Desc, NullOrdering::First)
                    .order_by_desc(job::Column::Seq)
                    .one(&self.db)
                    .await
                    .map_err(err("reading a merged job"))?
            }
        };
        row.map(|r| {
            let expired_at = r.expired_at;
            let expired_reason = r.expired_reason.as_deref().and_then(ExpiredReason::parse);
            stored(r).map(|stored| FoundJob { stored, expired_at, expired_reason })
        })
        .transpose()
    }
    /// Active jobs `q` matches (see `CorpusQuery::matches`), filtered in the database.
    fn matching(&self, q: &CorpusQuery) -> Select<job::Entity> {
        let mut select = job::Entity::find().filter(job::Column::ExpiredAt.is_null());
        if let Some(c) = &q.country {
            select = select.filter(job::Column::Country.eq(c.as_str()));
        }
        if !q.sources.is_empty() {
            let mask = q.sources.iter().fold(0i64, |m, s| m | s.bit());
            // sea-query's PostgreSQL builder numbers placeholders (`$1`); SQLite's takes `?`.
            let sql = if self.db.get_database_backend() == DbBackend::Postgres {
                "(source_mask & $1) <> 0"
            } else {
                "(source_mask & ?) <> 0"
            };
            select = select.filter(Expr::cust_with_values(sql, [mask]));
        }
        if let Some(t) = q.posted_since {
            select = select.filter(job::Column::PostedAt.gte(micros(t)));
        }
        if let Some(m) = text_match(self.db.get_database_backend(), &q.words, &q.place_words) {
            select = select.filter(m);
        }
        select
    }
}
