//! `GET /jobs/trends`: the selected model extracts skills, seniority and remote from every posting
//! in the sample (the enhance step, with its per-job cache and grounding); the counts are ours.
//! Cached 6 hours per query + plan + model. If the model cannot finish within the 15 s budget
//! the answer is the AI error (503 with `Retry-After`): trends without the model would not be
//! what the caller chose.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::domain::{Plan, Seniority};
use crate::usecases::ai::{AiChoice, AiError, Selection};
use crate::usecases::analytics::{AnalyticsRequest, Sampler, ratio};
use crate::usecases::enhance::Enhancer;
use crate::usecases::search::SearchError;
use crate::{Code, ErrorCode};

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
    #[serde(skip)]
    pub cache_hit: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error(transparent)]
    Query(#[from] SearchError),
    #[error(transparent)]
    Ai(#[from] AiError),
}

impl ErrorCode for AnalyticsError {
    fn code(&self) -> Code {
        match self {
            AnalyticsError::Query(e) => e.code(),
            AnalyticsError::Ai(e) => e.code(),
        }
    }
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
    pub sampler: Sampler,
    pub enhancer: Enhancer,
}

impl Trends {
    pub async fn execute(&self, req: AnalyticsRequest, choice: &AiChoice) -> Result<TrendsReport, AnalyticsError> {
        let plan = req.plan.unwrap_or(Plan::Free);
        let sel: Selection = self.enhancer.ai.select(plan, choice, true)?;
        let subject = self.sampler.subject(&req)?;
        let key = format!("trends:v1:{}:{}:{}", sel.provider(), sel.model.model_id, subject.key);
        if let Some(mut hit) = self.sampler.cached::<TrendsReport>(&key).await {
            hit.cache_hit = true;
            return Ok(hit);
        }
        let outcome = self.sampler.sample(&req).await?;
        let enhanced = self.enhancer.run(outcome.jobs.clone(), &sel).await;
        if let Some(reason) = enhanced.reason {
            return Err(reason.into());
        }
        let jobs = enhanced.jobs;
        let n = jobs.len();
        let mut seniority = SeniorityCounts::default();
        for j in &jobs {
            seniority.add(j.seniority);
        }
        let report = TrendsReport {
            query: subject.q,
            location: subject.location,
            country: subject.country.code().to_owned(),
            sample_size: n,
            ai_provider: sel.provider().as_str().to_owned(),
            ai_model: sel.model.model_id.clone(),
            top_skills: count_skills(jobs.iter().map(|j| j.skills.as_slice()))
                .into_iter()
                .take(TOP_SKILLS)
                .map(|(skill, count)| SkillCount { skill, count, ratio: ratio(count, n) })
                .collect(),
            remote_ratio: ratio(jobs.iter().filter(|j| j.remote).count(), n),
            seniority,
            cache_hit: false,
        };
        self.sampler.store(&key, &report, &outcome).await;
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
