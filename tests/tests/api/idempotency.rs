//! `Idempotency-Key`: a retried mutating request replays its first answer and applies nothing
//! again; another request under the same key is 422; a duplicate in flight is 409 or a replay; a
//! key that is not a UUID is 400; errors are not kept; keys are per account.

use jobin_tests::TestServer;
use serde_json::json;

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
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
