//! Registration, login, sessions and the public per-IP limits.

use chrono::{Duration, Utc};
use jobin_adapters::crypto::JwtSigner;
use jobin_core::domain::AccountId;
use jobin_core::ports::{AccessClaims, TokenSigner};
use jobin_tests::{Backend, Setup, TestServer, fresh_email, fresh_ip};
use serde_json::{Value, json};

fn creds(email: &str, password: &str) -> Value {
    json!({"email": email, "password": password})
}

#[tokio::test]
async fn register_returns_the_documented_body_and_a_working_key() {
    let s = TestServer::start().await;
    let email = fresh_email();
    let r = s.post_json("/auth/register", &creds(&email.to_uppercase(), "mypassword")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let key = r.body["api_key"].as_str().unwrap();
    assert_eq!(key.len(), 72);
    assert!(key.starts_with("jl_live_") && key[8..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(
        r.body,
        json!({
            "message": "Registration successful",
            "api_key": key,
            "prefix": format!("{}****", &key[..12]),
            "plan": "free",
            "notice": "Save your API key now — it will not be shown again."
        })
    );
    let me = s.get_with_key("/auth/me", key).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["plan"], "free");
    // The email was normalized: logging in with the lower-case form works.
    let login = s.post_json("/auth/login", &creds(&email, "mypassword")).await;
    assert_eq!(login.status, 200, "{}", login.text);
    s.stop().await;
}

#[tokio::test]
async fn register_rejects_bad_input_with_whole_envelopes() {
    let s = TestServer::start().await;
    let (taken, _) = s.register().await;
    let cases = [
        (
            creds(&format!("  {}  ", taken.to_uppercase()), "another-pass"),
            409,
            json!({"error": "This email is already registered. Log in with POST /v1/auth/login instead.",
                   "code": "email_taken", "details": {}, "request_id": "<id>"}),
        ),
        (
            creds("not-an-email", "mypassword"),
            400,
            json!({"error": "email: email must contain exactly one '@' with text on both sides",
                   "code": "validation_failed",
                   "details": {"field": "email", "reason": "email must contain exactly one '@' with text on both sides"},
                   "request_id": "<id>"}),
        ),
        (
            creds(&fresh_email(), "short"),
            400,
            json!({"error": "password: password must be at least 8 characters", "code": "validation_failed",
                   "details": {"field": "password", "reason": "password must be at least 8 characters"},
                   "request_id": "<id>"}),
        ),
    ];
    for (body, status, expected) in cases {
        let r = s.post_json("/auth/register", &body).await;
        assert_eq!(r.status, status, "{}", r.text);
        assert_eq!(r.masked(), expected);
    }

    // Missing field.
    let r = s.post_json("/auth/register", &json!({"email": fresh_email()})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["code"], "validation_failed");
    assert_eq!(
        (r.body["details"]["field"].as_str(), r.body["details"]["reason"].as_str()),
        (Some("password"), Some("is required")),
        "{}",
        r.text
    );

    // Malformed JSON.
    let req = s
        .http
        .post(s.url("/auth/register"))
        .header("x-forwarded-for", fresh_ip())
        .header("content-type", "application/json")
        .body("{\"email\": ");
    let r = s.send(req).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["code"], "invalid_json");
    assert_eq!(r.masked()["details"], json!({"reason": "EOF while parsing a value at line 1 column 10"}));

    // Wrong content type.
    let req = s
        .http
        .post(s.url("/auth/register"))
        .header("x-forwarded-for", fresh_ip())
        .header("content-type", "text/plain")
        .body("email=a");
    let r = s.send(req).await;
    assert_eq!(r.status, 415);
    assert_eq!(
        r.masked(),
        json!({"error": "the `Content-Type` requested by the client is not supported: text/plain; send `Content-Type: application/json`",
               "code": "unsupported_media_type", "details": {}, "request_id": "<id>"})
    );
    s.stop().await;
}

#[tokio::test]
async fn oversized_bodies_get_413_with_or_without_content_length() {
    let s = TestServer::start_with(Setup { max_body_bytes: 2048, ..Setup::default() }).await.unwrap();
    let big = json!({"email": fresh_email(), "password": "p".repeat(5000)});
    let r = s.post_json("/auth/register", &big).await;
    assert_eq!(r.status, 413);
    assert_eq!(
        r.masked(),
        json!({"error": "The request body exceeds the limit of 2048 bytes.", "code": "payload_too_large",
               "details": {"max_bytes": 2048}, "request_id": "<id>"})
    );
    // Chunked (no Content-Length).
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(vec![b' '; 1500]), Ok(vec![b' '; 1500])];
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let req = s
        .http
        .post(s.url("/auth/login"))
        .header("content-type", "application/json")
        .header("x-forwarded-for", fresh_ip())
        .body(body);
    let r = s.send(req).await;
    assert_eq!(r.status, 413, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn register_flood_from_one_ip_gets_429_after_five() {
    let s = TestServer::start().await;
    jobin_tests::within_one_minute(20).await;
    let ip = fresh_ip();
    for i in 0..5 {
        let req = s
            .http
            .post(s.url("/auth/register"))
            .header("x-forwarded-for", &ip)
            .json(&creds(&fresh_email(), "mypassword"));
        let r = s.send(req).await;
        assert_eq!(r.status, 201, "request {i}: {}", r.text);
        assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some(&*(4 - i).to_string()));
    }
    let req =
        s.http.post(s.url("/auth/register")).header("x-forwarded-for", &ip).json(&creds(&fresh_email(), "mypassword"));
    let r = s.send(req).await;
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    let reset: i64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert_eq!(reset % 60, 0);
    let resets = r.body["resets"].as_str().unwrap().to_owned();
    assert_eq!(chrono::DateTime::parse_from_rfc3339(&resets).unwrap().timestamp(), reset);
    assert_eq!(
        r.masked(),
        json!({"error": format!("Too many requests from this address: the limit is 5 per minute. Retry in {retry} s."),
               "code": "rate_limited", "details": {}, "request_id": "<id>", "limit": 5, "used": 5, "resets": resets,
               "retry_after": retry})
    );
    // Another client is unaffected.
    assert_eq!(s.post_json("/auth/register", &creds(&fresh_email(), "mypassword")).await.status, 201);
    s.stop().await;
}

#[tokio::test]
async fn forwarded_for_is_ignored_without_a_trusted_proxy() {
    let s = TestServer::start_with(Setup { trusted_proxies: vec![], ..Setup::default() }).await.unwrap();
    // Every request claims a different client, but the socket address is what counts.
    jobin_tests::within_one_minute(30).await;
    for i in 0..10 {
        let r = s.post_json("/auth/login", &creds("nobody@example.com", "whatever1")).await;
        assert_eq!(r.status, 401, "request {i}");
    }
    let r = s.post_json("/auth/login", &creds("nobody@example.com", "whatever1")).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-ratelimit-limit"), Some("10"));
    s.stop().await;
}

#[tokio::test]
async fn login_has_one_message_for_unknown_email_and_wrong_password() {
    let s = TestServer::start().await;
    let (email, _) = s.register().await;
    let expected = json!({"error": "Invalid email or password.", "code": "invalid_credentials", "details": {}, "request_id": "<id>"});
    for body in [creds(&email, "wrong-password"), creds("nobody@example.com", "correct horse"), creds("garbage", "x")] {
        let r = s.post_json("/auth/login", &body).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.masked(), expected);
    }
    let ok = s.post_json("/auth/login", &creds(&email, "correct horse")).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["expires_in"], 3600);
    // The document's three fields, and the login's id and end (issue 22).
    let mut fields: Vec<&str> = ok.body.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["access_token", "expires_in", "login_expires_at", "login_id", "refresh_token"]);
    assert_eq!(ok.body["refresh_token"].as_str().unwrap().len(), 64);
    s.stop().await;
}

#[tokio::test]
async fn session_tokens_work_on_auth_endpoints_and_forged_or_expired_ones_do_not() {
    let s = TestServer::start().await;
    let (email, _) = s.register().await;
    let (access, _) = s.login(&email).await;
    let me = s.send(s.http.get(s.url("/auth/me")).bearer_auth(&access)).await;
    assert_eq!(me.status, 200);

    let account = AccountId(s.account(&email).await.id.0);
    let claims = |exp| AccessClaims { account_id: account, family: "f".into(), expires_at: exp };
    let now = Utc::now();
    let expired = JwtSigner::new(jobin_tests::JWT_SECRET.as_bytes())
        .issue(&claims(now - Duration::seconds(5)), now - Duration::hours(1));
    let forged =
        JwtSigner::new(b"someone-else-entirely-0123456789abcdef").issue(&claims(now + Duration::hours(1)), now);
    for (token, expected) in [
        (
            expired,
            json!({"error": "The session token has expired; refresh it with POST /v1/auth/refresh or log in again.",
                         "code": "token_expired", "details": {}, "request_id": "<id>"}),
        ),
        (
            forged,
            json!({"error": "The session token is not valid.", "code": "invalid_credentials", "details": {}, "request_id": "<id>"}),
        ),
        (
            "not.a.jwt".into(),
            json!({"error": "The session token is not valid.", "code": "invalid_credentials", "details": {}, "request_id": "<id>"}),
        ),
    ] {
        let r = s.send(s.http.get(s.url("/auth/me")).bearer_auth(&token)).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.masked(), expected);
    }
    s.stop().await;
}

async fn refresh_rotates_and_reuse_revokes_the_family(s: &TestServer) {
    let (email, _) = s.register().await;
    let (_, rt1) = s.login(&email).await;
    let (_, other_rt) = s.login(&email).await; // a second, independent login
    let r = s.post_json("/auth/refresh", &json!({"refresh_token": rt1})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rt2 = r.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt2, rt1);
    let access2 = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(s.send(s.http.get(s.url("/auth/me")).bearer_auth(&access2)).await.status, 200);

    // Replaying rt1 is caught, and kills rt2 as well.
    let replay = s.post_json("/auth/refresh", &json!({"refresh_token": rt1})).await;
    assert_eq!(replay.status, 401);
    assert_eq!(
        replay.masked(),
        json!({"error": "This refresh token was already used; every session of its login has been revoked. Log in again.",
               "code": "refresh_token_reused", "details": {}, "request_id": "<id>"})
    );
    assert_eq!(s.post_json("/auth/refresh", &json!({"refresh_token": rt2})).await.body["code"], "refresh_token_reused");
    // The other login's family is untouched.
    assert_eq!(s.post_json("/auth/refresh", &json!({"refresh_token": other_rt})).await.status, 200);
    // Garbage.
    let r = s.post_json("/auth/refresh", &json!({"refresh_token": "abc"})).await;
    assert_eq!(
        r.masked(),
        json!({"error": "The refresh token is not valid.", "code": "invalid_credentials", "details": {}, "request_id": "<id>"})
    );
}

#[tokio::test]
async fn refresh_on_sqlite() {
    let s = TestServer::start().await;
    refresh_rotates_and_reuse_revokes_the_family(&s).await;
    s.stop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn refresh_on_postgres() {
    let Some(s) = TestServer::start_with(Setup { backend: Backend::Postgres, ..Setup::default() }).await else {
        return;
    };
    refresh_rotates_and_reuse_revokes_the_family(&s).await;
    s.stop().await;
}
