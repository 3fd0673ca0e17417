//! `POST /billing/webhook` over HTTP: signed events change the plan (seen by `/auth/me` and the
//! quota stage at once), replays and forgeries change nothing, and notices reach the outbox.

use jobin_adapters::payment::sign_webhook;
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
    let reference = jobin_core::usecases::client_reference(s.account(&email).await.id);
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
    let no_redirects = no_redirects();
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

    // A missing field is named, like any invalid one.
    let r = s.send(checkout(json!({"plan": "pro", "cancel_url": "https://a.example/no"}))).await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("success_url")), "{}", r.body);

    // Cancelling changes nothing and returns to cancel_url.
    let r = s.send(checkout(json!({"plan": "pro", "success_url": "https://a.example/ok?s={CHECKOUT_SESSION_ID}", "cancel_url": "http://localhost:3000/no"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let local = |url: &Value| {
        let url = url.as_str().unwrap();
        assert!(url.starts_with("https://jobin.test/billing/local-checkout/cs_local_"), "{url}");
        on(&s, url)
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
    // A session completes once; its used link answers a page a browser can read.
    assert_eq!(no_redirects.post(format!("{url}/complete")).send().await.unwrap().status().as_u16(), 404);
    let used = no_redirects.get(&url).send().await.unwrap();
    assert_eq!(used.status().as_u16(), 404);
    assert!(used.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(used.text().await.unwrap().contains("POST /v1/billing/checkout"));
    // The server's own page may receive the redirects (loopback http is allowed).
    let done = no_redirects.get(s.url("/billing/local-done")).send().await.unwrap();
    assert_eq!(done.status().as_u16(), 200);

    // Already on this plan or higher: 409 with the portal link.
    let r = s
        .send(checkout(
            json!({"plan": "starter", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"}),
        ))
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("already_on_plan")), "{}", r.body);
    assert!(r.body["error"].as_str().unwrap().starts_with("Already on this plan or higher."), "{}", r.body);
    assert!(r.body["error"].as_str().unwrap().contains("POST /v1/billing/portal"), "{}", r.body);
    assert_eq!(r.body["portal"], "https://jobin.test/docs#/Billing/create_portal_session", "a page a browser opens");

    // The upgrade to Scale reuses the customer of the first checkout.
    let r = s
        .send(checkout(
            json!({"plan": "scale", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"}),
        ))
        .await;
    let id = r.body["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let session = s.state.billing.stand_in.as_ref().unwrap().checkout(&id).unwrap();
    assert_eq!(session.customer, Some(format!("cus_local_{}", s.account(&email).await.id.0)));
    s.stop().await;
}

/// Follows a link the server made for `https://jobin.test` on the test server instead.
fn on(s: &TestServer, url: &str) -> String {
    url.replace("https://jobin.test", &s.base)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Checkout + "Complete payment" on the local page: the account is on `plan` afterwards.
async fn buy_locally(s: &TestServer, key: &str, plan: &str) {
    let r = s
        .send(
            s.http.post(s.url("/billing/checkout")).header("x-api-key", key).json(
                &json!({"plan": plan, "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"}),
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let url = on(s, r.body["url"].as_str().unwrap());
    assert_eq!(no_redirects().post(format!("{url}/complete")).send().await.unwrap().status().as_u16(), 303);
}

#[tokio::test]
async fn the_portal_is_for_paying_accounts_and_the_local_one_drives_every_lifecycle_event() {
    let s = TestServer::start().await;
    let (email, key) = s.register().await;
    let portal = |body: Option<Value>| {
        let req = s.http.post(s.url("/billing/portal")).header("x-api-key", &key);
        match body {
            Some(b) => req.json(&b),
            None => req,
        }
    };

    // Free: 403 with the upgrade link, and the rate headers of an account request.
    let r = s.send(portal(None)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("plan_upgrade_required")), "{}", r.body);
    assert_eq!(r.body["upgrade"], "https://jobin.test/v1/pricing");
    assert_eq!(r.body["details"]["required_plan"], "starter");
    assert!(r.header("x-ratelimit-remaining").is_some());

    // A plan set by the operator (no checkout): nothing to manage.
    s.set_plan(&email, "starter").await;
    let r = s.send(portal(None)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("no_billing_customer")), "{}", r.body);
    s.set_plan(&email, "free").await;

    // Bought through (local) checkout: the portal opens; a bad return_url is a 400.
    buy_locally(&s, &key, "pro").await;
    let r = s.send(portal(Some(json!({"return_url": "http://example.com/back"})))).await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("return_url")), "{}", r.body);
    let raw = |body: &'static str| s.http.post(s.url("/billing/portal")).header("x-api-key", &key).body(body);
    assert_eq!(s.send(raw("{oops")).await.body["code"], "invalid_json");
    assert_eq!(s.send(raw(r#"{"return_url": 5}"#)).await.body["code"], "validation_failed");
    let r = s.send(portal(Some(json!({"return_url": "http://localhost:3000/account"})))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let url = r.body["url"].as_str().unwrap();
    assert!(url.starts_with("https://jobin.test/billing/local-portal/bps_local_"), "{url}");
    let url = on(&s, url);
    let page = no_redirects().get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<strong>pro</strong>") && page.contains("Switch to scale"), "{page}");
    let act = |action: &str| no_redirects().post(format!("{url}/{action}")).send();
    let me = || async { s.get_with_key("/auth/me", &key).await.body };

    // Downgrade to Starter: Salary stays open, Trends closes, at once.
    assert_eq!(act("switch-starter").await.unwrap().status().as_u16(), 303);
    assert_eq!(me().await["plan"], "starter");
    assert_eq!(s.get_with_key("/jobs/salary?q=engineer", &key).await.status, 200);
    assert_eq!(s.get_with_key("/jobs/trends?q=engineer", &key).await.status, 403);

    // A failed renewal: past due, plan kept; paying restores active.
    assert_eq!(act("fail-payment").await.unwrap().status().as_u16(), 303);
    let m = me().await;
    assert_eq!((m["plan"].as_str(), m["billing_status"].as_str()), (Some("starter"), Some("past_due")));
    assert_eq!(s.get_with_key("/jobs/salary?q=engineer", &key).await.status, 200, "the plan is kept while past due");
    assert_eq!(act("pay").await.unwrap().status().as_u16(), 303);
    assert_eq!(me().await["billing_status"], "active");

    // Unknown actions are 404s and change nothing.
    assert_eq!(act("switch-free").await.unwrap().status().as_u16(), 404);
    assert_eq!(act("refund").await.unwrap().status().as_u16(), 404);
    assert_eq!(me().await["plan"], "starter");

    // Cancel: back to Free at once, sent to the return URL; Salary closes.
    let r = act("cancel").await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.headers()["location"].to_str().unwrap()),
        (303, "http://localhost:3000/account")
    );
    let m = me().await;
    assert_eq!((m["plan"].as_str(), m["billing_status"].as_str()), (Some("free"), Some("canceled")));
    assert_eq!(s.get_with_key("/jobs/salary?q=engineer", &key).await.status, 403);
    assert_eq!(act("fail-payment").await.unwrap().status().as_u16(), 400, "no subscription left to act on");

    // Every change reached the outbox as a notice to the account.
    let outbox = std::fs::read_to_string(s.dir().join("outbox.jsonl")).unwrap();
    let subjects: Vec<String> = outbox
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        subjects,
        [
            "Your JobIn plan is now pro",
            "Your JobIn plan is now starter",
            "Your JobIn payment failed",
            "Your JobIn subscription has ended"
        ],
        "paying the overdue invoice restores the status without a plan-change notice"
    );
    s.stop().await;
}

mod stripe {
    use super::*;
    use jobin_adapters::testing::smtp::FakeSmtp;
    use jobin_adapters::testing::stripe::{checkout_session, event, form_fields, portal_session};
    use jobin_tests::{STRIPE_SECRET_KEY, Setup};
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    fn form_value(req: &Request, key: &str) -> Option<String> {
        form_fields(&req.body).remove(key)
    }

    /// A recorded event (the project's own of the same shape in a bare clone), re-addressed to our
    /// account / customer / subscription and re-dated.
    fn recorded(name: &str, id: &str, created: i64, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut e = event(name);
        e["id"] = json!(id);
        e["created"] = json!(created);
        edit(&mut e["data"]["object"]);
        serde_json::to_vec(&e).unwrap()
    }

    #[tokio::test]
    async fn with_a_stripe_key_checkout_and_portal_call_stripe_and_recorded_events_sync_the_plan() {
        let stripe = MockServer::start().await;
        let smtp = FakeSmtp::start().await;
        let session = checkout_session("cs_test_live1");
        Mock::given(method("POST"))
            .and(path("/v1/checkout/sessions"))
            .and(header("authorization", format!("Bearer {STRIPE_SECRET_KEY}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(session))
            .mount(&stripe)
            .await;
        let portal = portal_session("cus_live", "https://billing.stripe.com/p/session/test_live1");
        Mock::given(method("POST"))
            .and(path("/v1/billing_portal/sessions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(portal))
            .mount(&stripe)
            .await;
        let s = TestServer::start_with(Setup {
            stripe_base_url: Some(stripe.uri()),
            smtp_url: Some(smtp.url()),
            ..Setup::default()
        })
        .await
        .unwrap();
        let (email, key) = s.register().await;
        let account = s.account(&email).await;
        let reference = jobin_core::usecases::client_reference(account.id);
        assert!(s.state.billing.stand_in.is_none(), "a Stripe key replaces the local stand-in");

        // Checkout: Stripe's hosted URL, for our account and the Pro price.
        let r = s
            .send(s.http.post(s.url("/billing/checkout")).header("x-api-key", &key).json(&json!({
                "plan": "pro", "success_url": "https://app.example/ok?cs={CHECKOUT_SESSION_ID}", "cancel_url": "https://app.example/no"
            })))
            .await;
        assert_eq!((r.status, r.body["url"].as_str()), (200, Some("https://checkout.stripe.com/c/pay/cs_test_live1")));
        let sent = &stripe.received_requests().await.unwrap()[0];
        assert_eq!(form_value(sent, "client_reference_id"), Some(reference.clone()));
        assert_eq!(form_value(sent, "line_items[0][price]").as_deref(), Some("price_pro"));

        // Stripe's recorded checkout.session.completed, for our account: Pro at once.
        let now = chrono::Utc::now().timestamp();
        let completed = recorded("evt_checkout_session_completed.json", "evt_live_1", now - 50, |o| {
            o["client_reference_id"] = json!(reference);
            o["customer"] = json!("cus_live");
            o["subscription"] = json!("sub_live");
            o["metadata"] = json!({"plan": "pro"});
        });
        assert_eq!(post_event(&s, &completed, signed(&completed)).await.body["outcome"], "applied");
        let me = s.get_with_key("/auth/me", &key).await.body;
        assert_eq!((me["plan"].as_str(), me["billing_status"].as_str()), (Some("pro"), Some("active")));

        // The portal is Stripe's, for the customer the checkout created.
        let r = s.send(s.http.post(s.url("/billing/portal")).header("x-api-key", &key)).await;
        assert_eq!((r.status, r.body["url"].as_str()), (200, Some("https://billing.stripe.com/p/session/test_live1")));
        let sent = stripe.received_requests().await.unwrap();
        let portal_call = sent.iter().find(|r| r.url.path() == "/v1/billing_portal/sessions").unwrap();
        assert_eq!(form_value(portal_call, "customer").as_deref(), Some("cus_live"));

        // Recorded subscription update to the Scale price, payment failure, deletion.
        let updated = recorded("evt_customer_subscription_updated.json", "evt_live_2", now - 40, |o| {
            o["id"] = json!("sub_live");
            o["customer"] = json!("cus_live");
            o["items"]["data"][0]["price"]["id"] = json!("price_scale");
        });
        assert_eq!(post_event(&s, &updated, signed(&updated)).await.body["outcome"], "applied");
        assert_eq!(s.get_with_key("/auth/me", &key).await.body["plan"], "scale");
        let failed = recorded("evt_invoice_payment_failed.json", "evt_live_3", now - 30, |o| {
            o["customer"] = json!("cus_live");
            o["parent"]["subscription_details"]["subscription"] = json!("sub_live");
        });
        assert_eq!(post_event(&s, &failed, signed(&failed)).await.body["outcome"], "applied");
        let me = s.get_with_key("/auth/me", &key).await.body;
        assert_eq!((me["plan"].as_str(), me["billing_status"].as_str()), (Some("scale"), Some("past_due")));
        let deleted = recorded("evt_customer_subscription_deleted.json", "evt_live_4", now - 20, |o| {
            o["id"] = json!("sub_live");
            o["customer"] = json!("cus_live");
        });
        assert_eq!(post_event(&s, &deleted, signed(&deleted)).await.body["outcome"], "applied");
        let me = s.get_with_key("/auth/me", &key).await.body;
        assert_eq!((me["plan"].as_str(), me["billing_status"].as_str()), (Some("free"), Some("canceled")));

        // The notices went out by SMTP to the account's address.
        let mail = smtp.wait_for(4, std::time::Duration::from_secs(10)).await;
        let subjects: Vec<&str> =
            mail.iter().map(|m| m.data.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or_default()).collect();
        assert_eq!(
            subjects,
            [
                "Your JobIn plan is now pro",
                "Your JobIn plan is now scale",
                "Your JobIn payment failed",
                "Your JobIn subscription has ended"
            ]
        );
        assert!(mail.iter().all(|m| m.to == [format!("<{email}>")]));
        assert!(!s.dir().join("outbox.jsonl").exists(), "SMTP replaces the outbox");
        s.stop().await;
    }
}

#[tokio::test]
async fn a_stripe_customer_is_never_attached_to_a_second_account() {
    let s = TestServer::start().await;
    let (owner_email, _) = s.register().await;
    let (other_email, other_key) = s.register().await;
    let now = chrono::Utc::now().timestamp();
    let checkout = |id: &str, email_ref: String, sub: &str| {
        event(
            id,
            now - 10,
            "checkout.session.completed",
            json!({"id": format!("cs_{id}"), "client_reference_id": email_ref, "customer": "cus_shared",
                   "subscription": sub, "metadata": {"plan": "pro"}}),
        )
    };
    let owner_ref = jobin_core::usecases::client_reference(s.account(&owner_email).await.id);
    let first = checkout("evt_owner", owner_ref, "sub_owner");
    assert_eq!(post_event(&s, &first, signed(&first)).await.status, 200);
    // A signed checkout naming another account with the same customer: acknowledged, not applied.
    let other_ref = jobin_core::usecases::client_reference(s.account(&other_email).await.id);
    let second = checkout("evt_other", other_ref, "sub_other");
    let r = post_event(&s, &second, signed(&second)).await;
    assert_eq!(r.status, 200, "acknowledged so Stripe stops retrying: {}", r.text);
    assert_eq!(s.get_with_key("/v1/auth/me", &other_key).await.body["plan"], "free");
    let owner = s.state.billing.store.find_by_provider_ids(None, Some("cus_shared".into())).await.unwrap().unwrap();
    assert_eq!(owner.account.email.as_str(), owner_email);
    assert_eq!(s.account(&owner_email).await.plan.as_str(), "pro");
    s.stop().await;
}
