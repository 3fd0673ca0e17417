//! The corpus search's reads over `job_index` (see `index.rs`): the filter in SQL, keyset pages in
//! the order's own index, bounded counts, and the facets in one grouped pass that also counts every
//! covered posting. Words are matched on the rows another indexed condition selects, or else
//! through a text index (see [`words_for`]).

use jobin_core::domain::SourceId;
use jobin_core::domain::corpus::{
    COMPANY_FACET_SIZE, CorpusFilter, CorpusSort, Facet, FacetTally, Position, SALARY_BIN, SortOrder,
};
use jobin_core::ports::{CorpusPage, CorpusPageQuery, JobStoreError, StoredJob};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryResult};
use std::collections::HashMap;

use super::index::{SEVERAL, Sql};
use super::reads::{fts_query, stored, tsquery};
use super::{SqlJobStore, err};
use crate::db::entities::job;

/// How words are matched.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Words {
    /// A substring match on the rows the other conditions select (or the order's index walks,
    /// stopping at a page): never reads every posting a common word matches from a text index.
    OnRows,
    /// A text index first: SQLite's `jobs_fts`, PostgreSQL's `job_index.search_tsv` /
    /// `place_tsv` under GIN (weighed by its planner).
    TextIndex,
}

/// How a pass matches words. Another indexed condition (country, company, dates, salary) bounds
/// the rows read, so words are matched on them: a text index would first collect every posting a
/// common word matches (hundreds of thousands for `engineer`, and PostgreSQL cannot estimate a
/// prefix's share to avoid it). Without one, a pass over every covered posting (counts, facets,
/// relevance) reads the text index; so does every PostgreSQL pass, whose planner may still walk
/// the order's index instead; a SQLite page walks the order's index, stopping at a page.
fn words_for(f: &CorpusFilter, backend: DbBackend, every_posting: bool) -> Words {
    if anchored(f) {
        Words::OnRows
    } else if every_posting || backend == DbBackend::Postgres {
        Words::TextIndex
    } else {
        Words::OnRows
    }
}

/// Whether a condition other than words narrows the postings through an index.
fn anchored(f: &CorpusFilter) -> bool {
    !f.countries.is_empty()
        || f.company.is_some()
        || f.posted_since.is_some()
        || f.posted_before.is_some()
        || f.salary.is_some()
}

/// Appends `filter` as conditions on `job_index x` (after a `WHERE`).
fn conditions(sql: &mut Sql, backend: DbBackend, f: &CorpusFilter, words: Words) {
    sql.push("NOT x.hidden AND (x.source_mask & ").bind(f.within).push(") <> 0");
    if !f.sources.is_empty() {
        sql.push(" AND (x.source_mask & ").bind(f.sources_mask()).push(") <> 0");
    }
    if !f.countries.is_empty() {
        // The country index for the codes asked and for postings in several countries, whose
        // list is then checked.
        sql.push(" AND x.country IN ")
            .list(f.countries.iter().cloned().chain([SEVERAL.to_owned()]))
            .push(" AND (x.country <> ")
            .bind(SEVERAL)
            .push(" OR ");
        for (i, c) in f.countries.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("x.countries LIKE ").bind(format!("%,{c},%"));
        }
        sql.push(")");
    }
    if let Some(r) = f.remote {
        sql.push(" AND x.remote = ").bind(r);
    }
    if !f.employment_types.is_empty() {
        sql.push(" AND x.employment_type IN ").list(f.employment_types.iter().map(|e| e.as_str()));
    }
    if !f.seniorities.is_empty() {
        sql.push(" AND x.seniority IN ").list(f.seniorities.iter().map(|s| s.as_str()));
    }
    if let Some(c) = &f.company {
        sql.push(" AND x.company_key = ").bind(c.clone());
    }
    if let Some(t) = f.posted_since {
        sql.push(" AND x.posted_rank <> 0 AND x.posted_rank >= ").bind(t.timestamp_micros());
    }
    if let Some(t) = f.posted_before {
        sql.push(" AND x.posted_rank <> 0 AND x.posted_rank < ").bind(t.timestamp_micros());
    }
    match f.has_salary {
        Some(true) => sql.push(" AND x.salary_currency IS NOT NULL"),
        Some(false) => sql.push(" AND x.salary_currency IS NULL"),
        None => sql,
    };
    if let Some(v) = f.visa_sponsorship {
        sql.push(" AND x.visa = ").bind(v);
    }
    if let Some(s) = &f.salary {
        sql.push(" AND x.salary_currency = ").bind(s.currency.clone());
        if let Some(min) = s.min {
            sql.push(" AND x.annual_max >= ").bind(min);
        }
        if let Some(max) = s.max {
            sql.push(" AND x.annual_min <= ").bind(max);
        }
    }
    match words {
        // Word prefixes of the folded text (letters and digits between single spaces, stored
        // after one): the substring ` w`, found byte for byte (folded text is lower case already).
        Words::OnRows => {
            let find = find(backend);
            for (column, ws) in [("search_text", &f.words), ("place_text", &f.place_words)] {
                for w in ws {
                    sql.push(&format!(" AND {find}(x.{column}, ")).bind(format!(" {w}")).push(") > 0");
                }
            }
        }
        Words::TextIndex if backend == DbBackend::Postgres => {
            for (column, ws) in [("search_tsv", &f.words), ("place_tsv", &f.place_words)] {
                if !ws.is_empty() {
                    sql.push(&format!(" AND x.{column} @@ to_tsquery('simple', ")).bind(tsquery(ws)).push(")");
                }
            }
        }
        Words::TextIndex => {
            if let Some(m) = fts_query(&f.words, &f.place_words) {
                sql.push(" AND x.seq IN (SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH ").bind(m).push(")");
            }
        }
    }
}

/// The order's keys as SQL expressions over `job_index x` (`Position::of`); a key that is the
/// same for every posting (`0`) is left out of the ordering and the keyset condition.
struct Keys {
    first: String,
    second: String,
}

/// A key that is the same for every posting (typed, as PostgreSQL reads an untyped `0` as `int4`).
const ZERO: &str = "CAST(0 AS BIGINT)";

impl Keys {
    fn varying(&self) -> Vec<(&str, bool)> {
        [(self.first.as_str(), true), (self.second.as_str(), false)].into_iter().filter(|(e, _)| *e != ZERO).collect()
    }
}

/// The substring search function: `instr` on SQLite, `strpos` on PostgreSQL.
fn find(backend: DbBackend) -> &'static str {
    if backend == DbBackend::Postgres { "strpos" } else { "instr" }
}

fn keys(backend: DbBackend, sort: CorpusSort, words: &[String]) -> Keys {
    let keys = |first: &str, second: &str| Keys { first: first.to_owned(), second: second.to_owned() };
    match sort {
        CorpusSort::PostedAt => keys("x.posted_rank", ZERO),
        // Asked for with a salary currency only (the use case requires it): every posting covered
        // has a salary, and the order reads the salary index.
        CorpusSort::Salary => keys("x.salary_rank", "x.posted_rank"),
        CorpusSort::Relevance if words.is_empty() => keys(ZERO, "x.posted_rank"),
        CorpusSort::Relevance => {
            // Words found in the normalized title (stored after a space, as the texts are).
            // Folded words are letters and digits only, so they are written as literals (the
            // expression appears more than once); quotes are doubled all the same.
            let score: Vec<String> = words
                .iter()
                .map(|w| {
                    format!(
                        "(CASE WHEN {}(x.title, ' {}') > 0 THEN 1 ELSE 0 END)",
                        find(backend),
                        w.replace('\'', "''")
                    )
                })
                .collect();
            keys(&format!("CAST(({}) AS BIGINT)", score.join(" + ")), "x.posted_rank")
        }
    }
}

fn number(row: &QueryResult, column: &str) -> Result<i64, JobStoreError> {
    row.try_get::<i64>("", column).map_err(err("reading the corpus index"))
}

impl SqlJobStore {
    pub(super) async fn read_corpus_page(&self, q: &CorpusPageQuery) -> Result<CorpusPage, JobStoreError> {
        let backend = self.db.get_database_backend();
        let mut sql = Sql::new(backend);
        let k = keys(backend, q.sort, &q.filter.words);
        sql.push(&format!("SELECT x.seq, x.id, {} AS k1, {} AS k2 FROM job_index x WHERE ", k.first, k.second));
        conditions(&mut sql, backend, &q.filter, words_for(&q.filter, backend, q.sort == CorpusSort::Relevance));
        let (cmp, dir) = match q.order {
            SortOrder::Asc => (">", "ASC"),
            SortOrder::Desc => ("<", "DESC"),
        };
        let varying = k.varying();
        if let Some(after) = &q.after {
            let mut tuple: Vec<&str> = varying.iter().map(|(e, _)| *e).collect();
            tuple.push("x.id");
            sql.push(&format!(" AND ({}) {cmp} (", tuple.join(", ")));
            for (_, is_first) in &varying {
                sql.bind(if *is_first { after.first } else { after.second }).push(", ");
            }
            sql.bind(after.id.clone()).push(")");
        }
        let order: Vec<String> =
            varying.iter().map(|(e, _)| *e).chain(["x.id"]).map(|e| format!("{e} {dir}")).collect();
        sql.push(&format!(" ORDER BY {} LIMIT ", order.join(", ")));
        sql.bind((q.limit + 1) as i64);
        let rows = self.db.query_all_raw(sql.statement()).await.map_err(err("searching the corpus"))?;
        let has_more = rows.len() > q.limit;
        let mut hits = Vec::with_capacity(q.limit);
        for row in rows.iter().take(q.limit) {
            let seq = number(row, "seq")?;
            let id: String = row.try_get("", "id").map_err(err("reading the corpus index"))?;
            hits.push((seq, Position { first: number(row, "k1")?, second: number(row, "k2")?, id }));
        }
        let bodies = self.bodies(hits.iter().map(|(seq, _)| *seq)).await?;
        let mut jobs = Vec::with_capacity(hits.len());
        for (seq, at) in hits {
            // Indexed in the same transaction as its row: a body is always there.
            let job = bodies.get(&seq).cloned().ok_or_else(|| {
                JobStoreError::Failed(anyhow::anyhow!("the corpus index names posting {} without its row", at.id))
            })?;
            jobs.push((job, at));
        }
        Ok(CorpusPage { jobs, has_more })
    }

    /// The jobs stored under these `seq`s.
    async fn bodies(&self, seqs: impl Iterator<Item = i64>) -> Result<HashMap<i64, StoredJob>, JobStoreError> {
        let seqs: Vec<i64> = seqs.collect();
        if seqs.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = job::Entity::find()
            .filter(job::Column::Seq.is_in(seqs))
            .all(&self.db)
            .await
            .map_err(err("reading jobs"))?;
        let mut out = HashMap::with_capacity(rows.len());
        for row in rows {
            let seq = row.seq;
            out.insert(seq, stored(row)?);
        }
        Ok(out)
    }

    pub(super) async fn read_corpus_count(&self, filter: &CorpusFilter, bound: u64) -> Result<u64, JobStoreError> {
        let backend = self.db.get_database_backend();
        let mut sql = Sql::new(backend);
        sql.push("SELECT COUNT(*) AS n FROM (SELECT 1 FROM job_index x WHERE ");
        conditions(&mut sql, backend, filter, words_for(filter, backend, true));
        sql.push(" LIMIT ").bind(bound.min(i64::MAX as u64) as i64).push(") t");
        let row = self.db.query_one_raw(sql.statement()).await.map_err(err("counting the corpus"))?;
        Ok(row.map(|r| number(&r, "n")).transpose()?.unwrap_or(0).max(0) as u64)
    }

    pub(super) async fn read_corpus_facets(
        &self,
        filter: &CorpusFilter,
        facets: &[Facet],
    ) -> Result<FacetTally, JobStoreError> {
        let backend = self.db.get_database_backend();
        let mut tally = FacetTally::default();
        // Every facet but the company's in one grouped pass; the company's (top N) in another.
        let columns: Vec<&str> = facets
            .iter()
            .flat_map(|f| match f {
                Facet::Source => vec!["x.source_mask"],
                Facet::Country => vec!["x.countries"],
                Facet::EmploymentType => vec!["x.employment_type"],
                Facet::Seniority => vec!["x.seniority"],
                Facet::Salary => vec!["x.salary_currency", "x.salary_rank / 10000"],
                Facet::Company => vec![],
            })
            .collect();
        debug_assert_eq!(SALARY_BIN, 10_000, "the grouped pass bins by this");
        if !columns.is_empty() {
            let aliased: Vec<String> = columns.iter().enumerate().map(|(i, c)| format!("{c} AS g{i}")).collect();
            let groups: Vec<String> = (0..columns.len()).map(|i| format!("g{i}")).collect();
            let mut sql = Sql::new(backend);
            sql.push(&format!("SELECT {}, COUNT(*) AS n FROM job_index x WHERE ", aliased.join(", ")));
            conditions(&mut sql, backend, filter, words_for(filter, backend, true));
            sql.push(&format!(" GROUP BY {}", groups.join(", ")));
            let rows = self.db.query_all_raw(sql.statement()).await.map_err(err("counting facets"))?;
            let mut covered = 0;
            for row in rows {
                let n = number(&row, "n")?.max(0) as u64;
                covered += n;
                let text = |i: usize| -> Result<Option<String>, JobStoreError> {
                    row.try_get::<Option<String>>("", &format!("g{i}")).map_err(err("reading facets"))
                };
                let mut i = 0;
                for f in facets {
                    match f {
                        Facet::Source => {
                            let mask = number(&row, &format!("g{i}"))?;
                            for s in SourceId::ALL.into_iter().chain([SourceId::Import]) {
                                if mask & s.bit() != 0 {
                                    *tally.source.entry(s).or_default() += n;
                                }
                            }
                            i += 1;
                        }
                        Facet::Country => {
                            for c in text(i)?.unwrap_or_default().split(',').filter(|c| !c.is_empty()) {
                                *tally.country.entry(c.to_owned()).or_default() += n;
                            }
                            i += 1;
                        }
                        Facet::EmploymentType => {
                            let found = text(i)?.and_then(|e| {
                                jobin_core::domain::EmploymentType::ALL.into_iter().find(|t| t.as_str() == e)
                            });
                            if let Some(e) = found {
                                *tally.employment_type.entry(e.as_str()).or_default() += n;
                            }
                            i += 1;
                        }
                        Facet::Seniority => {
                            if let Some(s) = text(i)?.as_deref().and_then(jobin_core::domain::Seniority::parse) {
                                *tally.seniority.entry(s.as_str()).or_default() += n;
                            }
                            i += 1;
                        }
                        Facet::Salary => {
                            let bin = row
                                .try_get::<Option<i64>>("", &format!("g{}", i + 1))
                                .map_err(err("reading facets"))?;
                            if let (Some(currency), Some(bin)) = (text(i)?, bin) {
                                *tally.salary_bins.entry((currency, bin)).or_default() += n;
                            }
                            i += 2;
                        }
                        Facet::Company => {}
                    }
                }
            }
            tally.covered = Some(covered);
        }
        if facets.contains(&Facet::Company) {
            let mut sql = Sql::new(backend);
            sql.push("SELECT x.company_key AS k, MIN(x.company) AS name, COUNT(*) AS n FROM job_index x WHERE ");
            conditions(&mut sql, backend, filter, words_for(filter, backend, true));
            sql.push(" AND x.company_key <> '' GROUP BY x.company_key ORDER BY n DESC, x.company_key LIMIT ");
            sql.bind(COMPANY_FACET_SIZE as i64);
            let rows = self.db.query_all_raw(sql.statement()).await.map_err(err("counting companies"))?;
            for row in rows {
                let key: String = row.try_get("", "k").map_err(err("reading facets"))?;
                let name: String = row.try_get("", "name").map_err(err("reading facets"))?;
                tally.company.push((key, name, number(&row, "n")?.max(0) as u64));
            }
        }
        Ok(tally)
    }
}
