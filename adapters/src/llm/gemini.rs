//! Google Gemini `generateContent`: `POST {base}/models/{model}:generateContent` with
//! `x-goog-api-key`; JSON answers through `responseMimeType: application/json` (the prompt gives
//! the shape; Gemini's schema dialect is not JSON Schema). Thought parts are skipped; a blocked
//! prompt or a cut-off answer is `NoAnswer`; `RetryInfo.retryDelay` is honoured.

use async_trait::async_trait;
use jobin_core::domain::AiProvider;
use jobin_core::ports::{LlmAnswer, LlmError, LlmProvider, LlmRequest};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::time::Duration;

use super::{LlmEndpoint, json_body, tokens};

pub const GEMINI_BASE_URL: &str = "https://generativelanguage.googleapis.com/v1beta";

pub struct Gemini {
    endpoint: LlmEndpoint,
}

impl Gemini {
    pub fn new(endpoint: LlmEndpoint) -> Self {
        Self { endpoint }
    }
}

/// `RetryInfo.retryDelay` ("30s", "1.5s") from a Google RPC error body.
fn retry_delay(v: &Value) -> Option<Duration> {
    v["error"]["details"].as_array()?.iter().find_map(|d| {
        let raw = d["retryDelay"].as_str()?;
        raw.trim_end_matches('s')
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
    })
}

#[async_trait]
impl LlmProvider for Gemini {
    fn provider(&self) -> AiProvider {
        AiProvider::Google
    }

    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        let body = json!({
            "systemInstruction": {"parts": [{"text": req.system}]},
            "contents": [{"role": "user", "parts": [{"text": req.user}]}],
            "generationConfig": {
                "responseMimeType": "application/json",
                "temperature": 0,
                "maxOutputTokens": req.max_tokens,
            },
        });
        let http = self
            .endpoint
            .client
            .post(format!("{}/models/{}:generateContent", self.endpoint.base_url, req.model))
            .header("x-goog-api-key", self.endpoint.api_key.expose_secret())
            .json(&body);
        let (status, retry_after, body) = self.endpoint.send(http).await?;
        if !(200..300).contains(&status) {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let raw = String::from_utf8_lossy(&body);
            let retry_after = retry_delay(&v).or(retry_after);
            return Err(match status {
                400 if raw.contains("API_KEY_INVALID") => LlmError::Unauthorized { status },
                401 | 403 => LlmError::Unauthorized { status },
                429 => LlmError::RateLimited { retry_after },
                500 | 502 | 503 | 504 => LlmError::Overloaded { status, retry_after },
                _ => LlmError::Rejected {
                    status,
                    message: self.endpoint.scrub(v["error"]["message"].as_str().unwrap_or_default()),
                },
            });
        }
        let v = json_body(&body)?;
        let Some(candidate) = v["candidates"].get(0) else {
            let reason = v["promptFeedback"]["blockReason"].as_str().unwrap_or("no candidates");
            return Err(LlmError::NoAnswer(format!("the prompt was blocked ({reason})")));
        };
        if candidate["finishReason"].as_str() == Some("MAX_TOKENS") {
            return Err(LlmError::NoAnswer("the answer was cut off at the token limit".into()));
        }
        let text: String = candidate["content"]["parts"]
            .as_array()
            .map(|parts| {
                parts
                    .iter()
                    .filter(|p| p["thought"] != json!(true))
                    .filter_map(|p| p["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("")
            })
            .unwrap_or_default();
        if text.trim().is_empty() {
            return Err(LlmError::NoAnswer("the answer was empty".into()));
        }
        Ok(LlmAnswer {
            text,
            input_tokens: tokens(v["usageMetadata"].get("promptTokenCount")),
            output_tokens: tokens(v["usageMetadata"].get("candidatesTokenCount")),
        })
    }
}
