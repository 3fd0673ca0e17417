//! A write the store cannot take is refused, never confirmed and then lost: 503
//! `dependency_unavailable` with `Retry-After` while the store is unwritable, `/health` says so,
//! and once it can write again every confirmed write (and the usage log's backlog) is in the file,
//! as a second connection sees it.

use jobin_tests::TestServer;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use std::time::{Duration, Instant};

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql.to_owned())).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn an_unwritable_store_refuses_writes_says_so_and_loses_nothing_after() {
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let create = |n: u32| {
        s.call(
            "POST",
            "/v1/applications",
            &key,
            Some(json!({"job_title": format!("Analyst {n}"), "company_name": "Beta"})),
        )
    };
    assert_eq!(create(0).await.status, 201);

    // The store turns read-only: writes are refused, the health check says why.
    s.db.execute_unprepared("PRAGMA query_only = ON").await.unwrap();
    let r = create(1).await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.body["code"], "dependency_unavailable");
    assert!(r.header("retry-after").is_some(), "a 503 says when to retry");
    let h = s.send(s.http.get(s.url("/health"))).await;
    assert_eq!(h.status, 503, "{}", h.text);
    assert_eq!(h.body["details"]["database"], "unwritable", "{}", h.text);
    assert!(h.header("retry-after").is_some());

    // Writable again: the health check recovers within its probe interval (1 s) …
    s.db.execute_unprepared("PRAGMA query_only = OFF").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.send(s.http.get(s.url("/health"))).await.status != 200 {
        assert!(Instant::now() < deadline, "the health check never saw the store writable again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // … and every write confirmed from then on is in the file.
    for n in 2..22 {
        assert_eq!(create(n).await.status, 201);
    }
    let url = format!("sqlite://{}?mode=rw", s.dir().join("jobin.db").display());
    let other = jobin_adapters::db::connect(&url, 1).await.unwrap();
    let account = format!("(SELECT id FROM accounts WHERE email = '{email}')");
    let apps = count(&other, &format!("SELECT COUNT(*) FROM applications WHERE account_id = {account}")).await;
    assert_eq!(apps, 21, "a second connection sees every application answered 201, and only those");
    // The usage log's rows of the episode were kept and written: 22 creations, one of them a 503.
    let logged =
        format!("SELECT COUNT(*) FROM usage_log WHERE account_id = {account} AND endpoint LIKE '%applications%'");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = count(&other, &logged).await;
        if n == 22 {
            break;
        }
        assert!(n < 22 && Instant::now() < deadline, "{n} usage rows of 22 requests");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    other.close().await.unwrap();
    s.stop().await;
}
