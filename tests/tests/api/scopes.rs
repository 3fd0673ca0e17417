//! Scoped keys: every secured operation of the document refuses a key without the scopes it
//! states (403 `insufficient_scope`, `details.required`) and admits one holding exactly them; keys
//! mint only what they hold; rotation keeps or takes scopes; sessions hold the account scopes (keys,
//! billing, the tracker, saved searches) and read no job data.

use jobin_tests::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

use jobin_tests::ALL_SCOPES as ALL;

/// A Scale account (no plan gate in the way) and its full key.
async fn scale_account(s: &TestServer) -> (String, String) {
    let (email, key) = s.register().await;
    s.set_plan(&email, "scale").await;
    (email, key)
}

async fn mint(s: &TestServer, with: &str, scopes: &[&str]) -> String {
    let r =
        s.send(s.http.post(s.url("/v1/auth/keys")).header("x-api-key", with).json(&json!({"scopes": scopes}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut sorted: Vec<&str> = scopes.to_vec();
    sorted.sort_by_key(|n| ALL.iter().position(|a| a == n));
    sorted.dedup();
    assert_eq!(r.body["scopes"], json!(sorted), "the answer lists the key's scopes in the documented order");
    r.body["key"].as_str().unwrap().to_owned()
}

/// Calls an operation with no parameters or body worth the name: the scope stage answers before
/// any of them is looked at, and with the scopes the call stops at validation at the latest.
async fn call(s: &TestServer, method: &str, path: &str, key: &str) -> jobin_tests::Reply {
    let path = path.replace("{prefix}", "jl_live_0000");
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut req = s.http.request(method.clone(), s.url(&path)).header("x-api-key", key);
    if method == Method::POST {
        // An invalid name keeps key creation and rotation from changing the account.
        req = req.json(&json!({"name": ""}));
    }
    s.send(req).await
}

/// Every secured `/v1` operation of the served document with its stated scopes.
async fn secured_operations(s: &TestServer) -> Vec<(String, String, String, Vec<String>)> {
    let doc = s.send(s.http.get(s.url("/openapi.json"))).await.body;
    let mut ops = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            // Public operations state `security: []`.
            if op["security"].as_array().is_none_or(Vec::is_empty) {
                continue;
            }
            let id = op["operationId"].as_str().unwrap().to_owned();
            let scopes = op["x-required-scopes"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path} does not state its scopes"))
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
            ops.push((method.clone(), path.clone(), id, scopes));
        }
    }
    ops
}

#[tokio::test]
async fn every_secured_operation_enforces_the_scopes_the_document_states() {
    let s = TestServer::start().await;
    let (_, owner) = scale_account(&s).await;
    let ops = secured_operations(&s).await;
    assert!(ops.len() >= 13, "{ops:?}");
    for (method, path, id, needed) in &ops {
        let needed: Vec<&str> = needed.iter().map(String::as_str).collect();
        for scope in &needed {
            assert!(ALL.contains(scope), "{id}: unknown scope {scope}");
        }
        if needed.is_empty() {
            // Any key at all, here one holding an unrelated scope: no refusal for want of one (the
            // account view answers 200; logout answers 400, an API key not being a login).
            let key = mint(&s, &owner, &["applications:read"]).await;
            let r = call(&s, method, path, &key).await;
            assert!(![401, 403].contains(&r.status), "{id} with any key: {}", r.text);
            if id == "get_account" {
                assert_eq!(r.status, 200, "{}", r.text);
            }
            let r = s
                .send(s.http.delete(s.url(&format!("/v1/auth/keys/{}", &key[..12]))).header("x-api-key", &owner))
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            continue;
        }
        let others: Vec<&str> = ALL.iter().copied().filter(|a| !needed.contains(a)).collect();
        let without = mint(&s, &owner, &others).await;
        let r = call(&s, method, path, &without).await;
        assert_eq!((r.status, r.body["code"].as_str()), (403, Some("insufficient_scope")), "{id}: {}", r.text);
        let required = r.body["details"]["required"].as_str().unwrap();
        assert!(needed.contains(&required), "{id}: details.required {required} is not among {needed:?}");
        assert!(r.body["error"].as_str().unwrap().contains(required), "{id}: {}", r.text);
        assert!(r.header("x-ratelimit-limit").is_some(), "{id}: a refusal still reports its class's window");

        let exactly = mint(&s, &owner, &needed).await;
        let r = call(&s, method, path, &exactly).await;
        assert_ne!(r.body["code"].as_str(), Some("insufficient_scope"), "{id} with {needed:?}: {}", r.text);
        assert_ne!(r.status, 401, "{id}: {}", r.text);
        // Keep under the account's 20 active keys.
        for key in [without, exactly] {
            let prefix = &key[..12];
            let r = s.send(s.http.delete(s.url(&format!("/v1/auth/keys/{prefix}"))).header("x-api-key", &owner)).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn a_read_only_dashboard_key_reads_but_cannot_touch_keys_or_billing() {
    let s = TestServer::start().await;
    let (_, owner) = scale_account(&s).await;
    let dashboard = mint(&s, &owner, &["jobs:read", "analytics:read"]).await;

    assert_eq!(s.get_with_key("/v1/jobs/search?q=engineer", &dashboard).await.status, 200);
    assert_eq!(s.get_with_key("/v1/jobs/salary?q=engineer", &dashboard).await.status, 200);

    let r = s.send(s.http.post(s.url("/v1/auth/keys/rotate")).header("x-api-key", &dashboard)).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["details"], json!({"required": "keys:write", "missing": ["keys:write"]}));
    let prefix = &owner[..12];
    let r = s.send(s.http.delete(s.url(&format!("/v1/auth/keys/{prefix}"))).header("x-api-key", &dashboard)).await;
    assert_eq!((r.status, r.body["details"]["required"].as_str()), (403, Some("keys:write")), "{}", r.text);
    let r = s
        .send(s.http.post(s.url("/v1/billing/checkout")).header("x-api-key", &dashboard).json(&json!({"plan": "pro"})))
        .await;
    assert_eq!((r.status, r.body["details"]["required"].as_str()), (403, Some("billing:write")), "{}", r.text);
    // Nothing was rotated or revoked: the owner's key still works.
    assert_eq!(s.get_with_key("/v1/jobs/search?q=engineer", &owner).await.status, 200);

    // An enhanced search needs ai:use as well.
    let r = s.get_with_key("/v1/jobs/search?q=engineer&enhance=true", &dashboard).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["details"], json!({"required": "ai:use", "missing": ["ai:use"]}));
    // However the parameter is spelled: the gate reads the value the handler reads (decoded, the
    // first of repeated ones), so no spelling enhances without ai:use.
    for spelled in ["enhance=%74rue", "enh%61nce=true", "enhance=true&enhance=false"] {
        let r = s.get_with_key(&format!("/v1/jobs/search?q=engineer&{spelled}"), &dashboard).await;
        assert_eq!(r.status, 403, "{spelled}: {}", r.text);
    }
    let r = s.get_with_key("/v1/jobs/search?q=engineer&enhance=false&enhance=true", &dashboard).await;
    assert_eq!((r.status, &r.body["meta"]["enhanced"]), (200, &json!(false)), "the first value counts: {}", r.text);
    let with_ai = mint(&s, &owner, &["jobs:read", "ai:use"]).await;
    let r = s.get_with_key("/v1/jobs/search?q=engineer&enhance=true", &with_ai).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // /auth/me lists each key's scopes.
    let me = s.get_with_key("/v1/auth/me", &dashboard).await;
    assert_eq!(me.status, 200, "{}", me.text);
    let listed: Vec<(&str, &Value)> = me.body["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["key_prefix"].as_str().unwrap(), &k["scopes"]))
        .collect();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0], (format!("{}****", &owner[..12]).as_str(), &json!(ALL)));
    assert_eq!(listed[1], (format!("{}****", &dashboard[..12]).as_str(), &json!(["jobs:read", "analytics:read"])));
    s.stop().await;
}

#[tokio::test]
async fn a_key_mints_only_scopes_it_holds_and_bad_lists_are_400() {
    let s = TestServer::start().await;
    let (_, owner) = scale_account(&s).await;
    let manager = mint(&s, &owner, &["keys:write", "jobs:read"]).await;

    let r = s
        .send(
            s.http
                .post(s.url("/v1/auth/keys"))
                .header("x-api-key", &manager)
                .json(&json!({"scopes": ["jobs:read", "ai:use", "billing:write"]})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["code"], "insufficient_scope");
    assert_eq!(r.body["details"], json!({"required": "ai:use", "missing": ["ai:use", "billing:write"]}));

    // Without `scopes`, a key's new key gets what the key holds.
    let r = s.send(s.http.post(s.url("/v1/auth/keys")).header("x-api-key", &manager)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["scopes"], json!(["jobs:read", "keys:write"]));

    for (body, reason) in [
        (json!({"scopes": ["jobs:read", "jobs:write"]}), "jobs:write"),
        (json!({"scopes": []}), "at least one scope"),
        (json!({"scopes": ["JOBS:READ"]}), "JOBS:READ"),
    ] {
        let r = s.send(s.http.post(s.url("/v1/auth/keys")).header("x-api-key", &owner).json(&body)).await;
        assert_eq!((r.status, r.body["code"].as_str()), (400, Some("validation_failed")), "{body}: {}", r.text);
        assert_eq!(r.body["details"]["field"], "scopes", "{}", r.text);
        assert!(r.text.contains(reason), "{body}: {}", r.text);
    }
    let r = s
        .send(s.http.post(s.url("/v1/auth/keys")).header("x-api-key", &owner).json(&json!({"scopes": "jobs:read"})))
        .await;
    assert_eq!(r.status, 400, "a string where a list belongs: {}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn rotation_keeps_the_replaced_keys_scopes_or_takes_new_ones() {
    let s = TestServer::start().await;
    let (email, owner) = scale_account(&s).await;
    let reader = mint(&s, &owner, &["jobs:read"]).await;
    // The owner lost the full key: a session rotates (sessions may grant every scope).
    let (session, _) = s.login(&email).await;
    let r = s.send(s.http.post(s.url("/v1/auth/keys/rotate")).bearer_auth(&session)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["scopes"], json!(ALL), "the union of the replaced keys' scopes");
    let rotated = r.body["key"].as_str().unwrap().to_owned();
    for old in [&owner, &reader] {
        assert_eq!(s.get_with_key("/v1/auth/me", old).await.status, 401);
    }

    let r = s
        .send(
            s.http
                .post(s.url("/v1/auth/keys/rotate"))
                .bearer_auth(&session)
                .json(&json!({"name": "Read only", "scopes": ["jobs:read", "analytics:read"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.body["name"].as_str(), &r.body["scopes"]),
        (Some("Read only"), &json!(["jobs:read", "analytics:read"]))
    );
    assert_eq!(s.get_with_key("/v1/auth/me", &rotated).await.status, 401);
    let read_only = r.body["key"].as_str().unwrap().to_owned();

    // That key cannot rotate; the session still can, and then keeps the read-only scopes.
    let r = s.send(s.http.post(s.url("/v1/auth/keys/rotate")).header("x-api-key", &read_only)).await;
    assert_eq!((r.status, r.body["details"]["required"].as_str()), (403, Some("keys:write")));
    let r = s.send(s.http.post(s.url("/v1/auth/keys/rotate")).bearer_auth(&session)).await;
    assert_eq!(r.body["scopes"], json!(["jobs:read", "analytics:read"]), "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn a_session_manages_keys_and_billing_but_reads_no_data() {
    let s = TestServer::start().await;
    let (email, _) = s.register().await;
    let (session, _) = s.login(&email).await;
    let r = s.send(s.http.post(s.url("/v1/auth/keys")).bearer_auth(&session).json(&json!({"name": "New"}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s
        .send(s.http.post(s.url("/v1/billing/checkout")).bearer_auth(&session).json(&json!({
            "plan": "pro", "success_url": "https://example.com/ok", "cancel_url": "https://example.com/no"
        })))
        .await;
    assert_eq!(r.status, 200, "a session may start a checkout: {}", r.text);
    assert_ne!(r.body["code"], "insufficient_scope");
    let r = s.send(s.http.get(s.url("/v1/jobs/search?q=engineer")).bearer_auth(&session)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (401, Some("api_key_required")), "{}", r.text);
    s.stop().await;
}
