//! `jobin backup` while the embedded node serves and writes, `jobin restore` into a new data dir:
//! every account, key, application and posting confirmed before the backup began is there, and
//! every key still authenticates (the backup carries the generated secrets). A restore is refused
//! while a server serves the store, and keeps what it replaces.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

mod common;

use common::{call, start};
use serde_json::json;
use std::process::{Command, Output};

/// An embedded demo node in `data` with generated secrets and roomy limits.
fn embedded(data: &std::path::Path) -> Vec<(&'static str, String)> {
    let catalog = data.with_extension("catalog.toml");
    std::fs::write(
        &catalog,
        "[plans.free]\nper_minute = 100000\ntracker_per_minute = 100000\n[public]\nregister_per_minute = 100000\n",
    )
    .unwrap();
    vec![
        ("JOBIN_DATA_DIR", data.display().to_string()),
        ("JOBIN_DEMO", "1".into()),
        ("JOBIN_CATALOG", catalog.display().to_string()),
        ("JOBIN_TRUSTED_PROXIES", "127.0.0.1".into()),
        ("RUST_LOG", "warn".into()),
    ]
}

fn jobin(vars: &[(&'static str, String)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jobin"))
        .args(args)
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// One account with a key, an application and the postings its search stored.
struct Written {
    email: String,
    key: String,
    application: i64,
}

async fn write_one(http: &reqwest::Client, base: &str, n: usize) -> Written {
    let email = format!("backup{n}@example.com");
    let (status, reg) =
        call(http.post(format!("{base}/v1/auth/register")).json(&json!({"email": email, "password": "correct horse"})))
            .await;
    assert_eq!(status, 201, "{reg}");
    let key = reg["api_key"].as_str().unwrap().to_owned();
    let (status, found) =
        call(http.get(format!("{base}/v1/jobs/search?q=developer&country=gb")).header("x-api-key", &key)).await;
    assert_eq!(status, 200, "{found}");
    let job = found["jobs"][0]["id"].as_str().unwrap().to_owned();
    let (status, app) =
        call(http.post(format!("{base}/v1/applications")).header("x-api-key", &key).json(&json!({"job_id": job})))
            .await;
    assert_eq!(status, 201, "{app}");
    Written { email, key, application: app["data"]["id"].as_i64().unwrap() }
}

async fn corpus_total(http: &reqwest::Client, base: &str, key: &str) -> u64 {
    let (status, page) = call(http.get(format!("{base}/v1/jobs?limit=1")).header("x-api-key", key)).await;
    assert_eq!(status, 200, "{page}");
    page["meta"]["total"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_writing_restores_every_confirmed_record_and_key() {
    let root = tempfile::tempdir().unwrap();
    let (data, restored, backup) = (root.path().join("data"), root.path().join("restored"), root.path().join("backup"));
    let vars = embedded(&data);
    let node = start(&vars).await;
    let http = reqwest::Client::new();
    let mut before = Vec::new();
    for n in 0..8 {
        before.push(write_one(&http, &node.base, n).await);
    }
    let postings = corpus_total(&http, &node.base, &before[0].key).await;
    assert!(postings > 0);

    // Writes go on while the backup is taken: it begins once three of them are confirmed.
    let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (base, sink) = (node.base.clone(), written.clone());
    let writer = tokio::spawn(async move {
        let http = reqwest::Client::new();
        for n in 100..125 {
            let w = write_one(&http, &base, n).await;
            sink.lock().unwrap().push(w);
        }
    });
    while written.lock().unwrap().len() < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let confirmed_first = written.lock().unwrap().len();
    let (vars_b, backup_b) = (vars.clone(), backup.clone());
    let out =
        tokio::task::spawn_blocking(move || jobin(&vars_b, &["backup", backup_b.to_str().unwrap()])).await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("backed up to"), "{}", text(&out));
    let confirmed_during = written.lock().unwrap().len() - confirmed_first;
    writer.await.unwrap();
    let during = std::mem::take(&mut *written.lock().unwrap());
    // Owner-only, as the data dir: the backup holds the secrets.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&data), mode(&data.join("jobin.db.lock"))), (0o700, 0o600), "the served data dir");
    assert_eq!(mode(&backup), 0o700);
    for file in ["jobin.db", "backup.json", "secrets/key_pepper", "secrets/jwt_secret"] {
        assert_eq!(mode(&backup.join(file)), 0o600, "{file} in the backup, owner-only");
    }
    // A second backup into the same place is refused: nothing is overwritten.
    let again = jobin(&vars, &["backup", backup.to_str().unwrap()]);
    assert!(!again.status.success() && text(&again).contains("not an empty directory"), "{}", text(&again));

    // No restore over the store a server serves.
    let refused = jobin(&vars, &["restore", backup.to_str().unwrap()]);
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(text(&refused).contains("a server is serving"), "{}", text(&refused));
    drop(node);

    // Into a new data dir: every record confirmed before the backup began, every key working.
    let restored_vars = embedded(&restored);
    let out = jobin(&restored_vars, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!((mode(&restored), mode(&restored.join("jobin.db"))), (0o700, 0o600), "restored owner-only");
    let node = start(&restored_vars).await;
    for w in &before {
        let (status, me) = call(http.get(format!("{}/v1/auth/me", node.base)).header("x-api-key", &w.key)).await;
        assert_eq!(status, 200, "{}: {me}", w.email);
        let prefix = me["api_keys"][0]["key_prefix"].as_str().unwrap().trim_end_matches('*').to_owned();
        assert!(w.key.starts_with(&prefix), "{} is this key's account: {me}", w.email);
        let (status, app) =
            call(http.get(format!("{}/v1/applications/{}", node.base, w.application)).header("x-api-key", &w.key))
                .await;
        assert_eq!(status, 200, "{app}");
    }
    assert!(corpus_total(&http, &node.base, &before[0].key).await >= postings);
    // The writes confirmed before the backup began are in it; those confirmed while it ran may
    // be, whole (key and application) or not at all.
    let mut kept = 0;
    for (i, w) in during.iter().enumerate() {
        let (status, me) = call(http.get(format!("{}/v1/auth/me", node.base)).header("x-api-key", &w.key)).await;
        let (app_status, _) =
            call(http.get(format!("{}/v1/applications/{}", node.base, w.application)).header("x-api-key", &w.key))
                .await;
        assert!(status == 200 || status == 401, "{status}: {me}");
        if i < confirmed_first {
            assert_eq!(status, 200, "{} was confirmed before the backup began", w.email);
        }
        if app_status == 200 {
            assert_eq!(status, 200, "an application without its account");
        }
        kept += usize::from(status == 200);
    }
    eprintln!(
        "backup began after {confirmed_first} writes of {}; {confirmed_during} more were confirmed while it ran; \
         {kept} are in it",
        during.len()
    );
    drop(node);

    // Restoring over an existing store keeps the one it replaces.
    let out = jobin(&restored_vars, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let kept_line = text(&out);
    let aside = kept_line.lines().find_map(|l| l.strip_prefix("what it replaced is kept in ")).expect("kept aside");
    assert!(std::path::Path::new(aside.trim()).join("jobin.db").exists(), "{kept_line}");
}

#[test]
fn backup_and_restore_say_what_is_wrong_instead_of_guessing() {
    let root = tempfile::tempdir().unwrap();
    let vars = embedded(&root.path().join("nothing-here"));
    // No database to back up: the operator mistyped the data dir.
    let out = jobin(&vars, &["backup", root.path().join("b").to_str().unwrap()]);
    assert!(!out.status.success() && text(&out).contains("no database at"), "{}", text(&out));
    // Not a backup.
    let out = jobin(&vars, &["restore", root.path().to_str().unwrap()]);
    assert!(!out.status.success() && text(&out).contains("not a finished backup"), "{}", text(&out));
    // PostgreSQL has its own tools.
    let mut pg = vars.clone();
    pg.push(("JOBIN_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none".into()));
    let out = jobin(&pg, &["backup", root.path().join("c").to_str().unwrap()]);
    assert!(!out.status.success() && text(&out).contains("pg_dump"), "{}", text(&out));
}
