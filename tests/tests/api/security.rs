//! Issue 22's hardening, over HTTP: honest client IPs behind proxies (every `X-Forwarded-For`
//! line, or RFC 7239 `Forwarded`), …

use jobin_tests::{Setup, TestServer, fresh_email, fresh_ip};
use serde_json::{Value, json};

/// Wrong credentials for a fresh email each time, so only the per-IP limit can refuse them.
fn creds() -> serde_json::Value {
    json!({"email": fresh_email(), "password": "whatever1"})
}

/// Sends ten logins from the client the proxy saw (`real`), each with a different client-chosen
/// earlier hop, then an eleventh: the per-IP limit (10 a minute) must answer it 429.
async fn spoofed_first_lines_are_still_limited(s: &TestServer, header: &str, line: impl Fn(&str) -> String) {
    jobin_tests::within_one_minute(30).await;
    let real = fresh_ip();
    for i in 0..11 {
        let spoof = fresh_ip();
        let r = s
            .send(
                s.http
                    .post(s.url("/v1/auth/login"))
                    .header(header, line(&spoof))
                    .header(header, line(&real))
                    .json(&creds()),
            )
            .await;
        let expected = if i < 10 { 401 } else { 429 };
        assert_eq!(r.status, expected, "login {i} with a spoofed first line {spoof}: {}", r.text);
    }
}

#[tokio::test]
async fn every_x_forwarded_for_line_counts() {
    let s = TestServer::start().await; // trusts 127.0.0.1
    spoofed_first_lines_are_still_limited(&s, "x-forwarded-for", |ip| ip.to_owned()).await;
    s.stop().await;
}

#[tokio::test]
async fn rfc_7239_forwarded_when_configured() {
    let setup = Setup { env: vec![("JOBIN_FORWARDED_HEADER", "forwarded".into())], ..Setup::default() };
    let s = TestServer::start_with(setup).await.unwrap();
    spoofed_first_lines_are_still_limited(&s, "forwarded", |ip| format!("for={ip};proto=https")).await;
    // With `forwarded` configured, X-Forwarded-For is the client's to write and is ignored: the
    // proxy's own address (the socket peer) is what is limited here.
    jobin_tests::within_one_minute(30).await;
    for i in 0..10 {
        let r = s.send(s.http.post(s.url("/v1/auth/login")).header("x-forwarded-for", fresh_ip()).json(&creds())).await;
        assert_ne!(r.status, 429, "login {i}");
    }
    let r = s.send(s.http.post(s.url("/v1/auth/login")).header("x-forwarded-for", fresh_ip()).json(&creds())).await;
    assert_eq!(r.status, 429, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn a_plain_server_without_stripe_takes_no_payments() {
    // Real boards (no demo) and no Stripe key: what a plain `jobin serve` runs.
    let setup = Setup { boards: Some(vec![]), env: vec![("JOBIN_BILLING", "auto".into())], ..Setup::default() };
    let s = TestServer::start_with(setup).await.unwrap();
    let (_, key) = s.register().await;
    let body =
        json!({"plan": "scale", "success_url": "https://example.com/ok", "cancel_url": "https://example.com/no"});
    let r = s.send(s.http.post(s.url("/v1/billing/checkout")).header("x-api-key", &key).json(&body)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (503, Some("billing_unconfigured")), "{}", r.text);
    assert!(r.header("retry-after").is_none(), "not transient");
    assert_eq!(s.send(s.http.get(s.url("/billing/local-checkout/cs_local_x"))).await.status, 404);
    let me = s.get_with_key("/v1/auth/me", &key).await;
    assert_eq!(me.body["plan"], "free", "nothing was granted");
    s.stop().await;
}

#[tokio::test]
async fn the_offline_stand_in_runs_when_asked_for() {
    let setup = Setup { boards: Some(vec![]), env: vec![("JOBIN_BILLING", "local".into())], ..Setup::default() };
    let s = TestServer::start_with(setup).await.unwrap();
    let (_, key) = s.register().await;
    let body = json!({"plan": "pro", "success_url": "https://example.com/ok", "cancel_url": "https://example.com/no"});
    let r = s.send(s.http.post(s.url("/v1/billing/checkout")).header("x-api-key", &key).json(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["url"].as_str().unwrap().contains("/billing/local-checkout/"), "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn answers_carry_the_security_headers() {
    let s = TestServer::start().await;
    let health = s.send(s.http.get(s.url("/health"))).await;
    assert_eq!(health.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(health.header("cache-control"), None);
    // Keys and tokens are never cached.
    let r = s
        .post_json("/v1/auth/register", &json!({"email": jobin_tests::fresh_email(), "password": "correct horse"}))
        .await;
    assert_eq!((r.status, r.header("cache-control")), (201, Some("no-store")));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let key = r.body["api_key"].as_str().unwrap().to_owned();
    let body = json!({"plan": "pro", "success_url": "https://example.com/ok", "cancel_url": "https://example.com/no"});
    let r = s.send(s.http.post(s.url("/v1/billing/checkout")).header("x-api-key", &key).json(&body)).await;
    assert_eq!(r.header("cache-control"), Some("no-store"));
    // The stand-in's page: no framing, no referrer, nothing loaded.
    let page = s.send(s.http.get(r.body["url"].as_str().unwrap().replace("https://jobin.test", &s.base))).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(page.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    s.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_dir_and_its_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let vars: std::collections::HashMap<&str, String> = [
        ("JOBIN_DATA_DIR", data.display().to_string()),
        ("JOBIN_BILLING", "local".to_owned()),
        ("JOBIN_DEMO", "1".to_owned()),
    ]
    .into_iter()
    .collect();
    let config = jobin_app::Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let conn = jobin_app::stores::Connections::open(&config).await.unwrap();
    let state = jobin_app::wiring::build(&config, conn, Default::default()).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("jobin.db")), 0o600);
    assert_eq!(mode(&data.join("secrets")), 0o700);
    for f in std::fs::read_dir(data.join("secrets")).unwrap() {
        assert_eq!(mode(&f.unwrap().path()), 0o600);
    }
    // A billing notice goes to the outbox, owner-only.
    let notifier = jobin_adapters::email::LogOutbox::new(data.join("outbox.jsonl"));
    use jobin_core::ports::Notifier;
    notifier
        .send(&jobin_core::ports::Notice { to: "a@example.com".into(), subject: "s".into(), body: "b".into() })
        .await
        .unwrap();
    assert_eq!(mode(&data.join("outbox.jsonl")), 0o600);
    state.usage.writer.close().await;
}

#[tokio::test]
async fn ten_failed_logins_lock_the_account_for_its_window_from_any_address() {
    let s = TestServer::start().await;
    let (email, _) = s.register().await;
    let (other, _) = s.register().await;
    let login = |email: &str, password: &str| {
        s.http
            .post(s.url("/v1/auth/login"))
            .header("x-forwarded-for", fresh_ip())
            .json(&json!({"email": email, "password": password}))
    };
    // Successes do not count against the allowance.
    for _ in 0..3 {
        assert_eq!(s.send(login(&email, "correct horse")).await.status, 200);
    }
    for i in 0..10 {
        let r = s.send(login(&email, &format!("guess number {i}"))).await;
        assert_eq!(r.status, 401, "guess {i}: {}", r.text);
    }
    // The eleventh try, even with the right password and from yet another address, is refused.
    let r = s.send(login(&email, "correct horse")).await;
    assert_eq!((r.status, r.body["code"].as_str()), (429, Some("rate_limited")), "{}", r.text);
    assert_eq!(r.body["details"]["reason"], "login_failures");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // The same email in other case and spacing is the same account.
    let r = s.send(login(&format!("  {}  ", email.to_uppercase()), "correct horse")).await;
    assert_eq!(r.status, 429);
    // Another account is unaffected.
    assert_eq!(s.send(login(&other, "correct horse")).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn logins_end_on_logout_logout_all_and_refresh_token_reuse() {
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let me = |token: &str| s.send(s.http.get(s.url("/v1/auth/me")).bearer_auth(token));
    let post = |path: &str, token: &str| s.send(s.http.post(s.url(path)).bearer_auth(token));
    let (t1, r1) = s.login(&email).await;
    let (t2, _) = s.login(&email).await;
    assert_eq!(me(&t1).await.status, 200);

    // Logout ends this login only.
    assert_eq!(post("/v1/auth/logout", &t1).await.status, 200);
    let r = me(&t1).await;
    assert_eq!((r.status, r.body["code"].as_str()), (401, Some("session_revoked")), "{}", r.text);
    assert_eq!(post("/v1/auth/keys", &t1).await.status, 401, "an ended login mints no key");
    let refreshed = s.post_json("/v1/auth/refresh", &json!({"refresh_token": r1})).await;
    assert_eq!(refreshed.status, 401, "{}", refreshed.text);
    assert_eq!(me(&t2).await.status, 200, "the other login goes on");
    // An API key is not a login.
    let r = s.send(s.http.post(s.url("/v1/auth/logout")).header("x-api-key", &key)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("validation_failed")), "{}", r.text);

    // A reused refresh token ends its login: the access tokens of that login stop working too.
    let (t3, r3) = s.login(&email).await;
    let next = s.post_json("/v1/auth/refresh", &json!({"refresh_token": r3})).await;
    assert_eq!(next.status, 200, "{}", next.text);
    let t4 = next.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(s.post_json("/v1/auth/refresh", &json!({"refresh_token": r3})).await.status, 401, "reuse");
    for token in [&t3, &t4] {
        assert_eq!(me(token).await.body["code"], "session_revoked");
        assert_eq!(post("/v1/auth/keys", token).await.status, 401);
    }

    // Logout everywhere (with a key holding keys:write) ends the rest.
    let r = s.send(s.http.post(s.url("/v1/auth/logout-all")).header("x-api-key", &key)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(me(&t2).await.body["code"], "session_revoked");
    assert_eq!(s.get_with_key("/v1/auth/me", &key).await.status, 200, "keys are untouched");
    s.stop().await;
}

#[tokio::test]
async fn rotation_and_password_change_end_every_other_login() {
    let s = TestServer::start().await;
    let (email, _) = s.register().await;
    let me = |token: &str| s.send(s.http.get(s.url("/v1/auth/me")).bearer_auth(token));
    let (mine, _) = s.login(&email).await;
    let (other, other_refresh) = s.login(&email).await;

    // Rotating with a session keeps that login and ends the other; the new key names its login.
    let r = s.send(s.http.post(s.url("/v1/auth/keys/rotate")).bearer_auth(&mine)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let new_key = r.body["key"].as_str().unwrap().to_owned();
    assert_eq!(me(&other).await.body["code"], "session_revoked");
    let refreshed = s.post_json("/v1/auth/refresh", &json!({"refresh_token": other_refresh})).await;
    assert_eq!(refreshed.status, 401, "{}", refreshed.text);
    let mine_me = me(&mine).await;
    assert_eq!(mine_me.status, 200, "{}", mine_me.text);
    let login_id = mine_me.body["login_id"].as_str().unwrap().to_owned();
    assert!(login_id.starts_with("login_"), "{login_id}");
    assert_eq!(mine_me.body["api_keys"][0]["minted_by_login"], login_id.as_str());
    // A key minted by a key names no login; a key rotating ends every login, its caller has none.
    let r = s.send(s.http.post(s.url("/v1/auth/keys")).header("x-api-key", &new_key)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let listed = s.get_with_key("/v1/auth/me", &new_key).await;
    assert_eq!(listed.body["login_id"], serde_json::Value::Null, "an API key is not a login");
    assert_eq!(listed.body["api_keys"][1]["minted_by_login"], serde_json::Value::Null);
    let r = s.send(s.http.post(s.url("/v1/auth/keys/rotate")).header("x-api-key", &new_key)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(me(&mine).await.body["code"], "session_revoked");

    // Password change: a wrong current password and a too-short new one change nothing.
    let (mine, _) = s.login(&email).await;
    let (other, _) = s.login(&email).await;
    let change = |token: &str, current: &str, new: &str| {
        s.send(
            s.http
                .post(s.url("/v1/auth/password"))
                .bearer_auth(token)
                .json(&json!({"current_password": current, "new_password": new})),
        )
    };
    let r = change(&mine, "not the password", "a brand new passphrase").await;
    assert_eq!((r.status, r.body["code"].as_str()), (401, Some("invalid_credentials")), "{}", r.text);
    let r = change(&mine, "correct horse", "short").await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("validation_failed")), "{}", r.text);
    assert_eq!(r.body["details"]["field"], "new_password", "{}", r.text);
    assert_eq!(me(&other).await.status, 200, "refused changes end no login");

    let r = change(&mine, "correct horse", "a brand new passphrase").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["logins_ended"], 1, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(me(&other).await.body["code"], "session_revoked");
    assert_eq!(me(&mine).await.status, 200, "the caller's own login stays on");
    let old = s.post_json("/v1/auth/login", &json!({"email": email, "password": "correct horse"})).await;
    assert_eq!(old.status, 401, "{}", old.text);
    let new = s.post_json("/v1/auth/login", &json!({"email": email, "password": "a brand new passphrase"})).await;
    assert_eq!(new.status, 200, "{}", new.text);
    s.stop().await;
}

#[tokio::test]
async fn wrong_current_passwords_spend_the_login_failure_allowance() {
    let s = TestServer::start().await;
    let (email, _) = s.register().await;
    let (token, _) = s.login(&email).await;
    for i in 0..10 {
        let r = s
            .send(
                s.http
                    .post(s.url("/v1/auth/password"))
                    .bearer_auth(&token)
                    .json(&json!({"current_password": format!("guess {i}"), "new_password": "whatever-new-1"})),
            )
            .await;
        assert_eq!(r.status, 401, "guess {i}: {}", r.text);
    }
    // The allowance is the account's: login is locked too, even with the right password.
    let r = s
        .send(
            s.http
                .post(s.url("/v1/auth/login"))
                .header("x-forwarded-for", fresh_ip())
                .json(&json!({"email": email, "password": "correct horse"})),
        )
        .await;
    assert_eq!((r.status, r.body["details"]["reason"].as_str()), (429, Some("login_failures")), "{}", r.text);
    assert!(r.header("retry-after").is_some());
    s.stop().await;
}

#[tokio::test]
async fn a_login_ends_at_its_maximum_age_however_often_it_is_refreshed() {
    let s = TestServer::start_with(Setup { env: vec![("JOBIN_SESSION_MAX_AGE", "10m".into())], ..Setup::default() })
        .await
        .expect("a SQLite server starts");
    let (email, _) = s.register().await;
    let before = chrono::Utc::now();
    let login = s.post_json("/v1/auth/login", &json!({"email": email, "password": "correct horse"})).await;
    assert_eq!(login.status, 200, "{}", login.text);
    let ends = login.body["login_expires_at"].as_str().unwrap().to_owned();
    let ends_at = chrono::DateTime::parse_from_rfc3339(&ends).unwrap().to_utc();
    let age = (ends_at - before).num_seconds();
    assert!((598..=601).contains(&age), "the login lasts the configured 10 minutes: {age} s");
    let expires_in = login.body["expires_in"].as_i64().unwrap();
    assert!((598..=600).contains(&expires_in), "the access token ends with the login: {expires_in}");

    // Refreshing, twice, keeps the login's end: it never moves past ten minutes from logging in.
    let mut refresh = login.body["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let next = s.post_json("/v1/auth/refresh", &json!({"refresh_token": refresh})).await;
        assert_eq!(next.status, 200, "{}", next.text);
        assert_eq!(next.body["login_expires_at"], ends.as_str());
        assert_eq!(next.body["login_id"], login.body["login_id"]);
        assert!(next.body["expires_in"].as_i64().unwrap() <= expires_in);
        refresh = next.body["refresh_token"].as_str().unwrap().to_owned();
    }
    s.stop().await;
}

/// Every operation whose answer can show a secret once (a key, a session token, a webhook's
/// signing secret, a feed token or its address) is documented and served `Cache-Control:
/// no-store`. The operations are found by walking the served document's response schemas, so one
/// added later is held to it too; the live answers of each kind are then checked.
#[tokio::test]
async fn every_answer_that_shows_a_secret_is_no_store() {
    let s = TestServer::start().await;
    let doc = s.send(s.http.get(s.url("/openapi.json"))).await.body;
    let schemas = doc["components"]["schemas"].clone();
    fn fields(v: &Value, schemas: &Value, seen: &mut Vec<String>, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(name) = o.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()) {
                    if !seen.iter().any(|n| n == name) {
                        seen.push(name.to_owned());
                        fields(&schemas[name], schemas, seen, out);
                    }
                    return;
                }
                for (k, v) in o {
                    if k == "properties" {
                        out.extend(v.as_object().into_iter().flat_map(|p| p.keys().cloned()));
                    }
                    fields(v, schemas, seen, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| fields(x, schemas, seen, out)),
            _ => {}
        }
    }
    let secretish =
        |f: &str| f.contains("secret") || f.contains("token") || f == "key" || f == "api_key" || f == "feed_url";
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (code, resp) in op["responses"].as_object().unwrap().iter().filter(|(c, _)| c.starts_with('2')) {
                let mut names = Vec::new();
                fields(&resp["content"], &schemas, &mut Vec::new(), &mut names);
                if names.iter().any(|n| secretish(n)) {
                    let cc = &resp["headers"]["Cache-Control"];
                    assert!(
                        cc.is_object() && cc["description"].as_str().unwrap_or("").contains("no-store"),
                        "{method} {path} {code} can show a secret but documents no `Cache-Control: no-store`"
                    );
                    found.push(format!("{method} {path}"));
                }
            }
        }
    }
    for op in ["post /v1/auth/keys", "post /v1/auth/register", "post /v1/searches", "patch /v1/searches/{id}"] {
        assert!(found.iter().any(|f| f == op), "{op} is among the operations found: {found:?}");
    }
    assert!(found.iter().any(|f| f == "post /v1/searches/{id}/feed-token"), "{found:?}");
    // Live: each kind of secret-showing answer.
    let (_, key) = s.register().await;
    let hook = "http://127.0.0.1:9/hook";
    let created = s.call("POST", "/v1/searches", &key, Some(json!({"q": "rust", "webhook_url": hook}))).await;
    assert_eq!((created.status, created.header("cache-control")), (201, Some("no-store")), "{}", created.text);
    let id = created.body["data"]["id"].as_i64().unwrap();
    // Removed, then set again: the PATCH shows a new secret.
    let path = format!("/v1/searches/{id}");
    assert_eq!(s.call("PATCH", &path, &key, Some(json!({"webhook_url": null}))).await.status, 200);
    let patched = s.call("PATCH", &path, &key, Some(json!({"webhook_url": "http://127.0.0.1:9/x"}))).await;
    assert!(patched.body["data"]["webhook"]["secret"].is_string(), "{}", patched.text);
    assert_eq!((patched.status, patched.header("cache-control")), (200, Some("no-store")), "{}", patched.text);
    let token = s.call("POST", &format!("/v1/searches/{id}/feed-token"), &key, None).await;
    assert_eq!((token.status, token.header("cache-control")), (201, Some("no-store")), "{}", token.text);
    let keyed = s.call("POST", "/v1/auth/keys", &key, Some(json!({"name": "ci"}))).await;
    assert_eq!((keyed.status, keyed.header("cache-control")), (201, Some("no-store")), "{}", keyed.text);
    // A data answer shows no secret and may be cached by the client.
    let search = s.get_with_key("/v1/jobs/search?q=rust", &key).await;
    assert_eq!((search.status, search.header("cache-control")), (200, None));
    s.stop().await;
}
