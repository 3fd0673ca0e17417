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
    let node = start_with_stderr(&vars, std::fs::File::create(&log).unwrap().into()).await;
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
