//! The operator's catalog file (`JOBIN_CATALOG`): TOML overriding any plan value or endpoint
//! minimum plan of the compiled-in default. Unknown keys are errors, so a typo cannot pass
//! silently.
//!
//! ```toml
//! [plans.free]
//! monthly_requests = 2000
//! per_minute = 20
//!
//! [plans.pro]
//! ai_tiers = ["lite"]
//!
//! [endpoints]
//! "/jobs/salary" = "free"
//! ```

use jobin_core::domain::{AiTier, CatalogOverrides, Plan, PlanCatalog, PlanOverride};
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    monthly_requests: Option<u64>,
    per_minute: Option<u32>,
    data_sources: Option<u8>,
    ai_tiers: Option<Vec<String>>,
    price_usd_per_month: Option<u32>,
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
                data_sources: p.data_sources,
                ai_tiers,
                price_usd_per_month: p.price_usd_per_month,
            },
        );
    }
    for (path, plan) in file.endpoints {
        let plan = Plan::parse(&plan).map_err(|e| format!("endpoints.\"{path}\": {e}"))?;
        overrides.endpoints.insert(path, plan);
    }
    PlanCatalog::document().with_overrides(&overrides).map_err(|e| e.to_string())
}

/// Reads and parses the file at `path`.
pub fn load(path: &Path) -> Result<PlanCatalog, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
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
            [endpoints]
            "/jobs/salary" = "free"
            "#,
        )
        .unwrap();
        assert_eq!(c.terms(Plan::Free).monthly_requests, 2000);
        assert_eq!(c.terms(Plan::Free).per_minute, 20);
        assert_eq!(c.terms(Plan::Free).data_sources, 1);
        assert_eq!(c.terms(Plan::Pro).ai_tiers, vec![AiTier::Lite]);
        assert_eq!(c.terms(Plan::Scale), PlanCatalog::document().terms(Plan::Scale));
        assert_eq!(c.endpoints(Plan::Free), vec!["/jobs/search", "/jobs/salary", "/jobs/providers"]);
        assert_eq!(parse("").unwrap(), PlanCatalog::document());
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
