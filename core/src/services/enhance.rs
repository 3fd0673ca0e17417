//! AI enhancement of search results (`enhance=true`): skills, seniority and remote per job.
//!
//! Jobs are sent in batches (10 per prompt) with a JSON schema. Every answer is validated: it must
//! be a JSON object with one entry per job of the batch; a skill that the posting's title, text
//! or tags do not mention is dropped; seniority must be one of the six levels. Results are cached
//! per job fingerprint + model for 7 days, so a repeated search costs no AI call. The whole step
//! has a 15 s budget; if any batch fails or the budget runs out, the jobs are returned
//! unenhanced with the reason (batches that did finish stay cached).

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::domain::{Fingerprint, Job, PostingText, Seniority, grounded_skills};
use crate::ports::{Cache, ExtractItem, LlmRequest, LlmTask};
use crate::services::ai::{AI_BUDGET, AiError, AiGateway, Selection};

/// Jobs per prompt.
pub const BATCH_SIZE: usize = 10;
/// Batches in flight at once.
pub const PARALLEL_BATCHES: usize = 4;
/// How long one job's extraction stays cached.
pub const ENHANCE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Description characters sent per job.
const TEXT_CHARS: usize = 1_500;

/// What the model found in one posting (after validation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extraction {
    pub skills: Vec<String>,
    pub seniority: Option<Seniority>,
    pub remote: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Enhanced {
    /// Enhanced jobs, or the input unchanged when `enhanced` is false.
    pub jobs: Vec<Job>,
    pub enhanced: bool,
    /// Why the jobs are not enhanced.
    pub reason: Option<AiError>,
    /// Prompts sent (0 when every job came from the cache).
    pub llm_calls: usize,
    /// Jobs whose extraction came from the cache.
    pub cache_hits: usize,
}

#[derive(Clone)]
pub struct Enhancer {
    pub ai: AiGateway,
    pub cache: Arc<dyn Cache>,
    pub budget: Duration,
}

impl Enhancer {
    pub fn new(ai: AiGateway, cache: Arc<dyn Cache>) -> Self {
        Self { ai, cache, budget: AI_BUDGET }
    }

    pub async fn run(&self, jobs: Vec<Job>, sel: &Selection) -> Enhanced {
        let started = Instant::now();
        let keys: Vec<String> = jobs.iter().map(|j| cache_key(sel, j)).collect();
        let cached: Vec<Option<Extraction>> = futures::future::join_all(keys.iter().map(|k| async move {
            match self.cache.get(k).await {
                Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "enhance cache unavailable; treating as a miss");
                    None
                }
            }
        }))
        .await;
        let cache_hits = cached.iter().filter(|c| c.is_some()).count();
        let missing: Vec<usize> = (0..jobs.len()).filter(|i| cached[*i].is_none()).collect();
        let batches: Vec<Vec<usize>> = missing.chunks(BATCH_SIZE).map(<[usize]>::to_vec).collect();
        let llm_calls = batches.len();

        let jobs_ref = &jobs;
        let keys_ref = &keys;
        let results: Vec<Result<Vec<(usize, Extraction)>, AiError>> = futures::stream::iter(batches)
            .map(|batch| async move {
                let remaining = self.budget.saturating_sub(started.elapsed());
                let found = self.batch(jobs_ref, &batch, sel, remaining).await?;
                for (i, x) in &found {
                    if let Ok(bytes) = serde_json::to_vec(x)
                        && let Err(e) = self.cache.set(&keys_ref[*i], bytes, ENHANCE_TTL).await
                    {
                        tracing::warn!(error = %e, "enhance cache unavailable; extraction not cached");
                    }
                }
                Ok(found)
            })
            .buffer_unordered(PARALLEL_BATCHES)
            .collect()
            .await;

        let mut extractions = cached;
        for r in results {
            match r {
                Ok(found) => {
                    for (i, x) in found {
                        extractions[i] = Some(x);
                    }
                }
                Err(e) => {
                    return Enhanced { jobs, enhanced: false, reason: Some(e), llm_calls, cache_hits };
                }
            }
        }
        let jobs = jobs
            .into_iter()
            .zip(extractions)
            .map(|(job, x)| match x {
                Some(x) => apply(job, x),
                None => job,
            })
            .collect();
        Enhanced { jobs, enhanced: true, reason: None, llm_calls, cache_hits }
    }

    async fn batch(
        &self,
        jobs: &[Job],
        batch: &[usize],
        sel: &Selection,
        budget: Duration,
    ) -> Result<Vec<(usize, Extraction)>, AiError> {
        let items: Vec<ExtractItem> = batch.iter().map(|i| extract_item(&jobs[*i])).collect();
        let req = extract_request(items);
        let answer = self.ai.complete(sel, req, budget).await?;
        let parsed = parse_answer(&answer.text, batch.iter().map(|i| &jobs[*i]))
            .map_err(|reason| self.ai.rejected_answer(sel, "extract", reason))?;
        Ok(batch.iter().copied().zip(parsed).collect())
    }
}

/// `enhance:v1:<provider>:<model id>:<fingerprint>`.
fn cache_key(sel: &Selection, job: &Job) -> String {
    format!("enhance:v1:{}:{}:{}", sel.provider(), sel.model.model_id, Fingerprint::of(job).as_str())
}

fn extract_item(job: &Job) -> ExtractItem {
    ExtractItem {
        id: job.id.clone(),
        title: job.title.clone(),
        text: job.description.chars().take(TEXT_CHARS).collect(),
        tags: job.skills.clone(),
    }
}

const SENIORITIES: [&str; 6] = ["intern", "junior", "mid", "senior", "lead", "executive"];

/// The JSON Schema every extraction answer must fit (strict-mode compatible).
pub fn extract_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "jobs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "skills": {"type": "array", "items": {"type": "string"}},
                        "seniority": {"type": ["string", "null"], "enum": ["intern", "junior", "mid", "senior", "lead", "executive", null]},
                        "remote": {"type": "boolean"}
                    },
                    "required": ["id", "skills", "seniority", "remote"],
                    "additionalProperties": false
                }
            }
        },
        "required": ["jobs"],
        "additionalProperties": false
    })
}

fn extract_request(items: Vec<ExtractItem>) -> LlmRequest {
    let system = "You extract facts from job postings. Reply with JSON only: \
        {\"jobs\":[{\"id\":\"<the posting's id>\",\"skills\":[\"...\"],\"seniority\":\"senior\",\"remote\":false}]} \
        with one entry per posting, in the same order. skills: technologies, tools and methods the posting itself \
        names (never guess). seniority: one of intern, junior, mid, senior, lead, executive, or null when the posting \
        does not say. remote: true only when the posting offers remote work."
        .to_owned();
    let user = serde_json::to_string(&json!({ "postings": items })).unwrap_or_default();
    LlmRequest {
        model: String::new(),
        system,
        user,
        schema_name: "job_facts",
        schema: extract_schema(),
        max_tokens: 200 + 120 * items.len() as u32,
        task: LlmTask::Extract(items),
    }
}

/// The trimmed, non-empty strings of the array `key` of a model's JSON answer (other items are
/// skipped); an error naming `key` when it is not an array.
pub fn answer_strings<'a>(root: &'a serde_json::Value, key: &str) -> Result<impl Iterator<Item = &'a str>, String> {
    let items = root.get(key).and_then(serde_json::Value::as_array).ok_or_else(|| format!("no `{key}` array"))?;
    Ok(items.iter().filter_map(serde_json::Value::as_str).map(str::trim).filter(|s| !s.is_empty()))
}

/// Strips a Markdown code fence some models wrap JSON in.
pub fn strip_fence(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else { return t };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

/// Validates an extraction answer for `jobs` (in batch order).
pub fn parse_answer<'a>(text: &str, jobs: impl Iterator<Item = &'a Job>) -> Result<Vec<Extraction>, String> {
    let root: Value = serde_json::from_str(strip_fence(text)).map_err(|e| format!("not JSON ({e})"))?;
    let entries = root.get("jobs").and_then(Value::as_array).ok_or("no `jobs` array")?;
    let mut out = Vec::new();
    for job in jobs {
        let entry = entries
            .iter()
            .find(|e| e.get("id").and_then(Value::as_str) == Some(job.id.as_str()))
            .ok_or_else(|| format!("no entry for {}", job.id))?;
        let skills = entry
            .get("skills")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{}: `skills` is not an array", job.id))?;
        let seniority = match entry.get("seniority") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if SENIORITIES.contains(&s.to_ascii_lowercase().as_str()) => {
                Seniority::parse(&s.to_ascii_lowercase())
            }
            Some(other) => return Err(format!("{}: invalid seniority {other}", job.id)),
        };
        let remote = entry
            .get("remote")
            .and_then(Value::as_bool)
            .ok_or_else(|| format!("{}: `remote` is not a boolean", job.id))?;
        let tags = job.skills.join(" , ");
        let text = PostingText::new(&[&job.title, &job.description, &tags]);
        let skills = grounded_skills(&text, skills.iter().filter_map(Value::as_str));
        out.push(Extraction { skills, seniority, remote });
    }
    Ok(out)
}

/// The job with the extraction applied: board tags first, then the model's (grounded) skills;
/// the model's seniority where it found one; remote when either says so.
fn apply(mut job: Job, x: Extraction) -> Job {
    for s in x.skills {
        if !job.skills.iter().any(|k| k.eq_ignore_ascii_case(&s)) {
            job.skills.push(s);
        }
    }
    job.seniority = x.seniority.or(job.seniority);
    job.remote = job.remote || x.remote;
    job
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::domain::{AiProvider, ModelCatalog, PlanCatalog, SourceId};
    use crate::ports::{LlmAnswer, LlmError, LlmProvider};
    use crate::testing::{MapCache, TokioTimer};
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers every posting with the skills "Rust", "Kubernetes" and "Invented", senior, remote;
    /// or hangs for `delay`.
    struct Scripted {
        calls: AtomicUsize,
        delay: Duration,
        answer: fn(&[ExtractItem]) -> Result<String, LlmError>,
    }

    #[async_trait]
    impl LlmProvider for Scripted {
        fn provider(&self) -> AiProvider {
            AiProvider::Qwen
        }
        async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            let LlmTask::Extract(items) = &req.task else { panic!("extract expected") };
            (self.answer)(items).map(|text| LlmAnswer { text, ..Default::default() })
        }
    }

    fn good(items: &[ExtractItem]) -> Result<String, LlmError> {
        let jobs: Vec<Value> = items
            .iter()
            .map(|i| json!({"id": i.id, "skills": ["Rust", "k8s", "Invented"], "seniority": "senior", "remote": true}))
            .collect();
        Ok(format!("```json\n{}\n```", json!({ "jobs": jobs })))
    }

    fn setup(provider: Arc<Scripted>, budget: Duration) -> (Enhancer, Selection) {
        let ai = AiGateway::new(
            Arc::new(ModelCatalog::document()),
            Arc::new(PlanCatalog::document()),
            vec![provider],
            None,
            Arc::new(TokioTimer),
        );
        let sel = ai
            .select(crate::domain::Plan::Pro, &crate::services::AiChoice::default(), false)
            .expect("qwen turbo for pro");
        (Enhancer { ai, cache: Arc::new(MapCache::default()), budget }, sel)
    }

    fn jobs(n: usize) -> Vec<Job> {
        (0..n)
            .map(|i| {
                let mut j = Job::sample(SourceId::Adzuna, &i.to_string(), &format!("Engineer {i}"), "Acme", "Leeds");
                j.description = "We write Rust services on Kubernetes.".into();
                j.skills = vec!["Docker".into()];
                j
            })
            .collect()
    }

    #[tokio::test]
    async fn skills_not_in_the_posting_are_dropped_and_a_repeat_costs_nothing() {
        let p = Arc::new(Scripted { calls: AtomicUsize::new(0), delay: Duration::ZERO, answer: good });
        let (e, sel) = setup(p.clone(), AI_BUDGET);
        let out = e.run(jobs(25), &sel).await;
        assert!(out.enhanced, "{:?}", out.reason);
        assert_eq!((out.llm_calls, out.cache_hits), (3, 0));
        assert_eq!(out.jobs[0].skills, vec!["Docker", "Rust", "Kubernetes"]);
        assert_eq!(out.jobs[0].seniority, Some(Seniority::Senior));
        assert!(out.jobs[0].remote);
        let again = e.run(jobs(25), &sel).await;
        assert_eq!((again.llm_calls, again.cache_hits), (0, 25));
        assert_eq!(again.jobs, out.jobs);
        assert_eq!(p.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_schema_violating_answer_leaves_the_jobs_unenhanced_with_the_reason() {
        fn bad(_: &[ExtractItem]) -> Result<String, LlmError> {
            Ok(r#"{"jobs":[{"id":"adzuna:0","skills":"Rust","seniority":"guru","remote":"yes"}]}"#.into())
        }
        let p = Arc::new(Scripted { calls: AtomicUsize::new(0), delay: Duration::ZERO, answer: bad });
        let (e, sel) = setup(p, AI_BUDGET);
        let input = jobs(3);
        let out = e.run(input.clone(), &sel).await;
        assert!(!out.enhanced);
        assert_eq!(out.jobs, input);
        assert!(out.reason.unwrap().to_string().contains("invalid answer"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_bounds_a_slow_provider() {
        let p = Arc::new(Scripted { calls: AtomicUsize::new(0), delay: Duration::from_secs(60), answer: good });
        let (e, sel) = setup(p, AI_BUDGET);
        let started = tokio::time::Instant::now();
        let out = e.run(jobs(5), &sel).await;
        assert!(!out.enhanced);
        assert_eq!(out.reason.unwrap().code(), crate::Code::AiTimeout);
        // Bounded by the budget: the provider's minute is never waited out. (The budget left is
        // measured on the real clock while this test's timer runs on paused time, so a loaded
        // machine may end it a few milliseconds early, never late.)
        let waited = started.elapsed();
        assert!(waited <= AI_BUDGET && waited > AI_BUDGET - Duration::from_secs(1), "{waited:?}");
    }

    #[test]
    fn answers_that_are_not_json_or_miss_a_job_are_rejected() {
        let j = jobs(2);
        assert!(parse_answer("Sure! Here you go", j.iter()).unwrap_err().starts_with("not JSON"));
        let one = r#"{"jobs":[{"id":"adzuna:0","skills":[],"seniority":null,"remote":false}]}"#;
        assert_eq!(parse_answer(one, j.iter()).unwrap_err(), "no entry for adzuna:1");
        assert_eq!(
            parse_answer(one, j.iter().take(1)).unwrap()[0],
            Extraction { skills: vec![], seniority: None, remote: false }
        );
    }
}
