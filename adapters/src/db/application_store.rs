//! `ApplicationStore` over sea-orm (SQLite and PostgreSQL). Every statement filters by account.

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobin_core::domain::application::{ApplicationEvent, ApplicationStatus, EventKind};
use jobin_core::domain::normalize::fold;
use jobin_core::domain::{AccountId, PayPeriod, Salary};
use jobin_core::ports::{Application, ApplicationFields, ApplicationStore, ApplicationStoreError, NewEvent};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, TransactionTrait,
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

/// The columns `fields` sets (all but id, account and the timestamps).
fn set_fields(row: &mut application::ActiveModel, f: ApplicationFields) {
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
}
