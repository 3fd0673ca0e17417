//! The operator's catalog file (`JOBIN_CATALOG`): TOML overriding any plan value or endpoint
//! minimum plan of the compiled-in default. Unknown keys are errors, so a typo cannot pass
//! silently.
//!
//! ```toml
//! [plans.free]
//! monthly_requests = 2000
//! per_minute = 20            # data requests (/jobs/*) per minute
//! account_per_minute = 60    # account requests (/auth/*, /billing/*) per minute, a class of its own
//! tracker_per_minute = 100   # tracker and saved-search requests (/v1/applications*, /v1/searches*) per minute
//! ai_per_hour = 20           # tracker AI requests (fit scores) per hour
//! saved_searches = 1         # saved searches an account may hold (0: none)
//!
//! [plans.pro]
//! ai_tiers = ["lite"]
//!
//! [endpoints]
//! "/jobs/salary" = "free"
//!
//! # Per-client-IP limits of the operations without an API key (per minute; defaults 5, 10, 10, 60).
//! [public]
//! register_per_minute = 5
//! login_per_minute = 10
//! refresh_per_minute = 10
//! feed_per_minute = 60                # a saved search's Atom feed
//!
//! # AI models: any of model_id, tier, min_plan, status per provider and alias.
//! [models.google.flash]
//! model_id = "gemini-3.5-flash"      # the document's id is retired upstream
//! status = "available"               # or "coming_soon"
//! ```

use jobin_core::domain::{
    AiProvider, AiTier, CatalogOverrides, Endpoint, ModelCatalog, ModelOverride, ModelStatus, Plan, PlanCatalog,
    PlanOverride, PublicOverride,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    plans: BTreeMap<String, PlanFile>,
    #[serde(default)]
    endpoints: BTreeMap<String, String>,
    #[serde(default)]
    models: BTreeMap<String, BTreeMap<String, ModelFile>>,
    #[serde(default)]
    public: PublicFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicFile {
    register_per_minute: Option<u32>,
    login_per_minute: Option<u32>,
    refresh_per_minute: Option<u32>,
    feed_per_minute: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    model_id: Option<String>,
    tier: Option<String>,
    min_plan: Option<String>,
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    monthly_requests: Option<u64>,
    per_minute: Option<u32>,
    account_per_minute: Option<u32>,
    tracker_per_minute: Option<u32>,
    ai_per_hour: Option<u32>,
    data_sources: Option<u8>,
    ai_tiers: Option<Vec<String>>,
    price_usd_per_month: Option<u32>,
    saved_searches: Option<u32>,
}

/// Parses and validates a catalog file's text into a catalog.
pub fn parse(text: &str) -> Result<PlanCatalog, String> {
    let file: File = toml::from_str(text).map_err(|e| e.to_string().replace('\n', " ").trim().to_owned())?;
    let mut overrides = CatalogOverrides::default();
    for (name, p) in file.plans {
        let plan = Plan::parse(&name).map_err(|e| format!("plans.{name}: {e}"))?;
        let ai_tiers = match p.ai_tiers {
            None => None,
            Some(tiers) => Some(
                tiers
                    .iter()
                    .map(|t| {
                        AiTier::parse(t)
                            .ok_or_else(|| format!("plans.{name}.ai_tiers: unknown tier `{t}` (lite, flagship)"))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        overrides.plans.insert(
            plan,
            PlanOverride {
                monthly_requests: p.monthly_requests,
                per_minute: p.per_minute,
                account_per_minute: p.account_per_minute,
                tracker_per_minute: p.tracker_per_minute,
                ai_per_hour: p.ai_per_hour,
                data_sources: p.data_sources,
                ai_tiers,
                price_usd_per_month: p.price_usd_per_month,
                saved_searches: p.saved_searches,
            },
        );
    }
    for (path, plan) in file.endpoints {
        let plan = Plan::parse(&plan).map_err(|e| format!("endpoints.\"{path}\": {e}"))?;
        let endpoint = crate::endpoints::at_path(&path).ok_or_else(|| {
            let known: Vec<&str> = Endpoint::ALL.into_iter().map(crate::endpoints::path).collect();
            format!("endpoints: unknown endpoint `{path}`; known: {}", known.join(", "))
        })?;
        overrides.endpoints.insert(endpoint, plan);
    }
    overrides.public = PublicOverride {
        register_per_minute: file.public.register_per_minute,
        login_per_minute: file.public.login_per_minute,
        refresh_per_minute: file.public.refresh_per_minute,
        feed_per_minute: file.public.feed_per_minute,
    };
    PlanCatalog::document().with_overrides(&overrides).map_err(|e| e.to_string())
}

/// Parses the `[models]` part of a catalog file's text into changes of `base`.
pub fn parse_models_over(text: &str, base: ModelCatalog) -> Result<ModelCatalog, String> {
    let file: File = toml::from_str(text).map_err(|e| e.to_string().replace('\n', " ").trim().to_owned())?;
    let mut overrides = Vec::new();
    for (provider_name, models) in file.models {
        let provider = AiProvider::parse(&provider_name).ok_or_else(|| {
            format!(
                "models.{provider_name}: unknown provider; valid: {}",
                AiProvider::ALL.map(AiProvider::as_str).join(", ")
            )
        })?;
        for (alias, m) in models {
            let at = format!("models.{provider_name}.{alias}");
            let tier = match &m.tier {
                None => None,
                Some(t) => {
                    Some(AiTier::parse(t).ok_or_else(|| format!("{at}.tier: unknown tier `{t}` (lite, flagship)"))?)
                }
            };
            let min_plan = match &m.min_plan {
                None => None,
                Some(p) => Some(Plan::parse(p).map_err(|e| format!("{at}.min_plan: {e}"))?),
            };
            let status = match &m.status {
                None => None,
                Some(s) => Some(
                    ModelStatus::parse(s)
                        .ok_or_else(|| format!("{at}.status: unknown status `{s}` (available, coming_soon)"))?,
                ),
            };
            overrides.push((provider, alias, ModelOverride { model_id: m.model_id, tier, min_plan, status }));
        }
    }
    base.with_overrides(&overrides).map_err(|e| e.to_string())
}

#[cfg(test)]
/// Parses the `[models]` part of a catalog file's text into changes of the document's catalog.
pub fn parse_models(text: &str) -> Result<ModelCatalog, String> {
    parse_models_over(text, ModelCatalog::document())
}

/// Reads and parses the file at `path`: the plan catalog and changes of the model catalog `base`.
pub fn load(path: &Path, base: ModelCatalog) -> Result<(PlanCatalog, ModelCatalog), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let plans = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let models = parse_models_over(&text, base).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((plans, models))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_on_top_of_the_document() {
        let c = parse(
            r#"
            [plans.free]
            monthly_requests = 2000
            per_minute = 20
            [plans.PRO]
            ai_tiers = ["lite"]
            saved_searches = 0
            [endpoints]
            "/jobs/salary" = "free"
            "/v1/searches/{id}/matches" = "starter"
            "#,
        )
        .unwrap();
        assert_eq!(c.terms(Plan::Free).monthly_requests, 2000);
        assert_eq!(c.terms(Plan::Free).per_minute, 20);
        assert_eq!(c.terms(Plan::Free).data_sources, 1);
        assert_eq!(c.terms(Plan::Pro).ai_tiers, vec![AiTier::Lite]);
        assert_eq!(c.terms(Plan::Pro).saved_searches, 0);
        assert_eq!(c.terms(Plan::Starter).saved_searches, 10);
        assert_eq!(c.terms(Plan::Scale), PlanCatalog::document().terms(Plan::Scale));
        assert_eq!(
            c.endpoints(Plan::Free).into_iter().map(crate::endpoints::path).collect::<Vec<_>>(),
            vec!["/jobs/search", "/jobs/salary", "/jobs/providers", "/jobs/{id}", "/jobs"]
        );
        assert_eq!(parse("").unwrap(), PlanCatalog::document());
    }

    #[test]
    fn public_limits_default_to_the_document_and_may_be_lifted() {
        assert_eq!(parse("").unwrap().public_limits(), jobin_core::domain::PublicLimits::default());
        let c = parse("[public]\nregister_per_minute = 100000\nlogin_per_minute = 7").unwrap().public_limits();
        assert_eq!((c.register_per_minute, c.login_per_minute, c.refresh_per_minute), (100_000, 7, 10));
        assert_eq!(parse("[public]\nlogin_per_minute = 0").unwrap_err(), "public.login_per_minute must be at least 1");
        assert!(parse("[public]\nsignup_per_minute = 1").unwrap_err().contains("signup_per_minute"));
    }

    #[test]
    fn model_overrides_replace_retired_ids() {
        let m = parse_models(
            r#"
            [models.google.flash]
            model_id = "gemini-3.5-flash"
            status = "available"
            [models.qwen.plus]
            min_plan = "scale"
            "#,
        )
        .unwrap();
        let flash = m.model(AiProvider::Google, "flash").unwrap();
        assert_eq!((flash.model_id.as_str(), flash.status), ("gemini-3.5-flash", ModelStatus::Available));
        assert_eq!(m.model(AiProvider::Qwen, "plus").unwrap().min_plan, Plan::Scale);
        assert_eq!(parse_models("").unwrap(), ModelCatalog::document());
        for (text, needle) in [
            ("[models.mistral.x]\nstatus = \"available\"", "models.mistral: unknown provider"),
            ("[models.qwen.max]\nstatus = \"available\"", "models.qwen.max: no such model"),
            ("[models.qwen.turbo]\nstatus = \"live\"", "unknown status `live`"),
            ("[models.qwen.turbo]\nmodel = \"x\"", "unknown field `model`"),
        ] {
            let e = parse_models(text).unwrap_err();
            assert!(e.contains(needle), "{text:?} → {e}");
        }
    }

    #[test]
    fn mistakes_are_one_line_errors_naming_the_key() {
        for (text, needle) in [
            ("[plans.gold]\nper_minute = 5", "plans.gold: unknown plan `gold`"),
            ("[plans.free]\nper_minut = 5", "unknown field `per_minut`"),
            ("[plans.free]\nper_minute = 0", "plans.free.per_minute must be at least 1"),
            ("[plans.free]\nper_minute = -1", "per_minute"),
            ("[plans.pro]\nai_tiers = [\"mega\"]", "unknown tier `mega`"),
            ("[endpoints]\n\"/jobs/nope\" = \"free\"", "unknown endpoint `/jobs/nope`"),
            ("[endpoints]\n\"/jobs/search\" = \"gold\"", "endpoints.\"/jobs/search\": unknown plan"),
            ("not toml at all [", "TOML"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(needle), "{text:?} → {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
