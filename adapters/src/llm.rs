//! LLM providers over HTTP (reqwest), one module per protocol, plus `local`, the offline rules
//! provider. Shared here: the HTTP call, `retry-after` parsing and the key scrubbing that keeps
//! an API key out of every error and log line.
//!
//! Protocols (`../shared/reference/llm-and-stripe.md` §A): `openai_compat` serves Qwen (DashScope
//! compatible mode), OpenAI and DeepSeek; `anthropic` is the Messages API; `gemini` is
//! `generateContent`.

pub mod anthropic;
pub mod gemini;
pub mod local;
pub mod openai_compat;

use std::time::Duration;

use jobin_core::ports::LlmError;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

pub use anthropic::Anthropic;
pub use gemini::Gemini;
pub use local::LocalRules;
pub use openai_compat::{Flavour, OpenAiCompat};

/// Where a remote provider is and how to reach it.
#[derive(Clone)]
pub struct LlmEndpoint {
    /// API root without the protocol's path (e.g. `https://api.openai.com/v1`).
    pub base_url: String,
    pub api_key: SecretString,
    pub client: reqwest::Client,
}

impl LlmEndpoint {
    pub fn new(base_url: &str, api_key: SecretString, client: reqwest::Client) -> Self {
        Self { base_url: base_url.trim_end_matches('/').to_owned(), api_key, client }
    }

    /// Removes the key from upstream text (some providers echo part of a wrong key).
    pub(crate) fn scrub(&self, text: &str) -> String {
        let key = self.api_key.expose_secret();
        let cleaned = if key.len() >= 8 { text.replace(key, "[redacted]") } else { text.to_owned() };
        cleaned.chars().take(300).collect()
    }

    /// Sends `req` and returns status, `retry-after` and the body.
    pub(crate) async fn send(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<(u16, Option<Duration>, Vec<u8>), LlmError> {
        let resp = req.send().await.map_err(transport_error)?;
        let status = resp.status().as_u16();
        let retry = retry_after(resp.headers());
        let body = resp.bytes().await.map_err(transport_error)?;
        Ok((status, retry, body.to_vec()))
    }
}

/// A reqwest failure as a port error, with the URL (which may hold a key) removed.
pub(crate) fn transport_error(e: reqwest::Error) -> LlmError {
    if e.is_timeout() {
        LlmError::Timeout
    } else if e.is_decode() || e.is_body() {
        LlmError::InvalidResponse(e.without_url().to_string())
    } else {
        LlmError::Network(anyhow::Error::new(e.without_url()))
    }
}

/// `retry-after` (seconds) or `retry-after-ms`.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) =
        headers.get("retry-after-ms").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Some(Duration::from_secs_f64(ms.max(0.0) / 1000.0));
    }
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

/// The JSON body, or `InvalidResponse`.
pub(crate) fn json_body(body: &[u8]) -> Result<Value, LlmError> {
    serde_json::from_slice(body).map_err(|e| LlmError::InvalidResponse(format!("not JSON: {e}")))
}

/// A reqwest client for LLM calls: the AI budget as timeout, a product User-Agent.
pub fn llm_client(timeout: Duration) -> Result<reqwest::Client, anyhow::Error> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("JobIn/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// A token count from a JSON number.
pub(crate) fn tokens(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_u64).unwrap_or(0)
}
