//! A large-language-model provider: one JSON-answering completion.
//!
//! Every request carries the prompt (`system`, `user`, and the JSON schema the answer must fit)
//! and the same input in structured form (`task`). Remote adapters send the prompt; the `local`
//! rules adapter answers from `task` without any network. Callers validate every answer the same
//! way, whoever wrote it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::domain::AiProvider;
pub use crate::domain::grounded::{FitFacts, InsightFacts, SkillFact};

/// One posting to extract skills, seniority and remote from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractItem {
    /// The job id; the answer must echo it.
    pub id: String,
    pub title: String,
    /// Plain-text description (may be shortened).
    pub text: String,
    /// The board's tags.
    pub tags: Vec<String>,
}

/// What the model is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmTask {
    /// Answer `{"jobs":[{"id","skills":[…],"seniority","remote"}]}`.
    Extract(Vec<ExtractItem>),
    /// Answer `{"summary","topSkills":[{"skill","trend"}],"keyFindings":[…]}`.
    Insight(InsightFacts),
    /// Answer `{"score": 0–100, "reasons": […]}`.
    Fit(FitFacts),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LlmRequest {
    /// The upstream model id.
    pub model: String,
    pub system: String,
    pub user: String,
    /// A name for the answer's schema (some protocols require one).
    pub schema_name: &'static str,
    /// JSON Schema of the answer.
    pub schema: serde_json::Value,
    pub max_tokens: u32,
    pub task: LlmTask,
}

impl LlmRequest {
    /// A request whose user message is `{"facts": facts}` (the model is the gateway's to set).
    pub fn over_facts(
        system: &str,
        facts: &impl Serialize,
        schema_name: &'static str,
        schema: serde_json::Value,
        max_tokens: u32,
        task: LlmTask,
    ) -> Self {
        Self {
            model: String::new(),
            system: system.to_owned(),
            user: serde_json::json!({ "facts": facts }).to_string(),
            schema_name,
            schema,
            max_tokens,
            task,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LlmAnswer {
    /// The answer text (JSON, not yet validated).
    pub text: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The provider refused the credentials (401/403, Gemini `API_KEY_INVALID`).
    #[error("the AI provider refused the credentials (HTTP {status})")]
    Unauthorized { status: u16 },
    /// The account's money or quota is spent (OpenAI `insufficient_quota`, HTTP 402, Anthropic
    /// `billing_error`, DashScope `Arrearage`). Never retried.
    #[error("the AI provider account is out of quota or credit")]
    QuotaExhausted,
    /// Rate limited (429); retry after the given delay when there is time.
    #[error("the AI provider rate-limited the request")]
    RateLimited { retry_after: Option<Duration> },
    /// Temporarily overloaded (Anthropic 529, 500/502/503/504); retryable.
    #[error("the AI provider is overloaded or failing (HTTP {status})")]
    Overloaded { status: u16, retry_after: Option<Duration> },
    /// Another error status (400, 404 for a retired model, 422, …); not retried.
    #[error("the AI provider rejected the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    /// The answer was cut off, refused, blocked or empty; retryable once.
    #[error("the AI provider gave no usable answer: {0}")]
    NoAnswer(String),
    /// The provider's envelope could not be read.
    #[error("the AI provider's answer could not be read: {0}")]
    InvalidResponse(String),
    /// No answer in time.
    #[error("the AI provider did not answer in time")]
    Timeout,
    /// Connection-level failure.
    #[error("the AI provider could not be reached")]
    Network(#[source] anyhow::Error),
}

impl LlmError {
    /// Whether trying again may succeed (never for quota, credentials or rejected requests).
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            LlmError::RateLimited { .. }
                | LlmError::Overloaded { .. }
                | LlmError::NoAnswer(_)
                | LlmError::Timeout
                | LlmError::Network(_)
        )
    }

    /// The provider's requested wait before retrying, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::RateLimited { retry_after } | LlmError::Overloaded { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LlmProvider: Send + Sync {
    fn provider(&self) -> AiProvider;

    /// One completion of `req`. MUST return the answer's text as the model wrote it (callers
    /// validate it), `QuotaExhausted` for money/quota errors, `RateLimited`/`Overloaded` with the
    /// provider's retry delay when it gives one, `NoAnswer` when the output was cut off, refused
    /// or empty, and never panic on a malformed envelope. Does not retry: callers do, within
    /// their time budget.
    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError>;
}
