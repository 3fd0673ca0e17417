//! The AI model catalog: the JobIn document's table (provider, alias, model id, tier, minimum
//! plan, status) plus the offline `local` rules provider. Model ids are configuration: several ids
//! in the document are retired upstream, so an operator's catalog file may replace any id, tier,
//! minimum plan or status.
//!
//! Selection (the client's provider and model): the provider by name, the model by alias or full id
//! (case-insensitive). A plan may use a model when the plan is at least the model's minimum plan
//! and the plan's AI tiers include the model's tier.

use std::fmt;

use super::{AiTier, Plan, PlanTerms};

/// An AI provider, as clients name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AiProvider {
    Qwen,
    Anthropic,
    OpenAi,
    Google,
    DeepSeek,
    /// Deterministic rules that run in-process: no key, no network, no cost.
    Local,
}

impl AiProvider {
    /// Document order (available first), then `local`.
    pub const ALL: [AiProvider; 6] = [
        AiProvider::Qwen,
        AiProvider::Anthropic,
        AiProvider::OpenAi,
        AiProvider::Google,
        AiProvider::DeepSeek,
        AiProvider::Local,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AiProvider::Qwen => "qwen",
            AiProvider::Anthropic => "anthropic",
            AiProvider::OpenAi => "openai",
            AiProvider::Google => "google",
            AiProvider::DeepSeek => "deepseek",
            AiProvider::Local => "local",
        }
    }

    /// By name, ignoring case; `gemini` is accepted for `google`.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_ascii_lowercase();
        if raw == "gemini" {
            return Some(AiProvider::Google);
        }
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}

impl fmt::Display for AiProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a model may be selected at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelStatus {
    Available,
    ComingSoon,
}

impl ModelStatus {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "available" => Some(ModelStatus::Available),
            "coming_soon" => Some(ModelStatus::ComingSoon),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelEntry {
    pub provider: AiProvider,
    pub alias: String,
    /// The id sent upstream (configuration: ids are retired over time).
    pub model_id: String,
    pub tier: AiTier,
    pub min_plan: Plan,
    pub status: ModelStatus,
}

impl ModelEntry {
    /// Whether `plan` (with `terms`) may use this model.
    pub fn allowed_for(&self, plan: Plan, terms: &PlanTerms) -> bool {
        plan >= self.min_plan && terms.ai_tiers.contains(&self.tier)
    }
}

/// An operator's change to one model (`[models.<provider>.<alias>]`); `None` keeps the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelOverride {
    pub model_id: Option<String>,
    pub tier: Option<AiTier>,
    pub min_plan: Option<Plan>,
    pub status: Option<ModelStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelCatalogError {
    #[error("models.{provider}.{alias}: no such model; known aliases for {provider}: {known}")]
    UnknownModel { provider: AiProvider, alias: String, known: String },
    #[error("models.{provider}.{alias}.model_id must not be blank")]
    BlankId { provider: AiProvider, alias: String },
}

/// Why an AI selection was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("unknown AI provider `{given}`; valid providers: {valid}")]
    UnknownProvider { given: String, valid: String },
    #[error("unknown model `{given}` for provider {provider}; valid models: {valid}")]
    UnknownModel { provider: AiProvider, given: String, valid: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCatalog {
    models: Vec<ModelEntry>,
}

impl Default for ModelCatalog {
    fn default() -> Self {
        Self::document()
    }
}

impl ModelCatalog {
    /// The document's table, then `local/rules` (lite, every plan with AI access).
    pub fn document() -> Self {
        use AiProvider::*;
        use AiTier::*;
        use ModelStatus::*;
        use Plan::*;
        let m = |provider, alias: &str, id: &str, tier, min_plan, status| ModelEntry {
            provider,
            alias: alias.into(),
            model_id: id.into(),
            tier,
            min_plan,
            status,
        };
        Self {
            models: vec![
                m(Anthropic, "haiku", "claude-haiku-4-5", Lite, Starter, ComingSoon),
                m(Anthropic, "sonnet", "claude-sonnet-4-6", Flagship, Pro, ComingSoon),
                m(OpenAi, "gpt-4o-mini", "gpt-4o-mini", Lite, Starter, ComingSoon),
                m(OpenAi, "gpt-4o", "gpt-4o", Flagship, Pro, ComingSoon),
                m(Google, "flash", "gemini-2.0-flash", Lite, Free, ComingSoon),
                m(Google, "pro", "gemini-1.5-pro", Flagship, Pro, ComingSoon),
                m(Qwen, "turbo", "qwen-turbo", Lite, Free, Available),
                m(Qwen, "plus", "qwen-plus", Flagship, Pro, Available),
                m(DeepSeek, "chat", "deepseek-chat", Lite, Starter, ComingSoon),
                m(DeepSeek, "reasoner", "deepseek-reasoner", Flagship, Pro, ComingSoon),
                m(Local, "rules", "local-rules", Lite, Free, Available),
            ],
        }
    }

    /// The catalog with every model of `providers` available: a provider the operator holds a key
    /// for is meant to be used (models the document lists as coming soon included). A catalog
    /// file's explicit `status` still wins: apply it after.
    pub fn with_providers_enabled(mut self, providers: &[AiProvider]) -> Self {
        for m in self.models.iter_mut().filter(|m| providers.contains(&m.provider)) {
            m.status = ModelStatus::Available;
        }
        self
    }

    pub fn with_overrides(
        mut self,
        overrides: &[(AiProvider, String, ModelOverride)],
    ) -> Result<Self, ModelCatalogError> {
        for (provider, alias, o) in overrides {
            let known = self.aliases(*provider).join(", ");
            let entry = self
                .models
                .iter_mut()
                .find(|m| m.provider == *provider && m.alias.eq_ignore_ascii_case(alias))
                .ok_or_else(|| ModelCatalogError::UnknownModel { provider: *provider, alias: alias.clone(), known })?;
            if let Some(id) = &o.model_id {
                if id.trim().is_empty() {
                    return Err(ModelCatalogError::BlankId { provider: *provider, alias: alias.clone() });
                }
                entry.model_id = id.trim().to_owned();
            }
            if let Some(t) = o.tier {
                entry.tier = t;
            }
            if let Some(p) = o.min_plan {
                entry.min_plan = p;
            }
            if let Some(s) = o.status {
                entry.status = s;
            }
        }
        Ok(self)
    }

    pub fn models(&self) -> &[ModelEntry] {
        &self.models
    }

    /// One provider's models, in catalog order (lite before flagship).
    pub fn of(&self, provider: AiProvider) -> impl Iterator<Item = &ModelEntry> {
        self.models.iter().filter(move |m| m.provider == provider)
    }

    fn aliases(&self, provider: AiProvider) -> Vec<&str> {
        self.of(provider).map(|m| m.alias.as_str()).collect()
    }

    /// Whether any of the provider's models is available (not coming soon).
    pub fn provider_available(&self, provider: AiProvider) -> bool {
        self.of(provider).any(|m| m.status == ModelStatus::Available)
    }

    /// The provider named by `provider`, or `UnknownProvider` naming the valid ones.
    pub fn provider(&self, provider: &str) -> Result<AiProvider, SelectError> {
        AiProvider::parse(provider).ok_or_else(|| SelectError::UnknownProvider {
            given: provider.trim().to_owned(),
            valid: AiProvider::ALL.map(AiProvider::as_str).join(", "),
        })
    }

    /// The model of `provider` whose alias or id is `model` (ignoring case).
    pub fn model(&self, provider: AiProvider, model: &str) -> Result<&ModelEntry, SelectError> {
        let want = model.trim();
        self.of(provider)
            .find(|m| m.alias.eq_ignore_ascii_case(want) || m.model_id.eq_ignore_ascii_case(want))
            .ok_or_else(|| SelectError::UnknownModel {
                provider,
                given: want.to_owned(),
                valid: self.aliases(provider).join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PlanCatalog;

    #[test]
    fn models_resolve_by_alias_or_full_id() {
        let c = ModelCatalog::document();
        let q = c.provider("Qwen").unwrap();
        assert_eq!(c.model(q, "turbo").unwrap().model_id, "qwen-turbo");
        assert_eq!(c.model(q, "QWEN-PLUS").unwrap().alias, "plus");
        assert_eq!(c.provider("gemini"), Ok(AiProvider::Google));
        let e = c.model(q, "max").unwrap_err();
        assert_eq!(e.to_string(), "unknown model `max` for provider qwen; valid models: turbo, plus");
        assert!(
            c.provider("mistral").unwrap_err().to_string().contains("qwen, anthropic, openai, google, deepseek, local")
        );
    }

    #[test]
    fn plan_access_needs_min_plan_and_tier() {
        let plans = PlanCatalog::document();
        let c = ModelCatalog::document();
        let plus = c.model(AiProvider::Qwen, "plus").unwrap();
        let turbo = c.model(AiProvider::Qwen, "turbo").unwrap();
        // Free and Starter have no AI tier in the document's plan table.
        assert!(!turbo.allowed_for(Plan::Free, plans.terms(Plan::Free)));
        assert!(!turbo.allowed_for(Plan::Starter, plans.terms(Plan::Starter)));
        assert!(turbo.allowed_for(Plan::Pro, plans.terms(Plan::Pro)));
        assert!(plus.allowed_for(Plan::Pro, plans.terms(Plan::Pro)));
        assert!(plus.allowed_for(Plan::Scale, plans.terms(Plan::Scale)));
    }

    #[test]
    fn overrides_replace_ids_and_status_and_reject_unknown_aliases() {
        let o = ModelOverride {
            model_id: Some("gemini-3.5-flash".into()),
            status: Some(ModelStatus::Available),
            ..Default::default()
        };
        let c = ModelCatalog::document().with_overrides(&[(AiProvider::Google, "flash".into(), o)]).unwrap();
        let flash = c.model(AiProvider::Google, "flash").unwrap();
        assert_eq!((flash.model_id.as_str(), flash.status), ("gemini-3.5-flash", ModelStatus::Available));
        assert!(c.model(AiProvider::Google, "gemini-3.5-flash").is_ok());
        let err = ModelCatalog::document()
            .with_overrides(&[(AiProvider::Qwen, "max".into(), ModelOverride::default())])
            .unwrap_err();
        assert_eq!(err.to_string(), "models.qwen.max: no such model; known aliases for qwen: turbo, plus");
    }
}
