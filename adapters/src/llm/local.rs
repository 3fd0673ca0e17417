//! `local`: deterministic rules instead of a model, so every AI endpoint works offline and without
//! keys (labelled `local` / `local-rules` in answers). Extraction: dictionary skills (with aliases)
//! found in the title, text and tags, plus the tags; seniority from the title; remote from the
//! text. Insight: template sentences over the computed facts, so nothing is invented. Fit score:
//! the rules score and its reasons (`domain::grounded::fit_rules`).

use async_trait::async_trait;
use jobin_core::domain::grounded::skill_trend;
use jobin_core::domain::normalize::seniority_from_title;
use jobin_core::domain::{AiProvider, PostingText, canonical_skill};
use jobin_core::ports::{ExtractItem, InsightFacts, LlmAnswer, LlmError, LlmProvider, LlmRequest, LlmTask};
use serde_json::{Value, json};

#[derive(Debug, Default, Clone, Copy)]
pub struct LocalRules;

fn extract(items: &[ExtractItem]) -> Value {
    let jobs: Vec<Value> = items
        .iter()
        .map(|i| {
            let tags = i.tags.join(" , ");
            let text = PostingText::new(&[&i.title, &i.text, &tags]);
            let mut skills: Vec<String> = Vec::new();
            let tag_skills = i.tags.iter().map(|t| canonical_skill(t).map(str::to_owned).unwrap_or_else(|| t.clone()));
            for s in tag_skills.chain(text.dictionary_skills().into_iter().map(str::to_owned)) {
                if !skills.iter().any(|k| k.eq_ignore_ascii_case(&s)) {
                    skills.push(s);
                }
            }
            json!({
                "id": i.id,
                "skills": skills,
                "seniority": seniority_from_title(&i.title).map(|s| s.as_str()),
                "remote": text.says_remote(),
            })
        })
        .collect();
    json!({ "jobs": jobs })
}

fn money(v: f64) -> String {
    jobin_core::domain::normalize::thousands(v.round() as i64)
}

fn insight(f: &InsightFacts) -> Value {
    let place = f.location.clone().unwrap_or_else(|| f.country.clone());
    let pct = |r: f64| format!("{}%", (r * 100.0).round());
    let mut summary = format!("{} postings for \u{201c}{}\u{201d} in {place} were analysed.", f.sample_size, f.query);
    if let Some((p25, median, p75)) = f.salary {
        summary.push_str(&format!(
            " The median annual salary is {} {} (middle half {}–{}), from {} postings that state one.",
            money(median),
            f.currency,
            money(p25),
            money(p75),
            f.salary_sample_size
        ));
    } else {
        summary.push_str(" None of them states a salary in the local currency.");
    }
    summary.push_str(&format!(" {} of postings offer remote work.", pct(f.remote_ratio)));
    let names: Vec<&str> = f.top_skills.iter().take(3).map(|s| s.skill.as_str()).collect();
    if !names.is_empty() {
        summary.push_str(&format!(" Most requested: {}.", names.join(", ")));
    }
    let top: Vec<Value> =
        f.top_skills.iter().take(8).map(|s| json!({"skill": s.skill, "trend": skill_trend(s)})).collect();
    let mut findings = Vec::new();
    if let Some(s) = f.top_skills.first() {
        findings.push(format!(
            "{} appears in {} of {} postings ({}).",
            s.skill,
            s.count,
            f.sample_size,
            pct(s.count as f64 / f.sample_size.max(1) as f64)
        ));
    }
    for s in f.top_skills.iter().filter(|s| skill_trend(s) == "rising").take(2) {
        findings.push(format!(
            "{} is rising: {} of newer postings against {} of older ones.",
            s.skill,
            pct(s.share_newer),
            pct(s.share_older)
        ));
    }
    if let Some((level, count)) = f.seniority.iter().filter(|(l, _)| l != "unknown").max_by_key(|(_, c)| *c) {
        findings.push(format!("The most common level is {level} ({count} postings)."));
    }
    findings.push(format!("{} of postings offer remote work.", pct(f.remote_ratio)));
    json!({ "summary": summary, "topSkills": top, "keyFindings": findings })
}

#[async_trait]
impl LlmProvider for LocalRules {
    fn provider(&self) -> AiProvider {
        AiProvider::Local
    }

    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        let v = match &req.task {
            LlmTask::Extract(items) => extract(items),
            LlmTask::Insight(facts) => insight(facts),
            LlmTask::Fit(facts) => {
                let (score, reasons) = jobin_core::domain::grounded::fit_rules(facts);
                json!({ "score": score, "reasons": reasons })
            }
        };
        Ok(LlmAnswer { text: v.to_string(), input_tokens: 0, output_tokens: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(72_000.4), "72,000");
        assert_eq!(money(1_234_567.0), "1,234,567");
        assert_eq!(money(950.0), "950");
    }

    #[test]
    fn extraction_uses_the_dictionary_title_and_text() {
        let v = extract(&[ExtractItem {
            id: "reed:1".into(),
            title: "Senior Golang Engineer".into(),
            text: "Fully remote. We run k8s and Postgres.".into(),
            tags: vec!["docker".into()],
        }]);
        assert_eq!(v["jobs"][0]["skills"], json!(["Docker", "Go", "PostgreSQL", "Kubernetes"]));
        assert_eq!(v["jobs"][0]["seniority"], json!("senior"));
        assert_eq!(v["jobs"][0]["remote"], json!(true));
    }
}
