//! OpenAI chat completions, also spoken by DashScope (Qwen, compatible mode) and DeepSeek:
//! `POST {base}/chat/completions` with `Authorization: Bearer`.
//!
//! Per flavour: OpenAI gets a strict `json_schema` response format; Qwen and DeepSeek get
//! `json_object` (the prompt names JSON and shows the shape), Qwen with `enable_thinking: false`
//! and DeepSeek with thinking disabled (V4 models think by default).

use async_trait::async_trait;
use jobin_core::domain::AiProvider;
use jobin_core::ports::{LlmAnswer, LlmError, LlmProvider, LlmRequest};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{LlmEndpoint, json_body, tokens};

/// Default base URLs.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// DashScope international (Singapore). China (Beijing): `https://dashscope.aliyuncs.com/compatible-mode/v1`.
pub const QWEN_BASE_URL: &str = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1";
pub const DEEPSEEK_BASE_URL: &str = "https://api.deepseek.com";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    OpenAi,
    Qwen,
    DeepSeek,
}

pub struct OpenAiCompat {
    endpoint: LlmEndpoint,
    flavour: Flavour,
}

impl OpenAiCompat {
    pub fn new(endpoint: LlmEndpoint, flavour: Flavour) -> Self {
        Self { endpoint, flavour }
    }

    fn body(&self, req: &LlmRequest) -> Value {
        let mut body = json!({
            "model": req.model,
            "messages": [
                {"role": "system", "content": req.system},
                {"role": "user", "content": req.user},
            ],
            "temperature": 0,
            "max_tokens": req.max_tokens,
        });
        match self.flavour {
            Flavour::OpenAi => {
                body["response_format"] = json!({
                    "type": "json_schema",
                    "json_schema": {"name": req.schema_name, "strict": true, "schema": req.schema},
                });
            }
            Flavour::Qwen => {
                body["response_format"] = json!({"type": "json_object"});
                body["enable_thinking"] = json!(false);
            }
            Flavour::DeepSeek => {
                body["response_format"] = json!({"type": "json_object"});
                body["thinking"] = json!({"type": "disabled"});
            }
        }
        body
    }

    fn error(&self, status: u16, retry_after: Option<std::time::Duration>, body: &[u8]) -> LlmError {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let err = &v["error"];
        let code = err["code"].as_str().or(v["code"].as_str()).unwrap_or_default();
        let kind = err["type"].as_str().unwrap_or_default();
        let message = err["message"].as_str().or(v["message"].as_str()).unwrap_or_default();
        if code == "insufficient_quota" || kind == "insufficient_quota" || code == "Arrearage" || status == 402 {
            return LlmError::QuotaExhausted;
        }
        match status {
            401 | 403 => LlmError::Unauthorized { status },
            429 => LlmError::RateLimited { retry_after },
            500 | 502 | 503 | 504 => LlmError::Overloaded { status, retry_after },
            _ => LlmError::Rejected { status, message: self.endpoint.scrub(message) },
        }
    }
}

#[async_trait]
impl LlmProvider for OpenAiCompat {
    fn provider(&self) -> AiProvider {
        match self.flavour {
            Flavour::OpenAi => AiProvider::OpenAi,
            Flavour::Qwen => AiProvider::Qwen,
            Flavour::DeepSeek => AiProvider::DeepSeek,
        }
    }

    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        let url = format!("{}/chat/completions", self.endpoint.base_url);
        let http =
            self.endpoint.client.post(url).bearer_auth(self.endpoint.api_key.expose_secret()).json(&self.body(req));
        let (status, retry_after, body) = self.endpoint.send(http).await?;
        if !(200..300).contains(&status) {
            return Err(self.error(status, retry_after, &body));
        }
        let v = json_body(&body)?;
        let choice = v["choices"].get(0).ok_or_else(|| LlmError::InvalidResponse("no choices".into()))?;
        let message = &choice["message"];
        if message["refusal"].as_str().is_some_and(|r| !r.is_empty()) {
            return Err(LlmError::NoAnswer("the model refused".into()));
        }
        if choice["finish_reason"].as_str() == Some("length") {
            return Err(LlmError::NoAnswer("the answer was cut off at the token limit".into()));
        }
        let text = message["content"].as_str().unwrap_or_default();
        if text.trim().is_empty() {
            return Err(LlmError::NoAnswer("the answer was empty".into()));
        }
        Ok(LlmAnswer {
            text: text.to_owned(),
            input_tokens: tokens(v["usage"].get("prompt_tokens")),
            output_tokens: tokens(v["usage"].get("completion_tokens")),
        })
    }
}
