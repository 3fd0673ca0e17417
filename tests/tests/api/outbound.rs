//! The outbound policy over HTTP (issue 34): a webhook URL that points inside the server's network
//! is refused at creation and update with `destination_not_allowed` naming the rule, a name that
//! resolves inside is refused at send time (the receiver hears nothing; the attempt records only
//! `destination_not_allowed`), and the test endpoint tells delivered or not, nothing more.

use jobin_tests::{Setup, TestServer};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::Arc;

/// Resolves `hooks.tenant.example` to this machine; any other name is unknown. No real DNS.
struct ToLoopback;

#[async_trait::async_trait]
impl jobin_adapters::webhook_sender::NameLookup for ToLoopback {
    async fn lookup(&self, name: &str) -> std::io::Result<Vec<IpAddr>> {
        match name {
            "hooks.tenant.example" => Ok(vec!["127.0.0.1".parse().unwrap()]),
            _ => Err(std::io::Error::other("unknown name")),
        }
    }
}

async fn strict_server() -> TestServer {
    let setup = Setup {
        env: vec![("JOBIN_WEBHOOK_ALLOW_PRIVATE", "false".to_owned())],
        webhook_lookup: Some(Arc::new(ToLoopback)),
        ..Setup::default()
    };
    TestServer::start_with(setup).await.unwrap()
}

#[tokio::test]
async fn urls_that_point_inside_are_refused_naming_the_rule() {
    let s = strict_server().await;
    let (_, key) = s.register().await;
    let cases = [
        ("http://127.0.0.1:2375/containers/x/kill", "https_required"),
        ("https://127.0.0.1:2375/containers/x/kill", "loopback_address"),
        ("https://localhost:8080/", "internal_name"),
        ("https://[::1]/x", "loopback_address"),
        ("https://10.0.0.5/hook", "private_address"),
        ("https://172.16.3.4/hook", "private_address"),
        ("https://192.168.0.10/hook", "private_address"),
        ("https://100.64.0.1/hook", "private_address"),
        ("https://169.254.169.254/latest/meta-data/", "link_local_address"),
        ("https://[fe80::1]/", "link_local_address"),
        ("https://[fd00::1]/", "private_address"),
        ("https://[::ffff:127.0.0.1]/", "reserved_address"),
        ("https://[::ffff:a9fe:a9fe]/", "reserved_address"),
        ("https://0x7f000001/", "loopback_address"),
        ("https://2130706433/", "loopback_address"),
        ("https://017700000001/", "loopback_address"),
        ("https://127.1/", "loopback_address"),
        ("https://0.0.0.0/", "reserved_address"),
        ("https://224.0.0.1/", "reserved_address"),
        ("https://user:secret@hooks.example.com/", "credentials_in_url"),
        ("https://intranet/hook", "internal_name"),
        ("ftp://hooks.example.com/", "https_required"),
    ];
    let r = s.call("POST", "/v1/searches", &key, Some(json!({"q": "rust"}))).await;
    let id = r.body["data"]["id"].as_i64().unwrap();
    for (url, rule) in cases {
        let r = s.call("POST", "/v1/searches", &key, Some(json!({"q": "go", "webhook_url": url}))).await;
        assert_eq!(
            (
                r.status,
                r.body["code"].as_str(),
                r.body["details"]["rule"].as_str(),
                r.body["details"]["field"].as_str()
            ),
            (400, Some("destination_not_allowed"), Some(rule), Some("webhook_url")),
            "create {url}: {}",
            r.text
        );
        let r = s.call("PATCH", &format!("/v1/searches/{id}"), &key, Some(json!({"webhook_url": url}))).await;
        assert_eq!((r.status, r.body["details"]["rule"].as_str()), (400, Some(rule)), "update {url}: {}", r.text);
    }
    let r = s.call("GET", &format!("/v1/searches/{id}"), &key, None).await;
    assert!(r.body["data"].get("webhook").is_none_or(Value::is_null), "nothing was stored: {}", r.text);
    s.stop().await;
}

/// A public-looking name that resolves to this machine passes creation, and is refused when sent:
/// by the test endpoint and by a queued delivery, with nothing reaching the receiver listening
/// there and nothing told of it but "not delivered".
#[tokio::test]
async fn a_name_that_resolves_inside_is_refused_at_send_time() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&receiver).await;
    let s = strict_server().await;
    let (_, key) = s.register().await;
    let url = format!("https://hooks.tenant.example:{}/hook", receiver.address().port());
    let r = s.call("POST", "/v1/searches", &key, Some(json!({"q": "rust", "webhook_url": url}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["data"]["id"].as_i64().unwrap();
    let r = s.call("POST", &format!("/v1/searches/{id}/test"), &key, None).await;
    assert_eq!((r.status, &r.body["data"]), (200, &json!({"delivered": false, "status_code": null})), "{}", r.text);
    // A closed port answers exactly the same.
    let closed = "https://hooks.tenant.example:9/hook";
    s.call("PATCH", &format!("/v1/searches/{id}"), &key, Some(json!({"webhook_url": closed}))).await;
    let r = s.call("POST", &format!("/v1/searches/{id}/test"), &key, None).await;
    assert_eq!(r.body["data"], json!({"delivered": false, "status_code": null}));
    s.call("PATCH", &format!("/v1/searches/{id}"), &key, Some(json!({"webhook_url": url}))).await;
    // A match queued for delivery: the attempt fails with the policy's reason only.
    let job = jobin_tests::posting("outbound-1", "Rust Engineer", "London", "GB");
    s.store_jobs(&[job]).await;
    s.run_matching().await;
    let run = s.run_deliveries().await;
    assert_eq!((run.attempted, run.delivered), (1, 0));
    let r = s.call("GET", &format!("/v1/searches/{id}/deliveries"), &key, None).await;
    let attempt = &r.body["data"][0]["attempts"][0];
    assert_eq!((attempt["error"].as_str(), attempt["status_code"].as_u64()), (Some("destination_not_allowed"), None));
    assert!(receiver.received_requests().await.unwrap().is_empty(), "nothing reached the receiver");
    s.stop().await;
}
