//! `POST /billing/webhook` over HTTP: signed events change the plan (seen by `/auth/me` and the
//! quota stage at once), replays and forgeries change nothing, and notices reach the outbox.

use jobin_core::domain::{Email, sign_webhook};
use jobin_tests::{STRIPE_WEBHOOK_SECRET, TestServer};
use serde_json::{Value, json};

async fn post_event(s: &TestServer, body: &[u8], signature: Option<String>) -> jobin_tests::Reply {
    let mut req = s.http.post(s.url("/billing/webhook")).header("content-type", "application/json").body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header("stripe-signature", sig);
    }
    s.send(req).await
}

fn signed(body: &[u8]) -> Option<String> {
    Some(sign_webhook(body, STRIPE_WEBHOOK_SECRET, chrono::Utc::now().timestamp()))
}

fn event(id: &str, created: i64, kind: &str, object: Value) -> Vec<u8> {
    json!({"id": id, "object": "event", "created": created, "type": kind, "data": {"object": object}})
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn signed_events_drive_the_plan_and_forgeries_change_nothing() {
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let login = s.state.store.find_login(&Email::parse(&email).unwrap()).await.unwrap().unwrap();
    let reference = jobin_core::usecases::client_reference(login.account.id);
    let now = chrono::Utc::now().timestamp();
    let checkout = event(
        "evt_c1",
        now - 30,
        "checkout.session.completed",
        json!({
            "id": "cs_1", "client_reference_id": reference, "customer": "cus_1", "subscription": "sub_1", "metadata": {"plan": "pro"}
        }),
    );

    // Forged, missing, stale signatures and a tampered body: 400, nothing changes.
    let forged = Some(sign_webhook(&checkout, "whsec_not_ours", now));
    let r = post_event(&s, &checkout, forged).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_signature")), "{}", r.body);
    assert_eq!(post_event(&s, &checkout, None).await.status, 400);
    let stale = Some(sign_webhook(&checkout, STRIPE_WEBHOOK_SECRET, now - 400));
    assert_eq!(post_event(&s, &checkout, stale).await.body["code"], "invalid_signature");
    let mut tampered = checkout.clone();
    tampered.extend_from_slice(b"\n");
    assert_eq!(post_event(&s, &tampered, signed(&checkout)).await.status, 400);
    let junk = b"{\"id\": oops";
    let r = post_event(&s, junk, signed(junk)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("validation_failed")));
    assert_eq!(s.get_with_key("/auth/me", &key).await.body["plan"], "free");

    // The real one activates Pro at once: /auth/me and the Pro-only endpoint agree.
    let r = post_event(&s, &checkout, signed(&checkout)).await;
    assert_eq!((r.status, r.body["outcome"].as_str()), (200, Some("applied")), "{}", r.body);
    let me = s.get_with_key("/auth/me", &key).await.body;
    assert_eq!((me["plan"].as_str(), me["billing_status"].as_str()), (Some("pro"), Some("active")));
    let r = s.get_with_key("/jobs/providers", &key).await;
    assert_eq!(r.header("x-plan"), Some("pro"));
    assert_eq!(r.header("x-ratelimit-limit"), Some("100000"), "the roomy test catalog's Pro limit");

    // A replay is acknowledged and changes nothing; an unknown type is acknowledged.
    let r = post_event(&s, &checkout, signed(&checkout)).await;
    assert_eq!((r.status, r.body["outcome"].as_str()), (200, Some("replayed")));
    let other = event("evt_o1", now, "customer.created", json!({"id": "cus_1"}));
    assert_eq!(post_event(&s, &other, signed(&other)).await.body["outcome"], "ignored");

    // Payment failure keeps the plan; deletion reverts to Free; an older update arriving late is stale.
    let failed = event(
        "evt_f1",
        now - 20,
        "invoice.payment_failed",
        json!({
            "id": "in_1", "customer": "cus_1", "parent": {"subscription_details": {"subscription": "sub_1"}}
        }),
    );
    assert_eq!(post_event(&s, &failed, signed(&failed)).await.body["outcome"], "applied");
    let me = s.get_with_key("/auth/me", &key).await.body;
    assert_eq!((me["plan"].as_str(), me["billing_status"].as_str()), (Some("pro"), Some("past_due")));
    let deleted = event(
        "evt_d1",
        now - 10,
        "customer.subscription.deleted",
        json!({"id": "sub_1", "customer": "cus_1", "status": "canceled"}),
    );
    assert_eq!(post_event(&s, &deleted, signed(&deleted)).await.body["outcome"], "applied");
    let late = event(
        "evt_u1",
        now - 25,
        "customer.subscription.updated",
        json!({
            "id": "sub_1", "customer": "cus_1", "status": "active", "items": {"data": [{"price": {"id": "price_scale"}}]}
        }),
    );
    assert_eq!(post_event(&s, &late, signed(&late)).await.body["outcome"], "stale");
    let me = s.get_with_key("/auth/me", &key).await.body;
    assert_eq!((me["plan"].as_str(), me["billing_status"].as_str()), (Some("free"), Some("canceled")));
    let r = s.get_with_key("/jobs/trends?q=x", &key).await;
    assert_eq!(r.status, 403, "back on Free, Pro endpoints are refused at once");

    // The notices went to the outbox, to the account's email.
    let outbox = std::fs::read_to_string(s.dir().join("outbox.jsonl")).unwrap();
    let sent: Vec<Value> = outbox.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let subjects: Vec<&str> = sent.iter().map(|n| n["subject"].as_str().unwrap()).collect();
    assert_eq!(
        subjects,
        ["Your JobIn plan is now pro", "Your JobIn payment failed", "Your JobIn subscription has ended"]
    );
    assert!(sent.iter().all(|n| n["to"] == email.as_str()));
    s.stop().await;
}

#[tokio::test]
async fn the_offline_checkout_runs_the_whole_lifecycle_through_the_webhook_code() {
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let no_redirects =
        reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let checkout = |body: Value| s.http.post(s.url("/billing/checkout")).header("x-api-key", &key).json(&body);

    // Bad input: 400 naming the field; nothing is created.
    let r = s
        .send(checkout(
            json!({"plan": "free", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"}),
        ))
        .await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("plan")), "{}", r.body);
    let r = s
        .send(checkout(
            json!({"plan": "pro", "success_url": "http://a.example/ok", "cancel_url": "https://a.example/no"}),
        ))
        .await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("success_url")));
    let r = s
        .send(checkout(
            json!({"plan": "pro", "success_url": "https://a.example/ok", "cancel_url": "http://localhost.evil.com/"}),
        ))
        .await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("cancel_url")));

    // Cancelling changes nothing and returns to cancel_url.
    let r = s.send(checkout(json!({"plan": "pro", "success_url": "https://a.example/ok?s={CHECKOUT_SESSION_ID}", "cancel_url": "http://localhost:3000/no"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let local = |url: &Value| {
        let url = url.as_str().unwrap();
        assert!(url.starts_with("https://jobin.test/billing/local-checkout/cs_local_"), "{url}");
        url.replace("https://jobin.test", &s.base)
    };
    let url = local(&r.body["url"]);
    let page = no_redirects.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<strong>pro</strong>"));
    let r = no_redirects.post(format!("{url}/cancel")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "http://localhost:3000/no"));
    assert_eq!(s.get_with_key("/auth/me", &key).await.body["plan"], "free");

    // Completing activates the plan through the signed webhook path.
    let r = s.send(checkout(json!({"plan": "pro", "success_url": "https://a.example/ok?s={CHECKOUT_SESSION_ID}", "cancel_url": "https://a.example/no"}))).await;
    let url = local(&r.body["url"]);
    let id = url.rsplit('/').next().unwrap().to_owned();
    let r = no_redirects.post(format!("{url}/complete")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"].to_str().unwrap(), format!("https://a.example/ok?s={id}"));
    let me = s.get_with_key("/auth/me", &key).await.body;
    assert_eq!((me["plan"].as_str(), me["billing_status"].as_str()), (Some("pro"), Some("active")));
    assert_eq!(
        s.get_with_key("/jobs/trends?q=x", &key).await.status,
        400,
        "Pro endpoints open at once (the AI headers are missing)"
    );
    // A session completes once.
    assert_eq!(no_redirects.post(format!("{url}/complete")).send().await.unwrap().status().as_u16(), 404);

    // Already on this plan or higher: 409 with the portal link.
    let r = s
        .send(checkout(
            json!({"plan": "starter", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"}),
        ))
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("already_on_plan")), "{}", r.body);
    assert_eq!(r.body["error"], "Already on this plan or higher.");
    assert_eq!(r.body["portal"], "https://jobin.test/billing/portal");

    // The upgrade to Scale reuses the customer of the first checkout.
    let r = s
        .send(checkout(
            json!({"plan": "scale", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"}),
        ))
        .await;
    let id = r.body["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let session = s.state.local_checkout.as_ref().unwrap().session(&id).unwrap();
    let login = s.state.store.find_login(&Email::parse(&email).unwrap()).await.unwrap().unwrap();
    assert_eq!(session.customer, Some(format!("cus_local_{}", login.account.id.0)));
    s.stop().await;
}
