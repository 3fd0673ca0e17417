//! Every AI endpoint end to end against each remote protocol: the server's real adapter talks to a
//! wiremock stand-in that answers like a model would (reading the postings or facts from the
//! prompt) and also invents a skill and a statistic, which the server must drop.

use jobin_adapters::llm::LocalRules;
use jobin_adapters::testing::llm::LlmProtocol;
use jobin_core::domain::{ModelCatalog, ModelOverride, ModelStatus};
use jobin_tests::{Setup, TestServer};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Reads the prompt the way the protocol carries it and answers in the protocol's envelope.
struct FakeModel(LlmProtocol);

impl FakeModel {
    fn answer(prompt: &Value) -> Value {
        if let Some(postings) = prompt["postings"].as_array() {
            let jobs: Vec<Value> = postings
                .iter()
                .map(|p| {
                    let mut skills: Vec<Value> = p["tags"].as_array().cloned().unwrap_or_default();
                    skills.push(json!("Invented Skill"));
                    json!({"id": p["id"], "skills": skills, "seniority": "senior", "remote": false})
                })
                .collect();
            json!({ "jobs": jobs })
        } else {
            let f = &prompt["facts"];
            let mut top: Vec<Value> = f["top_skills"]
                .as_array()
                .unwrap()
                .iter()
                .take(3)
                .map(|s| json!({"skill": s["skill"], "trend": "stable"}))
                .collect();
            top.push(json!({"skill": "COBOL", "trend": "rising"}));
            json!({
                "summary": format!("{} postings analysed.", f["sample_size"]),
                "topSkills": top,
                "keyFindings": [format!("{} postings analysed", f["sample_size"]), "Demand grew 987% year on year"]
            })
        }
    }
}

impl Respond for FakeModel {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let user = self.0.user_prompt(&body).unwrap();
        let text = Self::answer(&serde_json::from_str(user).unwrap()).to_string();
        let envelope = self.0.success(&text);
        ResponseTemplate::new(200).set_body_json(envelope)
    }
}

#[tokio::test]
async fn every_ai_endpoint_works_against_each_remote_protocol() {
    for proto in LlmProtocol::ALL {
        let mock = MockServer::start().await;
        Mock::given(method("POST")).respond_with(FakeModel(proto)).mount(&mock).await;
        let (provider, alias) = proto.catalog_model();
        let o =
            ModelOverride { model_id: Some("m-1".into()), status: Some(ModelStatus::Available), ..Default::default() };
        let models = ModelCatalog::document().with_overrides(&[(provider, alias.into(), o)]).unwrap();
        let s = TestServer::start_with(Setup {
            models,
            llm: Some(vec![
                Arc::new(LocalRules),
                proto.adapter(&mock.uri(), "sk-remote-test-key-0123", Duration::from_secs(5)),
            ]),
            ..Setup::default()
        })
        .await
        .unwrap();
        let (email, key) = s.register().await;
        s.set_plan(&email, "pro").await;
        let get = |path: &str| {
            s.http
                .get(s.url(path))
                .header("x-api-key", &key)
                .header("x-ai-provider", provider.as_str())
                .header("x-ai-model", alias)
        };

        let r = s.send(get("/jobs/search?q=developer&enhance=true")).await;
        assert_eq!(r.status, 200, "{proto:?}: {}", r.body);
        assert_eq!(r.body["meta"]["enhanced"], true, "{proto:?}: {}", r.body["meta"]);
        assert_eq!(
            (r.body["meta"]["aiProvider"].as_str(), r.body["meta"]["aiModel"].as_str()),
            (Some(provider.as_str()), Some("m-1"))
        );
        let jobs = r.body["jobs"].as_array().unwrap();
        assert!(jobs.iter().all(|j| j["seniority"] == "senior"), "{proto:?}");
        assert!(
            jobs.iter().all(|j| !j["skills"].as_array().unwrap().contains(&json!("Invented Skill"))),
            "{proto:?}: an invented skill got through"
        );

        let r = s.send(get("/jobs/trends?q=developer")).await;
        assert_eq!(r.status, 200, "{proto:?}: {}", r.body);
        assert_eq!(r.body["aiModel"], "m-1", "{proto:?}");
        let trends_n = r.body["sampleSize"].clone();
        assert_eq!(r.body["coverage"]["postings"], trends_n, "{proto:?}");

        let r = s.send(get("/jobs/insight?q=developer")).await;
        assert_eq!(r.status, 200, "{proto:?}: {}", r.body);
        let i = &r.body["insight"];
        let n = i["sampleSize"].as_u64().unwrap();
        assert_eq!(json!(n), trends_n, "{proto:?}: both cover the same stored postings");
        assert_eq!(i["summary"], format!("{n} postings analysed."));
        assert_eq!(
            i["keyFindings"],
            json!([format!("{n} postings analysed")]),
            "{proto:?}: the invented figure is dropped"
        );
        assert!(i["topSkills"].as_array().unwrap().iter().all(|t| t["skill"] != "COBOL"), "{proto:?}");
        assert_eq!(i["aiModel"], "m-1");
        assert!(mock.received_requests().await.unwrap().len() >= 3, "{proto:?}");
        s.stop().await;
    }
}
