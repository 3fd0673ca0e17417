//! The versioned surface: every operation under `/v1`, the unversioned paths answering the same,
//! deprecated in the document and in their headers.

use jobin_tests::{TestServer, fresh_email};
use serde_json::{Value, json};

#[tokio::test]
async fn v1_and_the_deprecated_paths_answer_the_same_and_only_the_old_ones_say_deprecated() {
    let s = TestServer::start().await;
    let r = s.post_json("/v1/auth/register", &json!({"email": fresh_email(), "password": "correct horse"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let key = r.body["api_key"].as_str().unwrap().to_owned();
    for path in ["/auth/me", "/jobs/providers", "/pricing", "/jobs/search?q=rust"] {
        let old = s.get_with_key(path, &key).await;
        let new = s.get_with_key(&format!("/v1{path}"), &key).await;
        assert_eq!((old.status, new.status), (200, 200), "{path}: {} / {}", old.text, new.text);
        if path != "/jobs/search?q=rust" {
            assert_eq!(old.body, new.body, "{path}");
        } else {
            assert_eq!(old.body["jobs"], new.body["jobs"], "{path}");
        }
        assert_eq!(old.header("deprecation"), Some("true"), "{path}");
        assert_eq!(old.header("sunset"), Some("Wed, 30 Jun 2027 00:00:00 GMT"), "{path}");
        let bare = path.split('?').next().unwrap();
        assert_eq!(old.header("link"), Some(&*format!("</v1{bare}>; rel=\"successor-version\"")), "{path}");
        assert_eq!((new.header("deprecation"), new.header("sunset"), new.header("link")), (None, None, None));
    }
    // Errors on old paths carry the headers too; unknown routes do not.
    let r = s.send(s.http.get(s.url("/auth/me"))).await;
    assert_eq!((r.status, r.header("deprecation")), (401, Some("true")));
    assert_eq!(s.send(s.http.get(s.url("/nope"))).await.header("deprecation"), None);
    s.stop().await;
}

#[tokio::test]
async fn per_ip_limits_hold_on_the_v1_paths_too() {
    let s = TestServer::start().await;
    jobin_tests::within_one_minute(20).await;
    let ip = jobin_tests::fresh_ip();
    let mut statuses = Vec::new();
    for i in 0..6 {
        let path = if i % 2 == 0 { "/v1/auth/register" } else { "/auth/register" };
        let r = s
            .send(
                s.http
                    .post(s.url(path))
                    .header("x-forwarded-for", &ip)
                    .json(&json!({"email": fresh_email(), "password": "correct horse"})),
            )
            .await;
        statuses.push(r.status);
    }
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429], "5 registrations per IP a minute, whichever path");
    s.stop().await;
}

#[test]
fn the_document_lists_v1_and_marks_every_unversioned_path_deprecated() {
    let spec: serde_json::Value = serde_json::from_str(&jobin_app::openapi_json()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(ids.insert(op["operationId"].as_str().unwrap().to_owned()), "duplicate id at {method} {path}");
            if path.starts_with("/v1/applications") || path.starts_with("/v1/searches") || path == "/v1/jobs" {
                // Added after versioning: /v1 only.
                assert!(op.get("deprecated").is_none(), "{method} {path}");
                assert!(!paths.contains_key(&path["/v1".len()..]), "{path} has no unversioned twin");
            } else if path.starts_with("/v1/") {
                assert!(op.get("deprecated").is_none(), "{method} {path}");
                let old = &paths[&path["/v1".len()..]][method];
                assert_eq!(old["deprecated"], true, "{method} {path} has a deprecated unversioned twin");
                assert_eq!(old["operationId"], format!("{}_unversioned", op["operationId"].as_str().unwrap()));
            } else if path.starts_with("/api/") {
                // The Jobo-compatible pair lives at Jobo's own paths, outside the versioning.
                assert!(op.get("deprecated").is_none(), "{method} {path}");
                assert!(!paths.contains_key(&format!("/v1{path}")), "{path} is documented once");
            } else {
                assert!(paths.contains_key(&format!("/v1{path}")), "{path} has a /v1 successor");
            }
        }
    }
    assert!(paths.contains_key("/v1/jobs/search") && paths.contains_key("/v1/auth/me"));
}

/// Paths a text names: after a space, quote, backtick, bracket or `=`, or after the server's own
/// address (`https://jobin.test`, the test server's public URL, or its loopback base). Other
/// hosts' URLs (a client's return URL) are not the server's to name.
fn paths_named(text: &str, bases: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices('/') {
        let before = &text[..i];
        let after_base = bases.iter().any(|b| before.ends_with(b));
        let boundary = before.chars().last().is_none_or(|c| " \"'`(=\n\t:".contains(c));
        if !(after_base || boundary) || text[i..].starts_with("//") {
            continue;
        }
        if !after_base && before.ends_with(':') && !before.ends_with(": ") {
            continue; // `https:` of another host's URL
        }
        let path: String =
            text[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || "_{}-./*%".contains(*c)).collect();
        let path = path.trim_end_matches(['.', ',']).to_owned();
        if path.len() > 1 && path.chars().nth(1).is_some_and(|c| c.is_ascii_alphabetic()) {
            found.push(path);
        }
    }
    found
}

/// The paths that are not the API's current surface, yet may be named: the documents, the local
/// payment pages, the Jobo-compatible pair, metrics and MCP.
fn current(path: &str) -> bool {
    path == "/v1"
        || ["/v1/", "/docs", "/openapi.json", "/billing/local-", "/api/", "/metrics", "/mcp"]
            .iter()
            .any(|p| path.starts_with(p))
}

/// HTML with its tags dropped, plus the `href` and `action` targets.
fn html_texts(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "action=\""] {
        for (i, _) in page.match_indices(attr) {
            let rest = &page[i + attr.len()..];
            out.push(rest[..rest.find('"').unwrap_or(rest.len())].to_owned());
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in page.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    out.push(text);
    out
}

#[test]
fn the_path_finder_finds_paths_and_only_paths() {
    let bases = ["https://jobin.test"];
    let t = "see /v1/pricing. Or `POST /auth/login` (https://jobin.test/pricing), https://a.example/ok, \
             application/json, a/b, \"/searches/{id}/matches\"";
    assert_eq!(paths_named(t, &bases), ["/v1/pricing", "/auth/login", "/pricing", "/searches/{id}/matches"]);
    assert!(current("/v1/jobs/search") && current("/billing/local-portal/x") && !current("/pricing"));
}

/// Every URL the server hands a user — in bodies, headers, HTML pages, emails and the document's
/// own text for current operations — names a `/v1` path (or a page that is not an operation), and
/// each concrete one answers without `Deprecation`.
#[tokio::test]
async fn every_url_the_server_emits_is_a_current_path() {
    let s = TestServer::start().await;
    let bases = ["https://jobin.test", s.base.as_str()];
    let mut seen: Vec<(String, String)> = Vec::new(); // (where, text)
    let mut note = |what: &str, r: &jobin_tests::Reply| {
        for (name, value) in &r.headers {
            seen.push((format!("{what}: header {name}"), value.to_str().unwrap_or("").to_owned()));
        }
        if r.header("content-type").is_some_and(|c| c.starts_with("text/html")) {
            for t in html_texts(&r.text) {
                seen.push((format!("{what}: page"), t));
            }
        } else {
            seen.push((format!("{what}: body"), r.text.clone()));
        }
    };
    let email = fresh_email();
    let reg = json!({"email": email, "password": "correct horse"});
    let r = s.post_json("/v1/auth/register", &reg).await;
    assert_eq!(r.status, 201, "{}", r.text);
    note("register", &r);
    let key = r.body["api_key"].as_str().unwrap().to_owned();
    let r = s.post_json("/v1/auth/register", &reg).await;
    assert_eq!(r.status, 409, "{}", r.text);
    note("register again", &r);
    let get = |path: &'static str| {
        let (s, key) = (&s, &key);
        async move { s.get_with_key(path, key).await }
    };
    for path in [
        "/v1/auth/me",
        "/v1/pricing",
        "/v1/health",
        "/v1/jobs/providers",
        "/v1/jobs/search?q=rust",
        "/v1/jobs/search?q=rust&enhance=true&provider=nope",
        "/v1/jobs/salary?q=rust",
        "/v1/jobs/trends?q=rust",
        "/v1/jobs/insight?q=rust",
        "/v1/jobs/expired?since=2020-01-01T00:00:00Z",
        "/v1/searches/999/matches",
    ] {
        note(path, &get(path).await);
    }
    note("no key", &s.send(s.http.get(s.url("/v1/auth/me"))).await);
    let post = |path: &str, body: Value| s.http.post(s.url(path)).header("x-api-key", &key).json(&body);
    note("feed", &s.send(post("/v1/jobs/feed", json!({}))).await);
    note("portal (free)", &s.send(post("/v1/billing/portal", json!({}))).await);

    // Bought, then the paying account's answers, the local pages, and the lifecycle's emails.
    let urls = json!({"plan": "pro", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"});
    let r = s.send(post("/v1/billing/checkout", urls)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    note("checkout", &r);
    let page = r.body["url"].as_str().unwrap().replace("https://jobin.test", &s.base);
    let no_redirects =
        reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    note("checkout page", &jobin_tests::Reply::of(no_redirects.get(&page).send().await).await);
    note("complete", &jobin_tests::Reply::of(no_redirects.post(format!("{page}/complete")).send().await).await);
    note("expired (pro)", &get("/v1/jobs/expired?since=2020-01-01T00:00:00Z").await);
    let r = s.send(post("/v1/billing/portal", json!({"return_url": "http://localhost:3000/account"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    note("portal", &r);
    let portal = r.body["url"].as_str().unwrap().replace("https://jobin.test", &s.base);
    for action in ["fail-payment", "cancel"] {
        let r = no_redirects.post(format!("{portal}/{action}")).send().await;
        note(action, &jobin_tests::Reply::of(r).await);
    }
    note("portal page (ended)", &jobin_tests::Reply::of(no_redirects.get(&portal).send().await).await);
    let outbox = std::fs::read_to_string(s.dir().join("outbox.jsonl")).unwrap();
    for line in outbox.lines() {
        let mail: Value = serde_json::from_str(line).unwrap();
        seen.push((format!("email {}", mail["subject"]), mail["body"].as_str().unwrap().to_owned()));
    }
    assert!(seen.iter().any(|(w, _)| w.contains("subscription has ended")), "the lifecycle sent its emails");

    // The document's text for the current operations and the shapes they use.
    let mut doc: Value = serde_json::from_str(&jobin_app::openapi_json()).unwrap();
    let paths = doc["paths"].as_object_mut().unwrap();
    paths.retain(|p, _| current(p));
    seen.push(("document".into(), doc.to_string().replace("\\\"", "\"").replace("\\n", "\n")));

    let mut named: std::collections::BTreeMap<String, String> = Default::default();
    for (at, text) in &seen {
        for p in paths_named(text, &bases) {
            named.entry(p).or_insert_with(|| at.clone());
        }
    }
    let stale: Vec<_> = named.iter().filter(|(p, _)| !current(p)).collect();
    assert!(stale.is_empty(), "paths that are not current, and where each was first named: {stale:#?}");
    assert!(named.contains_key("/v1/pricing") && named.contains_key("/v1/jobs/search"), "{named:#?}");
    for path in
        named.keys().filter(|p| !p.contains(['{', '*']) && p.len() > "/v1/".len() && !p.starts_with("/billing/local-"))
    {
        let r = s.get_with_key(path, &key).await;
        assert_ne!(r.status, 404, "{path} (named at {}) does not exist", named[path]);
        assert_eq!(r.header("deprecation"), None, "{path} (named at {}) is deprecated", named[path]);
    }
    s.stop().await;
}
