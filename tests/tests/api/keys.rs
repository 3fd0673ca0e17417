//! `/auth/me` and key management: create, revoke, rotate (including 20 concurrent rotations).

use jobin_tests::{Backend, Setup, TestServer};
use serde_json::json;
use std::collections::HashSet;

use jobin_tests::ALL_SCOPES;

#[tokio::test]
async fn me_shows_plan_usage_endpoints_and_keys_but_never_a_secret() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let r = s.get_with_key("/auth/me", &key).await;
    assert_eq!(r.status, 200);
    let used = r.body["api_keys"][0]["last_used_at"].as_str().unwrap().to_owned();
    assert!(used.ends_with('Z') && used.len() == 20, "{used}");
    assert_eq!(
        r.body,
        json!({
            "plan": "free", "monthly_used": 0, "monthly_limit": 1000, "billing_status": "none",
            "endpoints": ["/v1/jobs/search", "/v1/jobs/providers", "/v1/jobs/{id}", "/v1/searches/{id}/matches", "/v1/jobs"],
            "api_keys": [{"name": "Default Key", "key_prefix": format!("{}****", &key[..12]), "last_used_at": used,
                          "scopes": ALL_SCOPES, "minted_by_login": null}],
            "login_id": null
        })
    );
    assert!(!r.text.contains(&key[12..]), "the key must not appear");

    // Plan changes (the operator tool's use case) show up.
    let email = s
        .state
        .accounts
        .store
        .find_key_by_hash(
            &jobin_core::domain::SecretHasher::new(jobin_tests::KEY_PEPPER.as_bytes().to_vec()).hash(&key),
        )
        .await
        .unwrap()
        .unwrap()
        .1
        .email;
    s.set_plan(email.as_str(), "pro").await;
    let r = s.get_with_key("/auth/me", &key).await;
    assert_eq!(r.body["plan"], "pro");
    assert_eq!(r.body["monthly_limit"], 500000);
    assert_eq!(
        r.body["endpoints"],
        json!([
            "/v1/jobs/search",
            "/v1/jobs/salary",
            "/v1/jobs/trends",
            "/v1/jobs/insight",
            "/v1/jobs/providers",
            "/v1/jobs/feed",
            "/v1/jobs/expired",
            "/v1/jobs/{id}",
            "/v1/searches/{id}/matches",
            "/v1/jobs"
        ])
    );
    s.stop().await;
}

#[tokio::test]
async fn credentials_are_checked_with_distinct_codes() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let unknown = format!("jl_live_{}", "0".repeat(64));
    let cases = [
        (Some(("x-api-key", "jl_live_tooshort".to_owned())), "invalid_credentials", "Invalid API key."),
        (Some(("x-api-key", unknown.clone())), "invalid_credentials", "Invalid API key."),
        (Some(("authorization", format!("Bearer {unknown}"))), "invalid_credentials", "Invalid API key."),
        (
            Some(("authorization", format!("Basic {key}"))),
            "invalid_credentials",
            "The Authorization header must be `Bearer <API key or session token>`.",
        ),
        (
            None,
            "missing_credentials",
            "Send an API key as `X-API-Key: jl_live_…` or `Authorization: Bearer jl_live_…`.",
        ),
    ];
    for (header, code, message) in cases {
        let mut req = s.http.get(s.url("/auth/me"));
        if let Some((name, value)) = header {
            req = req.header(name, value);
        }
        let r = s.send(req).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.masked(), json!({"error": message, "code": code, "details": {}, "request_id": "<id>"}));
    }
    // Both header styles work with a valid key.
    assert_eq!(s.send(s.http.get(s.url("/auth/me")).bearer_auth(&key)).await.status, 200);
    assert_eq!(s.get_with_key("/auth/me", &key).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn keys_are_created_listed_and_revoked_by_prefix() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    // No body at all: default name.
    let r = s.send(s.http.post(s.url("/auth/keys")).header("x-api-key", &key)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let second = r.body["key"].as_str().unwrap().to_owned();
    assert_eq!(
        r.body,
        json!({"key": second, "prefix": format!("{}****", &second[..12]), "name": "Default Key", "scopes": ALL_SCOPES,
               "notice": "Save this key securely. It will not be shown again."})
    );
    let r = s.send(s.http.post(s.url("/auth/keys")).header("x-api-key", &key).json(&json!({"name": "  CI  "}))).await;
    assert_eq!(r.status, 201);
    let third_prefix = r.body["prefix"].as_str().unwrap().to_owned();

    let me = s.get_with_key("/auth/me", &second).await;
    let names: Vec<&str> =
        me.body["api_keys"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Default Key", "Default Key", "CI"]);
    let prefixes: HashSet<&str> =
        me.body["api_keys"].as_array().unwrap().iter().map(|k| k["key_prefix"].as_str().unwrap()).collect();
    assert_eq!(prefixes.len(), 3, "one account's keys never share a display prefix");

    // Bad names.
    for (name, reason) in [("", "name must not be empty"), (&*"n".repeat(65), "name must be at most 64 characters")] {
        let r = s.send(s.http.post(s.url("/auth/keys")).header("x-api-key", &key).json(&json!({"name": name}))).await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.masked(),
            json!({"error": format!("name: {reason}"), "code": "validation_failed",
                                      "details": {"field": "name", "reason": reason}, "request_id": "<id>"})
        );
    }

    // Revoke the third key (with the mask URL-encoded or not), then it is refused.
    let r = s.send(s.http.delete(s.url(&format!("/auth/keys/{third_prefix}"))).header("x-api-key", &key)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"message": "Key revoked"}));
    let again =
        s.send(s.http.delete(s.url(&format!("/auth/keys/{}", &third_prefix[..12]))).header("x-api-key", &key)).await;
    assert_eq!(again.status, 404);
    assert_eq!(
        again.masked(),
        json!({"error": format!("No active key with prefix {third_prefix} on this account."),
                                      "code": "key_not_found", "details": {}, "request_id": "<id>"})
    );

    // Revoking the key in use works too; then that key is refused as revoked.
    let own = format!("{}****", &second[..12]);
    assert_eq!(
        s.send(s.http.delete(s.url(&format!("/auth/keys/{own}"))).header("x-api-key", &second)).await.status,
        200
    );
    let r = s.get_with_key("/auth/me", &second).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.masked(),
        json!({"error": "This API key has been revoked.", "code": "key_revoked", "details": {}, "request_id": "<id>"})
    );

    // Malformed prefix.
    let r = s.send(s.http.delete(s.url("/auth/keys/abc")).header("x-api-key", &key)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["code"], "validation_failed");
    assert_eq!(r.body["details"]["field"], "prefix");
    s.stop().await;
}

#[tokio::test]
async fn another_accounts_prefix_is_a_404_that_reveals_nothing() {
    let s = TestServer::start().await;
    let (_, mine) = s.register().await;
    let (_, theirs) = s.register().await;
    let their_prefix = format!("{}****", &theirs[..12]);
    let unknown_prefix = if their_prefix.starts_with("jl_live_ffff") { "jl_live_eeee****" } else { "jl_live_ffff****" };
    let foreign = s.send(s.http.delete(s.url(&format!("/auth/keys/{their_prefix}"))).header("x-api-key", &mine)).await;
    let unknown =
        s.send(s.http.delete(s.url(&format!("/auth/keys/{unknown_prefix}"))).header("x-api-key", &mine)).await;
    assert_eq!((foreign.status, unknown.status), (404, 404));
    let strip = |v: serde_json::Value, p: &str| v.to_string().replace(p, "<prefix>");
    assert_eq!(strip(foreign.masked(), &their_prefix), strip(unknown.masked(), unknown_prefix));
    // Their key still works.
    assert_eq!(s.get_with_key("/auth/me", &theirs).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn a_lost_key_is_recovered_with_a_login_session() {
    // The document's key-recovery flow: login → session token → rotate.
    let s = TestServer::start().await;
    let (email, lost) = s.register().await;
    let (access, _) = s.login(&email).await;
    let r = s.send(s.http.post(s.url("/auth/keys/rotate")).bearer_auth(&access)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let fresh = r.body["key"].as_str().unwrap();
    assert_eq!(s.get_with_key("/auth/me", &lost).await.body["code"], "key_revoked");
    let me = s.get_with_key("/auth/me", fresh).await;
    assert_eq!(me.body["api_keys"].as_array().unwrap().len(), 1);
    assert_eq!(me.body["api_keys"][0]["name"], "Rotated Key");
    s.stop().await;
}

async fn parallel_rotations_leave_exactly_one_issued_key(s: &TestServer) {
    let (email, key) = s.register().await;
    // A login session is not revoked by rotation, so every request authenticates and reaches the
    // rotation itself.
    let (session, _) = s.login(&email).await;
    let requests = (0..20).map(|i| {
        let req = s.http.post(s.url("/auth/keys/rotate")).bearer_auth(&session).json(&json!({"name": format!("r{i}")}));
        async move {
            let reply = s.send(req).await;
            (std::time::Instant::now(), reply)
        }
    });
    let mut replies = futures::future::join_all(requests).await;
    replies.sort_by_key(|(at, _)| *at);
    let mut issued = Vec::new();
    for (_, r) in &replies {
        match r.status {
            201 => issued.push(r.body["key"].as_str().unwrap().to_owned()),
            429 => {
                assert_eq!(r.body["code"], "rotation_in_progress", "{}", r.text);
                assert_eq!(r.header("retry-after"), Some("1"));
            }
            other => panic!("each answer is a new key or 429, got {other}: {}", r.text),
        }
    }
    assert!(!issued.is_empty(), "at least one rotation succeeds");
    eprintln!(
        "parallel rotations: {} succeeded, {} refused as in progress",
        issued.len(),
        replies.len() - issued.len()
    );
    // Afterwards exactly one issued key is active (the one whose rotation ran last; the order in
    // which the answers arrive need not be the order the rotations ran in) and every other key is
    // revoked.
    let mut active_keys = Vec::new();
    for k in &issued {
        let me = s.get_with_key("/auth/me", k).await;
        match me.status {
            200 => active_keys.push((k.clone(), me)),
            _ => assert_eq!(me.body["code"], "key_revoked", "{}", me.text),
        }
    }
    assert_eq!(active_keys.len(), 1, "exactly one issued key survives");
    let (last, me) = &active_keys[0];
    let active = me.body["api_keys"].as_array().unwrap();
    assert_eq!(active.len(), 1, "{}", me.text);
    assert_eq!(active[0]["key_prefix"], format!("{}****", &last[..12]));
    assert_eq!(s.get_with_key("/auth/me", &key).await.body["code"], "key_revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_parallel_rotations_on_sqlite() {
    let s = TestServer::start().await;
    parallel_rotations_leave_exactly_one_issued_key(&s).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn twenty_parallel_rotations_on_postgres() {
    let Some(s) = TestServer::start_with(Setup { backend: Backend::Postgres, ..Setup::default() }).await else {
        return;
    };
    parallel_rotations_leave_exactly_one_issued_key(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn last_used_is_flushed_to_the_database_on_shutdown() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    assert_eq!(s.get_with_key("/auth/me", &key).await.status, 200);
    let state = s.state.clone();
    let hash = jobin_core::domain::SecretHasher::new(jobin_tests::KEY_PEPPER.as_bytes().to_vec()).hash(&key);
    // Not written per request...
    let before = state.accounts.store.find_key_by_hash(&hash).await.unwrap().unwrap().0.last_used_at;
    assert_eq!(before, None);
    s.stop().await;
    // ...but nothing is lost at graceful shutdown.
    let after = state.accounts.store.find_key_by_hash(&hash).await.unwrap().unwrap().0.last_used_at;
    assert!(after.is_some());
}

#[tokio::test]
async fn me_follows_an_operators_catalog() {
    let mut overrides = jobin_core::domain::CatalogOverrides::default();
    overrides.plans.insert(
        jobin_core::domain::Plan::Free,
        jobin_core::domain::PlanOverride { monthly_requests: Some(42), ..Default::default() },
    );
    overrides.endpoints.insert(jobin_core::domain::Endpoint::JobsSalary, jobin_core::domain::Plan::Free);
    let catalog = jobin_core::domain::PlanCatalog::document().with_overrides(&overrides).unwrap();
    let s = TestServer::start_with(Setup { catalog, ..Setup::default() }).await.unwrap();
    let (_, key) = s.register().await;
    let me = s.get_with_key("/auth/me", &key).await;
    assert_eq!(me.body["monthly_limit"], 42);
    assert_eq!(
        me.body["endpoints"],
        json!([
            "/v1/jobs/search",
            "/v1/jobs/salary",
            "/v1/jobs/providers",
            "/v1/jobs/{id}",
            "/v1/searches/{id}/matches",
            "/v1/jobs"
        ])
    );
    s.stop().await;
}
