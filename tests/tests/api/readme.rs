//! The README's walkthroughs, run as written: every `sh` block of "Walkthrough", "Tracking
//! applications" and "Saved searches" is extracted from README.md (so the text and the test cannot drift) and run with
//! bash, in order, against a live demo server with the document's plans and limits (what `make
//! demo` serves). The one change is the address: `http://127.0.0.1:8080` becomes the test server's.
//! Blocks that start or build the server (`cargo`, `make`) are skipped, and say so.

use jobin_core::domain::PlanCatalog;
use jobin_tests::{Setup, TestServer};

/// The `sh` blocks of the README section titled `title`.
fn blocks(readme: &str, title: &str) -> Vec<String> {
    let start = readme.find(&format!("\n## {title}\n")).unwrap_or_else(|| panic!("README has no section {title}"));
    let rest = &readme[start + 4..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    section.split("```sh\n").skip(1).map(|b| b[..b.find("```").expect("a closed block")].to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthroughs_run_as_written_against_a_demo_server() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    // Matching on schedule, as `make demo` runs it (here every second).
    let mut ingest = Setup::default().ingest;
    ingest.match_every = Some(std::time::Duration::from_secs(1));
    let setup =
        Setup { catalog: PlanCatalog::document(), port: Some(jobin_tests::free_port()), ingest, ..Setup::default() };
    let s = TestServer::start_with(setup).await.unwrap();
    // The blocks read `data/outbox.jsonl` relative to where `make run` was started.
    let cwd = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(s.dir(), cwd.path().join("data")).unwrap();
    let mut script = String::from("set -e\n");
    let mut ran = 0;
    for title in ["Walkthrough", "Tracking applications", "Saved searches"] {
        for block in blocks(&readme, title) {
            if block.lines().any(|l| l.trim_start().starts_with("cargo ") || l.trim_start().starts_with("make ")) {
                eprintln!("README block skipped (starts or builds the server):\n{block}");
                continue;
            }
            script.push_str(&block.replace("http://127.0.0.1:8080", &s.base));
            script.push_str("\necho '--- block done'\n");
            ran += 1;
        }
    }
    assert!(ran >= 3, "the walkthrough blocks were found ({ran})");
    let dir = cwd.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash").arg("-c").arg(&script).current_dir(dir).output().expect("bash runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the walkthrough failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout.matches("--- block done").count(), ran, "{stdout}");
    // What the comments promise.
    for promised in [
        "\"plan\":\"free\"",
        "key_revoked",
        "\"plan\":\"pro\"",
        "\"billing_status\":\"past_due\"",
        "\"billing_status\":\"canceled\"",
        "\"status\":\"accepted\"",
        "\"kind\":\"interview\"",
        "\"acceptance_rate\"",
        "\"score\":",
        "\"type\":\"job.matched\"",
        "\"remote\":true",
    ] {
        assert!(stdout.contains(promised), "the walkthrough never showed {promised}:\n{stdout}");
    }
    for refused in ["\"rate_limited\"", "\"validation_failed\"", "\"internal\""] {
        assert!(!stdout.contains(refused), "the walkthrough ran into {refused}:\n{stdout}");
    }
    s.stop().await;
}
