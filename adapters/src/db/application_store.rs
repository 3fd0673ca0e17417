//! `ApplicationStore` over sea-orm (SQLite and PostgreSQL). Every statement filters by account.

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::application::{ApplicationEvent, ApplicationSort, ApplicationStatus, EventKind, SortOrder};
use jobin_core::domain::normalize::fold;
use jobin_core::domain::{AccountId, PayPeriod, Salary};
use jobin_core::ports::{
    Application, ApplicationFields, ApplicationHistory, ApplicationPage, ApplicationQuery, ApplicationStore,
    ApplicationStoreError, NewEvent,
};
use sea_orm::sea_query::{LikeExpr, NullOrdering, Order};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use super::entities::{application, application_event};

#[derive(Clone)]
pub struct SqlApplicationStore {
    db: DatabaseConnection,
}

impl SqlApplicationStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn err(context: &'static str) -> impl FnOnce(DbErr) -> ApplicationStoreError {
    move |e| {
        if super::is_unavailable(&e) {
            ApplicationStoreError::Unavailable(anyhow::Error::new(e).context(context))
        } else {
            ApplicationStoreError::Failed(anyhow::Error::new(e).context(context))
        }
    }
}

fn corrupt(what: String) -> ApplicationStoreError {
    ApplicationStoreError::Failed(anyhow!(what))
}

fn status(raw: &str, id: i64) -> Result<ApplicationStatus, ApplicationStoreError> {
    ApplicationStatus::parse(raw).map_err(|_| corrupt(format!("application {id}: stored status `{raw}`")))
}

fn to_application(m: application::Model) -> Result<Application, ApplicationStoreError> {
    let salary = match (&m.salary_currency, &m.salary_period) {
        (Some(currency), Some(period)) => {
            let period = PayPeriod::parse(period)
                .ok_or_else(|| corrupt(format!("application {}: stored period `{period}`", m.id)))?;
            Salary::from_bounds(m.salary_min, m.salary_max, currency, period)
        }
        _ => None,
    };
    Ok(Application {
        id: m.id,
        account: AccountId(m.account_id),
        fields: ApplicationFields {
            status: status(&m.status, m.id)?,
            job_title: m.job_title,
            company_name: m.company_name,
            job_id: m.job_id,
            url: m.url,
            location: m.location,
            salary,
            applied_at: m.applied_at,
            notes: m.notes,
            tags: m.tags.lines().filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_event(m: application_event::Model) -> Result<ApplicationEvent, ApplicationStoreError> {
    let kind =
        EventKind::from_stored(&m.kind).ok_or_else(|| corrupt(format!("event {}: stored kind `{}`", m.id, m.kind)))?;
    Ok(ApplicationEvent {
        id: m.id,
        kind,
        at: m.at,
        from_status: m.from_status.as_deref().map(|s| status(s, m.application_id)).transpose()?,
        to_status: m.to_status.as_deref().map(|s| status(s, m.application_id)).transpose()?,
        note: m.note,
        created_at: m.created_at,
    })
}

/// What word search looks in: title, company, notes and tags, folded, with a space at each end so
/// `LIKE '% word%'` matches the start of a word.
pub(crate) fn search_text(title: &str, company: &str, notes: Option<&str>, tags: &[String]) -> String {
    let all = [title, company, notes.unwrap_or_default(), &tags.join(" ")].join(" ");
    format!(" {} ", fold(&all))
}

/// `raw` inside a LIKE pattern, its wildcards and the escape character escaped (escape `\\`).
fn like_escaped(raw: &str) -> String {
    raw.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The columns `fields` sets (all but id, account and the timestamps).
fn set_fields(row: &mut application::ActiveModel, f: ApplicationFields) {
    row.search_text = Set(search_text(&f.job_title, &f.company_name, f.notes.as_deref(), &f.tags));
    row.status_rank = Set(f.status.rank());
    row.company_sort = Set(fold(&f.company_name));
    row.job_title = Set(f.job_title);
    row.company_name = Set(f.company_name);
    row.job_id = Set(f.job_id);
    row.url = Set(f.url);
    row.location = Set(f.location);
    row.salary_min = Set(f.salary.as_ref().map(|s| s.min));
    row.salary_max = Set(f.salary.as_ref().map(|s| s.max));
    row.salary_currency = Set(f.salary.as_ref().map(|s| s.currency.clone()));
    row.salary_period = Set(f.salary.as_ref().map(|s| s.period.as_str().to_owned()));
    row.status = Set(f.status.as_str().to_owned());
    row.applied_at = Set(f.applied_at);
    row.notes = Set(f.notes);
    row.tags = Set(f.tags.join("\n"));
}

async fn insert_event<C: ConnectionTrait>(
    conn: &C,
    application: i64,
    e: NewEvent,
    now: DateTime<Utc>,
) -> Result<ApplicationEvent, ApplicationStoreError> {
    let row = application_event::ActiveModel {
        application_id: Set(application),
        kind: Set(e.kind.as_str().to_owned()),
        at: Set(e.at),
        from_status: Set(e.from_status.map(|s| s.as_str().to_owned())),
        to_status: Set(e.to_status.map(|s| s.as_str().to_owned())),
        note: Set(e.note),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(err("recording an application event"))?;
    to_event(row)
}

async fn owned<C: ConnectionTrait>(
    conn: &C,
    account: AccountId,
    id: i64,
) -> Result<Option<application::Model>, ApplicationStoreError> {
    application::Entity::find_by_id(id)
        .filter(application::Column::AccountId.eq(account.0))
        .one(conn)
        .await
        .map_err(err("reading an application"))
}

/// The filters of `query`, for `account`.
fn condition(account: AccountId, query: &ApplicationQuery) -> Condition {
    use application::Column as C;
    let mut cond = Condition::all().add(C::AccountId.eq(account.0));
    if !query.statuses.is_empty() {
        cond = cond.add(C::Status.is_in(query.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(tag) = &query.tag {
        // Tags are stored one per line: the tag is a whole line of them.
        let t = like_escaped(tag);
        let line = |pattern: String| C::Tags.like(LikeExpr::new(pattern).escape('\\'));
        cond = cond.add(
            Condition::any()
                .add(C::Tags.eq(tag.as_str()))
                .add(line(format!("{t}\n%")))
                .add(line(format!("%\n{t}")))
                .add(line(format!("%\n{t}\n%"))),
        );
    }
    for word in &query.words {
        cond = cond.add(C::SearchText.like(LikeExpr::new(format!("% {}%", like_escaped(word))).escape('\\')));
    }
    if let Some(after) = query.applied_after {
        cond = cond.add(C::AppliedAt.gte(after));
    }
    if let Some(before) = query.applied_before {
        cond = cond.add(C::AppliedAt.lt(before));
    }
    cond
}

/// One row of the analytics query.
#[derive(Debug, FromQueryResult)]
struct HistoryRow {
    id: i64,
    status: String,
    applied_at: Option<DateTime<Utc>>,
    first_response_at: Option<DateTime<Utc>>,
    offers: i64,
}

/// Status names as an SQL list (the names are the domain's constants, never client text).
fn sql_list(statuses: impl Iterator<Item = ApplicationStatus>) -> String {
    statuses.map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

fn history_sql(backend: DbBackend) -> String {
    let responses = sql_list(ApplicationStatus::ALL.into_iter().filter(|s| s.is_employer_response()));
    let offers = sql_list([ApplicationStatus::Offer, ApplicationStatus::Accepted].into_iter());
    let param = if backend == DbBackend::Postgres { "$1" } else { "?" };
    format!(
        "SELECT a.id, a.status, a.applied_at, \
           (SELECT MIN(e.at) FROM application_events e WHERE e.application_id = a.id \
              AND e.kind = 'status_change' AND e.to_status IN ({responses})) AS first_response_at, \
           (SELECT COUNT(*) FROM application_events e WHERE e.application_id = a.id \
              AND e.kind = 'status_change' AND e.to_status IN ({offers})) AS offers \
         FROM applications a WHERE a.account_id = {param}"
    )
}

#[async_trait]
impl ApplicationStore for SqlApplicationStore {
    async fn create(
        &self,
        account: AccountId,
        fields: ApplicationFields,
        events: Vec<NewEvent>,
        now: DateTime<Utc>,
    ) -> Result<Application, ApplicationStoreError> {
        let txn = self.db.begin().await.map_err(err("beginning an application"))?;
        let mut row = application::ActiveModel {
            account_id: Set(account.0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        set_fields(&mut row, fields);
        let row = row.insert(&txn).await.map_err(err("storing an application"))?;
        for e in events {
            insert_event(&txn, row.id, e, now).await?;
        }
        txn.commit().await.map_err(err("committing an application"))?;
        to_application(row)
    }

    async fn get(&self, account: AccountId, id: i64) -> Result<Option<Application>, ApplicationStoreError> {
        owned(&self.db, account, id).await?.map(to_application).transpose()
    }

    async fn update(
        &self,
        account: AccountId,
        id: i64,
        fields: ApplicationFields,
        events: Vec<NewEvent>,
        now: DateTime<Utc>,
    ) -> Result<Option<Application>, ApplicationStoreError> {
        let txn = self.db.begin().await.map_err(err("beginning an application change"))?;
        let Some(current) = owned(&txn, account, id).await? else { return Ok(None) };
        let mut row: application::ActiveModel = current.into();
        set_fields(&mut row, fields);
        row.updated_at = Set(now);
        let row = row.update(&txn).await.map_err(err("changing an application"))?;
        for e in events {
            insert_event(&txn, id, e, now).await?;
        }
        txn.commit().await.map_err(err("committing an application change"))?;
        to_application(row).map(Some)
    }

    async fn delete(&self, account: AccountId, id: i64) -> Result<bool, ApplicationStoreError> {
        let txn = self.db.begin().await.map_err(err("beginning an application removal"))?;
        if owned(&txn, account, id).await?.is_none() {
            return Ok(false);
        }
        // The timeline goes with it (explicitly: SQLite enforces foreign keys only when asked).
        application_event::Entity::delete_many()
            .filter(application_event::Column::ApplicationId.eq(id))
            .exec(&txn)
            .await
            .map_err(err("removing an application's timeline"))?;
        application::Entity::delete_by_id(id).exec(&txn).await.map_err(err("removing an application"))?;
        txn.commit().await.map_err(err("committing an application removal"))?;
        Ok(true)
    }

    async fn add_event(
        &self,
        account: AccountId,
        id: i64,
        event: NewEvent,
        now: DateTime<Utc>,
    ) -> Result<Option<ApplicationEvent>, ApplicationStoreError> {
        let txn = self.db.begin().await.map_err(err("beginning an application event"))?;
        if owned(&txn, account, id).await?.is_none() {
            return Ok(None);
        }
        let event = insert_event(&txn, id, event, now).await?;
        txn.commit().await.map_err(err("committing an application event"))?;
        Ok(Some(event))
    }

    async fn events(
        &self,
        account: AccountId,
        id: i64,
    ) -> Result<Option<Vec<ApplicationEvent>>, ApplicationStoreError> {
        if owned(&self.db, account, id).await?.is_none() {
            return Ok(None);
        }
        let rows = application_event::Entity::find()
            .filter(application_event::Column::ApplicationId.eq(id))
            .order_by_asc(application_event::Column::At)
            .order_by_asc(application_event::Column::Id)
            .all(&self.db)
            .await
            .map_err(err("reading an application's timeline"))?;
        rows.into_iter().map(to_event).collect::<Result<Vec<_>, _>>().map(Some)
    }

    async fn list(
        &self,
        account: AccountId,
        query: &ApplicationQuery,
    ) -> Result<ApplicationPage, ApplicationStoreError> {
        use application::Column as C;
        let cond = condition(account, query);
        // COUNT over the id alone: an index-only count when there is no filter beyond the account.
        let total: Option<i64> = application::Entity::find()
            .select_only()
            .column_as(C::Id.count(), "total")
            .filter(cond.clone())
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(err("counting applications"))?;
        let total = total.unwrap_or(0).max(0) as u64;
        if query.offset >= total || query.limit == 0 {
            return Ok(ApplicationPage { items: vec![], total });
        }
        let order = match query.order {
            SortOrder::Asc => Order::Asc,
            SortOrder::Desc => Order::Desc,
        };
        // The page's ids first, from the sort key's index alone (account, key, id), then their rows:
        // a deep page skips index entries, not table rows.
        let ids = application::Entity::find().select_only().column(C::Id).filter(cond);
        let ids = match query.sort {
            ApplicationSort::CreatedAt => ids.order_by(C::CreatedAt, order.clone()),
            ApplicationSort::UpdatedAt => ids.order_by(C::UpdatedAt, order.clone()),
            ApplicationSort::AppliedAt => ids.order_by_with_nulls(C::AppliedAt, order.clone(), NullOrdering::Last),
            ApplicationSort::CompanyName => ids.order_by(C::CompanySort, order.clone()),
            ApplicationSort::Status => ids.order_by(C::StatusRank, order.clone()),
        };
        let ids: Vec<i64> = ids
            .order_by(C::Id, order)
            .offset(query.offset)
            .limit(query.limit)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(err("listing applications"))?;
        let mut rows = application::Entity::find()
            .filter(C::AccountId.eq(account.0))
            .filter(C::Id.is_in(ids.iter().copied()))
            .all(&self.db)
            .await
            .map_err(err("reading listed applications"))?;
        rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
        let items = rows.into_iter().map(to_application).collect::<Result<Vec<_>, _>>()?;
        Ok(ApplicationPage { items, total })
    }

    async fn history(&self, account: AccountId) -> Result<Vec<ApplicationHistory>, ApplicationStoreError> {
        let backend = self.db.get_database_backend();
        let stmt = Statement::from_sql_and_values(backend, history_sql(backend), [account.0.into()]);
        let rows = HistoryRow::find_by_statement(stmt).all(&self.db).await.map_err(err("reading tracker history"))?;
        rows.into_iter()
            .map(|r| {
                Ok(ApplicationHistory {
                    status: status(&r.status, r.id)?,
                    applied_at: r.applied_at,
                    first_response_at: r.first_response_at,
                    reached_offer: r.offers > 0,
                })
            })
            .collect()
    }
}
