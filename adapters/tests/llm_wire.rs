//! The remote LLM providers' wire protocols against wiremock (the `LlmProvider` contract, every
//! provider with the local one, is `llm_provider_contract.rs`; the wire cases every remote protocol
//! shares run per protocol in `mod contract`): auth and request shape, success, an envelope that is
//! not JSON, answers that are not JSON or violate the schema (rejected by the enhance step), 429
//! with retry-after (retried), Anthropic 529, quota exhausted (not retried), and a timeout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jobin_adapters::TokioTimer;
use jobin_adapters::testing::llm::LlmProtocol;
use jobin_core::domain::{Job, ModelCatalog, ModelOverride, ModelStatus, Plan, PlanCatalog, SourceId};
use jobin_core::ports::{LlmError, LlmProvider, LlmRequest, LlmTask};
use jobin_core::services::{AiChoice, AiGateway, Enhancer};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-0123456789abcdef";

/// What the wire tests need beyond the shared protocol support.
trait Wire {
    fn path(self) -> &'static str;
    fn auth(self) -> (&'static str, String);
    fn quota(self) -> ResponseTemplate;
    fn rate_limited(self) -> ResponseTemplate;
}

impl Wire for LlmProtocol {
    fn path(self) -> &'static str {
        match self {
            LlmProtocol::OpenAi | LlmProtocol::Qwen | LlmProtocol::DeepSeek => "/chat/completions",
            LlmProtocol::Anthropic => "/v1/messages",
            LlmProtocol::Gemini => "/models/m-1:generateContent",
        }
    }

    fn auth(self) -> (&'static str, String) {
        match self {
            LlmProtocol::OpenAi | LlmProtocol::Qwen | LlmProtocol::DeepSeek => {
                ("authorization", format!("Bearer {KEY}"))
            }
            LlmProtocol::Anthropic => ("x-api-key", KEY.to_owned()),
            LlmProtocol::Gemini => ("x-goog-api-key", KEY.to_owned()),
        }
    }

    /// The provider's quota/credit error.
    fn quota(self) -> ResponseTemplate {
        match self {
            LlmProtocol::OpenAi | LlmProtocol::Qwen => ResponseTemplate::new(429).set_body_json(json!({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}})),
            LlmProtocol::DeepSeek => ResponseTemplate::new(402).set_body_json(json!({"error": {"message": "Insufficient Balance", "type": "unknown_error", "param": null, "code": "invalid_request_error"}})),
            LlmProtocol::Anthropic => ResponseTemplate::new(402).set_body_json(json!({"type": "error", "error": {"type": "billing_error", "message": "credit balance too low"}})),
            // Gemini has no separate money error: its quota answer is a 429 (retried like a rate limit).
            LlmProtocol::Gemini => ResponseTemplate::new(403).set_body_json(json!({"error": {"code": 403, "message": "Permission denied", "status": "PERMISSION_DENIED"}})),
        }
    }

    fn rate_limited(self) -> ResponseTemplate {
        match self {
            LlmProtocol::Gemini => ResponseTemplate::new(429).set_body_json(json!({"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}]}})),
            LlmProtocol::Anthropic => ResponseTemplate::new(429).insert_header("retry-after", "1").set_body_json(json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})),
            _ => ResponseTemplate::new(429).insert_header("retry-after", "1").set_body_json(json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})),
        }
    }
}

fn request() -> LlmRequest {
    LlmRequest {
        model: "m-1".into(),
        system: "Reply with JSON".into(),
        user: "{}".into(),
        schema_name: "job_facts",
        schema: json!({"type": "object"}),
        max_tokens: 100,
        task: LlmTask::Extract(vec![]),
    }
}

async fn server(p: LlmProtocol, resp: ResponseTemplate) -> MockServer {
    let s = MockServer::start().await;
    let (name, value) = p.auth();
    Mock::given(method("POST"))
        .and(path(p.path()))
        .and(header(name, value.as_str()))
        .respond_with(resp)
        .mount(&s)
        .await;
    s
}

async fn success_returns_the_text_and_token_counts(p: LlmProtocol) {
    let s = server(p, ResponseTemplate::new(200).set_body_json(p.success(r#"{"jobs":[]}"#))).await;
    let a = p.adapter(&s.uri(), KEY, Duration::from_secs(5)).complete(&request()).await.unwrap();
    assert_eq!((a.text.as_str(), a.input_tokens, a.output_tokens), (r#"{"jobs":[]}"#, 120, 30), "{p:?}");
}

#[tokio::test]
async fn request_shapes_follow_each_protocol() {
    let checks: [(LlmProtocol, Value); 5] = [
        (
            LlmProtocol::OpenAi,
            json!({"model": "m-1", "response_format": {"type": "json_schema", "json_schema": {"name": "job_facts", "strict": true}}}),
        ),
        (
            LlmProtocol::Qwen,
            json!({"model": "m-1", "response_format": {"type": "json_object"}, "enable_thinking": false}),
        ),
        (
            LlmProtocol::DeepSeek,
            json!({"model": "m-1", "response_format": {"type": "json_object"}, "thinking": {"type": "disabled"}}),
        ),
        (
            LlmProtocol::Anthropic,
            json!({"model": "m-1", "max_tokens": 100, "system": "Reply with JSON", "output_config": {"format": {"type": "json_schema"}}}),
        ),
        (
            LlmProtocol::Gemini,
            json!({"generationConfig": {"responseMimeType": "application/json"}, "systemInstruction": {"parts": [{"text": "Reply with JSON"}]}}),
        ),
    ];
    for (p, shape) in checks {
        let s = MockServer::start().await;
        let mut m = Mock::given(method("POST")).and(path(p.path())).and(body_partial_json(shape));
        if let LlmProtocol::Anthropic = p {
            m = m.and(header("anthropic-version", "2023-06-01"));
        }
        m.respond_with(ResponseTemplate::new(200).set_body_json(p.success("{}"))).expect(1).mount(&s).await;
        p.adapter(&s.uri(), KEY, Duration::from_secs(5)).complete(&request()).await.unwrap();
    }
}

async fn an_envelope_that_is_not_json_is_invalid_response(p: LlmProtocol) {
    let s = server(p, ResponseTemplate::new(200).set_body_string("<html>gateway</html>")).await;
    let e = p.adapter(&s.uri(), KEY, Duration::from_secs(5)).complete(&request()).await.unwrap_err();
    assert!(matches!(e, LlmError::InvalidResponse(_)), "{p:?}: {e:?}");
}

async fn errors_map_to_typed_variants_without_the_key(p: LlmProtocol) {
    let s = server(p, p.rate_limited()).await;
    let e = p.adapter(&s.uri(), KEY, Duration::from_secs(5)).complete(&request()).await.unwrap_err();
    assert!(matches!(e, LlmError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(1)), "{p:?}: {e:?}");

    let s = server(p, p.quota()).await;
    let e = p.adapter(&s.uri(), KEY, Duration::from_secs(5)).complete(&request()).await.unwrap_err();
    match p {
        LlmProtocol::Gemini => assert!(matches!(e, LlmError::Unauthorized { status: 403 }), "{e:?}"),
        _ => assert!(matches!(e, LlmError::QuotaExhausted), "{p:?}: {e:?}"),
    }
    assert!(!e.retryable());

    let s =
        server(p, ResponseTemplate::new(400).set_body_json(json!({"error": {"message": format!("bad key {KEY}")}})))
            .await;
    let e = p.adapter(&s.uri(), KEY, Duration::from_secs(5)).complete(&request()).await.unwrap_err();
    assert!(!e.to_string().contains(KEY), "{p:?} leaked the key: {e}");
}

#[tokio::test]
async fn anthropic_overload_is_retryable() {
    let s = server(
        LlmProtocol::Anthropic,
        ResponseTemplate::new(529)
            .set_body_json(json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})),
    )
    .await;
    let e =
        LlmProtocol::Anthropic.adapter(&s.uri(), KEY, Duration::from_secs(5)).complete(&request()).await.unwrap_err();
    assert!(matches!(e, LlmError::Overloaded { status: 529, .. }) && e.retryable(), "{e:?}");
}

#[tokio::test]
async fn cut_off_refused_or_empty_answers_are_no_answer() {
    let cases = [
        (LlmProtocol::OpenAi, json!({"choices": [{"message": {"content": "{\"jobs\":"}, "finish_reason": "length"}]})),
        (LlmProtocol::DeepSeek, json!({"choices": [{"message": {"content": "   "}, "finish_reason": "stop"}]})),
        (LlmProtocol::Anthropic, json!({"content": [{"type": "text", "text": "{"}], "stop_reason": "max_tokens"})),
        (LlmProtocol::Gemini, json!({"promptFeedback": {"blockReason": "SAFETY"}})),
    ];
    for (p, body) in cases {
        let s = server(p, ResponseTemplate::new(200).set_body_json(body)).await;
        let e = p.adapter(&s.uri(), KEY, Duration::from_secs(5)).complete(&request()).await.unwrap_err();
        assert!(matches!(e, LlmError::NoAnswer(_)), "{p:?}: {e:?}");
    }
}

async fn a_slow_provider_times_out(p: LlmProtocol) {
    let s =
        server(p, ResponseTemplate::new(200).set_body_json(p.success("{}")).set_delay(Duration::from_secs(5))).await;
    let e = p.adapter(&s.uri(), KEY, Duration::from_millis(200)).complete(&request()).await.unwrap_err();
    assert!(matches!(e, LlmError::Timeout), "{p:?}: {e:?}");
}

/// The wire cases every remote protocol shares, run against each one's adapter (the local rules
/// provider makes no call that can fail; the port's contract, with it, is
/// `llm_provider_contract.rs`).
mod contract {
    use super::*;
    use jobin_adapters::contract_suite;
    use jobin_adapters::testing::Subject;

    contract_suite! {
        cases: [
            success_returns_the_text_and_token_counts,
            an_envelope_that_is_not_json_is_invalid_response,
            errors_map_to_typed_variants_without_the_key,
            a_slow_provider_times_out,
        ];
        openai => async { Some(Subject::new(LlmProtocol::OpenAi)) },
        qwen => async { Some(Subject::new(LlmProtocol::Qwen)) },
        deepseek => async { Some(Subject::new(LlmProtocol::DeepSeek)) },
        anthropic => async { Some(Subject::new(LlmProtocol::Anthropic)) },
        gemini => async { Some(Subject::new(LlmProtocol::Gemini)) },
    }
}

fn gateway(p: LlmProtocol, provider: Arc<dyn LlmProvider>) -> (AiGateway, jobin_core::services::Selection) {
    // Make every provider selectable (the document marks all but Qwen as coming soon).
    let (ai, alias) = p.catalog_model();
    let o = ModelOverride { model_id: Some("m-1".into()), status: Some(ModelStatus::Available), ..Default::default() };
    let models = ModelCatalog::document().with_overrides(&[(ai, alias.into(), o)]).unwrap();
    let g =
        AiGateway::new(Arc::new(models), Arc::new(PlanCatalog::document()), vec![provider], None, Arc::new(TokioTimer));
    let sel =
        g.select(Plan::Pro, &AiChoice { provider: Some(ai.as_str().into()), model: Some(alias.into()) }, true).unwrap();
    (g, sel)
}

#[tokio::test]
async fn the_gateway_retries_a_429_after_retry_after_and_never_retries_quota() {
    for p in LlmProtocol::ALL {
        let s = MockServer::start().await;
        Mock::given(method("POST")).and(path(p.path())).respond_with(p.rate_limited()).up_to_n_times(1).mount(&s).await;
        Mock::given(method("POST"))
            .and(path(p.path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(p.success("{}")))
            .mount(&s)
            .await;
        let (g, sel) = gateway(p, p.adapter(&s.uri(), KEY, Duration::from_secs(5)));
        let started = std::time::Instant::now();
        g.complete(&sel, request(), Duration::from_secs(15)).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(900), "{p:?} did not wait for retry-after");
        assert_eq!(s.received_requests().await.unwrap().len(), 2, "{p:?}");

        let s = MockServer::start().await;
        Mock::given(method("POST")).and(path(p.path())).respond_with(p.quota()).mount(&s).await;
        let (g, sel) = gateway(p, p.adapter(&s.uri(), KEY, Duration::from_secs(5)));
        assert!(g.complete(&sel, request(), Duration::from_secs(15)).await.is_err());
        assert_eq!(s.received_requests().await.unwrap().len(), 1, "{p:?} retried a quota error");
    }
}

#[tokio::test]
async fn anthropic_529_is_retried() {
    let p = LlmProtocol::Anthropic;
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(p.path()))
        .respond_with(
            ResponseTemplate::new(529).insert_header("retry-after", "0").set_body_json(
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ),
        )
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path(p.path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(p.success("{}")))
        .mount(&s)
        .await;
    let (g, sel) = gateway(p, p.adapter(&s.uri(), KEY, Duration::from_secs(5)));
    g.complete(&sel, request(), Duration::from_secs(15)).await.unwrap();
    assert_eq!(s.received_requests().await.unwrap().len(), 2);
}

fn job() -> Job {
    Job {
        id: "reed:1".into(),
        source: SourceId::Reed,
        title: "Senior Rust Engineer".into(),
        company: "Acme".into(),
        location: Default::default(),
        salary: None,
        skills: vec![],
        seniority: None,
        remote: false,
        url: "https://reed.example/1".into(),
        posted_at: None,
        valid_through: None,
        fetched_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        description: "Rust and Kubernetes".into(),
        copies: vec![],
        details: Default::default(),
        provenance: None,
    }
}

#[tokio::test]
async fn answers_that_are_not_json_or_break_the_schema_leave_search_unenhanced() {
    for p in LlmProtocol::ALL {
        for bad in [
            "Here are the skills: Rust, Kubernetes",
            r#"{"jobs":[{"id":"reed:1","skills":"Rust","seniority":"guru","remote":1}]}"#,
        ] {
            let s = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path(p.path()))
                .respond_with(ResponseTemplate::new(200).set_body_json(p.success(bad)))
                .mount(&s)
                .await;
            let (g, sel) = gateway(p, p.adapter(&s.uri(), KEY, Duration::from_secs(5)));
            let cache = Arc::new(jobin_adapters::memory::MemoryCache::new(100));
            let out = Enhancer::new(g, cache).run(vec![job()], &sel).await;
            assert!(!out.enhanced, "{p:?} accepted {bad}");
            assert_eq!(out.jobs, vec![job()]);
            assert!(out.reason.unwrap().to_string().contains("invalid answer"));
        }
        // A good answer goes through, with an invented skill dropped.
        let s = MockServer::start().await;
        let good =
            r#"{"jobs":[{"id":"reed:1","skills":["Rust","k8s","Haskell"],"seniority":"senior","remote":false}]}"#;
        Mock::given(method("POST"))
            .and(path(p.path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(p.success(good)))
            .mount(&s)
            .await;
        let (g, sel) = gateway(p, p.adapter(&s.uri(), KEY, Duration::from_secs(5)));
        let out =
            Enhancer::new(g, Arc::new(jobin_adapters::memory::MemoryCache::new(100))).run(vec![job()], &sel).await;
        assert!(out.enhanced, "{p:?}: {:?}", out.reason);
        assert_eq!(out.jobs[0].skills, vec!["Rust", "Kubernetes"]);
    }
}
