//! The versioned surface: every operation under `/v1`, the unversioned paths answering the same,
//! deprecated in the document and in their headers.

use jobin_tests::{TestServer, fresh_email};
use serde_json::json;

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
            if path.starts_with("/v1/applications") || path.starts_with("/v1/searches") {
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
