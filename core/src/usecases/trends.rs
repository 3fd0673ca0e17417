//! Skill trends: skill, remote and seniority counts over every matching posting of the
//! corpus (`analytics`), from each posting's stored facts (`domain::facts`: board tags plus the
//! dictionary skills its text mentions; remote by flag or text; seniority stated or in the
//! title). The selected model is checked against the plan (headers required, tiers) and keys the
//! cache; the figures are ours, computed the same way for every model, so they equal an
//! independent count over the same postings. Cached 6 hours per query + plan + model.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::domain::{Plan, Seniority};
use crate::services::ai::{AiChoice, AiGateway};
use crate::usecases::analytics::{AnalyticsError, AnalyticsRequest, Corpus, Coverage, ratio};

/// Skills listed in `topSkills`.
pub const TOP_SKILLS: usize = 15;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillCount {
    pub skill: String,
    /// Postings that require it.
    pub count: usize,
    /// `count / sampleSize`, two decimals.
    pub ratio: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeniorityCounts {
    pub intern: usize,
    pub junior: usize,
    pub mid: usize,
    pub senior: usize,
    pub lead: usize,
    pub executive: usize,
    /// Postings whose level neither the board nor the model could tell.
    pub unknown: usize,
}

impl SeniorityCounts {
    pub fn add(&mut self, s: Option<Seniority>) {
        let slot = match s {
            Some(Seniority::Intern) => &mut self.intern,
            Some(Seniority::Junior) => &mut self.junior,
            Some(Seniority::Mid) => &mut self.mid,
            Some(Seniority::Senior) => &mut self.senior,
            Some(Seniority::Lead) => &mut self.lead,
            Some(Seniority::Executive) => &mut self.executive,
            None => &mut self.unknown,
        };
        *slot += 1;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendsReport {
    pub query: String,
    pub location: Option<String>,
    pub country: String,
    pub sample_size: usize,
    pub ai_provider: String,
    pub ai_model: String,
    pub top_skills: Vec<SkillCount>,
    pub remote_ratio: f64,
    pub seniority: SeniorityCounts,
    pub coverage: Coverage,
    #[serde(skip)]
    pub cache_hit: bool,
}

/// Skill → postings, most frequent first (ties by name), counting each posting once per skill.
pub(crate) fn count_skills<'a>(per_job: impl Iterator<Item = &'a [String]>) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, (String, usize)> = HashMap::new();
    for skills in per_job {
        let mut seen = std::collections::HashSet::new();
        for s in skills {
            let k = s.to_lowercase();
            if seen.insert(k.clone()) {
                counts.entry(k).or_insert_with(|| (s.clone(), 0)).1 += 1;
            }
        }
    }
    let mut v: Vec<(String, usize)> = counts.into_values().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.to_lowercase().cmp(&b.0.to_lowercase())));
    v
}

#[derive(Clone)]
pub struct Trends {
    pub corpus: Corpus,
    pub ai: AiGateway,
}

impl Trends {
    pub async fn execute(&self, req: AnalyticsRequest, choice: &AiChoice) -> Result<TrendsReport, AnalyticsError> {
        let plan = req.plan.unwrap_or(Plan::Free);
        let sel = self.ai.select(plan, choice, true)?;
        let subject = self.corpus.subject(&req)?;
        let key = format!("trends:v2:{}:{}:{}", sel.provider(), sel.model.model_id, subject.key);
        if let Some(mut hit) = self.corpus.cached::<TrendsReport>(&key).await {
            hit.cache_hit = true;
            return Ok(hit);
        }
        let sample = self.corpus.sample(&subject).await?;
        let facts = &sample.facts;
        let n = facts.len();
        let mut seniority = SeniorityCounts::default();
        for f in facts {
            seniority.add(f.seniority);
        }
        let report = TrendsReport {
            query: subject.query.q().to_owned(),
            location: subject.query.location().map(str::to_owned),
            country: subject.query.country().code().to_owned(),
            sample_size: n,
            ai_provider: sel.provider().as_str().to_owned(),
            ai_model: sel.model.model_id.clone(),
            top_skills: count_skills(facts.iter().map(|f| f.skills.as_slice()))
                .into_iter()
                .take(TOP_SKILLS)
                .map(|(skill, count)| SkillCount { skill, count, ratio: ratio(count, n) })
                .collect(),
            remote_ratio: ratio(facts.iter().filter(|f| f.remote).count(), n),
            seniority,
            coverage: sample.coverage,
            cache_hit: false,
        };
        self.corpus.store(&key, &report, sample.complete).await;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skills_count_once_per_posting_ignoring_case() {
        let a = vec!["Rust".to_owned(), "rust".to_owned(), "SQL".to_owned()];
        let b = vec!["SQL".to_owned()];
        let got = count_skills([a.as_slice(), b.as_slice()].into_iter());
        assert_eq!(got, vec![("SQL".to_owned(), 2), ("Rust".to_owned(), 1)]);
    }
}
