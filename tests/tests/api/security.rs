//! Issue 22's hardening, over HTTP: honest client IPs behind proxies (every `X-Forwarded-For`
//! line, or RFC 7239 `Forwarded`), …

use jobin_tests::{Setup, TestServer, fresh_email, fresh_ip};
use serde_json::json;

/// Wrong credentials for a fresh email each time, so only the per-IP limit can refuse them.
fn creds() -> serde_json::Value {
    json!({"email": fresh_email(), "password": "whatever1"})
}

/// Sends ten logins from the client the proxy saw (`real`), each with a different client-chosen
/// earlier hop, then an eleventh: the per-IP limit (10 a minute) must answer it 429.
async fn spoofed_first_lines_are_still_limited(s: &TestServer, header: &str, line: impl Fn(&str) -> String) {
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
