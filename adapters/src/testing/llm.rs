//! The five remote LLM protocols as tests meet them: the adapter for each, its catalog model, and
//! the envelopes a provider answers with.

use jobin_core::domain::AiProvider;
use jobin_core::ports::LlmProvider;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

use crate::llm::{Anthropic, Flavour, Gemini, LlmEndpoint, OpenAiCompat, llm_client};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LlmProtocol {
    OpenAi,
    Qwen,
    DeepSeek,
    Anthropic,
    Gemini,
}

impl LlmProtocol {
    pub const ALL: [LlmProtocol; 5] =
        [LlmProtocol::OpenAi, LlmProtocol::Qwen, LlmProtocol::DeepSeek, LlmProtocol::Anthropic, LlmProtocol::Gemini];

    /// The catalog provider and lite-model alias this protocol serves.
    pub fn catalog_model(self) -> (AiProvider, &'static str) {
        match self {
            LlmProtocol::OpenAi => (AiProvider::OpenAi, "gpt-4o-mini"),
            LlmProtocol::Qwen => (AiProvider::Qwen, "turbo"),
            LlmProtocol::DeepSeek => (AiProvider::DeepSeek, "chat"),
            LlmProtocol::Anthropic => (AiProvider::Anthropic, "haiku"),
            LlmProtocol::Gemini => (AiProvider::Google, "flash"),
        }
    }

    /// The real adapter for this protocol, pointed at `base` with `key`.
    pub fn adapter(self, base: &str, key: &str, timeout: Duration) -> Arc<dyn LlmProvider> {
        #[allow(clippy::expect_used)] // test support: a client that cannot be built should panic
        let client = llm_client(timeout).expect("LLM HTTP client");
        let ep = LlmEndpoint::new(base, key.to_owned().into(), client);
        match self {
            LlmProtocol::OpenAi => Arc::new(OpenAiCompat::new(ep, Flavour::OpenAi)),
            LlmProtocol::Qwen => Arc::new(OpenAiCompat::new(ep, Flavour::Qwen)),
            LlmProtocol::DeepSeek => Arc::new(OpenAiCompat::new(ep, Flavour::DeepSeek)),
            LlmProtocol::Anthropic => Arc::new(Anthropic::new(ep)),
            LlmProtocol::Gemini => Arc::new(Gemini::new(ep)),
        }
    }

    /// The user message of a request body as this protocol carries it.
    pub fn user_prompt(self, body: &Value) -> Option<&str> {
        match self {
            LlmProtocol::OpenAi | LlmProtocol::Qwen | LlmProtocol::DeepSeek => body["messages"][1]["content"].as_str(),
            LlmProtocol::Anthropic => body["messages"][0]["content"].as_str(),
            LlmProtocol::Gemini => body["contents"][0]["parts"][0]["text"].as_str(),
        }
    }

    /// A successful answer carrying `text` (120 input and 30 output tokens; Gemini with a thought
    /// part that must be skipped).
    pub fn success(self, text: &str) -> Value {
        match self {
            LlmProtocol::OpenAi | LlmProtocol::Qwen | LlmProtocol::DeepSeek => json!({
                "id": "chatcmpl-1", "object": "chat.completion", "model": "m-1",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": null}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
            }),
            LlmProtocol::Anthropic => json!({
                "id": "msg_1", "type": "message", "role": "assistant", "model": "m-1",
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                "usage": {"input_tokens": 120, "output_tokens": 30}
            }),
            LlmProtocol::Gemini => json!({
                "candidates": [{"content": {"role": "model", "parts": [{"text": "thinking…", "thought": true}, {"text": text}]}, "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 30, "totalTokenCount": 150}
            }),
        }
    }
}
