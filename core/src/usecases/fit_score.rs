//! How well an application's linked job fits a job seeker's profile: a 0–100 score with reasons.
//!
//! The facts come from the stored posting and the profile, computed here: the skills the posting
//! names (its stated skills and the dictionary skills of its title and text), which of them the
//! profile has, the seniority gap, and whether the place fits. A model chosen through the AI
//! gateway (the `local` provider needs none) turns them into a score and reasons; every reason is
//! checked against the posting, and one naming a skill the posting does not name is dropped. When
//! none survive, the reasons are written from the facts.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::domain::grounded::fit_rules;
use crate::domain::normalize::{fold, query_words, words_match};
use crate::domain::{AccountId, FieldError, Job, Plan, PostingText, Seniority, canonical_skill};
use crate::ports::{ApplicationStore, ApplicationStoreError, FitFacts, JobStore, JobStoreError, LlmRequest, LlmTask};
use crate::services::ai::{AI_BUDGET, AiChoice, AiError, AiGateway};
use crate::services::enhance::{answer_strings, strip_fence};
use crate::{Code, ErrorCode};

pub const PROFILE_SKILLS_MAX: usize = 50;
pub const PROFILE_LOCATIONS_MAX: usize = 10;
pub const PROFILE_ENTRY_MAX_CHARS: usize = 100;
const REASONS_MAX: usize = 6;
const REASON_MAX_CHARS: usize = 300;
const EXCERPT_CHARS: usize = 1_500;

/// The profile as the client sends it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub skills: Vec<String>,
    pub seniority: Option<String>,
    pub locations: Vec<String>,
    pub remote: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FitScore {
    pub application_id: i64,
    pub job_id: String,
    pub score: u8,
    pub reasons: Vec<String>,
    pub matched_skills: Vec<String>,
    pub missing_skills: Vec<String>,
    pub ai_provider: String,
    pub ai_model: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FitScoreError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error("No application has the id {0}.")]
    NotFound(i64),
    #[error("Application {0} is not linked to a JobIn job (`job_id`); link one to score it.")]
    NoLinkedJob(i64),
    #[error("The job `{0}` this application links to is no longer stored.")]
    JobGone(String),
    #[error(transparent)]
    Ai(#[from] AiError),
    #[error(transparent)]
    Store(ApplicationStoreError),
    #[error(transparent)]
    Jobs(JobStoreError),
}

impl ErrorCode for FitScoreError {
    fn code(&self) -> Code {
        match self {
            FitScoreError::Invalid(_) => Code::ValidationFailed,
            FitScoreError::NotFound(_) => Code::ApplicationNotFound,
            FitScoreError::NoLinkedJob(_) => Code::NoLinkedJob,
            FitScoreError::JobGone(_) => Code::JobNotFound,
            FitScoreError::Ai(e) => e.code(),
            FitScoreError::Store(ApplicationStoreError::Unavailable(_)) => Code::DependencyUnavailable,
            FitScoreError::Jobs(e) if e.is_outage() => Code::DependencyUnavailable,
            FitScoreError::Store(_) | FitScoreError::Jobs(_) => Code::Internal,
        }
    }
}

fn entries(field: &'static str, raw: &[String], max: usize) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for e in raw {
        let e = e.trim();
        if e.is_empty() || e.chars().count() > PROFILE_ENTRY_MAX_CHARS || e.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                format!("each entry must be 1 to {PROFILE_ENTRY_MAX_CHARS} characters"),
            ));
        }
        if !out.iter().any(|x| x.eq_ignore_ascii_case(e)) {
            out.push(e.to_owned());
        }
    }
    if out.len() > max {
        return Err(FieldError::new(field, format!("at most {max} entries")));
    }
    Ok(out)
}

/// A skill under its dictionary name when it has one.
fn canonical(skill: &str) -> String {
    canonical_skill(skill).map_or_else(|| skill.trim().to_owned(), str::to_owned)
}

/// The skills a posting names: its stated skills and the dictionary skills of its title, text and
/// categories, under their dictionary names, each once.
pub fn posting_skills(job: &Job) -> Vec<String> {
    let categories = job.details.categories.join(" , ");
    let text = PostingText::new(&[&job.title, &job.description, &categories]);
    let mut out: Vec<String> = Vec::new();
    for s in job.skills.iter().map(|s| canonical(s)).chain(text.dictionary_skills().into_iter().map(str::to_owned)) {
        if !s.is_empty() && !out.iter().any(|x| x.eq_ignore_ascii_case(&s)) {
            out.push(s);
        }
    }
    out
}

/// The facts of `job` against a checked profile.
pub fn facts(
    job: &Job,
    skills: &[String],
    seniority: Option<Seniority>,
    locations: &[String],
    remote: Option<bool>,
) -> FitFacts {
    let posting = posting_skills(job);
    let profile: Vec<String> = skills.iter().map(|s| canonical(s)).collect();
    let has = |s: &String| profile.iter().any(|p| p.eq_ignore_ascii_case(s));
    let (matched, missing): (Vec<String>, Vec<String>) = posting.iter().cloned().partition(has);
    let seniority_gap = match (job.seniority, seniority) {
        (Some(a), Some(b)) => Some((a as u8).abs_diff(b as u8)),
        _ => None,
    };
    let posting_location = job.location.line();
    let folded_place = posting_location.as_deref().map(fold).unwrap_or_default();
    let location_match = (!locations.is_empty())
        .then(|| !folded_place.is_empty() && locations.iter().any(|l| words_match(&query_words(l), &folded_place)));
    FitFacts {
        title: job.title.clone(),
        company: job.company.clone(),
        posting_skills: posting,
        matched_skills: matched,
        missing_skills: missing,
        profile_skill_count: profile.len(),
        posting_seniority: job.seniority.map(|s| s.as_str().to_owned()),
        profile_seniority: seniority.map(|s| s.as_str().to_owned()),
        seniority_gap,
        posting_location,
        posting_remote: job.remote,
        profile_locations: locations.to_vec(),
        profile_remote: remote,
        location_match,
        excerpt: job.description.chars().take(EXCERPT_CHARS).collect(),
    }
}

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "reasons": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["score", "reasons"],
        "additionalProperties": false
    })
}

fn request(facts: FitFacts) -> LlmRequest {
    let system = "You assess how well a job posting fits a job seeker. Using ONLY the facts given, answer JSON \
        {\"score\": integer 0-100, \"reasons\": [short sentences]}. Skills weigh most, then seniority, then place. \
        Name only skills from posting_skills; never mention a skill the posting does not name.";
    LlmRequest::over_facts(system, &facts, "fit_score", schema(), 600, LlmTask::Fit(facts.clone()))
}

/// Whether `reason` names only skills the posting names: no dictionary skill and no profile skill
/// outside the posting's.
pub fn grounded_reason(reason: &str, facts: &FitFacts, profile_skills: &[String]) -> bool {
    let text = PostingText::new(&[reason]);
    let in_posting = |s: &str| facts.posting_skills.iter().any(|p| p.eq_ignore_ascii_case(s));
    text.dictionary_skills().into_iter().all(in_posting)
        && profile_skills.iter().map(|s| canonical(s)).filter(|s| text.mentions(s)).all(|s| in_posting(&s))
}

/// The model's answer, checked: a whole score within 0–100 (else the answer is refused) and the
/// grounded reasons (at most six, each at most 300 characters).
pub fn parse_answer(text: &str, facts: &FitFacts, profile_skills: &[String]) -> Result<(u8, Vec<String>), String> {
    let root: Value = serde_json::from_str(strip_fence(text)).map_err(|e| format!("not JSON ({e})"))?;
    let score = root.get("score").and_then(Value::as_f64).ok_or("no numeric `score`")?;
    if !(0.0..=100.0).contains(&score) || score.fract() != 0.0 {
        return Err(format!("score {score} is not a whole number from 0 to 100"));
    }
    let reasons = answer_strings(&root, "reasons")?
        .filter(|r| r.chars().count() <= REASON_MAX_CHARS)
        .filter(|r| grounded_reason(r, facts, profile_skills))
        .take(REASONS_MAX)
        .map(str::to_owned)
        .collect();
    Ok((score as u8, reasons))
}

pub struct ScoreApplication {
    pub applications: Arc<dyn ApplicationStore>,
    pub jobs: Arc<dyn JobStore>,
    pub ai: AiGateway,
    pub budget: std::time::Duration,
}

impl ScoreApplication {
    pub fn new(applications: Arc<dyn ApplicationStore>, jobs: Arc<dyn JobStore>, ai: AiGateway) -> Self {
        Self { applications, jobs, ai, budget: AI_BUDGET }
    }

    /// The gateway's model for `plan`: the client's choice (the `local` rules for every plan, other
    /// providers' models as the plan allows), or without one the default provider's model when the
    /// plan may use it and the `local` rules otherwise.
    fn select(&self, plan: Plan, choice: &AiChoice) -> Result<crate::services::ai::Selection, AiError> {
        let local = crate::domain::AiProvider::Local.as_str();
        let chosen = choice.provider.as_deref().map(str::trim).filter(|p| !p.is_empty());
        match chosen {
            Some(p) if p.eq_ignore_ascii_case(local) => match choice.model.as_deref().map(str::trim) {
                None | Some("") => self.ai.local_rules(),
                // A named local model is checked as a model (it exists), not against the plan.
                Some(_) => self.ai.select(Plan::Scale, choice, false),
            },
            Some(_) => self.ai.select(plan, choice, false),
            None => self.ai.select(plan, choice, false).or_else(|_| self.ai.local_rules()),
        }
    }

    pub async fn execute(
        &self,
        account: AccountId,
        plan: Plan,
        id: i64,
        profile: Profile,
        choice: &AiChoice,
    ) -> Result<FitScore, FitScoreError> {
        let skills = entries("skills", &profile.skills, PROFILE_SKILLS_MAX).map_err(FitScoreError::Invalid)?;
        let locations =
            entries("locations", &profile.locations, PROFILE_LOCATIONS_MAX).map_err(FitScoreError::Invalid)?;
        let seniority = match profile.seniority.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Some(Seniority::parse(&raw.to_lowercase()).ok_or_else(|| {
                FitScoreError::Invalid(FieldError::new(
                    "seniority",
                    format!("`{raw}` is not one of intern, junior, mid, senior, lead, executive"),
                ))
            })?),
            None => None,
        };
        let sel = self.select(plan, choice)?;
        let app = self
            .applications
            .get(account, id)
            .await
            .map_err(FitScoreError::Store)?
            .ok_or(FitScoreError::NotFound(id))?;
        let job_id = app.fields.job_id.ok_or(FitScoreError::NoLinkedJob(id))?;
        let job = match self.jobs.get(&job_id).await.map_err(FitScoreError::Jobs)? {
            Some(found) => found.stored.job,
            None => return Err(FitScoreError::JobGone(job_id)),
        };
        let f = facts(&job, &skills, seniority, &locations, profile.remote);
        let answer = self.ai.complete(&sel, request(f.clone()), self.budget).await?;
        let (score, mut reasons) = parse_answer(&answer.text, &f, &skills)
            .map_err(|reason| self.ai.rejected_answer(&sel, "fit_score", reason))?;
        if reasons.is_empty() {
            reasons = fit_rules(&f).1;
        }
        Ok(FitScore {
            application_id: id,
            job_id: job.id,
            score,
            reasons,
            matched_skills: f.matched_skills,
            missing_skills: f.missing_skills,
            ai_provider: sel.provider().as_str().to_owned(),
            ai_model: sel.model.model_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SourceId;

    fn job() -> Job {
        let mut j = Job::sample(SourceId::Reed, "1", "Senior Data Engineer", "Acme", "Leeds");
        j.location.country = "GB".into();
        j.seniority = Some(Seniority::Senior);
        j.skills = vec!["python".into(), "SQL".into()];
        j.description = "Build pipelines with Apache Spark and Airflow.".into();
        j.remote = false;
        j
    }

    fn profile_facts(
        skills: &[&str],
        seniority: Option<Seniority>,
        locations: &[&str],
        remote: Option<bool>,
    ) -> FitFacts {
        let skills: Vec<String> = skills.iter().map(|s| s.to_string()).collect();
        let locations: Vec<String> = locations.iter().map(|s| s.to_string()).collect();
        facts(&job(), &skills, seniority, &locations, remote)
    }

    #[test]
    fn facts_name_the_postings_skills_and_split_them_by_the_profile() {
        let f = profile_facts(&["Python", "postgresql", "sql"], Some(Seniority::Mid), &["leeds"], None);
        assert_eq!(f.posting_skills, ["Python", "SQL", "Spark", "Airflow"]);
        assert_eq!(
            (f.matched_skills.as_slice(), f.missing_skills.as_slice()),
            (&["Python".to_owned(), "SQL".to_owned()][..], &["Spark".to_owned(), "Airflow".to_owned()][..])
        );
        assert_eq!((f.seniority_gap, f.location_match), (Some(1), Some(true)));
    }

    #[test]
    fn the_rules_score_weighs_skills_seniority_and_place() {
        // 2 of 4 skills (30) + one level apart (10) + in Leeds (20).
        let (score, reasons) = fit_rules(&profile_facts(&["Python", "SQL"], Some(Seniority::Mid), &["Leeds"], None));
        assert_eq!(score, 60);
        assert_eq!(reasons[0], "The profile has 2 of the 4 skills the posting names: Python and SQL.");
        assert_eq!(reasons[1], "Not in the profile: Spark and Airflow.");
        // Everything, same level, but only remote wanted and the posting is on site.
        let all = &["Python", "SQL", "Spark", "Airflow"];
        let (score, reasons) = fit_rules(&profile_facts(all, Some(Seniority::Senior), &[], Some(true)));
        assert_eq!(score, 80);
        assert!(reasons.last().unwrap().contains("does not offer remote work"), "{reasons:?}");
        // Nothing stated: half points where unknown.
        assert_eq!(fit_rules(&profile_facts(&[], None, &[], None)).0, 20);
    }

    #[test]
    fn rules_reasons_are_grounded() {
        let f = profile_facts(&["Python", "Kubernetes"], None, &[], None);
        let profile = vec!["Python".to_owned(), "Kubernetes".to_owned()];
        for r in fit_rules(&f).1 {
            assert!(grounded_reason(&r, &f, &profile), "{r}");
        }
    }

    #[test]
    fn a_models_reason_naming_a_skill_the_posting_does_not_name_is_dropped() {
        let f = profile_facts(&["Python", "Kubernetes"], None, &[], None);
        let profile = vec!["Python".to_owned(), "Kubernetes".to_owned()];
        let answer = r#"{"score": 72, "reasons": [
            "Python matches the posting.",
            "Your Kubernetes experience is a plus.",
            "Strong Java background fits.",
            "Spark is missing from the profile."
        ]}"#;
        let (score, reasons) = parse_answer(answer, &f, &profile).unwrap();
        assert_eq!(score, 72);
        assert_eq!(reasons, ["Python matches the posting.", "Spark is missing from the profile."]);
        for bad in
            [r#"{"score": 140, "reasons": []}"#, r#"{"score": 7.5, "reasons": []}"#, "not json", r#"{"reasons": []}"#]
        {
            assert!(parse_answer(bad, &f, &profile).is_err(), "{bad}");
        }
    }
}
