//! The `LlmProvider` contract, run against every provider: the built-in `local` rules and each
//! remote protocol's adapter (its "model" a wiremock server on loopback). Whoever writes the answer,
//! a completion names its provider and answers each task — skills for a batch of postings, a market
//! report over facts, a fit score — with JSON text of the task's shape: a remote adapter returns
//! the text its model wrote, as written; the local provider writes it from the facts, the same for
//! the same request. The remote protocols' wire details (auth, errors, timeouts) are
//! `llm_wire.rs`'s.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use jobin_adapters::contract_suite;
use jobin_adapters::llm::LocalRules;
use jobin_adapters::testing::Subject;
use jobin_adapters::testing::llm::LlmProtocol;
use jobin_core::domain::AiProvider;
use jobin_core::domain::grounded::{FitFacts, InsightFacts, SkillFact};
use jobin_core::ports::{ExtractItem, LlmProvider, LlmRequest, LlmTask};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A provider under test: the local rules, or a remote protocol whose model is a local server.
#[derive(Clone)]
enum Provider {
    Local,
    Remote(LlmProtocol, Arc<MockServer>),
}

impl Provider {
    async fn remote(p: LlmProtocol) -> Option<Subject<Provider>> {
        Some(Subject::new(Provider::Remote(p, Arc::new(MockServer::start().await))))
    }

    fn expected(&self) -> AiProvider {
        match self {
            Provider::Local => AiProvider::Local,
            Provider::Remote(p, _) => p.catalog_model().0,
        }
    }

    /// The adapter, its model answering `written` to every request (a local provider writes its
    /// own answer), and what the answer must then be: `Some(written)` for a remote one.
    async fn answering(&self, written: &Value) -> (Arc<dyn LlmProvider>, Option<String>) {
        match self {
            Provider::Local => (Arc::new(LocalRules), None),
            Provider::Remote(p, server) => {
                server.reset().await;
                let text = written.to_string();
                Mock::given(method("POST"))
                    .respond_with(ResponseTemplate::new(200).set_body_json(p.success(&text)))
                    .mount(server)
                    .await;
                (p.adapter(&server.uri(), "sk-contract-test", Duration::from_secs(5)), Some(text))
            }
        }
    }
}

fn request(task: LlmTask) -> LlmRequest {
    LlmRequest {
        model: "m-1".into(),
        system: "Reply with JSON".into(),
        user: "{}".into(),
        schema_name: "contract",
        schema: json!({"type": "object"}),
        max_tokens: 400,
        task,
    }
}

/// One completion of `task`, its model writing `written`: the text, checked against what a
/// remote adapter must return, parsed.
async fn answer(p: &Provider, task: LlmTask, written: Value) -> Value {
    let (adapter, must_be) = p.answering(&written).await;
    let a = adapter.complete(&request(task.clone())).await.unwrap();
    if let Some(text) = must_be {
        assert_eq!(a.text, text, "a remote adapter returns the text as its model wrote it");
    } else {
        let again = adapter.complete(&request(task)).await.unwrap();
        assert_eq!(again.text, a.text, "the local provider answers the same request alike");
    }
    serde_json::from_str(&a.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", a.text))
}

fn item(id: &str, title: &str, text: &str) -> ExtractItem {
    ExtractItem { id: id.into(), title: title.into(), text: text.into(), tags: vec![] }
}

async fn names_its_provider(p: Provider) {
    let (adapter, _) = p.answering(&json!({})).await;
    assert_eq!(adapter.provider(), p.expected());
}

async fn an_extraction_answers_every_posting_by_id(p: Provider) {
    let items = vec![
        item("reed:1", "Senior Rust Engineer", "Rust and Kubernetes, fully remote."),
        item("adzuna:2", "Data Analyst", "SQL and Python in our Leeds office."),
    ];
    let written = json!({"jobs": [
        {"id": "reed:1", "skills": ["Rust", "Kubernetes"], "seniority": "senior", "remote": true},
        {"id": "adzuna:2", "skills": ["SQL", "Python"], "seniority": null, "remote": false},
    ]});
    let v = answer(&p, LlmTask::Extract(items), written).await;
    let jobs = v["jobs"].as_array().expect("jobs");
    let mut ids: Vec<&str> = jobs.iter().map(|j| j["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["adzuna:2", "reed:1"], "each posting once, by its id");
    for j in jobs {
        assert!(j["skills"].as_array().is_some_and(|s| s.iter().all(Value::is_string)), "{j}");
        assert!(j["remote"].is_boolean(), "{j}");
    }
    let rust = jobs.iter().find(|j| j["id"] == "reed:1").unwrap();
    assert!(rust["skills"].as_array().unwrap().iter().any(|s| s == "Rust"), "{rust}");
}

async fn a_market_report_answers_a_summary_skills_and_findings(p: Provider) {
    let skill =
        |s: &str, newer, older| SkillFact { skill: s.into(), count: 12, share_newer: newer, share_older: older };
    let facts = InsightFacts {
        query: "rust developer".into(),
        location: Some("London".into()),
        country: "GB".into(),
        sample_size: 40,
        currency: "GBP".into(),
        salary: Some((60_000.0, 70_000.0, 85_000.0)),
        salary_sample_size: 22,
        remote_ratio: 0.4,
        top_skills: vec![skill("Rust", 0.6, 0.4), skill("Kubernetes", 0.3, 0.3)],
        seniority: vec![("senior".into(), 18)],
        data_quality: "medium".into(),
    };
    let written = json!({
        "summary": "Rust hiring in London is growing.",
        "topSkills": [{"skill": "Rust", "trend": "rising"}, {"skill": "Kubernetes", "trend": "stable"}],
        "keyFindings": ["40% of postings are remote."]
    });
    let v = answer(&p, LlmTask::Insight(facts), written).await;
    assert!(v["summary"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
    let top = v["topSkills"].as_array().expect("topSkills");
    assert!(top.iter().all(|t| t["skill"].is_string() && t["trend"].is_string()), "{v}");
    assert!(top.iter().any(|t| t["skill"] == "Rust"), "a skill of the facts: {v}");
    assert!(v["keyFindings"].as_array().is_some_and(|f| f.iter().all(Value::is_string)), "{v}");
}

async fn a_fit_answers_a_score_and_reasons(p: Provider) {
    let facts = FitFacts {
        title: "Senior Rust Engineer".into(),
        company: "Acme".into(),
        posting_skills: vec!["Rust".into(), "Kubernetes".into()],
        matched_skills: vec!["Rust".into()],
        missing_skills: vec!["Kubernetes".into()],
        profile_skill_count: 3,
        posting_seniority: Some("senior".into()),
        profile_seniority: Some("senior".into()),
        seniority_gap: Some(0),
        posting_location: Some("London".into()),
        posting_remote: false,
        profile_locations: vec!["London".into()],
        profile_remote: None,
        location_match: Some(true),
        excerpt: "Rust and Kubernetes".into(),
    };
    let written = json!({"score": 70, "reasons": ["The profile has Rust.", "Same level."]});
    let v = answer(&p, LlmTask::Fit(facts), written).await;
    let score = v["score"].as_u64().expect("an integer score");
    assert!(score <= 100, "{v}");
    let reasons = v["reasons"].as_array().expect("reasons");
    assert!(!reasons.is_empty() && reasons.iter().all(Value::is_string), "{v}");
}

contract_suite! {
    cases: [
        names_its_provider,
        an_extraction_answers_every_posting_by_id,
        a_market_report_answers_a_summary_skills_and_findings,
        a_fit_answers_a_score_and_reasons,
    ];
    local => async { Some(Subject::new(Provider::Local)) },
    openai => Provider::remote(LlmProtocol::OpenAi),
    qwen => Provider::remote(LlmProtocol::Qwen),
    deepseek => Provider::remote(LlmProtocol::DeepSeek),
    anthropic => Provider::remote(LlmProtocol::Anthropic),
    gemini => Provider::remote(LlmProtocol::Gemini),
}
