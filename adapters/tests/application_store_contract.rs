//! One `ApplicationStore` contract, run against SQLite (in memory) and PostgreSQL: applications
//! and their timelines round-trip every field, belong to one account, and change atomically.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Utc};
use jobin_adapters::contract_suite;
use jobin_adapters::db::SqlApplicationStore;
use jobin_adapters::testing::{account, contract};
use jobin_core::domain::application::{ApplicationSort, ApplicationStatus, EventKind, SortOrder};
use jobin_core::domain::{AccountId, PayPeriod, Salary};
use jobin_core::ports::{
    Application, ApplicationFields, ApplicationHistory, ApplicationQuery, ApplicationStore, NewEvent,
};
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

fn query(sort: ApplicationSort, order: SortOrder) -> ApplicationQuery {
    ApplicationQuery {
        sort,
        order,
        offset: 0,
        limit: 100,
        words: vec![],
        statuses: vec![],
        tag: None,
        applied_after: None,
        applied_before: None,
    }
}

/// Title, company, status, applied at, notes, tags.
type Row<'a> = (&'a str, &'a str, ApplicationStatus, Option<i64>, &'a str, &'a [&'a str]);

/// Six applications of `a` (and one of another account): company names that differ by case and
/// accents and tie, statuses, applied dates (one never applied), tags with LIKE wildcards.
async fn a_pipeline(store: &SqlApplicationStore, db: &DatabaseConnection) -> (AccountId, Vec<i64>) {
    use ApplicationStatus::*;
    let a = account(db, "a@example.com").await;
    let b = account(db, "b@example.com").await;
    let rows: [Row; 6] = [
        ("Data Engineer", "Zeta", Applied, Some(300), "Spoke to Renée", &["remote"]),
        ("Analytics Engineer", "ácme", Offer, Some(100), "", &["100%_match"]),
        ("Data Scientist", "Acme", Saved, None, "Python heavy", &["100x"]),
        ("Platform Engineer", "Beta", Rejected, Some(200), "", &["remote", "rust"]),
        ("Backend Developer", "acme", Interviewing, Some(200), "Rust and Go", &[]),
        ("Data Analyst", "Gamma", Withdrawn, Some(400), "", &["remotely"]),
    ];
    let mut ids = vec![];
    for (i, (title, company, status, applied, notes, tags)) in rows.into_iter().enumerate() {
        let f = ApplicationFields {
            job_title: title.into(),
            company_name: company.into(),
            status,
            applied_at: applied.map(t),
            notes: (!notes.is_empty()).then(|| notes.into()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..fields(title, status)
        };
        // Created in order, updated in reverse order.
        let app = store.create(a, f.clone(), vec![], t(i as i64)).await.unwrap();
        store.update(a, app.id, f, vec![], t(100 - i as i64)).await.unwrap().unwrap();
        ids.push(app.id);
    }
    store.create(b, fields("Data Engineer", Applied), vec![], t(0)).await.unwrap();
    (a, ids)
}

async fn lists_sort_by_every_key_with_the_id_breaking_ties(db: DatabaseConnection) {
    let store = SqlApplicationStore::new(db.clone());
    let (a, id) = a_pipeline(&store, &db).await;
    let listed = |sort, order| {
        let store = store.clone();
        let id = id.clone();
        async move {
            let page = store.list(a, &query(sort, order)).await.unwrap();
            assert_eq!(page.total, 6);
            page.items.iter().map(|x| id.iter().position(|i| *i == x.id).unwrap()).collect::<Vec<_>>()
        }
    };
    use ApplicationSort::*;
    use SortOrder::*;
    assert_eq!(listed(CreatedAt, Asc).await, [0, 1, 2, 3, 4, 5]);
    assert_eq!(listed(CreatedAt, Desc).await, [5, 4, 3, 2, 1, 0]);
    assert_eq!(listed(UpdatedAt, Asc).await, [5, 4, 3, 2, 1, 0]);
    // Ties (200) by id; never applied last in both directions.
    assert_eq!(listed(AppliedAt, Asc).await, [1, 3, 4, 0, 5, 2]);
    assert_eq!(listed(AppliedAt, Desc).await, [5, 0, 4, 3, 1, 2]);
    // "ácme", "Acme" and "acme" are one name to the sort: their order is by id.
    assert_eq!(listed(CompanyName, Asc).await, [1, 2, 4, 3, 5, 0]);
    assert_eq!(listed(CompanyName, Desc).await, [0, 5, 3, 4, 2, 1]);
    // Pipeline order: saved, applied, interviewing, offer, rejected, withdrawn.
    assert_eq!(listed(Status, Asc).await, [2, 0, 4, 1, 3, 5]);
    assert_eq!(listed(Status, Desc).await, [5, 3, 1, 4, 0, 2]);
}

async fn lists_page_without_overlap_or_gaps(db: DatabaseConnection) {
    let store = SqlApplicationStore::new(db.clone());
    let (a, _) = a_pipeline(&store, &db).await;
    let all = store.list(a, &query(ApplicationSort::CompanyName, SortOrder::Asc)).await.unwrap().items;
    let mut paged = vec![];
    for offset in [0, 4] {
        let q = ApplicationQuery { offset, limit: 4, ..query(ApplicationSort::CompanyName, SortOrder::Asc) };
        let page = store.list(a, &q).await.unwrap();
        assert_eq!(page.total, 6);
        paged.extend(page.items);
    }
    assert_eq!(paged, all, "two pages of 4 hold the 6, in order");
    let past = ApplicationQuery { offset: 6, limit: 4, ..query(ApplicationSort::CreatedAt, SortOrder::Asc) };
    let page = store.list(a, &past).await.unwrap();
    assert_eq!((page.items.len(), page.total), (0, 6), "past the end: empty, with the total");
}

async fn lists_filter_by_status_tag_words_and_applied_dates(db: DatabaseConnection) {
    let store = SqlApplicationStore::new(db.clone());
    let (a, id) = a_pipeline(&store, &db).await;
    let found = |q: ApplicationQuery| {
        let store = store.clone();
        let id = id.clone();
        async move {
            let page = store.list(a, &q).await.unwrap();
            let mut found: Vec<usize> =
                page.items.iter().map(|x| id.iter().position(|i| *i == x.id).unwrap()).collect();
            assert_eq!(page.total as usize, found.len());
            found.sort();
            found
        }
    };
    let q = || query(ApplicationSort::CreatedAt, SortOrder::Asc);
    use ApplicationStatus::*;
    assert_eq!(found(ApplicationQuery { statuses: vec![Offer, Rejected], ..q() }).await, [1, 3]);
    // A tag matches whole: not "remotely"; LIKE wildcards in a tag are literal.
    assert_eq!(found(ApplicationQuery { tag: Some("remote".into()), ..q() }).await, [0, 3]);
    assert_eq!(found(ApplicationQuery { tag: Some("100%_match".into()), ..q() }).await, [1]);
    assert_eq!(found(ApplicationQuery { tag: Some("100%".into()), ..q() }).await, Vec::<usize>::new());
    // Words: every one, at the start of a word, in title, company, notes or tags, any case or accent.
    let words = |w: &[&str]| w.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    assert_eq!(found(ApplicationQuery { words: words(&["data"]), ..q() }).await, [0, 2, 5]);
    assert_eq!(found(ApplicationQuery { words: words(&["data", "renee"]), ..q() }).await, [0]);
    assert_eq!(found(ApplicationQuery { words: words(&["acme"]), ..q() }).await, [1, 2, 4]);
    assert_eq!(found(ApplicationQuery { words: words(&["rust"]), ..q() }).await, [3, 4], "a tag and a note");
    assert_eq!(found(ApplicationQuery { words: words(&["ngineer"]), ..q() }).await, Vec::<usize>::new());
    assert_eq!(found(ApplicationQuery { words: words(&["remote"]), ..q() }).await, [0, 3, 5], "word starts");
    // From (inclusive) and before (exclusive); never-applied ones match no date range.
    let range = ApplicationQuery { applied_after: Some(t(200)), applied_before: Some(t(400)), ..q() };
    assert_eq!(found(range).await, [0, 3, 4]);
    let combined = ApplicationQuery {
        statuses: vec![Interviewing, Rejected, Applied],
        words: words(&["engineer"]),
        tag: Some("remote".into()),
        applied_after: Some(t(250)),
        ..q()
    };
    assert_eq!(found(combined).await, [0]);
}

async fn history_finds_the_first_answer_and_offers(db: DatabaseConnection) {
    use ApplicationStatus::*;
    let store = SqlApplicationStore::new(db.clone());
    let a = account(&db, "a@example.com").await;
    let mut applied = fields("Data Engineer", Applied);
    applied.applied_at = Some(t(10));
    let app = store.create(a, applied.clone(), vec![status_change(None, Applied, 10)], t(10)).await.unwrap();
    for (from, to, at) in [(Applied, Screening, 50), (Screening, Interviewing, 60), (Interviewing, Offer, 90)] {
        let mut f = applied.clone();
        f.status = to;
        store.update(a, app.id, f, vec![status_change(Some(from), to, at)], t(at)).await.unwrap().unwrap();
    }
    // A note is no answer; a saved application has no history to speak of.
    let note =
        NewEvent { kind: EventKind::Note, at: t(20), from_status: None, to_status: None, note: Some("x".into()) };
    store.add_event(a, app.id, note, t(20)).await.unwrap();
    saved(&store, a, "Analyst").await;
    let mut history = store.history(a).await.unwrap();
    history.sort_by_key(|h| h.status);
    assert_eq!(
        history,
        [
            ApplicationHistory { status: Saved, applied_at: None, first_response_at: None, reached_offer: false },
            ApplicationHistory {
                status: Offer,
                applied_at: Some(t(10)),
                first_response_at: Some(t(50)),
                reached_offer: true
            },
        ]
    );
    let other = account(&db, "b@example.com").await;
    assert_eq!(store.history(other).await.unwrap(), []);
}

fn database(db: DatabaseConnection) -> DatabaseConnection {
    db
}

contract_suite! {
    cases: [applications_round_trip_every_field,
    an_application_belongs_to_its_account_only,
    changes_append_to_the_timeline_in_order,
    deleting_removes_the_application_and_its_timeline,
    lists_sort_by_every_key_with_the_id_breaking_ties,
    lists_page_without_overlap_or_gaps,
    lists_filter_by_status_tag_words_and_applied_dates,
    history_finds_the_first_answer_and_offers];
    sqlite => contract::sqlite(database),
    #[ignore = "needs PostgreSQL"]
    postgres => contract::postgres(database),
}
