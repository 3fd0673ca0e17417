//! The document's rules (value sets, ranges, patterns) land in the served document and come from
//! the domain.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use serde_json::{Value, json};

#[test]
fn every_rule_lands_in_the_served_document() {
    // `served()` already carries the rules: apply them to the framework's own document.
    let spec = jobin_app::api_service().url_prefix(jobin_app::endpoints::API_VERSION).spec();
    let mut doc: Value = serde_json::from_str(&spec).expect("the v1 document parses");
    let missed = jobin_app::http::doc_rules::declare(&mut doc);
    assert!(missed.is_empty(), "rules naming nothing in the document: {missed:?}");
}

#[test]
fn value_sets_come_from_the_domain() {
    let doc: &Value = &serde_json::from_str(&jobin_app::openapi_json()).unwrap();
    let job = &doc["components"]["schemas"]["JobItem"]["properties"];
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Seniority"]["enum"], json!(["intern", "junior", "mid", "senior", "lead", "executive"]));
    assert_eq!(schemas["ExperienceLevel"]["enum"], json!(["entry", "mid", "senior", "lead", "executive"]));
    assert_eq!(schemas["Plan"]["enum"], json!(["free", "starter", "pro", "scale"]));
    assert_eq!(
        job["seniority"]["oneOf"],
        json!([{"$ref": "#/components/schemas/Seniority"}, {"type": "string", "nullable": true, "enum": [null]}]),
        "optional: the value set or null"
    );
    assert!(job["seniority"]["description"].is_string(), "the field keeps its description");
    let me = &schemas["MeBody"]["properties"];
    assert_eq!(me["plan"], json!({"$ref": "#/components/schemas/Plan"}), "required: the value set alone");
    let search = &doc["paths"]["/v1/jobs/search"]["get"]["parameters"];
    let q = search.as_array().unwrap().iter().find(|p| p["name"] == "q").unwrap();
    assert_eq!(q["required"], json!(true));
    assert_eq!(q["schema"]["maxLength"], json!(200));
    let list = &doc["paths"]["/v1/applications"]["get"]["parameters"];
    let status = list.as_array().unwrap().iter().find(|p| p["name"] == "status").unwrap();
    assert_eq!(status["required"], json!(false));
    assert_eq!(status["schema"]["items"], json!({"$ref": "#/components/schemas/StatusName"}));
    assert!(!serde_json::to_string(doc).unwrap().contains("x-named"), "the marker never reaches the document");
    // Every header an answer carries is documented, in its usual spelling.
    let old = &doc["paths"]["/auth/me"]["get"]["responses"]["200"]["headers"];
    for name in ["Deprecation", "Sunset", "Link", "Cache-Control", "X-Content-Type-Options", "X-Request-Id"] {
        assert_eq!(old[name]["required"], json!(true), "{name}");
    }
    let v1 = &doc["paths"]["/v1/jobs/search"]["get"]["responses"]["200"]["headers"];
    assert!(v1.get("Deprecation").is_none() && v1.get("Cache-Control").is_none());
}
