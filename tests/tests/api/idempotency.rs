//! `Idempotency-Key`: a retried mutating request replays its first answer and applies nothing
//! again; another request under the same key is 422; a duplicate in flight is 409 or a replay; a
//! key that is not a UUID is 400; errors are not kept; keys are per account.

use jobin_tests::TestServer;
use serde_json::json;

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A server whose minute limits are out of the way.
async fn roomy() -> TestServer {
    TestServer::start_with(jobin_tests::Setup { catalog: jobin_tests::roomy_catalog(), ..Default::default() })
        .await
        .unwrap()
}

/// One MCP message from `key` under `idem`.
fn mcp(s: &TestServer, key: &str, idem: &str, body: &serde_json::Value) -> reqwest::RequestBuilder {
    s.http
        .post(s.url("/mcp"))
        .header("x-api-key", key)
        .header("idempotency-key", idem)
        .header("accept", "application/json, text/event-stream")
        .json(body)
}

#[tokio::test]
async fn a_retried_rotation_replays_its_answer_and_revokes_nothing_more() {
    let s = TestServer::start().await;
    let (email, _) = s.register().await;
    let (session, _) = s.login(&email).await;
    let idem = uuid();
    let rotate = || s.http.post(s.url("/v1/auth/keys/rotate")).bearer_auth(&session).header("idempotency-key", &idem);
    let first = s.send(rotate()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    let fresh = first.body["key"].as_str().unwrap().to_owned();
    // The answer was lost; the client retries with the same key.
    let again = s.send(rotate()).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "the same answer, the same new key");
    let me = s.get_with_key("/v1/auth/me", &fresh).await;
    assert_eq!(me.status, 200, "the key the lost answer held still works");
    assert_eq!(me.body["api_keys"].as_array().unwrap().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn another_request_under_a_used_key_is_422_and_a_bad_key_is_400() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let idem = uuid();
    let create = |name: &str, idem: &str| {
        s.http
            .post(s.url("/auth/keys"))
            .header("x-api-key", &key)
            .header("idempotency-key", idem)
            .json(&json!({"name": name}))
    };
    assert_eq!(s.send(create("ci", &idem)).await.status, 201);
    let r = s.send(create("dashboard", &idem)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (422, Some("idempotency_key_reused")), "{}", r.text);
    let r = s.send(create("ci", "not-a-uuid")).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("validation_failed")), "{}", r.text);
    assert_eq!(r.body["details"]["field"], "Idempotency-Key");
    // Errors are not kept: a failed request may be retried under its key with a fixed body.
    let idem = uuid();
    let r = s.send(create(&"x".repeat(500), &idem)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(s.send(create("fixed", &idem)).await.status, 201);
    let me = s.get_with_key("/auth/me", &key).await;
    assert_eq!(me.body["api_keys"].as_array().unwrap().len(), 3, "{}", me.text);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicates_apply_once() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let idem = uuid();
    let sends = (0..6).map(|_| {
        s.send(
            s.http
                .post(s.url("/auth/keys"))
                .header("x-api-key", &key)
                .header("idempotency-key", &idem)
                .json(&json!({"name": "once"})),
        )
    });
    let replies = futures::future::join_all(sends).await;
    let mut created = std::collections::HashSet::new();
    for r in &replies {
        match r.status {
            201 => {
                created.insert(r.body["key"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(r.body["code"], "idempotency_in_progress"),
            other => panic!("{other}: {}", r.text),
        }
    }
    assert_eq!(created.len(), 1, "one key, however many duplicates");
    let me = s.get_with_key("/auth/me", &key).await;
    assert_eq!(me.body["api_keys"].as_array().unwrap().len(), 2, "{}", me.text);
    s.stop().await;
}

#[tokio::test]
async fn keys_are_per_account() {
    let s = TestServer::start().await;
    let (_, a) = s.register().await;
    let (_, b) = s.register().await;
    let idem = uuid();
    for key in [&a, &b] {
        let r = s
            .send(
                s.http
                    .post(s.url("/auth/keys"))
                    .header("x-api-key", key)
                    .header("idempotency-key", &idem)
                    .json(&json!({"name": "n"})),
            )
            .await;
        assert_eq!((r.status, r.header("idempotent-replayed")), (201, None), "{}", r.text);
    }
    s.stop().await;
}

/// A replay is a request like any other: it passes the gate its first request passed, or gets the
/// same refusal as without the key (issue 34: a `jobs:read` key replaying a full key's new key).
#[tokio::test]
async fn a_replay_passes_the_gate_its_request_passed() {
    let s = TestServer::start().await;
    let (_, full) = s.register().await;
    let r = s.call("POST", "/v1/auth/keys", &full, Some(json!({"name": "reader", "scopes": ["jobs:read"]}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let reader = r.body["key"].as_str().unwrap().to_owned();
    let idem = uuid();
    let create = |key: &str| {
        s.http
            .post(s.url("/v1/auth/keys"))
            .header("x-api-key", key)
            .header("idempotency-key", &idem)
            .json(&json!({"name": "ci"}))
    };
    let first = s.send(create(&full)).await;
    assert_eq!((first.status, first.header("idempotent-replayable")), (201, Some("true")), "{}", first.text);
    let without = s.call("POST", "/v1/auth/keys", &reader, Some(json!({"name": "ci"}))).await;
    assert_eq!((without.status, without.body["code"].as_str()), (403, Some("insufficient_scope")));
    let replay = s.send(create(&reader)).await;
    assert_eq!((replay.status, replay.body["code"].as_str()), (403, Some("insufficient_scope")), "{}", replay.text);
    assert!(!replay.text.contains(first.body["key"].as_str().unwrap()), "the new key is not shown");
    assert_eq!(replay.body["details"], without.body["details"], "the same refusal as without the key");
    let again = s.send(create(&full)).await;
    assert_eq!((again.status, again.header("idempotent-replayed")), (201, Some("true")));
    assert_eq!(again.body, first.body);
    s.stop().await;
}

/// Only requests that change state pass the layer: a read sent as POST (the feed) and MCP protocol
/// calls (`tools/list`, a read-only tool) are neither kept nor replayed; an MCP tool that writes is.
#[tokio::test]
async fn reads_and_protocol_calls_do_not_pass_the_layer() {
    let s = roomy().await;
    let (email, key) = s.register().await;
    s.set_plan(&email, "pro").await;
    let idem = uuid();
    let feed = || {
        s.http.post(s.url("/v1/jobs/feed")).header("x-api-key", &key).header("idempotency-key", &idem).json(&json!({}))
    };
    for _ in 0..2 {
        let r = s.send(feed()).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.header("idempotent-replayed"), r.header("idempotent-replayable")), (None, None));
    }
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    for _ in 0..2 {
        let r = s.send(mcp(&s, &key, &idem, &list)).await;
        assert_eq!(
            (r.status, r.header("idempotent-replayable"), r.header("idempotent-replayed")),
            (200, None, None),
            "{}",
            r.text
        );
    }
    let save = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "save_application", "arguments": {"company_name": "Acme", "job_title": "Rust Engineer"}}});
    let write = uuid();
    let first = s.send(mcp(&s, &key, &write, &save)).await;
    assert_eq!((first.status, first.header("idempotent-replayable")), (200, Some("true")), "{}", first.text);
    let again = s.send(mcp(&s, &key, &write, &save)).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    let apps = s.get_with_key("/v1/applications", &key).await;
    assert_eq!(apps.body["data"].as_array().unwrap().len(), 1, "applied once: {}", apps.text);
    s.stop().await;
}

/// Kept answers hold new keys, webhook secrets and feed tokens: at rest they are sealed, so the
/// store's raw values hold none of them in clear (in memory here, in Redis below).
async fn kept_answers_hold_no_secret_in_clear(s: TestServer) {
    let (email, key) = s.register().await;
    let account = s.account(&email).await.id;
    let mut sent = Vec::new();
    let mut call = async |method: &str, path: &str, body: Option<serde_json::Value>| {
        let idem = uuid();
        let mut req = s
            .http
            .request(method.parse().unwrap(), s.url(path))
            .header("x-api-key", &key)
            .header("idempotency-key", &idem);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = s.send(req).await;
        assert!(r.status < 300 && r.header("idempotent-replayable") == Some("true"), "{path}: {}", r.text);
        sent.push(idem);
        r
    };
    let made = call("POST", "/v1/auth/keys", Some(json!({"name": "ci"}))).await;
    assert!(made.text.contains("jl_live_"));
    let search =
        call("POST", "/v1/searches", Some(json!({"q": "rust", "webhook_url": "https://hooks.example.com/x"}))).await;
    assert!(search.text.contains("whsec_"), "{}", search.text);
    let id = search.body["data"]["id"].as_i64().unwrap();
    let token = call("POST", &format!("/v1/searches/{id}/feed-token"), None).await;
    assert!(token.text.contains("jf_"), "{}", token.text);
    let secrets = [
        made.body["key"].as_str().unwrap().to_owned(),
        search.body["data"]["webhook"]["secret"].as_str().unwrap().to_owned(),
        token.body["data"]["token"].as_str().unwrap().to_owned(),
    ];
    // In clear, or merely encoded (hex, as the store once kept bodies), is the same leak.
    let forms = |secret: &str| {
        let hexed = hex::encode(secret);
        let mut forms = vec![secret.to_owned(), hexed.clone(), hexed.to_uppercase()];
        forms.extend(["jl_live_", "whsec_", "jf_"].iter().flat_map(|p| [p.to_string(), hex::encode(p)]));
        forms
    };
    for idem in &sent {
        let raw = s.state.idempotency.answers.get(account, idem).await.unwrap().expect("kept");
        let text = String::from_utf8_lossy(&raw);
        for secret in &secrets {
            for form in forms(secret) {
                assert!(!text.contains(&form), "a secret ({form:.12}…) readable in a kept answer");
            }
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn kept_answers_hold_no_secret_in_clear_in_memory() {
    kept_answers_hold_no_secret_in_clear(TestServer::start().await).await;
}

#[tokio::test]
#[ignore = "needs Redis"]
async fn kept_answers_hold_no_secret_in_clear_in_redis() {
    let Some((redis, _)) = jobin_adapters::testing::redis().await else { return };
    let s = TestServer::start_with(jobin_tests::Setup { redis: Some(redis), ..Default::default() }).await.unwrap();
    kept_answers_hold_no_secret_in_clear(s).await;
}

/// Account B's flood (9,000 MCP protocol calls and 1,050 writes with fresh keys, more than an
/// account may hold) evicts only B's own oldest answers: A's is still replayed, A's write applied
/// once.
#[tokio::test]
async fn one_accounts_flood_never_evicts_anothers_answers() {
    let s = roomy().await;
    let (_, a) = s.register().await;
    let (_, b) = s.register().await;
    let idem_a = uuid();
    let save = || {
        s.http
            .post(s.url("/v1/applications"))
            .header("x-api-key", &a)
            .header("idempotency-key", &idem_a)
            .json(&json!({"company_name": "Acme", "job_title": "SRE"}))
    };
    assert_eq!(s.send(save()).await.status, 201);
    let id = s.call("POST", "/v1/searches", &b, Some(json!({"q": "rust"}))).await.body["data"]["id"].as_i64().unwrap();
    // The reported vector: protocol calls with fresh keys (they no longer pass the layer at all).
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    for _ in 0..(9_000 / 50) {
        let calls = (0..50).map(|_| s.send(mcp(&s, &b, &uuid(), &list)));
        for r in futures::future::join_all(calls).await {
            assert_eq!(r.status, 200, "{}", r.text);
        }
    }
    let rename = |idem: &str, name: String| {
        s.send(
            s.http
                .patch(s.url(&format!("/v1/searches/{id}")))
                .header("x-api-key", &b)
                .header("idempotency-key", idem)
                .json(&json!({"name": name})),
        )
    };
    let first_b = uuid();
    for i in 0..1_050 {
        let idem = if i == 0 { first_b.clone() } else { uuid() };
        let r = rename(&idem, format!("n{i}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let again = s.send(save()).await;
    assert_eq!((again.status, again.header("idempotent-replayed")), (201, Some("true")), "{}", again.text);
    assert_eq!(s.get_with_key("/v1/applications", &a).await.body["data"].as_array().unwrap().len(), 1);
    // B's own oldest answer made room for B's newer ones.
    let r = rename(&first_b, "n0".to_owned()).await;
    assert_eq!((r.status, r.header("idempotent-replayed")), (200, None));
    s.stop().await;
}
