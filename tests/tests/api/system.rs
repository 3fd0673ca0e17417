//! Health, request ids, unknown routes, the docs UI and the OpenAPI drift check.

use jobin_tests::{Backend, Setup, TestServer};
use serde_json::json;

#[tokio::test]
async fn health_reports_ok_with_a_millisecond_utc_timestamp() {
    let s = TestServer::start().await;
    let r = s.send(s.http.get(s.url("/health"))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
    let ts = r.body["ts"].as_str().unwrap();
    assert_eq!(ts.len(), "2025-04-12T09:00:00.000Z".len(), "{ts}");
    assert!(ts.ends_with('Z'));
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok());
    assert_eq!(r.body.as_object().unwrap().len(), 2);
    s.stop().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn health_says_503_when_the_database_is_gone() {
    let Some(s) = TestServer::start_with(Setup { backend: Backend::Postgres, ..Setup::default() }).await else {
        return;
    };
    assert_eq!(s.send(s.http.get(s.url("/health"))).await.status, 200);
    s.pg.as_ref().unwrap().drop_now().await.unwrap();
    let r = s.send(s.http.get(s.url("/health"))).await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(
        r.masked(),
        json!({"error": "The database is unreachable.", "code": "dependency_unavailable",
               "details": {"database": "unreachable"}, "request_id": "<id>", "retry_after": 5})
    );
    assert_eq!(r.header("retry-after"), Some("5"));
    s.stop().await;
}

#[tokio::test]
async fn request_ids_are_echoed_when_sane_and_generated_otherwise() {
    let s = TestServer::start().await;
    let r = s.send(s.http.get(s.url("/health")).header("x-request-id", "trace-abc.123:x")).await;
    assert_eq!(r.header("x-request-id"), Some("trace-abc.123:x"));
    for insane in ["has space", &"x".repeat(200), "semi;colon"] {
        let r = s.send(s.http.get(s.url("/nope")).header("x-request-id", insane)).await;
        let id = r.header("x-request-id").unwrap().to_owned();
        assert_ne!(id, insane);
        assert_eq!(id.len(), 32, "{id}");
        assert_eq!(r.body["request_id"], id.as_str());
    }
    let a = s.send(s.http.get(s.url("/health"))).await;
    let b = s.send(s.http.get(s.url("/health"))).await;
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
    s.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_envelope() {
    let s = TestServer::start().await;
    let r = s.send(s.http.get(s.url("/no/such/thing"))).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.masked(),
        json!({"error": "No such endpoint; see /openapi.json.", "code": "not_found", "details": {}, "request_id": "<id>"})
    );
    let r = s.send(s.http.delete(s.url("/health"))).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body["code"], "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET"), "a 405 says what is allowed");
    let r = s.send(s.http.put(s.url("/v1/applications/7"))).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("DELETE, GET, PATCH")));
    s.stop().await;
}

#[tokio::test]
async fn docs_ui_is_served_offline_and_the_spec_matches_the_committed_file() {
    let s = TestServer::start().await;
    let docs = s.send(s.http.get(s.url("/docs"))).await;
    assert_eq!(docs.status, 200);
    // The server's root sends a browser to the docs (reqwest follows the redirect).
    let root = s.send(s.http.get(s.url("/"))).await;
    assert_eq!((root.status, root.text.contains("swagger")), (200, true));
    assert!(docs.text.contains("swagger"), "docs page should embed Swagger UI");
    assert!(!docs.text.contains("unpkg.com") && !docs.text.contains("cdn.jsdelivr"), "docs must not need a CDN");

    let served = s.send(s.http.get(s.url("/openapi.json"))).await;
    assert_eq!(served.status, 200);
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(served.body, committed, "openapi/openapi.json is stale: run `make openapi` and commit the result");
    s.stop().await;
}

#[tokio::test]
async fn the_spec_documents_security_errors_and_every_code() {
    let spec: serde_json::Value = serde_json::from_str(&jobin_app::openapi_json()).unwrap();
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["ApiKeyAuth"]["in"], "header");
    assert_eq!(schemes["ApiKeyAuth"]["name"], "X-API-Key");
    assert_eq!(schemes["BearerAuth"]["scheme"], "bearer");
    let codes: Vec<&str> = spec["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let expected: Vec<&str> = jobin_core::Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(codes, expected);
    let me = &spec["paths"]["/auth/me"]["get"];
    assert_eq!(me["security"], json!([{"ApiKeyAuth": []}, {"BearerAuth": []}]));
    for status in ["200", "401", "500", "503"] {
        assert!(me["responses"][status].is_object(), "/auth/me lacks {status}");
    }
    let register = &spec["paths"]["/auth/register"]["post"];
    assert_eq!(register["security"], json!([]), "register is public, and says so");
    for status in ["201", "400", "409", "413", "415", "429", "500", "503"] {
        assert!(register["responses"][status].is_object(), "/auth/register lacks {status}");
    }
    // The headers each answer carries, in their usual spelling; paths relative to the serving host.
    let names = |op: &serde_json::Value, status: &str| -> Vec<String> {
        op["responses"][status]["headers"].as_object().map(|h| h.keys().cloned().collect()).unwrap_or_default()
    };
    let me_ok = names(me, "200");
    for h in ["X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Plan"] {
        assert!(me_ok.iter().any(|n| n == h), "/auth/me 200 lacks {h}: {me_ok:?}");
    }
    assert!(names(me, "503").iter().any(|n| n == "Retry-After"));
    let reg = names(register, "429");
    assert!(reg.iter().any(|n| n == "X-RateLimit-Limit") && !reg.iter().any(|n| n == "X-Plan"), "{reg:?}");
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for r in op["responses"].as_object().unwrap().values() {
                for name in r["headers"].as_object().into_iter().flat_map(|h| h.keys()) {
                    assert_ne!(name.to_ascii_uppercase(), *name, "{name} is spelled upper-case");
                }
            }
        }
    }
    assert_eq!(spec["servers"][0]["url"], "/");
    for schema in ["Credentials", "Registered", "Session", "MeBody", "NewKey", "ErrorBody", "Health"] {
        assert!(spec["components"]["schemas"][schema]["example"].is_object(), "{schema} has no example");
    }
    let text = jobin_app::openapi_json();
    for secret in [jobin_tests::JWT_SECRET, jobin_tests::KEY_PEPPER] {
        assert!(!text.contains(secret));
    }
}

/// The docs page: a title naming the API, the current operations only (the deprecated copies stay
/// in /openapi.json), and error examples of their own.
#[tokio::test]
async fn the_docs_page_shows_the_current_operations_under_the_apis_name() {
    let s = TestServer::start().await;
    let page = s.send(s.http.get(s.url("/docs"))).await.text;
    assert!(page.contains("<title>JobIn API v1"), "the page title names the API");
    let embedded = &page[page.find("let spec = ").unwrap() + "let spec = ".len()..];
    let embedded: serde_json::Value = serde_json::Deserializer::from_str(embedded).into_iter().next().unwrap().unwrap();
    let shown: Vec<&String> = embedded["paths"].as_object().unwrap().keys().collect();
    assert!(shown.iter().all(|p| p.starts_with("/v1/") || p.starts_with("/api/")), "{shown:?}");
    let full: serde_json::Value = serde_json::from_str(&jobin_app::openapi_json()).unwrap();
    let current =
        full["paths"].as_object().unwrap().keys().filter(|p| !p.starts_with("/v1/") && !p.starts_with("/api/"));
    assert!(current.count() > 20, "the document itself still lists the deprecated copies");
    assert_eq!(
        shown.len(),
        full["paths"].as_object().unwrap().keys().filter(|p| p.starts_with("/v1/") || p.starts_with("/api/")).count()
    );
    s.stop().await;
}

/// Every error response in the document shows an envelope of a code that answers with that status,
/// and a request id in the server's format.
#[test]
fn each_error_response_has_an_example_of_its_own_status() {
    let doc: serde_json::Value = serde_json::from_str(&jobin_app::openapi_json()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let Ok(status) = status.parse::<u16>() else { continue };
                let Some(content) = response["content"].as_object() else { continue };
                for media in
                    content.values().filter(|m| m["schema"]["$ref"].as_str().is_some_and(|r| r.ends_with("/ErrorBody")))
                {
                    assert!(status >= 400, "{method} {path} {status}");
                    let example = &media["example"];
                    let code =
                        example["code"].as_str().unwrap_or_else(|| panic!("{method} {path} {status}: no example"));
                    let code = jobin_core::Code::ALL.iter().find(|c| c.as_str() == code).unwrap();
                    assert_eq!(jobin_app::http::error::status_of(*code).as_u16(), status, "{method} {path}: {code:?}");
                    let id = example["request_id"].as_str().unwrap();
                    assert!(id.len() == 32 && id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')), "{id}");
                    seen.insert(code.as_str());
                }
            }
        }
    }
    assert!(seen.len() > 20, "the examples differ by operation and status: {seen:?}");
}

/// The examples are what the server answers: errors triggered for real carry the example's code,
/// message and details (the values chosen so that they meet: id 42, a Free account, …).
#[tokio::test]
async fn triggered_errors_answer_what_the_examples_show() {
    use jobin_app::http::error_examples::example;
    use jobin_core::Code;
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let with_key = |m: reqwest::Method, p: &str| s.http.request(m, s.url(p)).header("x-api-key", &key);
    let get = reqwest::Method::GET;
    let cases: Vec<(Code, reqwest::RequestBuilder)> = vec![
        (Code::MissingCredentials, s.http.get(s.url("/v1/auth/me"))),
        (Code::NotFound, s.http.get(s.url("/v1/nope"))),
        (Code::PlanUpgradeRequired, with_key(get.clone(), "/v1/jobs/salary?q=rust")),
        (Code::JobNotFound, with_key(get.clone(), "/v1/jobs/adzuna:4000000075")),
        (Code::ApplicationNotFound, with_key(get.clone(), "/v1/applications/42")),
        (Code::SavedSearchNotFound, with_key(get.clone(), "/v1/searches/42")),
        (Code::KeyNotFound, with_key(reqwest::Method::DELETE, "/v1/auth/keys/jl_live_ab12****")),
        (
            Code::EmailTaken,
            s.http
                .post(s.url("/v1/auth/register"))
                .header("x-forwarded-for", jobin_tests::fresh_ip())
                .json(&json!({"email": email, "password": "correct horse"})),
        ),
        (
            Code::InvalidJson,
            with_key(reqwest::Method::POST, "/v1/auth/keys").header("content-type", "application/json").body("x"),
        ),
    ];
    for (code, req) in cases {
        let r = s.send(req).await;
        let want = example(code);
        assert_eq!(r.body["code"], code.as_str(), "{}", r.text);
        assert_eq!((&r.body["error"], &r.body["details"]), (&want["error"], &want["details"]), "{code:?}: {}", r.text);
        let id = r.header("x-request-id").unwrap();
        assert!(id.len() == 32 && id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')), "the real format: {id}");
    }
    s.stop().await;
}
