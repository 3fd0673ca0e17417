//! Anthropic Messages API: `POST {base}/v1/messages` with `x-api-key` and
//! `anthropic-version: 2023-06-01`; the answer's JSON shape is enforced with
//! `output_config.format` (`json_schema`). 529 `overloaded_error` is retryable; 402
//! `billing_error` is quota.

use async_trait::async_trait;
use jobin_core::domain::AiProvider;
use jobin_core::ports::{LlmAnswer, LlmError, LlmProvider, LlmRequest};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{LlmEndpoint, json_body, tokens};

pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

pub struct Anthropic {
    endpoint: LlmEndpoint,
}

impl Anthropic {
    pub fn new(endpoint: LlmEndpoint) -> Self {
        Self { endpoint }
    }
}

#[async_trait]
impl LlmProvider for Anthropic {
    fn provider(&self) -> AiProvider {
        AiProvider::Anthropic
    }

    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        let body = json!({
            "model": req.model,
            "max_tokens": req.max_tokens,
            "system": req.system,
            "messages": [{"role": "user", "content": req.user}],
            "output_config": {"format": {"type": "json_schema", "schema": req.schema}},
        });
        let http = self
            .endpoint
            .client
            .post(format!("{}/v1/messages", self.endpoint.base_url))
            .header("x-api-key", self.endpoint.api_key.expose_secret())
            .header("anthropic-version", ANTHROPIC_VERSION)
            .json(&body);
        let (status, retry_after, body) = self.endpoint.send(http).await?;
        if !(200..300).contains(&status) {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let kind = v["error"]["type"].as_str().unwrap_or_default();
            return Err(match (status, kind) {
                (402, _) | (_, "billing_error") => LlmError::QuotaExhausted,
                (401 | 403, _) => LlmError::Unauthorized { status },
                (429, _) => LlmError::RateLimited { retry_after },
                (500 | 502 | 503 | 504 | 529, _) => LlmError::Overloaded { status, retry_after },
                _ => LlmError::Rejected {
                    status,
                    message: self.endpoint.scrub(v["error"]["message"].as_str().unwrap_or_default()),
                },
            });
        }
        let v = json_body(&body)?;
        match v["stop_reason"].as_str() {
            Some("max_tokens") => return Err(LlmError::NoAnswer("the answer was cut off at the token limit".into())),
            Some("refusal") => return Err(LlmError::NoAnswer("the model refused".into())),
            _ => {}
        }
        let blocks = v["content"].as_array().ok_or_else(|| LlmError::InvalidResponse("no content blocks".into()))?;
        let text: String = blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("");
        if text.trim().is_empty() {
            return Err(LlmError::NoAnswer("the answer was empty".into()));
        }
        Ok(LlmAnswer {
            text,
            input_tokens: tokens(v["usage"].get("input_tokens")),
            output_tokens: tokens(v["usage"].get("output_tokens")),
        })
    }
}
