//! `/mcp`: a Model Context Protocol server for agents (README "MCP"), on the official Rust SDK's
//! Streamable HTTP transport (`rmcp`), mounted beside the REST routes.
//!
//! Stateless: each POST carries one JSON-RPC message and is answered as JSON, so any node behind a
//! load balancer answers any request (no session to pin). Every request needs an API key (the
//! REST headers; 401 in the REST envelope without one); each tool call then passes the same
//! quota stage as its REST operation (scopes, plan, monthly quota, minute limit by class) and
//! runs the same use case, answering the REST answer's JSON. Listing the tools counts nothing.

mod schema;
mod tools;

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use jobin_core::Code;
use poem::http::{HeaderValue, Method, header};
use poem::{Endpoint, Request, Response};
use poem_openapi::error::{ContentTypeError, ParseRequestPayloadError};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use std::sync::Arc;

use crate::http::context::RequestSlot;
use crate::http::error::{ApiError, current_request_id};
use crate::http::security::{Authenticated, identify};
use crate::state::AppState;

/// Where the server is mounted.
pub const PATH: &str = crate::endpoints::MCP_PATH;

/// What the server tells an agent on `initialize`.
const INSTRUCTIONS: &str = "JobIn: job postings aggregated from six boards, with salary percentiles, skill trends and \
AI market reports computed over the stored corpus, an application tracker and saved searches. Each tool answers \
what the REST operation of the same name answers (see /docs), as JSON. Errors are results with isError and the \
REST error envelope {error, code, details, status}; branch on code.";

/// The request id the envelope middleware gave this HTTP request (the tools run on the SDK's
/// tasks, where the middleware's task-local is not set).
#[derive(Debug, Clone)]
struct RequestIdSeen(String);

/// The `/mcp` endpoint: authenticates the API key, then hands the request to the SDK's transport.
pub fn endpoint(state: Arc<AppState>) -> impl Endpoint<Output = Response> {
    let server = JobInMcp { state };
    // Host and Origin checks guard servers that trust any local caller (DNS rebinding); every
    // request here carries an API key, which a rebinding page does not have, and the server
    // answers at whatever host name the operator gives it.
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .disable_allowed_hosts()
        .disable_allowed_origins();
    let service =
        StreamableHttpService::new(move || Ok(server.clone()), Arc::new(NeverSessionManager::default()), config);
    McpEndpoint { service }
}

struct McpEndpoint {
    service: StreamableHttpService<JobInMcp, NeverSessionManager>,
}

impl Endpoint for McpEndpoint {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        if req.method() != Method::POST {
            let mut resp = ApiError::new(
                Code::MethodNotAllowed,
                "The MCP endpoint takes POST: one JSON-RPC message per request, answered as JSON (no sessions or \
                 streams to GET or DELETE).",
            )
            .into_response();
            resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            return Ok(resp);
        }
        let state = req
            .data::<Arc<AppState>>()
            .cloned()
            .ok_or_else(|| ApiError::new(Code::Internal, "Application state missing."))?;
        let principal = identify(&req, &state, false).await?;
        if !crate::http::text_guard::is_json(&req) {
            let content_type = req.content_type().map(str::to_owned);
            return Err(match content_type {
                Some(content_type) => ContentTypeError::NotSupported { content_type },
                None => ContentTypeError::ExpectContentType,
            }
            .into());
        }
        // Read here (the body limit bounds it) so that a refusal can say what is wrong with it.
        let message = req.take_body().into_bytes().await?;
        req.set_body(message.clone());
        // Answers are JSON whatever the client accepts (the transport wants both types named).
        req.headers_mut().insert(header::ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
        req.extensions_mut().insert(Authenticated(principal));
        req.extensions_mut().insert(RequestIdSeen(current_request_id()));
        let http: poem::http::Request<BoxBody<Bytes, std::io::Error>> = req.into();
        let resp = self.service.handle(http).await;
        let json =
            resp.headers().get(header::CONTENT_TYPE).is_some_and(|ct| ct.as_bytes().starts_with(b"application/json"));
        if resp.status().is_client_error() && !json {
            return Err(refused_by_transport(&message, resp).await);
        }
        Ok(Response::from(
            resp.map(|body| body.map_err(|never: std::convert::Infallible| -> std::io::Error { match never {} })),
        ))
    }
}

/// A request the transport refused, in the envelope: a body that is not JSON (400
/// `invalid_json`) or not one message (400 `validation_failed`; MCP has no batches), or the
/// transport's own reason (a message that is not JSON-RPC, a protocol version it does not speak).
async fn refused_by_transport(
    message: &[u8],
    resp: poem::http::Response<BoxBody<Bytes, std::convert::Infallible>>,
) -> poem::Error {
    match serde_json::from_slice::<serde_json::Value>(message) {
        Err(e) => return ParseRequestPayloadError { reason: e.to_string() }.into(),
        Ok(v) if !v.is_object() => {
            return ApiError::new(
                Code::ValidationFailed,
                "The body must be one JSON-RPC message: an object with `jsonrpc`, `method` and, for a request, `id`.",
            )
            .into();
        }
        Ok(_) => {}
    }
    let status = resp.status();
    let reason = match resp.into_body().collect().await {
        Ok(body) => String::from_utf8_lossy(&body.to_bytes()).trim().to_owned(),
        Err(never) => match never {},
    };
    let code = if status == poem::http::StatusCode::PAYLOAD_TOO_LARGE {
        Code::PayloadTooLarge
    } else {
        Code::ValidationFailed
    };
    ApiError::new(code, format!("Not an MCP request this server serves: {reason}"))
        .with_details(serde_json::json!({"reason": reason}))
        .into()
}

/// The tools, over the application's use cases.
#[derive(Clone)]
struct JobInMcp {
    state: Arc<AppState>,
}

impl ServerHandler for JobInMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("jobin", env!("CARGO_PKG_VERSION"))
                    .with_title("JobIn")
                    .with_description("Job-market data: search, salaries, skill trends, tracker, saved searches"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::list().to_vec()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::list().iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let parts = context.extensions.get::<poem::http::request::Parts>();
        let principal = parts
            .and_then(|p| p.extensions.get::<Authenticated>())
            .map(|a| &a.0)
            .ok_or_else(|| ErrorData::internal_error("the request's credentials are missing", None))?;
        let request_id = parts.and_then(|p| p.extensions.get::<RequestIdSeen>()).map(|r| r.0.clone());
        let caller = tools::Caller {
            state: &self.state,
            principal,
            slot: parts.and_then(|p| p.extensions.get::<RequestSlot>()),
        };
        if let (Some(slot), Some(route)) = (caller.slot, tools::route(&request.name)) {
            slot.update(|s| s.operation = Some(route));
        }
        let args = serde_json::Value::Object(request.arguments.unwrap_or_default());
        let Some(answer) = tools::call(&caller, &request.name, args).await else {
            let known = tools::names().collect::<Vec<_>>().join(", ");
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`; the tools are {known}", request.name),
                None,
            ));
        };
        Ok(match answer {
            Ok(value) => CallToolResult::structured(value),
            Err(e) => CallToolResult::structured_error(envelope(&e, request_id.unwrap_or_default())),
        }
        .into())
    }
}

/// A refused or failed call as the REST error envelope, with the HTTP status REST would answer.
fn envelope(e: &ApiError, request_id: String) -> serde_json::Value {
    use poem_openapi::types::ToJSON;
    let mut body = e.body();
    body.request_id = request_id;
    let mut value = body.to_json().unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("status".into(), e.status().as_u16().into());
    }
    value
}
