//! A demo never writes into, or reads from, a real server's data: on default settings the demo
//! keeps `./data-demo` and the real server `./data`; a database claimed by one refuses the other,
//! and a database from before the claim that holds demo postings refuses a real server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

mod common;

use common::{refused_start, start_in};
use serde_json::Value;

/// Settings for every node here: the real boards' addresses on a closed loopback port, so a real
/// server's search never leaves this machine (it finds nothing, which is all these tests need).
fn quiet() -> Vec<(&'static str, String)> {
    let mut vars: Vec<(&'static str, String)> = vec![
        ("JOBIN_TRUSTED_PROXIES", "127.0.0.1".into()),
        ("RUST_LOG", "error".into()),
        ("JOBIN_DEMO_LATENCY_MS", "0".into()),
    ];
    vars.extend(common::closed_boards());
    vars
}

async fn get(base: &str, path: &str, key: &str) -> (u16, Value) {
    common::call(reqwest::Client::new().get(format!("{base}{path}")).header("x-api-key", key)).await
}

/// `jobin accounts set-plan [args…] EMAIL PLAN` run in `dir`: its standard output (it must succeed).
fn set_plan(dir: &std::path::Path, args: &[&str], email: &str, plan: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jobin"))
        .current_dir(dir)
        .args(["accounts", "set-plan"])
        .args(args)
        .args([email, plan])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_then_a_real_server_on_default_settings_share_no_posting() {
    let cwd = tempfile::tempdir().unwrap();
    let here = cwd.path();

    // The demo: a search lands fake postings in its corpus.
    let demo = start_in(here, &quiet(), &["--demo"]).await;
    let key = common::register(&reqwest::Client::new(), &demo.base, "198.18.9.1", "demo@example.com").await;
    let (status, found) = get(&demo.base, "/v1/jobs/search?q=developer", &key).await;
    assert_eq!(status, 200, "{found}");
    let ids: Vec<String> =
        found["jobs"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap().to_owned()).collect();
    assert!(!ids.is_empty(), "the demo finds postings: {found}");
    let (status, job) = get(&demo.base, &format!("/v1/jobs/{}", ids[0].replace(':', "%3A")), &key).await;
    assert_eq!(status, 200, "the demo stored its fake posting: {job}");
    assert!(job.to_string().contains(".example.test/"), "{job}");
    drop(demo);
    assert!(here.join("data-demo/jobin.db").exists(), "the demo keeps ./data-demo");
    assert!(!here.join("data").exists(), "the demo wrote nothing in ./data");

    // The real server on its defaults: none of it.
    let real = start_in(here, &quiet(), &[]).await;
    let key = common::register(&reqwest::Client::new(), &real.base, "198.18.9.2", "real@example.com").await;
    set_plan(here, &[], "real@example.com", "pro");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while get(&real.base, "/v1/auth/me", &key).await.1["plan"] != "pro" {
        assert!(std::time::Instant::now() < deadline, "the plan change never applied");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (status, feed) = common::call(
        reqwest::Client::new()
            .post(format!("{}/v1/jobs/feed", real.base))
            .header("x-api-key", &key)
            .json(&serde_json::json!({})),
    )
    .await;
    assert_eq!(status, 200, "{feed}");
    assert!(!feed.to_string().contains(".example.test/"), "no demo posting in the real feed: {feed}");
    for id in ids.iter().take(5) {
        let (status, body) = get(&real.base, &format!("/v1/jobs/{}", id.replace(':', "%3A")), &key).await;
        assert_eq!(status, 404, "the demo's {id} is not served: {body}");
    }
    let (status, salary) = get(&real.base, "/v1/jobs/salary?q=developer", &key).await;
    assert!(status == 200 || status == 403, "{salary}");
    assert!(!salary.to_string().contains(".example.test"), "{salary}");
    drop(real);

    // Each refuses the other's data, saying whose it is.
    let mut real_on_demo = quiet();
    real_on_demo.push(("JOBIN_DATA_DIR", here.join("data-demo").display().to_string()));
    let (code, err) = refused_start(&real_on_demo, &[], Some(here));
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("belongs to a demo") && err.contains("data-demo/jobin.db"), "{err}");
    let mut demo_on_real = quiet();
    demo_on_real.push(("JOBIN_DATA_DIR", here.join("data").display().to_string()));
    let (code, err) = refused_start(&demo_on_real, &["--demo"], Some(here));
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("belongs to a real server"), "{err}");
}

/// A database a demo filled before databases were claimed (its claim removed here) is refused by
/// a real server: it holds the demo's postings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unclaimed_database_holding_demo_postings_refuses_a_real_server() {
    use sea_orm::ConnectionTrait;
    let cwd = tempfile::tempdir().unwrap();
    let here = cwd.path();
    let demo = start_in(here, &quiet(), &["--demo"]).await;
    let key = common::register(&reqwest::Client::new(), &demo.base, "198.18.9.3", "old@example.com").await;
    assert_eq!(get(&demo.base, "/v1/jobs/search?q=developer", &key).await.0, 200);
    drop(demo);
    let url = format!("sqlite://{}?mode=rw", here.join("data-demo/jobin.db").display());
    let db = jobin_adapters::db::connect(&url, 1).await.unwrap();
    db.execute_unprepared("DELETE FROM server_mode").await.unwrap();
    db.close().await.unwrap();

    let mut vars = quiet();
    vars.push(("JOBIN_DATA_DIR", here.join("data-demo").display().to_string()));
    let (code, err) = refused_start(&vars, &[], Some(here));
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("holds postings of the demo's fake boards"), "{err}");
}

/// The operator command works on the database it is pointed at, names it, and never creates one
/// where there is none (a mistyped data dir, another working directory).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_plan_names_its_database_and_refuses_a_data_dir_without_one() {
    let cwd = tempfile::tempdir().unwrap();
    let here = cwd.path();
    let demo = start_in(here, &quiet(), &["--demo"]).await;
    common::register(&reqwest::Client::new(), &demo.base, "198.18.9.4", "cli@example.com").await;
    drop(demo);
    let said = set_plan(here, &["--demo"], "cli@example.com", "pro");
    assert!(said.contains("cli@example.com is now on the pro plan") && said.contains("data-demo/jobin.db"), "{said}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jobin"))
        .current_dir(here)
        .args(["accounts", "set-plan", "cli@example.com", "pro"])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("no database at") && err.contains("data/jobin.db") && err.contains("--demo"), "{err}");
    assert!(!here.join("data").exists(), "nothing was created: {:?}", std::fs::read_dir(here).unwrap().count());
}
