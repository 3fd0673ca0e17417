//! Issue 22's hardening, over HTTP: honest client IPs behind proxies (every `X-Forwarded-For`
//! line, or RFC 7239 `Forwarded`), …

use jobin_tests::{Setup, TestServer, fresh_ip};
use serde_json::json;

fn creds() -> serde_json::Value {
    json!({"email": "nobody@example.com", "password": "whatever1"})
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
