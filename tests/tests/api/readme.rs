//! The README's walkthroughs, run as written: every `sh` block of "Walkthrough", "Tracking
//! applications", "Saved searches" and "Keeping a copy in sync" is extracted from README.md (so the
//! text and the test cannot drift) and run with bash, in order, against a live demo server with the
//! document's plans and limits (what `make demo` serves). The one change is the address:
//! `http://127.0.0.1:8080` becomes the test server's. The blocks run in a temporary directory of
//! their own that stands for the checkout (`data` is the server's data dir, `examples` the repo's),
//! and `jobin` is the server's binary with the server's settings, as after `make install`. Blocks
//! that start or build the server (`cargo`, `make`) are skipped, and say so.

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
    let env = setup.env(&std::path::PathBuf::new());
    let s = TestServer::start_with(setup).await.unwrap();
    // The blocks read `data/outbox.jsonl` and run `examples/…` relative to the checkout.
    let cwd = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(s.dir(), cwd.path().join("data")).unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    std::os::unix::fs::symlink(examples, cwd.path().join("examples")).unwrap();
    let bin = jobin_binary();
    let mut script = format!("set -e\njobin() {{ '{}' \"$@\"; }}\n", bin.display());
    let mut ran = 0;
    for title in [
        "Walkthrough",
        "Tracking applications",
        "Saved searches",
        "Keeping a copy in sync: `/v1/jobs/feed` and `/v1/jobs/expired`",
    ] {
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
    // The server's settings for `jobin` (its data dir is the one the server uses).
    let vars: Vec<(&str, String)> = env
        .into_iter()
        .filter(|(k, _)| *k != "JOBIN_DATA_DIR")
        .chain([("JOBIN_DATA_DIR", s.dir().display().to_string())])
        .collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(dir)
            .envs(vars)
            .output()
            .expect("bash runs")
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
        "dev@example.com is now on the pro plan",
        "synced: ",
        "\"restarts\": 0",
    ] {
        assert!(stdout.contains(promised), "the walkthrough never showed {promised}:\n{stdout}");
    }
    for refused in ["\"rate_limited\"", "\"validation_failed\"", "\"internal\""] {
        assert!(!stdout.contains(refused), "the walkthrough ran into {refused}:\n{stdout}");
    }
    s.stop().await;
}

/// The server's binary (`jobin`): beside this test's in the target dir when the workspace was
/// built, else built now.
fn jobin_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(|deps| deps.parent()).unwrap().join("jobin");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["build", "--quiet", "-p", "jobin-app", "--bin", "jobin"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "building jobin for the README's commands");
    }
    assert!(bin.exists(), "no jobin binary at {}", bin.display());
    bin
}
