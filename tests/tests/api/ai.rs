//! AI and analytics over HTTP: plan gating of every gated endpoint (403 with `upgrade`), the AI
//! headers (required, unknown, coming soon, tier, unconfigured), the local provider end to end,
//! degrading on timeout, and caching per model.

use async_trait::async_trait;
use jobin_adapters::llm::LocalRules;
use jobin_core::domain::AiProvider;
use jobin_core::ports::{LlmAnswer, LlmError, LlmProvider, LlmRequest};
use jobin_tests::{Setup, TestServer};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Answers like `local` but as Qwen, counting calls, after `delay`.
struct FakeQwen {
    calls: AtomicUsize,
    delay: Duration,
}

#[async_trait]
impl LlmProvider for FakeQwen {
    fn provider(&self) -> AiProvider {
        AiProvider::Qwen
    }
    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        LocalRules.complete(req).await
    }
}

async fn server(qwen: Option<Arc<FakeQwen>>, budget: Duration) -> TestServer {
    let mut llm: Vec<Arc<dyn LlmProvider>> = vec![Arc::new(LocalRules)];
    if let Some(q) = qwen {
        llm.push(q);
    }
    TestServer::start_with(Setup { llm: Some(llm), ai_budget: budget, ..Setup::default() }).await.unwrap()
}

async fn account(s: &TestServer, plan: &str) -> String {
    let (email, key) = s.register().await;
    s.set_plan(&email, plan).await;
    key
}

async fn get_ai(s: &TestServer, path: &str, key: &str, provider: &str, model: &str) -> jobin_tests::Reply {
    s.send(
        s.http.get(s.url(path)).header("x-api-key", key).header("x-ai-provider", provider).header("x-ai-model", model),
    )
    .await
}

#[tokio::test]
async fn every_gated_endpoint_answers_403_with_upgrade_below_its_plan() {
    let s = server(None, Duration::from_secs(15)).await;
    let free = account(&s, "free").await;
    let starter = account(&s, "starter").await;
    let pro = account(&s, "pro").await;
    // The Quick Reference: salary Starter+, trends and insight Pro+; search and providers Free+.
    for (key, path, want) in [
        (&free, "/jobs/salary?q=engineer", 403),
        (&free, "/jobs/trends?q=engineer", 403),
        (&free, "/jobs/insight?q=engineer", 403),
        (&starter, "/jobs/trends?q=engineer", 403),
        (&starter, "/jobs/insight?q=engineer", 403),
        (&free, "/jobs/search?q=engineer", 200),
        (&free, "/jobs/providers", 200),
        (&starter, "/jobs/salary?q=engineer", 200),
        (&pro, "/jobs/trends?q=engineer", 200),
        (&pro, "/jobs/insight?q=engineer", 200),
    ] {
        let r = get_ai(&s, path, key, "local", "rules").await;
        assert_eq!(r.status, want, "{path}: {}", r.body);
        if want == 403 {
            assert_eq!(r.body["code"], "plan_upgrade_required", "{path}");
            assert_eq!(r.body["upgrade"], "https://jobin.test/v1/pricing", "{path}");
            assert!(r.header("x-ratelimit-limit").is_some() && r.header("x-plan").is_some(), "{path}");
        }
    }
    // enhance=true is Pro+: Starter has no AI tier.
    let r = s.get_with_key("/jobs/search?q=engineer&enhance=true", &starter).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("plan_upgrade_required")), "{}", r.body);
    assert_eq!(r.body["upgrade"], "https://jobin.test/v1/pricing");
}

#[tokio::test]
async fn ai_headers_are_required_validated_and_tier_gated() {
    let s = server(None, Duration::from_secs(15)).await;
    let pro = account(&s, "pro").await;
    let r = s.get_with_key("/jobs/trends?q=engineer", &pro).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("validation_failed")));
    assert_eq!(r.body["details"]["field"], "X-AI-Provider");
    let r = s
        .send(s.http.get(s.url("/jobs/insight?q=engineer")).header("x-api-key", &pro).header("x-ai-provider", "qwen"))
        .await;
    assert_eq!(r.body["details"]["field"], "X-AI-Model", "{}", r.body);

    let r = get_ai(&s, "/jobs/trends?q=engineer", &pro, "mistral", "large").await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("unknown_ai_provider")));
    assert!(r.body["details"]["valid"].as_array().unwrap().contains(&Value::from("qwen")));
    let r = get_ai(&s, "/jobs/trends?q=engineer", &pro, "qwen", "max").await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("unknown_ai_model")));
    assert_eq!(r.body["details"]["valid"], serde_json::json!(["turbo", "plus"]));
    let r = get_ai(&s, "/jobs/insight?q=engineer", &pro, "anthropic", "sonnet").await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("ai_model_coming_soon")));
    // Qwen is available in the catalog but this server has no key for it.
    let r = get_ai(&s, "/jobs/insight?q=engineer", &pro, "qwen", "turbo").await;
    assert_eq!((r.status, r.body["code"].as_str()), (503, Some("ai_provider_unconfigured")), "{}", r.body);
    // Bad query parameters are still 400s with the field.
    let r = get_ai(&s, "/jobs/insight?q=%20", &pro, "local", "rules").await;
    assert_eq!((r.status, r.body["details"]["field"].as_str()), (400, Some("q")));

    // Tier: with Pro limited to lite models, qwen-plus (flagship) needs Scale.
    let mut o = jobin_core::domain::CatalogOverrides::default();
    o.plans.insert(
        jobin_core::domain::Plan::Pro,
        jobin_core::domain::PlanOverride {
            ai_tiers: Some(vec![jobin_core::domain::AiTier::Lite]),
            ..Default::default()
        },
    );
    let catalog = jobin_tests::roomy_catalog().with_overrides(&o).unwrap();
    let qwen = Arc::new(FakeQwen { calls: AtomicUsize::new(0), delay: Duration::ZERO });
    let s = TestServer::start_with(Setup { catalog, llm: Some(vec![Arc::new(LocalRules), qwen]), ..Setup::default() })
        .await
        .unwrap();
    let pro = account(&s, "pro").await;
    let r = get_ai(&s, "/jobs/insight?q=engineer", &pro, "qwen", "qwen-plus").await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("plan_upgrade_required")), "{}", r.body);
    assert_eq!(r.body["details"]["required_plan"], "scale");
    assert_eq!(r.body["upgrade"], "https://jobin.test/v1/pricing");
    let r = get_ai(&s, "/jobs/insight?q=engineer", &pro, "qwen", "turbo").await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn providers_list_live_status_and_the_plans_models() {
    let qwen = Arc::new(FakeQwen { calls: AtomicUsize::new(0), delay: Duration::ZERO });
    let s = server(Some(qwen), Duration::from_secs(15)).await;
    let pro = account(&s, "pro").await;
    let r = s.get_with_key("/jobs/providers", &pro).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["plan"], "pro");
    assert_eq!(r.body["defaultProvider"], "qwen");
    let q = &r.body["available"][0];
    assert_eq!((q["provider"].as_str(), q["status"].as_str()), (Some("qwen"), Some("available")));
    let aliases: Vec<&str> = q["models"].as_array().unwrap().iter().map(|m| m["alias"].as_str().unwrap()).collect();
    assert_eq!(aliases, ["turbo", "plus"]);
    assert_eq!(q["models"][0]["tier"], "lite");
    let anthropic = &r.body["available"][1];
    assert_eq!((anthropic["status"].as_str(), anthropic["models"].as_array().unwrap().len()), (Some("coming_soon"), 0));
    let local = r.body["available"].as_array().unwrap().iter().find(|p| p["provider"] == "local").unwrap();
    assert_eq!(local["status"], "available");

    // Free: no AI tier in the document's plan table, so no models, but the statuses still show.
    let free = account(&s, "free").await;
    let r = s.get_with_key("/jobs/providers", &free).await;
    assert_eq!(r.body["available"][0]["models"], serde_json::json!([]));
}

#[tokio::test]
async fn salary_trends_and_insight_work_offline_with_the_local_provider() {
    let s = server(None, Duration::from_secs(15)).await;
    let pro = account(&s, "pro").await;
    let r = s.get_with_key("/jobs/salary?q=engineer&country=gb", &pro).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert_eq!(b["currency"], "GBP");
    let n = b["sampleSize"].as_u64().unwrap();
    assert!(n > 0, "{b}");
    let (p25, median, p75) = (b["p25"].as_f64().unwrap(), b["median"].as_f64().unwrap(), b["p75"].as_f64().unwrap());
    assert!(b["min"].as_f64().unwrap() <= p25 && p25 <= median && median <= p75 && p75 <= b["max"].as_f64().unwrap());
    let in_histogram: u64 = b["histogram"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(in_histogram, n);
    let ex = &b["excluded"];
    let other: u64 = ex["otherCurrency"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(
        n + ex["withoutSalary"].as_u64().unwrap() + other + ex["implausible"].as_u64().unwrap(),
        b["postings"].as_u64().unwrap()
    );
    assert_eq!(r.header("x-cache"), Some("MISS"));
    assert_eq!(s.get_with_key("/jobs/salary?q=engineer&country=gb", &pro).await.header("x-cache"), Some("HIT"));

    // Nothing matches: explicit nulls and a note, never zeros that look real.
    let r = s.get_with_key("/jobs/salary?q=zzqxv", &pro).await;
    assert_eq!(r.status, 200);
    assert_eq!((r.body["sampleSize"].as_u64(), r.body["median"].is_null()), (Some(0), true), "{}", r.body);
    assert!(r.body["note"].as_str().unwrap().contains("no figures"));

    let r = get_ai(&s, "/jobs/trends?q=engineer", &pro, "local", "rules").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["aiProvider"].as_str(), r.body["aiModel"].as_str()), (Some("local"), Some("local-rules")));
    let n = r.body["sampleSize"].as_u64().unwrap();
    let sen = r.body["seniority"].as_object().unwrap();
    assert_eq!(sen.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), n);
    let top = r.body["topSkills"].as_array().unwrap();
    assert!(!top.is_empty());
    for t in top {
        assert!(t["count"].as_u64().unwrap() <= n);
    }

    let r = get_ai(&s, "/jobs/insight?q=engineer&location=London", &pro, "local", "rules").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let i = &r.body["insight"];
    assert!(i["summary"].as_str().unwrap().contains("postings"), "{i}");
    assert_eq!(i["aiProvider"], "local");
    assert!(["none", "low", "medium", "high"].contains(&i["dataQuality"].as_str().unwrap()));
    assert_eq!(r.body["location"], "London");
}

#[tokio::test]
async fn a_slow_model_degrades_search_and_makes_insight_a_503_with_retry_after() {
    let qwen = Arc::new(FakeQwen { calls: AtomicUsize::new(0), delay: Duration::from_secs(30) });
    let s = server(Some(qwen), Duration::from_millis(300)).await;
    let pro = account(&s, "pro").await;
    let r = get_ai(&s, "/jobs/search?q=engineer&enhance=true", &pro, "qwen", "turbo").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["meta"]["enhanced"], false);
    assert_eq!(r.body["meta"]["aiProvider"], "qwen");
    assert!(r.body["meta"]["enhanceReason"].as_str().unwrap().starts_with("ai_timeout"), "{}", r.body["meta"]);
    assert!(!r.body["jobs"].as_array().unwrap().is_empty());

    let r = get_ai(&s, "/jobs/insight?q=engineer", &pro, "qwen", "turbo").await;
    assert_eq!((r.status, r.body["code"].as_str()), (503, Some("ai_timeout")), "{}", r.body);
    assert_eq!(r.header("retry-after"), Some("30"));
    // Recent failures show on the providers list.
    let r = s.get_with_key("/jobs/providers", &pro).await;
    assert_eq!(r.body["available"][0]["status"], "degraded");
}

#[tokio::test]
async fn answers_are_cached_per_model_and_a_repeated_enhanced_search_costs_no_ai_call() {
    let qwen = Arc::new(FakeQwen { calls: AtomicUsize::new(0), delay: Duration::ZERO });
    let s = server(Some(qwen.clone()), Duration::from_secs(15)).await;
    let pro = account(&s, "pro").await;
    let calls = || qwen.calls.load(Ordering::SeqCst);

    let r = get_ai(&s, "/jobs/insight?q=engineer", &pro, "qwen", "turbo").await;
    assert_eq!((r.status, r.header("x-cache")), (200, Some("MISS")), "{}", r.body);
    assert_eq!(r.body["insight"]["aiModel"], "qwen-turbo");
    assert_eq!(calls(), 1);
    let r = get_ai(&s, "/jobs/insight?q=engineer", &pro, "qwen", "qwen-turbo").await;
    assert_eq!(r.header("x-cache"), Some("HIT"), "alias and full id are the same model");
    assert_eq!(calls(), 1);
    let r = get_ai(&s, "/jobs/insight?q=engineer", &pro, "qwen", "plus").await;
    assert_eq!((r.header("x-cache"), r.body["insight"]["aiModel"].as_str()), (Some("MISS"), Some("qwen-plus")));
    assert_eq!(calls(), 2);

    let r = get_ai(&s, "/jobs/search?q=developer&enhance=true", &pro, "qwen", "turbo").await;
    assert_eq!(r.body["meta"]["enhanced"], true, "{}", r.body["meta"]);
    assert_eq!(r.body["meta"]["aiModel"], "qwen-turbo");
    let first = calls();
    assert!(first > 2, "the first enhanced search asks the model");
    let again = get_ai(&s, "/jobs/search?q=developer&enhance=true", &pro, "qwen", "turbo").await;
    assert_eq!(calls(), first, "a repeated enhanced search makes no AI call");
    assert_eq!(again.body["jobs"], r.body["jobs"]);
    // Trends are our counts over the stored corpus: the model keys the cache, it is not called.
    let t = get_ai(&s, "/jobs/trends?q=developer", &pro, "qwen", "turbo").await;
    assert_eq!((t.status, t.body["aiModel"].as_str()), (200, Some("qwen-turbo")), "{}", t.body);
    assert_eq!(calls(), first);
    assert_eq!(get_ai(&s, "/jobs/trends?q=developer", &pro, "qwen", "turbo").await.header("x-cache"), Some("HIT"));
    // Another model is another cache entry, with the same figures.
    let other = get_ai(&s, "/jobs/trends?q=developer", &pro, "qwen", "plus").await;
    assert_eq!((other.header("x-cache"), other.body["aiModel"].as_str()), (Some("MISS"), Some("qwen-plus")));
    assert_eq!(
        (other.body["topSkills"].clone(), other.body["sampleSize"].clone()),
        (t.body["topSkills"].clone(), t.body["sampleSize"].clone())
    );
    assert_eq!(calls(), first);
}
