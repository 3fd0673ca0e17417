//! Two `jobin serve` processes on one PostgreSQL and one Redis: the per-minute limit, the monthly
//! quota and key rotation hold across them, a key revoked on one is refused there at once and on
//! the other within 5 s (each node's principal cache lives 3 s), a plan bought on one applies there
//! at once and on the other within 5 s, idempotency keys hold across them, logins
//! ended on one (logout, password change, rotation) are refused on the other at once, and the
//! per-account allowance of wrong passwords is exact across them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

mod common;

use common::{Cluster, call};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and Redis"]
async fn two_nodes_share_limits_rotation_and_revocation() {
    let Some(cluster) = Cluster::start(|_| vec![]).await else { return };
    let (a, b, vars) = (&cluster.a, &cluster.b, &cluster.vars);
    let http = reqwest::Client::new();

    // Register on A; the key works on B.
    let (status, reg) = call(
        http.post(format!("{}/auth/register", a.base))
            .header("x-forwarded-for", "198.18.0.1")
            .json(&json!({"email": "multi@example.com", "password": "correct horse"})),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    let key = reg["api_key"].as_str().unwrap().to_owned();

    // Start a burst well inside one minute window.
    let into_minute = chrono::Utc::now().timestamp() % 60;
    if into_minute > 45 {
        tokio::time::sleep(Duration::from_secs((61 - into_minute) as u64)).await;
    }
    // Free plan: 10 data requests per minute for the account, whichever node serves it.
    let burst = (0..16).map(|i| {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        call(http.get(format!("{base}/jobs/providers")).header("x-api-key", &key))
    });
    let replies: Vec<(u16, Value)> = futures::future::join_all(burst).await;
    let statuses: Vec<u16> = replies.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 6, "{statuses:?}");
    assert!(replies.iter().filter(|(s, _)| *s == 429).all(|(_, b)| b["details"]["class"] == "data"));

    // The data window is spent (a leaked key, say): the owner still logs in on B, rotates on A (the
    // account class is a window of its own), and the old key is refused on both nodes at once.
    let (status, login) = call(
        http.post(format!("{}/auth/login", b.base))
            .header("x-forwarded-for", "198.18.0.2")
            .json(&json!({"email": "multi@example.com", "password": "correct horse"})),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let session = login["access_token"].as_str().unwrap().to_owned();
    let (status, rotated) = call(http.post(format!("{}/auth/keys/rotate", a.base)).bearer_auth(&session)).await;
    assert_eq!(status, 201, "{rotated}");
    // Refused at once on the node that rotated; within 5 s on the other (its principal cache).
    let (status, body) = call(http.get(format!("{}/auth/me", a.base)).header("x-api-key", &key)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("key_revoked")), "on A, at once");
    let rotated_at = Instant::now();
    loop {
        let (status, body) = call(http.get(format!("{}/auth/me", b.base)).header("x-api-key", &key)).await;
        if status == 401 {
            assert_eq!(body["code"], "key_revoked");
            break;
        }
        assert!(rotated_at.elapsed() < Duration::from_secs(5), "B still accepts a key rotated away on A");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Pro (300/min) through the operator tool, then rotations race across both nodes.
    common::set_plan(vars, "multi@example.com", "pro");
    let rotations = (0..20).map(|i| {
        let base = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
        let req = http.post(format!("{base}/auth/keys/rotate")).bearer_auth(&session);
        async move {
            let r = call(req).await;
            (Instant::now(), r)
        }
    });
    let mut replies = futures::future::join_all(rotations).await;
    replies.sort_by_key(|(at, _)| *at);
    let issued: Vec<String> = replies
        .iter()
        .filter_map(|(_, (status, body))| match status {
            201 => Some(body["key"].as_str().unwrap().to_owned()),
            429 => {
                assert_eq!(body["code"], "rotation_in_progress", "{body}");
                None
            }
            other => panic!("each answer is a new key or 429, got {other}: {body}"),
        })
        .collect();
    assert!(!issued.is_empty());
    let last = issued.last().unwrap().clone();
    let (status, me) = call(http.get(format!("{}/auth/me", a.base)).header("x-api-key", &last)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["api_keys"].as_array().unwrap().len(), 1);
    assert_eq!(me["plan"], "pro");

    // Revoked on A → refused on A at once and on B within 5 s (B's principal cache lives 3 s).
    let (status, created) = call(http.post(format!("{}/auth/keys", a.base)).header("x-api-key", &last)).await;
    assert_eq!(status, 201);
    let extra = created["key"].as_str().unwrap().to_owned();
    assert_eq!(call(http.get(format!("{}/auth/me", b.base)).header("x-api-key", &extra)).await.0, 200);
    let prefix_shown = created["prefix"].as_str().unwrap().to_owned();
    let revoked_at = Instant::now();
    let (status, _) =
        call(http.delete(format!("{}/auth/keys/{prefix_shown}", a.base)).header("x-api-key", &last)).await;
    assert_eq!(status, 200);
    let (status, body) = call(http.get(format!("{}/auth/me", a.base)).header("x-api-key", &extra)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("key_revoked")), "on A, at once");
    loop {
        let (status, body) = call(http.get(format!("{}/auth/me", b.base)).header("x-api-key", &extra)).await;
        if status == 401 {
            assert_eq!(body["code"], "key_revoked");
            break;
        }
        assert!(revoked_at.elapsed() < Duration::from_secs(5), "B still accepts a key revoked on A");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("revocation visible on the other node after {} ms", revoked_at.elapsed().as_millis());

    cluster.stop().await;
}

/// Two demo nodes where Free allows `monthly` data requests a month, with a roomy minute limit so
/// only the monthly quota bites.
async fn free_quota_cluster(monthly: u64) -> Option<Cluster> {
    Cluster::start(|data| {
        let catalog = data.join("catalog.toml");
        std::fs::write(&catalog, format!("[plans.free]\nmonthly_requests = {monthly}\nper_minute = 1000\n")).unwrap();
        vec![("JOBIN_CATALOG", catalog.display().to_string()), ("JOBIN_DEMO", "1".into())]
    })
    .await
}

#[tokio::test]
#[ignore = "needs PostgreSQL and Redis"]
async fn two_nodes_share_the_monthly_quota() {
    let Some(cluster) = free_quota_cluster(5).await else { return };
    let (a, b) = (&cluster.a, &cluster.b);
    let http = reqwest::Client::new();
    let key = common::register(&http, &a.base, "198.18.0.3", "quota@example.com").await;
    let calls = (0..9).map(|i| {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        call(http.get(format!("{base}/jobs/providers")).header("x-api-key", &key))
    });
    let replies = futures::future::join_all(calls).await;
    let ok = replies.iter().filter(|(s, _)| *s == 200).count();
    let refused: Vec<&Value> = replies.iter().filter(|(s, _)| *s == 429).map(|(_, b)| b).collect();
    assert_eq!((ok, refused.len()), (5, 4), "{replies:?}");
    for body in refused {
        assert_eq!(
            (body["code"].as_str(), body["limit"].as_u64(), body["used"].as_u64()),
            (Some("quota_exceeded"), Some(5), Some(5))
        );
    }
    for node in [&a.base, &b.base] {
        let (status, me) = call(http.get(format!("{node}/auth/me")).header("x-api-key", &key)).await;
        assert_eq!((status, me["monthly_used"].as_u64()), (200, Some(5)), "{me}");
    }

    // Buying Pro on A (the offline checkout, through the webhook code) lifts the quota on B at once.
    let (status, checkout) = call(
        http.post(format!("{}/billing/checkout", a.base))
            .header("x-api-key", &key)
            .json(&json!({"plan": "pro", "success_url": "http://localhost/ok", "cancel_url": "http://localhost/no"})),
    )
    .await;
    assert_eq!(status, 200, "{checkout}");
    let url = checkout["url"].as_str().unwrap();
    assert!(url.starts_with(&a.base), "{url}");
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    assert_eq!(no_redirects.post(format!("{url}/complete")).send().await.unwrap().status().as_u16(), 303);
    // At once on A (its own change); on B within 5 s (B's principal cache lives 3 s).
    let r = http.get(format!("{}/jobs/providers", a.base)).header("x-api-key", &key).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["x-plan"].to_str().unwrap()), (200, "pro"));
    let bought = Instant::now();
    loop {
        let r = http.get(format!("{}/jobs/providers", b.base)).header("x-api-key", &key).send().await.unwrap();
        if r.status().as_u16() == 200 && r.headers()["x-plan"] == "pro" {
            break;
        }
        assert_eq!(r.status().as_u16(), 429, "refused on Free's spent quota until B sees Pro");
        assert!(bought.elapsed() < Duration::from_secs(5), "B still applies Free 5 s after Pro was bought on A");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, me) = call(http.get(format!("{}/auth/me", b.base)).header("x-api-key", &key)).await;
    assert_eq!(me["plan"].as_str(), Some("pro"), "{me}");
    assert_eq!(me["monthly_used"].as_u64(), Some(7), "one call on A, one on B once it saw Pro: {me}");
    cluster.stop().await;
}

/// An idempotent request retried on the other node replays; another request under its key is 422
/// there; duplicates racing across both nodes apply once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and Redis"]
async fn idempotency_keys_hold_across_nodes() {
    let Some(cluster) = Cluster::start(|_| vec![]).await else { return };
    let (a, b) = (&cluster.a, &cluster.b);
    let http = reqwest::Client::new();
    let key = common::register(&http, &a.base, "198.18.1.1", "idem@example.com").await;
    let create = |base: &str, idem: &str, name: &str| {
        http.post(format!("{base}/v1/auth/keys"))
            .header("x-api-key", &key)
            .header("idempotency-key", idem)
            .json(&json!({"name": name}))
    };

    let idem = uuid::Uuid::new_v4().to_string();
    let (status, first) = call(create(&a.base, &idem, "ci")).await;
    assert_eq!(status, 201, "{first}");
    let replayed = create(&b.base, &idem, "ci").send().await.unwrap();
    assert_eq!(replayed.status(), 201);
    assert_eq!(replayed.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(replayed.json::<Value>().await.unwrap(), first, "B replays A's answer");
    let (status, body) = call(create(&b.base, &idem, "other")).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("idempotency_key_reused")), "{body}");

    let idem = uuid::Uuid::new_v4().to_string();
    let racing = (0..8).map(|i| call(create(if i % 2 == 0 { &a.base } else { &b.base }, &idem, "race")));
    let mut created = std::collections::HashSet::new();
    for (status, body) in futures::future::join_all(racing).await {
        match status {
            201 => {
                created.insert(body["key"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(body["code"], "idempotency_in_progress", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(created.len(), 1, "one key however the duplicates race across nodes");
    let (_, me) = call(http.get(format!("{}/v1/auth/me", b.base)).header("x-api-key", &key)).await;
    assert_eq!(me["api_keys"].as_array().unwrap().len(), 3, "{me}");

    cluster.stop().await;
}

/// Logins ended on one node are refused on the other at once; wrong passwords racing across both
/// nodes spend the account's allowance of 10 exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and Redis"]
async fn logins_end_and_wrong_passwords_count_across_nodes() {
    let Some(cluster) = Cluster::start(|_| vec![]).await else { return };
    let (a, b) = (&cluster.a, &cluster.b);
    let http = reqwest::Client::new();
    let email = "sessions@example.com";
    let (status, reg) = call(
        http.post(format!("{}/v1/auth/register", a.base))
            .header("x-forwarded-for", "198.18.2.1")
            .json(&json!({"email": email, "password": "correct horse"})),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    let key = reg["api_key"].as_str().unwrap().to_owned();
    let ip = std::sync::atomic::AtomicU32::new(2);
    let login = |base: &str, password: &str| {
        let n = ip.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        call(
            http.post(format!("{base}/v1/auth/login"))
                .header("x-forwarded-for", format!("198.18.{}.{}", 3 + n / 250, 1 + n % 250))
                .json(&json!({"email": email, "password": password})),
        )
    };
    let token = |reply: (u16, Value)| {
        assert_eq!(reply.0, 200, "{}", reply.1);
        reply.1["access_token"].as_str().unwrap().to_owned()
    };
    let me = |base: &str, token: &str| call(http.get(format!("{base}/v1/auth/me")).bearer_auth(token));
    let revoked = |reply: (u16, Value)| reply.0 == 401 && reply.1["code"] == "session_revoked";

    // Logout on B: the login is refused on A at once.
    let t1 = token(login(&a.base, "correct horse").await);
    assert_eq!(me(&a.base, &t1).await.0, 200);
    assert_eq!(call(http.post(format!("{}/v1/auth/logout", b.base)).bearer_auth(&t1)).await.0, 200);
    assert!(revoked(me(&a.base, &t1).await), "A still accepts a login ended on B");

    // Password change on A with one login: the login made on B ends on B, the caller's goes on.
    let mine = token(login(&a.base, "correct horse").await);
    let other = token(login(&b.base, "correct horse").await);
    let (status, body) = call(
        http.post(format!("{}/v1/auth/password", a.base))
            .bearer_auth(&mine)
            .json(&json!({"current_password": "correct horse", "new_password": "battery staple"})),
    )
    .await;
    assert_eq!((status, body["logins_ended"].as_u64()), (200, Some(1)), "{body}");
    assert!(revoked(me(&b.base, &other).await), "B still accepts a login ended by a password change on A");
    assert_eq!(me(&b.base, &mine).await.0, 200);
    assert_eq!(login(&b.base, "correct horse").await.0, 401, "the old password is gone on B too");

    // Rotation on B ends the login made on A; logout-all on A (with the new key) ends the rest.
    let other = token(login(&a.base, "battery staple").await);
    let (status, rotated) = call(http.post(format!("{}/v1/auth/keys/rotate", b.base)).bearer_auth(&mine)).await;
    assert_eq!(status, 201, "{rotated}");
    assert!(revoked(me(&a.base, &other).await), "a rotation on B leaves a login on A on");
    let new_key = rotated["key"].as_str().unwrap().to_owned();
    assert_eq!(call(http.get(format!("{}/v1/auth/me", a.base)).header("x-api-key", &key)).await.0, 401);
    let (status, _) = call(http.post(format!("{}/v1/auth/logout-all", a.base)).header("x-api-key", &new_key)).await;
    assert_eq!(status, 200);
    assert!(revoked(me(&b.base, &mine).await), "logout-all on A leaves a login on B on");

    // Fourteen wrong passwords at once, half on each node, each from its own address. The old
    // password above spent one of the ten: exactly nine are checked (401) and five refused (429);
    // then the right password is refused on both nodes.
    let guesses = (0..14).map(|i| login(if i % 2 == 0 { &a.base } else { &b.base }, "a wrong guess"));
    let statuses: Vec<u16> = futures::future::join_all(guesses).await.into_iter().map(|(s, _)| s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 9, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 5, "{statuses:?}");
    for node in [&a.base, &b.base] {
        let (status, body) = login(node, "battery staple").await;
        assert_eq!((status, body["details"]["reason"].as_str()), (429, Some("login_failures")), "{body}");
    }
    cluster.stop().await;
}

/// Two nodes matching and delivering at once (every second each): every version of a posting
/// landed produces one `job.matched` event, and the receiver gets each event exactly once (it
/// always answers 200, so no retry is due), whichever node sent it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and Redis"]
async fn two_nodes_produce_each_event_once_and_deliver_it_once() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&receiver).await;
    let Some(cluster) = Cluster::start(|_| {
        vec![
            ("JOBIN_DEMO", "1".into()),
            ("JOBIN_DEMO_LATENCY_MS", "0".into()),
            ("JOBIN_MATCH_INTERVAL", "1s".into()),
            ("JOBIN_WEBHOOK_INTERVAL", "1s".into()),
        ]
    })
    .await
    else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    let http = reqwest::Client::new();
    let key = common::register(&http, &a.base, "198.18.2.1", "hooks@example.com").await;
    common::set_plan(&cluster.vars, "hooks@example.com", "scale");
    // Keywords without a word: every posting that lands matches.
    let (status, saved) = call(
        http.post(format!("{}/v1/searches", b.base))
            .header("x-api-key", &key)
            .json(&json!({"q": "*", "webhook_url": receiver.uri()})),
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    let id = saved["data"]["id"].as_i64().unwrap();
    // Postings land through live searches on both nodes.
    for (i, q) in ["developer", "engineer", "data", "analyst", "manager", "designer"].iter().enumerate() {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let (status, body) = call(http.get(format!("{base}/v1/jobs/search?q={q}")).header("x-api-key", &key)).await;
        assert_eq!(status, 200, "{body}");
    }
    // Every event, walking the pages (on either node).
    let all_events = |base: String| {
        let (http, key) = (&http, &key);
        async move {
            let mut out: Vec<Value> = Vec::new();
            let mut before = String::new();
            loop {
                let url = format!("{base}/v1/searches/{id}/matches?limit=100{before}");
                let (status, page) = call(http.get(url).header("x-api-key", key)).await;
                assert_eq!(status, 200, "{page}");
                out.extend(page["data"].as_array().unwrap().iter().cloned());
                match page["next_before"].as_i64() {
                    Some(next) => before = format!("&before={next}"),
                    None => return out,
                }
            }
        }
    };
    // Wait until every event is delivered and nothing changes for a few seconds.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut settled = 0;
    let mut last = (0, 0);
    loop {
        let events = all_events(a.base.clone()).await.len();
        let received = receiver.received_requests().await.unwrap().len();
        settled = if (events, received) == last && events > 0 && received >= events { settled + 1 } else { 0 };
        last = (events, received);
        if settled >= 4 {
            break;
        }
        assert!(Instant::now() < deadline, "not settled within 60 s: {events} events, {received} deliveries");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (events, received) = last;
    // One event per posting and version (a posting that two searches landed merged with
    // different copies changed, and matches again: a new version, a new event).
    let mut per_version = std::collections::HashMap::new();
    for e in &all_events(b.base.clone()).await {
        let version = (
            e["data"]["job_id"].as_str().unwrap().to_owned(),
            e["data"]["job_updated_at"].as_str().unwrap().to_owned(),
        );
        *per_version.entry(version).or_insert(0) += 1;
    }
    assert!(per_version.values().all(|n| *n == 1), "one event per posting and version: {per_version:?}");
    assert_eq!(per_version.len(), events);
    let mut per_event = std::collections::HashMap::new();
    for r in receiver.received_requests().await.unwrap() {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        *per_event.entry(body["id"].as_i64().unwrap()).or_insert(0) += 1;
    }
    assert_eq!(per_event.len(), events, "every event delivered");
    assert!(per_event.values().all(|n| *n == 1), "each delivered once: {per_event:?}");
    assert_eq!(received, events);
    eprintln!("two nodes: {events} events, each delivered once");
    cluster.stop().await;
}

/// `/mcp` is stateless: a client initialized on one node calls tools on the other, and the two
/// nodes count one monthly quota for MCP and REST alike.
#[tokio::test]
#[ignore = "needs PostgreSQL and Redis"]
async fn mcp_calls_go_to_either_node_and_count_one_quota() {
    let Some(cluster) = free_quota_cluster(4).await else { return };
    let (a, b) = (&cluster.a, &cluster.b);
    let http = reqwest::Client::new();
    let key = common::register(&http, &a.base, "198.18.0.9", "mcp@example.com").await;
    let rpc = |base: &str, method: &str, params: Value| {
        call(
            http.post(format!("{base}/mcp"))
                .bearer_auth(&key)
                .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})),
        )
    };
    let init =
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}});
    let (status, r) = rpc(&a.base, "initialize", init).await;
    assert_eq!(status, 200, "{r}");
    let (status, r) = rpc(&b.base, "tools/list", json!({})).await;
    assert_eq!((status, r["result"]["tools"].as_array().map(Vec::len)), (200, Some(9)), "{r}");

    let search = |q: &str| json!({"name": "search_jobs", "arguments": {"q": q}});
    for (base, q) in [(&a.base, "python"), (&b.base, "data")] {
        let (status, r) = rpc(base, "tools/call", search(q)).await;
        assert_eq!((status, &r["result"]["isError"]), (200, &json!(false)), "{r}");
    }
    let (status, _) = call(http.get(format!("{}/v1/jobs/search?q=rust", a.base)).header("x-api-key", &key)).await;
    assert_eq!(status, 200);
    let (_, r) = rpc(&b.base, "tools/call", search("analyst")).await;
    assert_eq!(r["result"]["isError"], false, "the fourth call of four: {r}");
    let (_, r) = rpc(&a.base, "tools/call", search("engineer")).await;
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert_eq!(r["result"]["structuredContent"]["code"], "quota_exceeded");
    assert_eq!(r["result"]["structuredContent"]["used"], 4);

    // What one node saves, the other lists.
    let save =
        json!({"name": "save_application", "arguments": {"job_title": "Rust Developer", "company_name": "Acme"}});
    let (_, saved) = rpc(&a.base, "tools/call", save).await;
    let id = saved["result"]["structuredContent"]["data"]["id"].clone();
    assert!(id.is_i64(), "{saved}");
    let (_, listed) = rpc(&b.base, "tools/call", json!({"name": "list_applications", "arguments": {}})).await;
    assert_eq!(listed["result"]["structuredContent"]["data"][0]["id"], id, "{listed}");
    cluster.stop().await;
}
