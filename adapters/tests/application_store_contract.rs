//! One `ApplicationStore` contract, run against SQLite (in memory) and PostgreSQL: applications
//! and their timelines round-trip every field, belong to one account, and change atomically.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::SqlApplicationStore;
use jobin_adapters::testing::{account, contract};
use jobin_core::domain::application::{ApplicationStatus, EventKind};
use jobin_core::domain::{AccountId, PayPeriod, Salary};
use jobin_core::ports::{Application, ApplicationFields, ApplicationStore, NewEvent};
use sea_orm::DatabaseConnection;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn fields(title: &str, status: ApplicationStatus) -> ApplicationFields {
    ApplicationFields {
        job_title: title.into(),
        company_name: "Ácme Ltd".into(),
        job_id: Some("reed:55012345".into()),
        url: Some("https://www.reed.co.uk/jobs/data-engineer/55012345".into()),
        location: Some("Leeds".into()),
        salary: Salary::from_bounds(Some(50_000.0), Some(60_000.5), "GBP", PayPeriod::Year),
        status,
        applied_at: None,
        notes: Some("Referred by Sam.\nFollow up Friday.".into()),
        tags: vec!["remote".into(), "data team".into()],
    }
}

/// A new application of `a` in `saved`, with its first timeline entry.
async fn saved(store: &SqlApplicationStore, a: AccountId, title: &str) -> Application {
    let first = vec![status_change(None, ApplicationStatus::Saved, 1)];
    store.create(a, fields(title, ApplicationStatus::Saved), first, t(1)).await.unwrap()
}

fn status_change(from: Option<ApplicationStatus>, to: ApplicationStatus, at: i64) -> NewEvent {
    NewEvent { kind: EventKind::StatusChange, at: t(at), from_status: from, to_status: Some(to), note: None }
}

async fn applications_round_trip_every_field(db: DatabaseConnection) {
    let store = SqlApplicationStore::new(db.clone());
    let a = account(&db, "a@example.com").await;
    let created = saved(&store, a, "Data Engineer").await;
    assert_eq!((created.account, created.created_at, created.updated_at), (a, t(1), t(1)));
    assert_eq!(created.fields, fields("Data Engineer", ApplicationStatus::Saved));
    assert_eq!(store.get(a, created.id).await.unwrap(), Some(created.clone()));
    // No salary, no optional text, no tags: they come back absent, not empty strings.
    let bare = ApplicationFields {
        job_id: None,
        url: None,
        location: None,
        salary: None,
        notes: None,
        tags: vec![],
        ..fields("Analyst", ApplicationStatus::Applied)
    };
    let other = store.create(a, bare.clone(), vec![], t(2)).await.unwrap();
    assert_eq!(store.get(a, other.id).await.unwrap().unwrap().fields, bare);
    assert_ne!(other.id, created.id);
}

async fn an_application_belongs_to_its_account_only(db: DatabaseConnection) {
    let store = SqlApplicationStore::new(db.clone());
    let a = account(&db, "a@example.com").await;
    let b = account(&db, "b@example.com").await;
    let app = store.create(a, fields("Data Engineer", ApplicationStatus::Saved), vec![], t(1)).await.unwrap();
    assert_eq!(store.get(b, app.id).await.unwrap(), None);
    assert_eq!(
        store.update(b, app.id, fields("Hijack", ApplicationStatus::Rejected), vec![], t(2)).await.unwrap(),
        None
    );
    let note = NewEvent { kind: EventKind::Note, at: t(2), from_status: None, to_status: None, note: Some("x".into()) };
    assert_eq!(store.add_event(b, app.id, note, t(2)).await.unwrap(), None);
    assert_eq!(store.events(b, app.id).await.unwrap(), None);
    assert!(!store.delete(b, app.id).await.unwrap());
    assert_eq!(store.get(a, app.id).await.unwrap().unwrap().fields.job_title, "Data Engineer", "untouched");
    assert_eq!(store.get(a, 999_999).await.unwrap(), None);
}

async fn changes_append_to_the_timeline_in_order(db: DatabaseConnection) {
    let store = SqlApplicationStore::new(db.clone());
    let a = account(&db, "a@example.com").await;
    let app = saved(&store, a, "Data Engineer").await;
    let mut applied = fields("Data Engineer", ApplicationStatus::Applied);
    applied.applied_at = Some(t(10));
    let updated = store
        .update(
            a,
            app.id,
            applied.clone(),
            vec![status_change(Some(ApplicationStatus::Saved), ApplicationStatus::Applied, 10)],
            t(10),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((updated.fields, updated.created_at, updated.updated_at), (applied, t(1), t(10)));
    // An interview planned for later, recorded before a follow-up dated earlier: the timeline is by date.
    let interview = NewEvent {
        kind: EventKind::Interview,
        at: t(500),
        from_status: None,
        to_status: None,
        note: Some("Panel".into()),
    };
    let recorded = store.add_event(a, app.id, interview, t(20)).await.unwrap().unwrap();
    assert_eq!((recorded.kind, recorded.at, recorded.created_at), (EventKind::Interview, t(500), t(20)));
    let follow = NewEvent { kind: EventKind::FollowUp, at: t(100), from_status: None, to_status: None, note: None };
    store.add_event(a, app.id, follow, t(21)).await.unwrap().unwrap();
    let kinds: Vec<(EventKind, Option<ApplicationStatus>)> =
        store.events(a, app.id).await.unwrap().unwrap().into_iter().map(|e| (e.kind, e.to_status)).collect();
    assert_eq!(
        kinds,
        [
            (EventKind::StatusChange, Some(ApplicationStatus::Saved)),
            (EventKind::StatusChange, Some(ApplicationStatus::Applied)),
            (EventKind::FollowUp, None),
            (EventKind::Interview, None),
        ]
    );
}

async fn deleting_removes_the_application_and_its_timeline(db: DatabaseConnection) {
    let store = SqlApplicationStore::new(db.clone());
    let a = account(&db, "a@example.com").await;
    let app = saved(&store, a, "Data Engineer").await;
    let keep = saved(&store, a, "Analyst").await;
    assert!(store.delete(a, app.id).await.unwrap());
    assert_eq!(store.get(a, app.id).await.unwrap(), None);
    assert_eq!(store.events(a, app.id).await.unwrap(), None);
    assert!(!store.delete(a, app.id).await.unwrap(), "already gone");
    assert_eq!(store.events(a, keep.id).await.unwrap().unwrap().len(), 1, "another application keeps its timeline");
}

fn database(db: DatabaseConnection) -> DatabaseConnection {
    db
}

contract_suite! {
    cases: [applications_round_trip_every_field,
    an_application_belongs_to_its_account_only,
    changes_append_to_the_timeline_in_order,
    deleting_removes_the_application_and_its_timeline];
    sqlite => contract::sqlite(database),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(database),
}
