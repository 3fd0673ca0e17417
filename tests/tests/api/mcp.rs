//! `/mcp` over HTTP, as an MCP client speaks it (JSON-RPC over Streamable HTTP): the API key
//! gates the endpoint; the tools are listed with their input schemas; each tool answers what its
//! REST operation answers, counts against the same quota and limits, and needs the same scopes;
//! bad arguments and unknown tools are errors an agent can act on. (The Python `mcp` client's
//! session against a live server is `make mcp-test`.)

use jobin_core::domain::{CatalogOverrides, Plan, PlanCatalog, PlanOverride};
use jobin_tests::{Reply, Setup, TestServer};
use serde_json::{Value, json};

const TOOLS: [&str; 9] = [
    "search_jobs",
    "get_job",
    "search_corpus",
    "salary_stats",
    "skill_trends",
    "market_insight",
    "list_applications",
    "save_application",
    "create_saved_search",
];

/// One JSON-RPC request to `/mcp` (`key`: the API key, if any).
async fn rpc(s: &TestServer, key: Option<&str>, method: &str, params: Value) -> Reply {
    let mut req = s
        .http
        .post(s.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
    if method != "initialize" {
        req = req.header("mcp-protocol-version", "2025-06-18");
    }
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    s.send(req).await
}

fn initialize_params() -> Value {
    json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "jobin-tests", "version": "1"}})
}

/// A tool call's result (`isError`, `structuredContent`), after checking the JSON-RPC layer.
async fn call_tool(s: &TestServer, key: &str, name: &str, args: Value) -> (bool, Value) {
    let r = rpc(s, Some(key), "tools/call", json!({"name": name, "arguments": args})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let result = &r.body["result"];
    assert!(result.is_object(), "a result, not a JSON-RPC error: {}", r.body);
    let structured = result["structuredContent"].clone();
    // The text content carries the same JSON, for clients that read text only.
    let text = result["content"][0]["text"].as_str().expect("a text content block");
    assert_eq!(serde_json::from_str::<Value>(text).unwrap(), structured);
    (result["isError"] == true, structured)
}

async fn ok(s: &TestServer, key: &str, name: &str, args: Value) -> Value {
    let (failed, v) = call_tool(s, key, name, args).await;
    assert!(!failed, "{name}: {v}");
    v
}

async fn account(s: &TestServer, plan: &str) -> (String, String) {
    let (email, key) = s.register().await;
    s.set_plan(&email, plan).await;
    (email, key)
}

async fn monthly_used(s: &TestServer, key: &str) -> u64 {
    let r = s.get_with_key("/auth/me", key).await;
    r.body["monthly_used"].as_u64().unwrap()
}

#[tokio::test]
async fn the_endpoint_needs_an_api_key() {
    let s = TestServer::start().await;
    let r = rpc(&s, None, "initialize", initialize_params()).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.body["code"], "missing_credentials");
    let r = rpc(
        &s,
        Some("jl_live_0000000000000000000000000000000000000000000000000000000000000000"),
        "tools/list",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.body["code"], "invalid_credentials");
    // A login session is not an API key.
    let (email, _) = s.register().await;
    let (session, _) = s.login(&email).await;
    let r = rpc(&s, Some(&session), "initialize", initialize_params()).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.body["code"], "api_key_required");
    s.stop().await;
}

#[tokio::test]
async fn initialize_and_list_the_tools_with_their_schemas() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let r = rpc(&s, Some(&key), "initialize", initialize_params()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("application/json"), "{:?}", r.headers);
    assert_eq!(r.body["result"]["serverInfo"]["name"], "jobin");
    assert!(r.body["result"]["capabilities"]["tools"].is_object(), "{}", r.body);
    assert!(r.body["result"]["instructions"].as_str().unwrap().contains("REST"));

    let used = monthly_used(&s, &key).await;
    let r = rpc(&s, Some(&key), "tools/list", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let tools = r.body["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, TOOLS);
    for t in tools {
        let schema = &t["inputSchema"];
        assert_eq!(schema["type"], "object", "{t}");
        assert!(!t["description"].as_str().unwrap().is_empty());
        assert!(!schema.to_string().contains("#/components/"), "self-contained: {schema}");
    }
    let by_name = |n: &str| tools.iter().find(|t| t["name"] == n).unwrap().clone();
    assert_eq!(by_name("search_jobs")["inputSchema"]["required"], json!(["q"]));
    assert_eq!(by_name("get_job")["inputSchema"]["required"], json!(["id"]));
    assert_eq!(by_name("skill_trends")["inputSchema"]["required"], json!(["q", "ai_provider", "ai_model"]));
    assert_eq!(by_name("search_jobs")["annotations"]["readOnlyHint"], true);
    assert_eq!(by_name("save_application")["annotations"]["readOnlyHint"], false);
    // The tools that take a REST body take its schema: the saved search's fields are the REST ones.
    let saved = by_name("create_saved_search")["inputSchema"].clone();
    assert_eq!(saved["required"], json!(["q"]));
    for field in ["webhook_url", "salary_min", "digest", "sources"] {
        assert!(saved["properties"][field].is_object(), "{field}: {saved}");
    }
    let salary = &by_name("save_application")["inputSchema"]["properties"]["salary"];
    let target = salary["$ref"].as_str().unwrap().trim_start_matches("#/$defs/");
    assert!(by_name("save_application")["inputSchema"]["$defs"][target].is_object(), "{salary}");
    assert_eq!(monthly_used(&s, &key).await, used, "listing the tools counts nothing");
    s.stop().await;
}

/// The REST answer's body without what changes from one call to the next.
fn steady(mut v: Value) -> Value {
    if let Some(meta) = v.get_mut("meta").and_then(Value::as_object_mut) {
        for volatile in ["cached", "cachedAt", "cachedUntil", "responseTime", "tookMs"] {
            meta.remove(volatile);
        }
    }
    if let Some(map) = v.as_object_mut() {
        map.remove("cached");
    }
    v
}

#[tokio::test]
async fn each_tool_answers_what_its_rest_operation_answers_and_counts_the_same() {
    let s = TestServer::start().await;
    let (_, key) = account(&s, "scale").await;

    // search_jobs
    let before = monthly_used(&s, &key).await;
    let tool = ok(&s, &key, "search_jobs", json!({"q": "python developer", "country": "gb"})).await;
    let rest = s.get_with_key("/v1/jobs/search?q=python+developer&country=gb", &key).await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    assert!(!tool["jobs"].as_array().unwrap().is_empty(), "{tool}");
    assert_eq!(tool["jobs"], rest.body["jobs"]);
    // One search cache: the tool's search answered the REST one.
    assert_eq!(rest.headers["x-cache"], "HIT");
    let boards = |v: &Value| -> Vec<(Value, Value)> {
        v["meta"]["sources"].as_array().unwrap().iter().map(|b| (b["name"].clone(), b["count"].clone())).collect()
    };
    assert_eq!(boards(&tool), boards(&rest.body));
    assert_eq!(monthly_used(&s, &key).await, before + 2, "a tool call counts like a REST call");
    assert!(tool["jobs"][0].get("description").is_none(), "summary only by default");
    let with = ok(&s, &key, "search_jobs", json!({"q": "python developer", "include_description": true})).await;
    assert!(with["jobs"][0]["description"].is_string(), "{}", with["jobs"][0]);

    // get_job
    let id = tool["jobs"][0]["id"].as_str().unwrap().to_owned();
    let job = ok(&s, &key, "get_job", json!({"id": id})).await;
    let rest = s.get_with_key(&format!("/v1/jobs/{id}"), &key).await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    assert_eq!(job, rest.body);
    let (failed, missing) = call_tool(&s, &key, "get_job", json!({"id": "reed:no-such-job"})).await;
    assert!(failed);
    assert_eq!((missing["code"].as_str(), missing["status"].as_u64()), (Some("job_not_found"), Some(404)));

    // search_corpus: the stored corpus (filled by the searches above), as `GET /v1/jobs` answers.
    let before = monthly_used(&s, &key).await;
    let args = json!({"q": "python developer", "facets": ["source"], "include_provenance": true});
    let tool = ok(&s, &key, "search_corpus", args).await;
    let rest = s.get_with_key("/v1/jobs?q=python+developer&facets=source&include=provenance", &key).await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    assert!(!tool["jobs"].as_array().unwrap().is_empty(), "{tool}");
    assert_eq!(tool, rest.body);
    assert!(tool["jobs"][0]["provenance"]["title"]["id"].is_string(), "{}", tool["jobs"][0]);
    assert!(tool["jobs"][0].get("description").is_none(), "summary only by default");
    let plain = ok(&s, &key, "search_corpus", json!({"q": "python developer", "include_description": true})).await;
    assert!(plain["jobs"][0].get("provenance").is_none(), "{}", plain["jobs"][0]);
    assert!(plain["jobs"][0]["description"].is_string(), "{}", plain["jobs"][0]);
    assert_eq!(monthly_used(&s, &key).await, before + 3, "a tool call counts like a REST call");

    // salary_stats, skill_trends, market_insight
    let salary = ok(&s, &key, "salary_stats", json!({"q": "python developer", "country": "gb"})).await;
    let rest = s.get_with_key("/v1/jobs/salary?q=python+developer&country=gb", &key).await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    assert_eq!(steady(salary.clone()), steady(rest.body));
    assert!(salary["median"].is_number(), "{salary}");
    let ai = json!({"q": "python developer", "country": "gb", "ai_provider": "local", "ai_model": "rules"});
    for (tool, path) in [("skill_trends", "trends"), ("market_insight", "insight")] {
        let answer = ok(&s, &key, tool, ai.clone()).await;
        let rest = s
            .send(
                s.http
                    .get(s.url(&format!("/v1/jobs/{path}?q=python+developer&country=gb")))
                    .header("x-api-key", &key)
                    .header("x-ai-provider", "local")
                    .header("x-ai-model", "rules"),
            )
            .await;
        assert_eq!(rest.status, 200, "{}", rest.text);
        assert_eq!(steady(answer), steady(rest.body), "{tool}");
    }

    // save_application, list_applications: the tracker, not the monthly quota
    let before = monthly_used(&s, &key).await;
    let saved = ok(&s, &key, "save_application", json!({"job_id": id, "notes": "via MCP", "tags": ["mcp"]})).await;
    assert_eq!(saved["data"]["job_id"], json!(id));
    assert_eq!(saved["data"]["status"], "saved");
    let rest = s.get_with_key(&format!("/v1/applications/{}", saved["data"]["id"]), &key).await;
    assert_eq!(rest.body, saved);
    let listed = ok(&s, &key, "list_applications", json!({"tag": "mcp"})).await;
    let rest = s.get_with_key("/v1/applications?tag=mcp", &key).await;
    assert_eq!(listed, rest.body);
    assert_eq!(listed["data"][0]["id"], saved["data"]["id"]);

    // create_saved_search
    let search = ok(&s, &key, "create_saved_search", json!({"q": "rust", "country": "gb"})).await;
    let rest = s.get_with_key(&format!("/v1/searches/{}", search["data"]["id"]), &key).await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    assert_eq!(rest.body["data"]["q"], "rust");
    assert_eq!(monthly_used(&s, &key).await, before, "tracker and saved-search tools are not data calls");
    s.stop().await;
}

#[tokio::test]
async fn a_key_without_the_scope_or_plan_gets_the_rest_refusal() {
    let s = TestServer::start().await;
    let (_, full) = account(&s, "free").await;
    let r = s
        .send(s.http.post(s.url("/v1/auth/keys")).header("x-api-key", &full).json(&json!({"scopes": ["jobs:read"]})))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let narrow = r.body["key"].as_str().unwrap().to_owned();

    ok(&s, &narrow, "search_jobs", json!({"q": "python"})).await;
    let (failed, e) = call_tool(&s, &narrow, "list_applications", json!({})).await;
    assert!(failed);
    assert_eq!(e["code"], "insufficient_scope");
    assert_eq!(e["status"], 403);
    assert_eq!(e["details"]["required"], "applications:read");
    let (failed, e) = call_tool(&s, &narrow, "search_jobs", json!({"q": "python", "enhance": true})).await;
    assert!(failed);
    assert_eq!((e["code"].as_str(), e["details"]["required"].as_str()), (Some("insufficient_scope"), Some("ai:use")));

    // A Free plan does not include salary statistics: the REST 403 with its upgrade link.
    let (failed, e) = call_tool(&s, &full, "salary_stats", json!({"q": "python"})).await;
    assert!(failed);
    assert_eq!(e["code"], "plan_upgrade_required");
    assert!(e["upgrade"].is_string(), "{e}");
    s.stop().await;
}

#[tokio::test]
async fn one_monthly_quota_holds_across_rest_and_mcp() {
    let mut o = CatalogOverrides::default();
    o.plans.insert(Plan::Free, PlanOverride { monthly_requests: Some(3), per_minute: Some(100), ..Default::default() });
    let catalog = PlanCatalog::document().with_overrides(&o).unwrap();
    let s = TestServer::start_with(Setup { catalog, ..Setup::default() }).await.unwrap();
    let (_, key) = s.register().await;
    assert_eq!(s.get_with_key("/v1/jobs/search?q=python", &key).await.status, 200);
    ok(&s, &key, "search_jobs", json!({"q": "python"})).await;
    ok(&s, &key, "search_jobs", json!({"q": "data"})).await;
    let (failed, e) = call_tool(&s, &key, "search_jobs", json!({"q": "rust"})).await;
    assert!(failed);
    assert_eq!((e["code"].as_str(), e["status"].as_u64()), (Some("quota_exceeded"), Some(429)));
    assert_eq!((e["limit"].as_u64(), e["used"].as_u64()), (Some(3), Some(3)), "{e}");
    assert!(e["retry_after"].as_u64().unwrap() > 0);
    assert_eq!(s.get_with_key("/v1/jobs/search?q=python", &key).await.status, 429, "one quota for both surfaces");
    s.stop().await;
}

#[tokio::test]
async fn bad_arguments_and_unknown_tools_are_errors_an_agent_can_act_on() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    for args in [json!({}), json!({"q": ["rust"]}), json!({"q": "rust", "limit": 10})] {
        let (failed, e) = call_tool(&s, &key, "search_jobs", args.clone()).await;
        assert!(failed, "{args}");
        assert_eq!((e["code"].as_str(), e["status"].as_u64()), (Some("validation_failed"), Some(400)), "{args}: {e}");
        assert!(!e["error"].as_str().unwrap().is_empty());
    }
    // The use case's own checks answer as over REST.
    let (failed, e) = call_tool(&s, &key, "search_jobs", json!({"q": "x".repeat(201)})).await;
    assert!(failed);
    let rest = s.get_with_key(&format!("/v1/jobs/search?q={}", "x".repeat(201)), &key).await;
    assert_eq!(rest.status, 400);
    assert_eq!(e["error"], rest.body["error"]);
    assert_eq!(e["details"], rest.body["details"]);

    // The envelope names the HTTP request, as over REST; the request's rate headers are the call's.
    let r = rpc(&s, Some(&key), "tools/call", json!({"name": "get_job", "arguments": {"id": "reed:none"}})).await;
    let id = r.headers["x-request-id"].to_str().unwrap();
    assert_eq!(r.body["result"]["structuredContent"]["request_id"], id, "{}", r.body);
    assert!(r.headers.contains_key("x-ratelimit-limit"), "{:?}", r.headers);
    assert_eq!(r.headers["x-plan"], "free");

    let r = rpc(&s, Some(&key), "tools/call", json!({"name": "drop_tables", "arguments": {}})).await;
    assert_eq!(r.body["error"]["code"], -32602, "{}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("search_jobs"), "lists the tools: {}", r.body);
    s.stop().await;
}

#[tokio::test]
async fn what_is_not_an_mcp_message_gets_the_envelope() {
    let s = TestServer::start().await;
    let (_, key) = s.register().await;
    let post = |body: &'static str, content_type: &'static str| {
        s.http.post(s.url("/mcp")).bearer_auth(&key).header("content-type", content_type).body(body)
    };
    let cases: [(reqwest::RequestBuilder, u16, &str); 5] = [
        (post("x", "text/plain"), 415, "unsupported_media_type"),
        (post("{bad", "application/json"), 400, "invalid_json"),
        (post("[1, 2]", "application/json"), 400, "validation_failed"),
        (post("{}", "application/json"), 400, "validation_failed"),
        (s.http.get(s.url("/mcp")).bearer_auth(&key), 405, "method_not_allowed"),
    ];
    for (req, status, code) in cases {
        let r = s.send(req).await;
        assert_eq!((r.status, r.body["code"].as_str()), (status, Some(code)), "{}", r.text);
        assert!(r.body["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{}", r.text);
        if status == 405 {
            assert_eq!(r.headers["allow"], "POST");
        }
    }
    let r = s
        .send(
            s.http
                .post(s.url("/mcp"))
                .bearer_auth(&key)
                .header("mcp-protocol-version", "1999-01-01")
                .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})),
        )
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("validation_failed")), "{}", r.text);
    assert!(r.body["error"].as_str().unwrap().contains("1999-01-01"), "names the version: {}", r.text);
    // A client that accepts JSON only (or sends no Accept) gets JSON.
    let r = s
        .send(
            s.http
                .post(s.url("/mcp"))
                .bearer_auth(&key)
                .header("accept", "application/json")
                .json(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["id"], 7);
    s.stop().await;
}
