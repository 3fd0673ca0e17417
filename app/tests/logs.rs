//! The log as an operator reads it: plain text when standard error is not a terminal (no ANSI
//! colour codes in files), and each request's line naming the account and the key prefix, never
//! the key.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

mod common;

use common::{call, start_with_stderr};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_lines_name_the_account_and_key_prefix_in_plain_text() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("stderr.log");
    let vars = vec![
        ("JOBIN_JWT_SECRET", "logs-jwt-secret-0123456789abcdef".to_owned()),
        ("JOBIN_KEY_PEPPER", "logs-key-pepper-0123456789abcdef".to_owned()),
        ("JOBIN_DATA_DIR", data.path().display().to_string()),
        ("JOBIN_DEMO", "1".into()),
        ("RUST_LOG", "info".into()),
    ];
    let node = start_with_stderr(&vars, &std::fs::File::create(&log).unwrap()).await;
    let (status, reg) = call(
        reqwest::Client::new()
            .post(format!("{}/v1/auth/register", node.base))
            .json(&json!({"email": "logs@example.com", "password": "correct horse"})),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    let key = reg["api_key"].as_str().unwrap().to_owned();
    let prefix = reg["prefix"].as_str().unwrap().to_owned();
    let (status, _) =
        call(reqwest::Client::new().get(format!("{}/v1/auth/me", node.base)).header("x-api-key", &key)).await;
    assert_eq!(status, 200);
    drop(node); // a graceful stop flushes the log
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains('\u{1b}'), "no ANSI escapes when stderr is a file");
    assert!(!text.contains(&key), "the key never appears in the log");
    let line = text
        .lines()
        .find(|l| l.contains("served") && l.contains("/v1/auth/me"))
        .unwrap_or_else(|| panic!("no request line for /v1/auth/me in:\n{text}"));
    assert!(line.contains("account=1") && line.contains(&format!("key=\"{prefix}\"")), "{line}");
}

/// A real server without board keys, its boards' addresses on a closed loopback port: the boards
/// without credentials are named once at start (not on every search), and an ingestion cycle in
/// which every board failed says so, with each board's failure class.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unkeyed_boards_are_named_once_and_a_failed_cycle_counts_each_boards_cause() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("stderr.log");
    let mut vars = vec![
        ("JOBIN_JWT_SECRET", "logs-jwt-secret-0123456789abcdef".to_owned()),
        ("JOBIN_KEY_PEPPER", "logs-key-pepper-0123456789abcdef".to_owned()),
        ("JOBIN_DATA_DIR", data.path().display().to_string()),
        ("JOBIN_INGEST_QUERIES", "rust developer@gb".into()),
        ("RUST_LOG", "warn".into()),
    ];
    vars.extend(common::closed_boards());
    let node = start_with_stderr(&vars, &std::fs::File::create(&log).unwrap()).await;
    let (status, reg) = call(
        reqwest::Client::new()
            .post(format!("{}/v1/auth/register", node.base))
            .json(&json!({"email": "unkeyed@example.com", "password": "correct horse"})),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    let key = reg["api_key"].as_str().unwrap().to_owned();
    for q in ["rust", "python", "golang"] {
        let url = format!("{}/v1/jobs/search?q={q}", node.base);
        let (status, body) = call(reqwest::Client::new().get(url).header("x-api-key", &key)).await;
        assert_eq!(status, 200, "{body}");
    }
    // The first cycle runs at start; wait for its line.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(&log).unwrap().contains("ingestion cycle done") {
        assert!(std::time::Instant::now() < deadline, "{}", std::fs::read_to_string(&log).unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(node);
    let text = std::fs::read_to_string(&log).unwrap();
    let named: Vec<&str> = text.lines().filter(|l| l.contains("job boards without credentials")).collect();
    assert_eq!(named.len(), 1, "named once at start:\n{text}");
    assert!(named[0].contains("adzuna (JOBIN_ADZUNA_APP_ID and JOBIN_ADZUNA_APP_KEY)"), "{}", named[0]);
    assert!(
        !text.lines().any(|l| l.contains("did not answer") && l.contains("unconfigured")),
        "no line per search for a board without credentials:\n{text}"
    );
    let cycle = text.lines().find(|l| l.contains("ingestion cycle done")).unwrap();
    assert!(cycle.contains("every board asked failed"), "{cycle}");
    // The keyless boards that cover gb were asked, and could not be connected to.
    for board in ["remotive", "themuse"] {
        assert!(cycle.contains(&format!("{board} connect ×1")), "{board} in {cycle}");
    }
}
