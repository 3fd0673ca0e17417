//! The Jobo-compatible sync pair (`POST /api/jobs/feed`, `GET /api/jobs/expired`): Jobo's request
//! and response shapes over the same stream as `/v1/jobs/feed`, and the Jobo document's sync
//! workflow (`examples/jobo_sync.py`, run as a client would) keeping a copy equal to the server's
//! active set while ingestion runs, jobs expire and a checkpointed cursor goes bad.

use jobin_tests::{Setup, TestServer, watching_ingest};
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn server() -> TestServer {
    TestServer::start_with(Setup { ingest: watching_ingest(), ..Setup::default() }).await.unwrap()
}

async fn pro(s: &TestServer) -> String {
    let (email, key) = s.register().await;
    s.set_plan(&email, "pro").await;
    key
}

/// The server's active job ids, through the native feed.
async fn active_ids(s: &TestServer, key: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut body = json!({"batch_size": 1000});
    loop {
        let r = s.send(s.http.post(s.url("/v1/jobs/feed")).header("x-api-key", key).json(&body)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        ids.extend(r.body["jobs"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap().to_owned()));
        if r.body["has_more"] == false {
            return ids;
        }
        body["cursor"] = r.body["next_cursor"].clone();
    }
}

/// Runs the example client once; returns the ids in its copy and its summary line.
async fn run_client(s: &TestServer, key: &str, dir: &std::path::Path) -> (BTreeSet<String>, Value) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/jobo_sync.py");
    let (base, key, dir2) = (s.url("/api/jobs"), key.to_owned(), dir.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(script)
            .arg(&dir2)
            .env("JOBO_BASE", base)
            .env("JOBO_API_KEY", key)
            .output()
            .expect("python3 runs (it is on every machine this project supports)")
    })
    .await
    .unwrap();
    assert!(out.status.success(), "client failed: {}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let store: serde_json::Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("store.json")).unwrap()).unwrap();
    (store.keys().cloned().collect(), summary)
}

#[tokio::test]
async fn the_jobo_pair_speaks_jobos_shapes() {
    let s = server().await;
    let key = pro(&s).await;
    let (_, free) = s.register().await;
    assert!(s.run_ingest().await.fetched > 0);

    let feed =
        |key: &str, body: Value| s.send(s.http.post(s.url("/api/jobs/feed")).header("X-Api-Key", key).json(&body));
    let r = feed(&key, json!({"batch_size": 5})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut top: Vec<&str> = r.body.as_object().unwrap().keys().map(String::as_str).collect();
    top.sort_unstable();
    assert_eq!(top, ["has_more", "jobs", "next_cursor"]);
    let jobs = r.body["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 5);
    let dto = [
        "apply_url",
        "benefits",
        "company",
        "compensation",
        "created_at",
        "date_posted",
        "description",
        "employment_type",
        "experience_level",
        "id",
        "is_clearance_required",
        "is_h1b_sponsor",
        "is_work_auth_required",
        "listing_url",
        "locations",
        "normalized_title",
        "qualifications",
        "responsibilities",
        "source",
        "summary",
        "title",
        "updated_at",
        "valid_through",
        "workplace_type",
    ];
    for j in jobs {
        let mut fields: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, dto, "{j}");
        assert!(j["company"]["name"].is_string() && j["locations"].is_array(), "{j}");
        // The title as dedup compares it: folded, tails and markers gone, never the raw title.
        let normalized = j["normalized_title"].as_str().expect("a normalized title");
        let raw = j["title"].as_str().unwrap();
        assert!(!normalized.is_empty() && normalized == normalized.to_lowercase(), "{raw} → {normalized}");
        assert_eq!(jobin_core::domain::title::normalize_title(normalized), normalized, "idempotent: {raw}");
        assert!(j["qualifications"]["must_have"].is_array() && j["qualifications"]["preferred"].is_array());
        assert!(j["created_at"].as_str().unwrap().ends_with('Z') && j["updated_at"].as_str().unwrap().ends_with('Z'));
        if let Some(c) = j["compensation"].as_object() {
            assert!(c["min"].as_f64().unwrap() <= c["max"].as_f64().unwrap() && c["currency"].is_string());
        }
    }
    // The next page continues the same stream; the native feed pages the same ids.
    let next = feed(&key, json!({"batch_size": 5, "cursor": r.body["next_cursor"]})).await;
    assert_eq!(next.status, 200);
    assert_ne!(next.body["jobs"][0]["id"], jobs[0]["id"]);

    let bad = feed(&key, json!({"cursor": "garbage"})).await;
    assert_eq!((bad.status, bad.body["code"].as_str()), (400, Some("invalid_cursor")), "{}", bad.text);
    let refused = feed(&free, json!({})).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (403, Some("plan_upgrade_required")));
    let unauth = s.send(s.http.post(s.url("/api/jobs/feed")).json(&json!({}))).await;
    assert_eq!(unauth.status, 401);

    let expired = s.send(s.http.get(s.url("/api/jobs/expired?batch_size=10")).header("X-Api-Key", &key)).await;
    assert_eq!(expired.status, 200, "{}", expired.text);
    let mut top: Vec<&str> = expired.body.as_object().unwrap().keys().map(String::as_str).collect();
    top.sort_unstable();
    assert_eq!(top, ["has_more", "job_ids", "next_cursor"]);
    s.stop().await;
}

#[tokio::test]
async fn the_jobo_documents_sync_workflow_keeps_a_copy_equal_to_the_active_set() {
    let s = server().await;
    let key = pro(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let (ingest, _) = s.state.background.ingest.clone().expect("scheduled");
    assert!(ingest.run_cycle().await.unwrap().fetched > 0);

    // Backfill.
    let (copy, _) = run_client(&s, &key, dir.path()).await;
    let active = active_ids(&s, &key).await;
    assert!(!active.is_empty());
    assert_eq!(copy, active, "after the backfill");

    // Ingestion goes on and some jobs expire; the next run (incremental + expired sweep) follows.
    assert!(ingest.run_cycle().await.unwrap().ran);
    let gone: Vec<String> = active.iter().take(3).cloned().collect();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // past the last run's start
    assert_eq!(s.expire_jobs(&gone).await, 3);
    let (copy, summary) = run_client(&s, &key, dir.path()).await;
    assert_eq!(summary["removed"], 3, "{summary}");
    assert_eq!(copy, active_ids(&s, &key).await, "after an incremental run");

    // A run while an ingestion cycle writes: whatever the pass missed, the next run picks up.
    let (racing, cycle) = tokio::join!(run_client(&s, &key, dir.path()), ingest.run_cycle());
    assert!(cycle.unwrap().ran && !racing.0.is_empty());
    let (copy, _) = run_client(&s, &key, dir.path()).await;
    assert_eq!(copy, active_ids(&s, &key).await, "after a run that raced an ingestion cycle");

    // A checkpointed cursor the server no longer accepts: the client drops it and restarts.
    let state_file = dir.path().join("sync_state.json");
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    state["cursor"] = json!("not-a-cursor");
    std::fs::write(&state_file, state.to_string()).unwrap();
    let (copy, summary) = run_client(&s, &key, dir.path()).await;
    assert_eq!(summary["restarts"], 1, "{summary}");
    assert_eq!(copy, active_ids(&s, &key).await, "after restarting on an invalid cursor");
    s.stop().await;
}
