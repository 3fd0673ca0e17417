//! The corpus index: one narrow row per active posting in `job_index` (the `Indexed` fields the
//! corpus search filters, sorts and counts by, keyed by the posting's `seq`, so the text index of
//! `jobs` joins it), and `job_copies` (each active posting's merged listings), from which
//! `job_index.hidden` marks a posting that another active posting already holds as a copy — the
//! rule `analytics::distinct` applies: held by a posting it does not hold back, or held mutually
//! by one whose id sorts first. A search never shows a hidden row, so no job counts twice.
//!
//! Written in the job store's own transactions: a posting's row is replaced whenever its `seq`
//! moves (insert, change, reactivation) and removed when it expires. It holds the folded search and
//! place texts too, so a filter with another indexed condition matches words on the rows that
//! condition selects instead of materializing every posting a common word matches.

use jobin_core::domain::Job;
use jobin_core::domain::corpus::Indexed;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::{CHUNK, err};
use jobin_core::ports::JobStoreError;

/// A statement under construction, with placeholders in the backend's spelling.
pub(crate) struct Sql {
    backend: DbBackend,
    pub(crate) text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Sql { backend, text: String::new(), values: Vec::new() }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `v`.
    pub(crate) fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.values.push(v.into());
        if self.backend == DbBackend::Postgres {
            let n = self.values.len();
            self.text.push_str(&format!("${n}"));
        } else {
            self.text.push('?');
        }
        self
    }

    /// `(?, ?, …)` bound to `items`.
    pub(crate) fn list<V: Into<Value>>(&mut self, items: impl IntoIterator<Item = V>) -> &mut Self {
        self.push("(");
        for (i, v) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")")
    }

    pub(crate) fn statement(&self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text.clone(), self.values.clone())
    }
}

/// Index rows per `INSERT` (20 values each). `title`, `search_text` and `place_text` are stored
/// after a space, so every word of them starts after one: a word prefix `w` is the substring ` w`.
const ROWS_PER_INSERT: usize = 30;

const COLUMNS: &str = "seq, id, hidden, country, countries, remote, employment_type, seniority, source_mask, \
                       company_key, company, salary_currency, annual_min, annual_max, salary_rank, visa, posted_rank, \
                       title, search_text, place_text";

/// `country` of a posting with places in several countries (`countries` lists them): a country
/// filter reads the country index for the codes asked and this one, then checks `countries`.
pub(crate) const SEVERAL: &str = "*";

/// Replaces the index rows of `jobs` (each with its new `seq`; all active) and their copies, then
/// re-marks every posting whose hiding may have changed.
pub(crate) async fn put<C: ConnectionTrait>(tx: &C, jobs: &[(&Job, i64)]) -> Result<(), JobStoreError> {
    if jobs.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = jobs.iter().map(|(j, _)| j.id.clone()).collect();
    let mut touched = remove(tx, &ids).await?;
    touched.extend(fill(tx, jobs).await?);
    touched.extend(ids);
    mark_hidden(tx, touched).await
}

/// Inserts the index rows and copies of `jobs` (none indexed yet) and returns the listings they
/// hold. `hidden` is left false: the caller marks it.
pub(crate) async fn fill<C: ConnectionTrait>(tx: &C, jobs: &[(&Job, i64)]) -> Result<Vec<String>, JobStoreError> {
    let backend = tx.get_database_backend();
    for chunk in jobs.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new(backend);
        sql.push(&format!("INSERT INTO job_index ({COLUMNS}) VALUES "));
        for (i, (job, seq)) in chunk.iter().enumerate() {
            let p = Indexed::of(job);
            if i > 0 {
                sql.push(", ");
            }
            let salary = p.salary.as_ref();
            let country = match p.countries.as_slice() {
                [] => String::new(),
                [one] => one.clone(),
                _ => SEVERAL.to_owned(),
            };
            let values: [Value; 20] = [
                (*seq).into(),
                p.id.clone().into(),
                false.into(),
                country.into(),
                p.countries_column().into(),
                p.remote.into(),
                p.employment_type.map(|e| e.as_str().to_owned()).into(),
                p.seniority.map(|s| s.as_str().to_owned()).into(),
                p.source_mask.into(),
                p.company_key.clone().into(),
                p.company.chars().take(200).collect::<String>().into(),
                salary.map(|s| s.currency.clone()).into(),
                salary.map(|s| s.annual_min).into(),
                salary.map(|s| s.annual_max).into(),
                salary.map(|s| s.rank()).into(),
                p.visa_sponsorship.into(),
                p.posted_rank.into(),
                format!(" {}", p.title).into(),
                format!(" {}", p.search_text).into(),
                format!(" {}", p.place_text).into(),
            ];
            sql.list(values);
        }
        tx.execute_raw(sql.statement()).await.map_err(err("indexing jobs"))?;
    }
    let copies: Vec<(&str, &str)> =
        jobs.iter().flat_map(|(j, _)| j.merged_ids().map(move |c| (j.id.as_str(), c))).collect();
    for chunk in copies.chunks(CHUNK / 2) {
        let mut sql = Sql::new(backend);
        sql.push("INSERT INTO job_copies (holder, copy_id) VALUES ");
        for (i, (holder, copy)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.list([*holder, *copy]);
        }
        sql.push(" ON CONFLICT DO NOTHING");
        tx.execute_raw(sql.statement()).await.map_err(err("indexing merged listings"))?;
    }
    Ok(copies.into_iter().map(|(_, c)| c.to_owned()).collect())
}

/// Removes the index rows and copies of `ids` (expired, or about to be re-indexed) and returns
/// the listings they held (whose hiding may change).
pub(crate) async fn remove<C: ConnectionTrait>(tx: &C, ids: &[String]) -> Result<Vec<String>, JobStoreError> {
    let backend = tx.get_database_backend();
    let mut held = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut sql = Sql::new(backend);
        sql.push("SELECT copy_id FROM job_copies WHERE holder IN ").list(chunk.iter().cloned());
        for row in tx.query_all_raw(sql.statement()).await.map_err(err("reading merged listings"))? {
            held.push(row.try_get::<String>("", "copy_id").map_err(err("reading merged listings"))?);
        }
        for table in ["DELETE FROM job_copies WHERE holder IN ", "DELETE FROM job_index WHERE id IN "] {
            let mut sql = Sql::new(backend);
            sql.push(table).list(chunk.iter().cloned());
            tx.execute_raw(sql.statement()).await.map_err(err("removing index rows"))?;
        }
    }
    Ok(held)
}

/// The `hidden` rule: flips the rows whose mark is not what the rule says (a row that keeps its
/// mark is not written: a new posting is not rewritten once more, nor its text index entries on
/// PostgreSQL). Further conditions follow with `AND`.
pub(crate) const HIDDEN_RULE: &str = "UPDATE job_index SET hidden = NOT hidden WHERE hidden <> EXISTS (SELECT 1 \
     FROM job_copies c WHERE c.copy_id = job_index.id AND c.holder <> job_index.id AND (c.holder < job_index.id \
     OR NOT EXISTS (SELECT 1 FROM job_copies m WHERE m.holder = job_index.id AND m.copy_id = c.holder)))";

/// Re-marks `hidden` on the index rows of `ids`.
pub(crate) async fn mark_hidden<C: ConnectionTrait>(tx: &C, mut ids: Vec<String>) -> Result<(), JobStoreError> {
    ids.sort();
    ids.dedup();
    let backend = tx.get_database_backend();
    for chunk in ids.chunks(CHUNK) {
        let mut sql = Sql::new(backend);
        sql.push(HIDDEN_RULE).push(" AND id IN ").list(chunk.iter().cloned());
        tx.execute_raw(sql.statement()).await.map_err(err("marking held postings"))?;
    }
    Ok(())
}
