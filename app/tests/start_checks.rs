//! A start never serves a lost or damaged embedded store as if it were the old one: a missing or
//! empty database beside the secrets of an earlier start, and a file SQLite's quick_check finds
//! damaged, each exit non-zero with a message naming the paths; `--init` begins anew on purpose.
//! The secrets a first start generates are whole files.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

mod common;

use common::{Node, start};

fn vars(data: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("JOBIN_DATA_DIR", data.display().to_string()),
        ("JOBIN_TRUSTED_PROXIES", "127.0.0.1".into()),
        ("RUST_LOG", "warn".into()),
    ]
}

fn refused_start(vars: &[(&'static str, String)], args: &[&str]) -> (Option<i32>, String) {
    common::refused_start(vars, args, None)
}

/// Registers kept@example.com on `node`: the status.
async fn register_kept(node: &Node) -> reqwest::StatusCode {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/auth/register", node.base))
        .json(&serde_json::json!({"email": "kept@example.com", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    r.status()
}

async fn first_start(data: &std::path::Path) {
    let node: Node = start(&vars(data)).await;
    assert_eq!(register_kept(&node).await, 201);
    drop(node); // a graceful stop: the WAL is checkpointed into the file
}

fn remove_db(data: &std::path::Path) {
    for f in ["jobin.db", "jobin.db-wal", "jobin.db-shm"] {
        let _ = std::fs::remove_file(data.join(f));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_empty_database_beside_earlier_secrets_refuses_the_start_unless_init() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    first_start(data).await;
    for name in ["jwt_secret", "key_pepper", "stripe_webhook_secret"] {
        let secret = std::fs::read_to_string(data.join("secrets").join(name)).unwrap();
        assert_eq!(secret.trim().len(), 64, "{name} is whole");
    }
    let leftovers: Vec<_> = std::fs::read_dir(data.join("secrets")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 3, "no temporary files stay behind: {leftovers:?}");

    remove_db(data);
    let (code, err) = refused_start(&vars(data), &[]);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains(&data.join("jobin.db").display().to_string()), "names the database: {err}");
    assert!(err.contains(&data.join("secrets").display().to_string()), "names the secrets: {err}");
    assert!(err.contains("missing") && err.contains("--init"), "{err}");
    assert!(!data.join("jobin.db").exists(), "a refused start creates nothing");

    std::fs::write(data.join("jobin.db"), b"").unwrap();
    let (code, err) = refused_start(&vars(data), &[]);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("empty"), "{err}");

    // On purpose: a new, empty database; the old account is gone, as the operator chose.
    let node = common::start_with_args(&vars(data), &["--init"]).await;
    assert_eq!(register_kept(&node).await, 201, "the new database does not hold the old account");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_refuses_the_start_with_sqlites_words() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    first_start(data).await;
    // Everything in the main file (whatever the stop left in the write-ahead log), then the damage.
    {
        use sea_orm::ConnectionTrait;
        let url = format!("sqlite://{}?mode=rw", data.join("jobin.db").display());
        let db = jobin_adapters::db::connect(&url, 1).await.unwrap();
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.unwrap();
        db.close().await.unwrap();
    }
    // Three pages in the middle of the file overwritten.
    let file = data.join("jobin.db");
    let mut bytes = std::fs::read(&file).unwrap();
    let pages = bytes.len() / 4096;
    assert!(pages > 12, "{pages} pages");
    let middle = pages / 2;
    for b in &mut bytes[middle * 4096..(middle + 3) * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&file, &bytes).unwrap();

    let (code, err) = refused_start(&vars(data), &[]);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("damaged") && err.contains(&file.display().to_string()), "{err}");
    assert!(err.contains("quick_check"), "SQLite's own words are in the message: {err}");

    // The check can be skipped for a file too large to check at start.
    let mut skip = vars(data);
    skip.push(("JOBIN_DB_CHECK_SECS", "0".into()));
    let node = start(&skip).await;
    drop(node);
}

/// `jobin health` (the container's HEALTHCHECK) exits 0 while the node at `JOBIN_BIND` answers
/// /health 200 (an unspecified address is asked on loopback), and non-zero once nothing listens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_command_says_whether_the_local_node_serves() {
    let data = tempfile::tempdir().unwrap();
    let node: Node = start(&vars(data.path())).await;
    let port = node.base.rsplit(':').next().unwrap().to_owned();
    let health = |bind: String| {
        std::process::Command::new(env!("CARGO_BIN_EXE_jobin"))
            .arg("health")
            .env("JOBIN_BIND", bind)
            .env("JOBIN_DATA_DIR", data.path())
            .output()
            .unwrap()
    };
    let ok = health(format!("0.0.0.0:{port}"));
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("200 OK"));
    drop(node);
    let down = health(format!("127.0.0.1:{port}"));
    assert!(!down.status.success());
    assert!(String::from_utf8_lossy(&down.stderr).contains("connecting to 127.0.0.1"), "{down:?}");
}
