//! The monthly quota survives what empties the meter: a restart of the embedded node (in-process
//! meter, SQLite) and a Redis that lost its data under a PostgreSQL node. The meter is seeded from
//! the usage log's durable count before anything more is admitted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

mod common;

use common::{Cluster, Node, call, start};
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

/// Free: 5 data requests a month, a roomy minute limit so only the monthly quota bites.
fn small_quota(data: &std::path::Path) -> Vec<(&'static str, String)> {
    quota(data, 5)
}

/// Free: `monthly` data requests a month, a roomy minute limit.
fn quota(data: &std::path::Path, monthly: u32) -> Vec<(&'static str, String)> {
    let catalog = data.join("catalog.toml");
    std::fs::write(&catalog, format!("[plans.free]\nmonthly_requests = {monthly}\nper_minute = 100000\n")).unwrap();
    vec![("JOBIN_CATALOG", catalog.display().to_string()), ("JOBIN_DEMO", "1".into())]
}

/// Data requests `key` is admitted at `base` until its first 429 (at most `cap`): how many.
async fn admitted_until_refused(base: &str, key: &str, cap: usize) -> usize {
    for n in 0..cap {
        let (status, body) = data_call(base, key).await;
        if status == 429 {
            assert_eq!(body["code"], "quota_exceeded", "{body}");
            return n;
        }
        assert_eq!(status, 200, "{body}");
    }
    cap
}

/// An embedded node (SQLite in `data`, in-process meter) with fixed secrets.
fn embedded(data: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("JOBIN_JWT_SECRET", "restart-jwt-secret-0123456789abcdef".to_owned()),
        ("JOBIN_KEY_PEPPER", "restart-key-pepper-0123456789abcdef".to_owned()),
        ("JOBIN_DATA_DIR", data.display().to_string()),
        ("JOBIN_TRUSTED_PROXIES", "127.0.0.1".into()),
        ("RUST_LOG", "warn".into()),
    ]
}

/// Deletes every Redis key under `prefix` (what a Redis that lost its data holds of this deployment).
fn empty_redis(prefix: &str) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "redis-cli -h 127.0.0.1 -p 6379 --scan --pattern '{prefix}*' | xargs -r redis-cli -h 127.0.0.1 -p 6379 del"
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// What a crash may lose of the quota's count: the ledger's waiting admissions, at most
/// `WRITE_AT` plus those admitted during the one write in flight (a write takes a millisecond or
/// two here; 25 more is the margin for it).
const LEDGER_BOUND: usize = jobin_adapters::monthly_ledger::WRITE_AT as usize + 25;

async fn register(base: &str, email: &str) -> String {
    let (status, reg) = call(
        reqwest::Client::new()
            .post(format!("{base}/auth/register"))
            .header("x-forwarded-for", "198.18.1.1")
            .json(&json!({"email": email, "password": "correct horse"})),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    reg["api_key"].as_str().unwrap().to_owned()
}

async fn data_call(base: &str, key: &str) -> (u16, Value) {
    call(reqwest::Client::new().get(format!("{base}/v1/jobs/providers")).header("x-api-key", key)).await
}

async fn monthly_used(base: &str, key: &str) -> u64 {
    let (status, me) = call(reqwest::Client::new().get(format!("{base}/v1/auth/me")).header("x-api-key", key)).await;
    assert_eq!(status, 200, "{me}");
    me["monthly_used"].as_u64().unwrap()
}

/// Spends the rest of a 5-request month: `left` more are admitted, the next is `quota_exceeded`.
async fn spend_the_rest(base: &str, key: &str, left: usize) {
    for i in 0..left {
        let (status, body) = data_call(base, key).await;
        assert_eq!(status, 200, "request {i} of the {left} left: {body}");
    }
    let (status, body) = data_call(base, key).await;
    assert_eq!((status, body["code"].as_str(), body["used"].as_u64()), (429, Some("quota_exceeded"), Some(5)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_months_count_survives_a_restart_of_the_embedded_node() {
    let data = tempfile::tempdir().unwrap();
    let mut vars = embedded(data.path());
    vars.extend(small_quota(data.path()));
    let node = start(&vars).await;
    let key = register(&node.base, "restart@example.com").await;
    for _ in 0..3 {
        assert_eq!(data_call(&node.base, &key).await.0, 200);
    }
    assert_eq!(monthly_used(&node.base, &key).await, 3);
    drop(node); // SIGTERM: a graceful stop writes the usage log's last batch

    let node: Node = start(&vars).await;
    assert_eq!(monthly_used(&node.base, &key).await, 3, "the count survives the restart");
    spend_the_rest(&node.base, &key, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and Redis"]
async fn the_months_count_survives_a_redis_that_lost_its_data() {
    let Some(cluster) = Cluster::start(small_quota).await else { return };
    let (a, b) = (&cluster.a, &cluster.b);
    let key = register(&a.base, "flushed@example.com").await;
    for i in 0..3 {
        let node = if i % 2 == 0 { a } else { b };
        assert_eq!(data_call(&node.base, &key).await.0, 200);
    }
    // The usage writers flush at least every second; wait until the durable count has all three.
    let db = jobin_adapters::db::connect(&cluster.pg.url, 1).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        use sea_orm::ConnectionTrait;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                // This account's months only: anything else the nodes count is not this test's.
                "SELECT COALESCE(SUM(m.count), 0)::BIGINT AS n FROM usage_monthly m \
                 JOIN accounts a ON a.id = m.account_id WHERE a.email = 'flushed@example.com'",
            ))
            .await
            .unwrap()
            .unwrap();
        let n = row.try_get::<i64>("", "n").unwrap();
        if n == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "the durable monthly count holds {n}, not the three requests");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    db.close().await.ok();

    // Redis loses everything of this deployment (its keys are under the cluster's prefix).
    empty_redis(&cluster.vars.iter().find(|(k, _)| *k == "JOBIN_REDIS_PREFIX").unwrap().1);

    assert_eq!(monthly_used(&b.base, &key).await, 3, "seeded from the durable count");
    spend_the_rest(&a.base, &key, 2).await;
    assert_eq!(monthly_used(&b.base, &key).await, 5);
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_spent_then_killed_admits_at_most_the_ledgers_bound_after_restart() {
    let data = tempfile::tempdir().unwrap();
    let mut vars = embedded(data.path());
    vars.extend(quota(data.path(), 300));
    let mut node = start(&vars).await;
    let key = register(&node.base, "killed@example.com").await;
    // The month spent as fast as sixteen clients can, then the node is killed outright.
    let spenders: Vec<_> = (0..16)
        .map(|_| {
            let (base, key) = (node.base.clone(), key.clone());
            tokio::spawn(async move { admitted_until_refused(&base, &key, 1_000).await })
        })
        .collect();
    let mut spent = 0;
    for s in spenders {
        spent += s.await.unwrap();
    }
    assert_eq!(spent, 300);
    node.child.kill().unwrap();
    node.child.wait().unwrap();

    let node: Node = start(&vars).await;
    let extra = admitted_until_refused(&node.base, &key, 1_000).await;
    eprintln!("admitted after the crash: {extra}");
    assert!(extra <= LEDGER_BOUND, "{extra} more admitted after the crash; the stated bound is {LEDGER_BOUND}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and Redis"]
async fn a_redis_emptied_right_after_a_spend_admits_nothing_more_on_the_node_that_spent() {
    let Some(cluster) = Cluster::start(|d| quota(d, 300)).await else { return };
    let (a, b) = (&cluster.a, &cluster.b);
    let prefix = cluster.vars.iter().find(|(k, _)| *k == "JOBIN_REDIS_PREFIX").unwrap().1.clone();
    let flush = || empty_redis(&prefix);
    // Spent on a, Redis emptied at once (the ledger has not written all of it): a counts again
    // from the durable count plus what it has not written, exactly.
    let key = register(&a.base, "flushed-a@example.com").await;
    assert_eq!(admitted_until_refused(&a.base, &key, 1_000).await, 300);
    flush();
    assert_eq!(admitted_until_refused(&a.base, &key, 1_000).await, 0, "nothing more on the node that spent");
    assert_eq!(admitted_until_refused(&b.base, &key, 1_000).await, 0);
    // Spent on a, emptied, asked on b first: b cannot see what a has not written yet, at most
    // the ledger's bound.
    let key = register(&a.base, "flushed-b@example.com").await;
    assert_eq!(admitted_until_refused(&a.base, &key, 1_000).await, 300);
    flush();
    let extra = admitted_until_refused(&b.base, &key, 1_000).await;
    assert!(extra <= LEDGER_BOUND, "{extra} more admitted on the other node; the stated bound is {LEDGER_BOUND}");
    cluster.stop().await;
}
