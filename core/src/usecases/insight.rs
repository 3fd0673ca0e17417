//! Market insight: a report. The figures (`salaryRange`, `remoteRatio`, `sampleSize`,
//! `dataQuality`) are computed from our data; the model only writes `summary`, picks `topSkills`
//! with a trend, and states `keyFindings`, all from the facts we give it:
//! - a skill the sample does not contain is dropped, and so is a trend other than rising,
//!   stable or declining;
//! - a finding that quotes a number not among the facts (beyond small counts up to 10) is
//!   dropped, so the model cannot invent statistics;
//! - an empty sample is answered without calling the model.
//!
//! `dataQuality`: `none` (no postings), `low` (under 15), `medium` (15 or more), `high` (50 or
//! more postings of which 20 or more state a salary). Skill trend: the skill's share of postings
//! in the newer half of the sample (by posting date) against the older half: `rising` when it
//! gained 5 points or more, `declining` when it lost 5 or more, else `stable`.
//!
//! Cached 6 hours per query + plan + model; a timeout (15 s) is a 503 with `Retry-After`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::grounded::TRENDS;
use crate::domain::{JobFacts, Plan, SalarySample, SalaryStats};
use crate::ports::{InsightFacts, LlmRequest, LlmTask, SkillFact};
use crate::services::ai::{AI_BUDGET, AiChoice};
use crate::services::enhance::{answer_strings, strip_fence};
use crate::usecases::analytics::{AnalyticsError, AnalyticsRequest, Corpus, Coverage, ratio};
use crate::usecases::trends::{SeniorityCounts, count_skills};

/// Skills given to the model as facts.
const FACT_SKILLS: usize = 12;
const MAX_FINDINGS: usize = 5;
const MAX_SUMMARY_CHARS: usize = 1_200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillTrend {
    pub skill: String,
    /// `rising`, `stable` or `declining`.
    pub trend: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalaryRange {
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightReport {
    pub query: String,
    pub location: Option<String>,
    pub country: String,
    pub summary: String,
    pub top_skills: Vec<SkillTrend>,
    /// `None` when no posting states a salary in the country's currency.
    pub salary_range: Option<SalaryRange>,
    pub remote_ratio: f64,
    pub key_findings: Vec<String>,
    pub data_quality: String,
    pub sample_size: usize,
    pub ai_provider: String,
    pub ai_model: String,
    pub coverage: Coverage,
    #[serde(skip)]
    pub cache_hit: bool,
}

/// Every `dataQuality` band, lowest first.
pub const DATA_QUALITY: [&str; 4] = ["none", "low", "medium", "high"];

/// `none`, `low`, `medium` or `high` (see the module doc).
pub fn data_quality(postings: usize, with_salary: usize) -> &'static str {
    match postings {
        0 => "none",
        n if n >= 50 && with_salary >= 20 => "high",
        n if n >= 15 => "medium",
        _ => "low",
    }
}

/// The facts about the matching postings' `facts` (see `domain::facts`).
pub fn facts(query: &str, location: Option<&str>, country: crate::domain::Country, jobs: &[JobFacts]) -> InsightFacts {
    let n = jobs.len();
    let currency = country.currency();
    let sample = SalarySample::of(jobs.iter().map(|j| j.salary.as_ref()), currency);
    let stats = SalaryStats::of(&sample.values);
    // Newer half first: posting date descending, undated last.
    let mut by_date: Vec<&JobFacts> = jobs.iter().collect();
    by_date.sort_by_key(|j| std::cmp::Reverse(j.posted_at));
    let half = n / 2;
    let skills: Vec<&[String]> = by_date.iter().map(|j| j.skills.as_slice()).collect();
    let share = |range: &[&[String]], skill: &str| {
        if range.is_empty() {
            0.0
        } else {
            range.iter().filter(|s| s.iter().any(|k| k.eq_ignore_ascii_case(skill))).count() as f64 / range.len() as f64
        }
    };
    let top_skills = count_skills(skills.iter().copied())
        .into_iter()
        .take(FACT_SKILLS)
        .map(|(skill, count)| SkillFact {
            share_newer: share(&skills[..half], &skill),
            share_older: share(&skills[half..], &skill),
            skill,
            count,
        })
        .collect();
    let mut seniority = SeniorityCounts::default();
    for j in jobs {
        seniority.add(j.seniority);
    }
    let remote = jobs.iter().filter(|j| j.remote).count();
    let s = &seniority;
    InsightFacts {
        query: query.to_owned(),
        location: location.map(str::to_owned),
        country: country.iso().to_owned(),
        sample_size: n,
        currency: currency.to_owned(),
        salary: stats.as_ref().map(|st| (st.p25, st.median, st.p75)),
        salary_sample_size: sample.values.len(),
        remote_ratio: ratio(remote, n),
        top_skills,
        seniority: [
            ("intern", s.intern),
            ("junior", s.junior),
            ("mid", s.mid),
            ("senior", s.senior),
            ("lead", s.lead),
            ("executive", s.executive),
            ("unknown", s.unknown),
        ]
        .into_iter()
        .filter(|(_, c)| *c > 0)
        .map(|(k, c)| (k.to_owned(), c))
        .collect(),
        data_quality: data_quality(n, sample.values.len()).to_owned(),
    }
}

/// The JSON Schema of the model's part of the report.
pub fn insight_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "topSkills": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "skill": {"type": "string"},
                        "trend": {"type": "string", "enum": ["rising", "stable", "declining"]}
                    },
                    "required": ["skill", "trend"],
                    "additionalProperties": false
                }
            },
            "keyFindings": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["summary", "topSkills", "keyFindings"],
        "additionalProperties": false
    })
}

fn insight_request(facts: InsightFacts) -> LlmRequest {
    let system = "You are a job-market analyst. Using ONLY the facts given (never outside knowledge, never \
        invented numbers), reply with JSON only: {\"summary\":\"2-4 sentences\",\"topSkills\":[{\"skill\":\"<one of \
        the given skills>\",\"trend\":\"rising|stable|declining\"}],\"keyFindings\":[\"up to 5 short findings, \
        quoting only numbers from the facts\"]}. The trend of a skill compares its share of the newer half of \
        postings (share_newer) with the older half (share_older).";
    LlmRequest::over_facts(system, &facts, "market_insight", insight_schema(), 900, LlmTask::Insight(facts.clone()))
}

/// Numbers a finding may quote: every figure of the facts, as written or rounded, as a percentage
/// for ratios, and in thousands (`55k`).
fn allowed_numbers(f: &InsightFacts) -> Vec<f64> {
    let mut v = vec![f.sample_size as f64, f.salary_sample_size as f64, f.remote_ratio, f.remote_ratio * 100.0];
    if let Some((a, b, c)) = f.salary {
        v.extend([a, b, c, a / 1000.0, b / 1000.0, c / 1000.0]);
    }
    for s in &f.top_skills {
        v.extend([
            s.count as f64,
            s.share_newer * 100.0,
            s.share_older * 100.0,
            (s.share_newer - s.share_older) * 100.0,
        ]);
        v.push(s.count as f64 / f.sample_size.max(1) as f64 * 100.0);
    }
    v.extend(f.seniority.iter().map(|(_, c)| *c as f64));
    v.extend(f.seniority.iter().map(|(_, c)| *c as f64 / f.sample_size.max(1) as f64 * 100.0));
    v
}

/// The numbers written in `text` ("55,000", "72k", "38%", "0.41").
fn numbers_in(text: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || ((chars[i] == ',' || chars[i] == '.') && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().filter(|c| **c != ',').collect();
            if let Ok(mut n) = raw.parse::<f64>() {
                if matches!(chars.get(i), Some('k' | 'K')) {
                    n *= 1000.0;
                }
                out.push(n);
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Whether every number in `finding` is one of the facts (within 1 % or 1 unit) or a small count.
fn grounded_finding(finding: &str, allowed: &[f64]) -> bool {
    numbers_in(finding).iter().all(|n| {
        *n <= 10.0
            || allowed.iter().any(|a| {
                let close = |x: f64| (x - n).abs() <= 1.0 || (x - n).abs() <= x.abs() * 0.01;
                close(*a) || close(*a * 1000.0)
            })
    })
}

/// The model's part, validated against the facts.
pub fn parse_insight(text: &str, facts: &InsightFacts) -> Result<(String, Vec<SkillTrend>, Vec<String>), String> {
    let root: Value = serde_json::from_str(strip_fence(text)).map_err(|e| format!("not JSON ({e})"))?;
    let summary = root.get("summary").and_then(Value::as_str).map(str::trim).unwrap_or_default();
    if summary.is_empty() {
        return Err("no `summary`".into());
    }
    let summary: String = summary.chars().take(MAX_SUMMARY_CHARS).collect();
    let skills = root.get("topSkills").and_then(Value::as_array).ok_or("no `topSkills` array")?;
    let mut top = Vec::new();
    for s in skills {
        let (Some(skill), Some(trend)) =
            (s.get("skill").and_then(Value::as_str), s.get("trend").and_then(Value::as_str))
        else {
            continue;
        };
        let Some(known) = facts.top_skills.iter().find(|f| f.skill.eq_ignore_ascii_case(skill.trim())) else {
            continue;
        };
        if !TRENDS.contains(&trend) || top.iter().any(|t: &SkillTrend| t.skill == known.skill) {
            continue;
        }
        top.push(SkillTrend { skill: known.skill.clone(), trend: trend.to_owned() });
    }
    let allowed = allowed_numbers(facts);
    let findings = answer_strings(&root, "keyFindings")?
        .filter(|f| grounded_finding(f, &allowed))
        .take(MAX_FINDINGS)
        .map(str::to_owned)
        .collect();
    Ok((summary, top, findings))
}

#[derive(Clone)]
pub struct Insight {
    pub corpus: Corpus,
    pub ai: crate::services::ai::AiGateway,
    pub budget: std::time::Duration,
}

impl Insight {
    pub fn new(corpus: Corpus, ai: crate::services::ai::AiGateway) -> Self {
        Self { corpus, ai, budget: AI_BUDGET }
    }

    pub async fn execute(&self, req: AnalyticsRequest, choice: &AiChoice) -> Result<InsightReport, AnalyticsError> {
        let plan = req.plan.unwrap_or(Plan::Free);
        let sel = self.ai.select(plan, choice, true)?;
        let subject = self.corpus.subject(&req)?;
        let key = format!("insight:v2:{}:{}:{}", sel.provider(), sel.model.model_id, subject.key);
        if let Some(mut hit) = self.corpus.cached::<InsightReport>(&key).await {
            hit.cache_hit = true;
            return Ok(hit);
        }
        let sample = self.corpus.sample(&subject).await?;
        let f = facts(subject.query.q(), subject.query.location(), subject.query.country(), &sample.facts);
        let (summary, top_skills, key_findings) = if f.sample_size == 0 {
            let place = subject.query.location().map_or_else(|| f.country.clone(), str::to_owned);
            (
                format!(
                    "No postings matched \u{201c}{}\u{201d} in {place}; there is nothing to analyse.",
                    subject.query.q()
                ),
                vec![],
                vec![],
            )
        } else {
            let answer = self.ai.complete(&sel, insight_request(f.clone()), self.budget).await?;
            parse_insight(&answer.text, &f).map_err(|reason| self.ai.rejected_answer(&sel, "insight", reason))?
        };
        let report = InsightReport {
            query: subject.query.q().to_owned(),
            location: subject.query.location().map(str::to_owned),
            country: subject.query.country().code().to_owned(),
            summary,
            top_skills,
            salary_range: f.salary.map(|(p25, median, p75)| SalaryRange {
                p25,
                median,
                p75,
                currency: f.currency.clone(),
            }),
            remote_ratio: f.remote_ratio,
            key_findings,
            data_quality: f.data_quality.clone(),
            sample_size: f.sample_size,
            ai_provider: sel.provider().as_str().to_owned(),
            ai_model: sel.model.model_id.clone(),
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
    use crate::domain::grounded::skill_trend;
    use crate::domain::{Country, Job, PayPeriod, Salary, SourceId};

    fn facts_for(jobs: &[Job]) -> InsightFacts {
        let jobs: Vec<JobFacts> = jobs.iter().map(JobFacts::of).collect();
        facts("rust developer", Some("London"), Country::Gb, &jobs)
    }

    fn job(i: usize, salary: f64, skills: &[&str]) -> Job {
        let mut j = Job::sample(SourceId::Reed, &i.to_string(), "Senior Rust Developer", "Acme", "London");
        j.salary = Some(Salary { min: salary, max: salary, currency: "GBP".into(), period: PayPeriod::Year });
        j.skills = skills.iter().map(|s| s.to_string()).collect();
        j.posted_at = Some(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH + chrono::Duration::days(i as i64));
        j
    }

    #[test]
    fn facts_come_from_the_data_and_trends_from_the_halves() {
        // Newer postings (higher i) use Kubernetes; older ones do not.
        let jobs: Vec<Job> = (0..20)
            .map(|i| job(i, 50_000.0 + i as f64 * 1_000.0, if i >= 10 { &["Rust", "Kubernetes"] } else { &["Rust"] }))
            .collect();
        let f = facts_for(&jobs);
        assert_eq!((f.sample_size, f.salary_sample_size, f.data_quality.as_str()), (20, 20, "medium"));
        assert_eq!(f.salary, Some((54_750.0, 59_500.0, 64_250.0)));
        let k8s = f.top_skills.iter().find(|s| s.skill == "Kubernetes").unwrap();
        assert_eq!(skill_trend(k8s), "rising");
        let rust = f.top_skills.iter().find(|s| s.skill == "Rust").unwrap();
        assert_eq!((rust.count, skill_trend(rust)), (20, "stable"));
        assert_eq!(f.seniority, vec![("senior".to_owned(), 20)]);
    }

    #[test]
    fn invented_skills_trends_and_numbers_are_dropped() {
        let jobs: Vec<Job> = (0..20).map(|i| job(i, 60_000.0, &["Rust"])).collect();
        let f = facts_for(&jobs);
        let answer = json!({
            "summary": "Rust is in demand.",
            "topSkills": [{"skill": "rust", "trend": "rising"}, {"skill": "COBOL", "trend": "rising"}, {"skill": "Rust", "trend": "stable"}],
            "keyFindings": ["Median pay is 60,000 GBP", "Rust appears in 100% of 20 postings", "Next.js up 34% YoY", "Top 3 skills dominate"]
        });
        let (summary, top, findings) = parse_insight(&answer.to_string(), &f).unwrap();
        assert_eq!(summary, "Rust is in demand.");
        assert_eq!(top, vec![SkillTrend { skill: "Rust".into(), trend: "rising".into() }]);
        assert_eq!(
            findings,
            vec!["Median pay is 60,000 GBP", "Rust appears in 100% of 20 postings", "Top 3 skills dominate"]
        );
        assert!(parse_insight("{\"summary\":\"\"}", &f).is_err());
        assert!(parse_insight("not json", &f).is_err());
    }

    #[test]
    fn data_quality_bands() {
        assert_eq!(data_quality(0, 0), "none");
        assert_eq!(data_quality(5, 5), "low");
        assert_eq!(data_quality(60, 10), "medium");
        assert_eq!(data_quality(60, 20), "high");
    }
}
