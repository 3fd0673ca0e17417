//! The AI gateway: model selection from the client's provider and model choice against the
//! catalog and the plan, provider health for the providers list, and calls with retries inside a
//! time budget.
//!
//! Selection errors, in this order: unknown provider or model → 400; model coming soon → 400
//! `ai_model_coming_soon` (nothing the operator can switch on per request); tier or minimum plan
//! above the caller's plan → 403 `plan_upgrade_required` with `upgrade`; provider without
//! credentials on this server → 503 `ai_provider_unconfigured`.
//!
//! Retries: rate limits (429), overload (529, 5xx), empty or cut-off answers and network errors
//! are retried after the provider's `retry-after` (or 250 ms, 500 ms, …) while the budget allows,
//! at most 3 attempts; quota/credit errors, refused credentials and rejected requests are not.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::{Either, FutureExt, select};

use crate::domain::{AiProvider, ModelCatalog, ModelEntry, ModelStatus, Plan, PlanCatalog, SelectError};
use crate::ports::{LlmAnswer, LlmError, LlmProvider, LlmRequest, Timer};
use crate::{Code, ErrorCode};

/// The budget of one AI step (the document's 15 s).
pub const AI_BUDGET: Duration = Duration::from_secs(15);
/// Failures within this window make a provider `degraded`.
pub const HEALTH_WINDOW: Duration = Duration::from_secs(300);
const MAX_ATTEMPTS: u32 = 3;
const HISTORY: usize = 20;

/// The headers as the client sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AiChoice {
    pub provider: Option<String>,
    pub model: Option<String>,
}

/// A model the caller may use on this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub model: ModelEntry,
}

impl Selection {
    pub fn provider(&self) -> AiProvider {
        self.model.provider
    }
}

/// The two halves of an AI choice (the HTTP layer reads each from its own header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoicePart {
    Provider,
    Model,
}

impl std::fmt::Display for ChoicePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChoicePart::Provider => "provider",
            ChoicePart::Model => "model",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    /// The endpoint needs an explicit choice and this part of it is missing.
    #[error("the AI {0} must be chosen for this endpoint")]
    ChoiceRequired(ChoicePart),
    #[error(transparent)]
    Select(SelectError),
    #[error("{provider}/{alias} is coming soon and cannot be used yet")]
    ComingSoon { provider: AiProvider, alias: String },
    #[error("Your {plan} plan cannot use {provider}/{alias} ({tier} tier); it needs the {required} plan or higher.")]
    NotInPlan { plan: Plan, provider: AiProvider, alias: String, tier: &'static str, required: Plan },
    #[error("{0} is not configured on this server (no API key); choose another provider")]
    Unconfigured(AiProvider),
    #[error("the AI provider did not answer within {}s; retry later", .0.as_secs())]
    Timeout(Duration),
    #[error("the AI provider failed: {0}")]
    Provider(String),
}

impl AiError {
    /// The plan a caller needs for `NotInPlan`.
    pub fn required_plan(&self) -> Option<Plan> {
        match self {
            AiError::NotInPlan { required, .. } => Some(*required),
            _ => None,
        }
    }
}

impl ErrorCode for AiError {
    fn code(&self) -> Code {
        match self {
            AiError::ChoiceRequired(_) => Code::ValidationFailed,
            AiError::Select(SelectError::UnknownProvider { .. }) => Code::UnknownAiProvider,
            AiError::Select(SelectError::UnknownModel { .. }) => Code::UnknownAiModel,
            AiError::ComingSoon { .. } => Code::AiModelComingSoon,
            AiError::NotInPlan { .. } => Code::PlanUpgradeRequired,
            AiError::Unconfigured(_) => Code::AiProviderUnconfigured,
            AiError::Timeout(_) => Code::AiTimeout,
            AiError::Provider(_) => Code::AiUnavailable,
        }
    }
}

/// A provider's live state, for the providers list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderStatus {
    /// Configured, and no recent failures.
    Available,
    /// Configured, but calls failed recently (the last one, or 3 within 5 minutes).
    Degraded,
    /// Listed in the catalog but no API key is configured on this server.
    Unconfigured,
    ComingSoon,
}

impl ProviderStatus {
    /// Every status.
    pub const ALL: [ProviderStatus; 4] =
        [ProviderStatus::Available, ProviderStatus::Degraded, ProviderStatus::Unconfigured, ProviderStatus::ComingSoon];

    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderStatus::Available => "available",
            ProviderStatus::Degraded => "degraded",
            ProviderStatus::Unconfigured => "unconfigured",
            ProviderStatus::ComingSoon => "coming_soon",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderView {
    pub provider: AiProvider,
    pub status: ProviderStatus,
    /// The models the plan may use (empty when none, or when the provider is coming soon).
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvidersView {
    pub plan: Plan,
    pub default_provider: AiProvider,
    pub available: Vec<ProviderView>,
}

struct Inner {
    models: Arc<ModelCatalog>,
    plans: Arc<PlanCatalog>,
    providers: HashMap<AiProvider, Arc<dyn LlmProvider>>,
    default_provider: AiProvider,
    timer: Arc<dyn Timer>,
    /// Per provider: the latest outcomes (when, ok).
    health: Mutex<HashMap<AiProvider, VecDeque<(Instant, bool)>>>,
}

#[derive(Clone)]
pub struct AiGateway {
    inner: Arc<Inner>,
}

impl AiGateway {
    /// `providers`: the configured ones (with credentials), `local` included. The default provider
    /// is `default` when configured and available, else the first available configured provider
    /// in catalog order, else `local`.
    pub fn new(
        models: Arc<ModelCatalog>,
        plans: Arc<PlanCatalog>,
        providers: Vec<Arc<dyn LlmProvider>>,
        default: Option<AiProvider>,
        timer: Arc<dyn Timer>,
    ) -> Self {
        let providers: HashMap<_, _> = providers.into_iter().map(|p| (p.provider(), p)).collect();
        let usable = |p: &AiProvider| providers.contains_key(p) && models.provider_available(*p);
        let default_provider =
            default.filter(usable).or_else(|| AiProvider::ALL.into_iter().find(usable)).unwrap_or(AiProvider::Local);
        Self {
            inner: Arc::new(Inner {
                models,
                plans,
                providers,
                default_provider,
                timer,
                health: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn default_provider(&self) -> AiProvider {
        self.inner.default_provider
    }

    /// Resolves the choice for `plan`. With `required`, both parts must be present; otherwise
    /// a missing provider means the default provider and a missing model the provider's first
    /// model the plan may use.
    pub fn select(&self, plan: Plan, choice: &AiChoice, required: bool) -> Result<Selection, AiError> {
        let blank = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let (provider_raw, model_raw) = (blank(&choice.provider), blank(&choice.model));
        if required {
            if provider_raw.is_none() {
                return Err(AiError::ChoiceRequired(ChoicePart::Provider));
            }
            if model_raw.is_none() {
                return Err(AiError::ChoiceRequired(ChoicePart::Model));
            }
        }
        let models = &self.inner.models;
        let provider = match &provider_raw {
            Some(p) => models.provider(p).map_err(AiError::Select)?,
            None => self.inner.default_provider,
        };
        let terms = self.inner.plans.terms(plan);
        let entry = match &model_raw {
            Some(m) => models.model(provider, m).map_err(AiError::Select)?.clone(),
            None => {
                let available = || models.of(provider).filter(|m| m.status == ModelStatus::Available);
                match available().find(|m| m.allowed_for(plan, terms)).or_else(|| available().next()) {
                    Some(m) => m.clone(),
                    // Nothing of this provider is available: report its first model as coming soon.
                    None => models.of(provider).next().cloned().ok_or(AiError::Unconfigured(provider))?,
                }
            }
        };
        if entry.status == ModelStatus::ComingSoon {
            return Err(AiError::ComingSoon { provider, alias: entry.alias });
        }
        if !entry.allowed_for(plan, terms) {
            let required = Plan::ALL
                .into_iter()
                .find(|p| entry.allowed_for(*p, self.inner.plans.terms(*p)))
                .unwrap_or(Plan::Scale);
            return Err(AiError::NotInPlan { plan, provider, alias: entry.alias, tier: entry.tier.as_str(), required });
        }
        if !self.inner.providers.contains_key(&provider) {
            return Err(AiError::Unconfigured(provider));
        }
        Ok(Selection { model: entry })
    }

    /// The built-in `local` rules, whatever the plan: they run no model and cost nothing, so every
    /// plan may use them where an AI step is optional (the tracker's fit score).
    pub fn local_rules(&self) -> Result<Selection, AiError> {
        let local = AiProvider::Local;
        let entry = self
            .inner
            .models
            .of(local)
            .find(|m| m.status == ModelStatus::Available)
            .cloned()
            .ok_or(AiError::Unconfigured(local))?;
        if !self.inner.providers.contains_key(&local) {
            return Err(AiError::Unconfigured(local));
        }
        Ok(Selection { model: entry })
    }

    /// Runs `req` on the selected model, retrying what is retryable while `budget` lasts.
    pub async fn complete(&self, sel: &Selection, mut req: LlmRequest, budget: Duration) -> Result<LlmAnswer, AiError> {
        let provider =
            self.inner.providers.get(&sel.provider()).cloned().ok_or(AiError::Unconfigured(sel.provider()))?;
        req.model = sel.model.model_id.clone();
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let remaining = budget.saturating_sub(started.elapsed());
            if remaining.is_zero() {
                self.record(sel.provider(), false);
                return Err(AiError::Timeout(budget));
            }
            let call = provider.complete(&req).boxed();
            let result = match select(call, self.inner.timer.sleep(remaining)).await {
                Either::Left((r, _)) => r,
                Either::Right(((), _)) => {
                    tracing::warn!(provider = %sel.provider(), model = %sel.model.model_id, "AI call timed out");
                    self.record(sel.provider(), false);
                    return Err(AiError::Timeout(budget));
                }
            };
            match result {
                Ok(answer) => {
                    self.record(sel.provider(), true);
                    return Ok(answer);
                }
                Err(e) => {
                    let wait = e.retry_after().unwrap_or(Duration::from_millis(250 << (attempt - 1)));
                    let left = budget.saturating_sub(started.elapsed());
                    tracing::warn!(provider = %sel.provider(), model = %sel.model.model_id, attempt, error = %e, "AI call failed");
                    if !e.retryable() || attempt >= MAX_ATTEMPTS || wait >= left {
                        self.record(sel.provider(), false);
                        return Err(match e {
                            LlmError::Timeout => AiError::Timeout(budget),
                            other => AiError::Provider(other.to_string()),
                        });
                    }
                    self.inner.timer.sleep(wait).await;
                }
            }
        }
    }

    /// A model's answer that failed validation (`reason`) for `task`: counted as a failed call of
    /// the provider and reported as the provider's failure.
    pub fn rejected_answer(&self, sel: &Selection, task: &'static str, reason: String) -> AiError {
        self.record(sel.provider(), false);
        tracing::warn!(provider = %sel.provider(), task, %reason, "AI answer rejected");
        AiError::Provider(format!("invalid answer: {reason}"))
    }

    /// Records a call outcome for the provider's live status.
    pub fn record(&self, provider: AiProvider, ok: bool) {
        let mut health = self.inner.health.lock().unwrap_or_else(|p| p.into_inner());
        let h = health.entry(provider).or_default();
        h.push_back((Instant::now(), ok));
        while h.len() > HISTORY {
            h.pop_front();
        }
    }

    fn status(&self, provider: AiProvider) -> ProviderStatus {
        if !self.inner.models.provider_available(provider) {
            return ProviderStatus::ComingSoon;
        }
        if !self.inner.providers.contains_key(&provider) {
            return ProviderStatus::Unconfigured;
        }
        let health = self.inner.health.lock().unwrap_or_else(|p| p.into_inner());
        let recent: Vec<bool> = health
            .get(&provider)
            .map(|h| h.iter().filter(|(at, _)| at.elapsed() <= HEALTH_WINDOW).map(|(_, ok)| *ok).collect())
            .unwrap_or_default();
        let failures = recent.iter().filter(|ok| !**ok).count();
        if recent.last() == Some(&false) || failures >= 3 {
            ProviderStatus::Degraded
        } else {
            ProviderStatus::Available
        }
    }

    /// The providers list: every provider with its live status and the models `plan` may use.
    pub fn providers(&self, plan: Plan) -> ProvidersView {
        let terms = self.inner.plans.terms(plan);
        let available = AiProvider::ALL
            .into_iter()
            .map(|provider| {
                let status = self.status(provider);
                let models = if status == ProviderStatus::ComingSoon {
                    vec![]
                } else {
                    self.inner
                        .models
                        .of(provider)
                        .filter(|m| m.status == ModelStatus::Available && m.allowed_for(plan, terms))
                        .cloned()
                        .collect()
                };
                ProviderView { provider, status, models }
            })
            .collect();
        ProvidersView { plan, default_provider: self.inner.default_provider, available }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{LlmTask, MockLlmProvider};
    use futures::future::BoxFuture;

    /// A timer whose sleeps finish at once (so retries do not slow the test) unless longer
    /// than `hang_over`, which never finish.
    struct InstantTimer {
        hang_over: Duration,
    }

    impl Timer for InstantTimer {
        fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
            if d > self.hang_over { futures::future::pending().boxed() } else { futures::future::ready(()).boxed() }
        }
    }

    fn gateway(provider: MockLlmProvider, extra: Vec<AiProvider>) -> AiGateway {
        let mut providers: Vec<Arc<dyn LlmProvider>> = vec![Arc::new(provider)];
        for p in extra {
            let mut m = MockLlmProvider::new();
            m.expect_provider().return_const(p);
            providers.push(Arc::new(m));
        }
        AiGateway::new(
            Arc::new(ModelCatalog::document()),
            Arc::new(PlanCatalog::document()),
            providers,
            None,
            Arc::new(InstantTimer { hang_over: Duration::from_secs(3600) }),
        )
    }

    fn qwen() -> MockLlmProvider {
        let mut m = MockLlmProvider::new();
        m.expect_provider().return_const(AiProvider::Qwen);
        m
    }

    fn choice(p: &str, m: &str) -> AiChoice {
        AiChoice { provider: Some(p.into()), model: Some(m.into()) }
    }

    fn req() -> LlmRequest {
        LlmRequest {
            model: String::new(),
            system: String::new(),
            user: String::new(),
            schema_name: "x",
            schema: serde_json::json!({}),
            max_tokens: 10,
            task: LlmTask::Extract(vec![]),
        }
    }

    #[test]
    fn selection_errors_follow_the_documented_order() {
        let g = gateway(qwen(), vec![AiProvider::Local]);
        let code = |plan, c: AiChoice, required| g.select(plan, &c, required).unwrap_err().code();
        assert_eq!(code(Plan::Pro, AiChoice::default(), true), Code::ValidationFailed);
        assert_eq!(code(Plan::Pro, choice("mistral", "x"), true), Code::UnknownAiProvider);
        assert_eq!(code(Plan::Pro, choice("qwen", "max"), true), Code::UnknownAiModel);
        assert_eq!(code(Plan::Pro, choice("anthropic", "haiku"), true), Code::AiModelComingSoon);
        assert_eq!(code(Plan::Starter, choice("qwen", "turbo"), true), Code::PlanUpgradeRequired);
        let e = g.select(Plan::Starter, &choice("qwen", "plus"), true).unwrap_err();
        assert_eq!(e.required_plan(), Some(Plan::Pro));
        let sel = g.select(Plan::Pro, &choice("QWEN", "qwen-plus"), true).unwrap();
        assert_eq!(sel.model.model_id, "qwen-plus");
        // Without headers (enhance): the default provider's first model for the plan.
        assert_eq!(g.default_provider(), AiProvider::Qwen);
        assert_eq!(g.select(Plan::Pro, &AiChoice::default(), false).unwrap().model.alias, "turbo");
    }

    #[test]
    fn a_provider_without_credentials_is_unconfigured() {
        let mut overridden = ModelCatalog::document();
        overridden = overridden
            .with_overrides(&[(
                AiProvider::OpenAi,
                "gpt-4o-mini".into(),
                crate::domain::ModelOverride { status: Some(ModelStatus::Available), ..Default::default() },
            )])
            .unwrap();
        let g = AiGateway::new(
            Arc::new(overridden),
            Arc::new(PlanCatalog::document()),
            vec![Arc::new(qwen())],
            None,
            Arc::new(InstantTimer { hang_over: Duration::from_secs(3600) }),
        );
        let e = g.select(Plan::Pro, &choice("openai", "gpt-4o-mini"), true).unwrap_err();
        assert_eq!(e.code(), Code::AiProviderUnconfigured);
        let view = g.providers(Plan::Pro);
        let openai = view.available.iter().find(|p| p.provider == AiProvider::OpenAi).unwrap();
        assert_eq!(openai.status, ProviderStatus::Unconfigured);
        let anthropic = view.available.iter().find(|p| p.provider == AiProvider::Anthropic).unwrap();
        assert_eq!((anthropic.status, anthropic.models.len()), (ProviderStatus::ComingSoon, 0));
    }

    #[tokio::test]
    async fn rate_limits_are_retried_and_quota_is_not() {
        let mut m = qwen();
        let mut calls = 0;
        m.expect_complete().times(2).returning(move |_| {
            calls += 1;
            if calls == 1 {
                Err(LlmError::RateLimited { retry_after: Some(Duration::from_secs(1)) })
            } else {
                Ok(LlmAnswer { text: "{}".into(), ..Default::default() })
            }
        });
        let g = gateway(m, vec![]);
        let sel = g.select(Plan::Pro, &choice("qwen", "turbo"), true).unwrap();
        assert_eq!(g.complete(&sel, req(), AI_BUDGET).await.unwrap().text, "{}");

        let mut m = qwen();
        m.expect_complete().times(1).returning(|_| Err(LlmError::QuotaExhausted));
        let g = gateway(m, vec![]);
        let e = g.complete(&sel, req(), AI_BUDGET).await.unwrap_err();
        assert_eq!(e.code(), Code::AiUnavailable);
        assert_eq!(g.providers(Plan::Pro).available[0].status, ProviderStatus::Degraded);
    }

    #[tokio::test]
    async fn a_retry_after_beyond_the_budget_is_not_waited_for() {
        let mut m = qwen();
        m.expect_complete()
            .times(1)
            .returning(|_| Err(LlmError::Overloaded { status: 529, retry_after: Some(Duration::from_secs(60)) }));
        let g = gateway(m, vec![]);
        let sel = g.select(Plan::Pro, &choice("qwen", "turbo"), true).unwrap();
        assert_eq!(g.complete(&sel, req(), AI_BUDGET).await.unwrap_err().code(), Code::AiUnavailable);
    }

    #[tokio::test]
    async fn a_hanging_provider_times_out_at_the_budget() {
        let mut m = qwen();
        m.expect_complete().returning(|_| Err(LlmError::Timeout));
        let g = AiGateway::new(
            Arc::new(ModelCatalog::document()),
            Arc::new(PlanCatalog::document()),
            vec![Arc::new(m)],
            None,
            // The budget sleep (15 s) never ends; the provider itself reports a timeout.
            Arc::new(InstantTimer { hang_over: Duration::from_secs(1) }),
        );
        let sel = g.select(Plan::Pro, &choice("qwen", "turbo"), true).unwrap();
        let e = g.complete(&sel, req(), AI_BUDGET).await.unwrap_err();
        assert_eq!(e, AiError::Timeout(AI_BUDGET));
        assert_eq!(e.code(), Code::AiTimeout);
    }
}
