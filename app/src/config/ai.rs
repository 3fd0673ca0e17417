//! The LLM providers (`JOBIN_<PROVIDER>_BASE_URL`, `_API_KEY`), the default provider and the AI
//! time budget.

use jobin_core::domain::AiProvider;
use secrecy::SecretString;

use super::env::{ConfigError, Vars, err};

/// One remote LLM provider: its API root and key (`JOBIN_<PROVIDER>_BASE_URL`, `_API_KEY`).
#[derive(Clone)]
pub struct LlmSettings {
    pub base_url: String,
    pub api_key: Option<SecretString>,
}

#[derive(Clone)]
pub struct AiSettings {
    pub qwen: LlmSettings,
    pub openai: LlmSettings,
    pub deepseek: LlmSettings,
    pub anthropic: LlmSettings,
    pub gemini: LlmSettings,
    /// `JOBIN_AI_DEFAULT_PROVIDER`; unset: the first configured available provider, else `local`.
    pub default_provider: Option<AiProvider>,
    /// The AI step's time budget (`JOBIN_AI_BUDGET_MS`, default the document's 15 s).
    pub budget_ms: u64,
}

impl AiSettings {
    pub(super) fn read(v: &Vars) -> Result<Self, ConfigError> {
        use jobin_adapters::llm::{anthropic, gemini, openai_compat};
        let llm = |url_var: &'static str, key_var: &str, default: &str| -> Result<LlmSettings, ConfigError> {
            Ok(LlmSettings { base_url: v.base_url(url_var, default)?, api_key: v.key(key_var) })
        };
        Ok(Self {
            qwen: llm("JOBIN_QWEN_BASE_URL", "JOBIN_QWEN_API_KEY", openai_compat::QWEN_BASE_URL)?,
            openai: llm("JOBIN_OPENAI_BASE_URL", "JOBIN_OPENAI_API_KEY", openai_compat::OPENAI_BASE_URL)?,
            deepseek: llm("JOBIN_DEEPSEEK_BASE_URL", "JOBIN_DEEPSEEK_API_KEY", openai_compat::DEEPSEEK_BASE_URL)?,
            anthropic: llm("JOBIN_ANTHROPIC_BASE_URL", "JOBIN_ANTHROPIC_API_KEY", anthropic::ANTHROPIC_BASE_URL)?,
            gemini: llm("JOBIN_GEMINI_BASE_URL", "JOBIN_GEMINI_API_KEY", gemini::GEMINI_BASE_URL)?,
            default_provider: match v.var("JOBIN_AI_DEFAULT_PROVIDER") {
                None => None,
                Some(p) => Some(AiProvider::parse(&p).ok_or_else(|| {
                    err(
                        "JOBIN_AI_DEFAULT_PROVIDER",
                        format!(
                            "unknown provider `{p}`; valid: {}",
                            AiProvider::ALL.map(AiProvider::as_str).join(", ")
                        ),
                    )
                })?),
            },
            budget_ms: v.number("JOBIN_AI_BUDGET_MS", 15_000, 100, 120_000)?,
        })
    }

    /// The providers with a key (names only, for logs).
    pub fn configured(&self) -> Vec<&'static str> {
        [
            ("qwen", &self.qwen),
            ("openai", &self.openai),
            ("deepseek", &self.deepseek),
            ("anthropic", &self.anthropic),
            ("gemini", &self.gemini),
        ]
        .into_iter()
        .filter(|(_, s)| s.api_key.is_some())
        .map(|(n, _)| n)
        .collect()
    }
}
