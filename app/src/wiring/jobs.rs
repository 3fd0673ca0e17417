//! Jobs: the boards (real, demo or injected), search, analytics, the AI providers, the feed and
//! the ingestion cycle.

use anyhow::Context;
use jobin_adapters::metrics::{MeteredLlm, MeteredSource};
use jobin_adapters::sources::{self, Adzuna, Arbeitnow, BoardContext, Findwork, Reed, Remotive, TheMuse};
use jobin_adapters::{TokioTimer, fakes, llm};
use jobin_core::domain::{CursorCodec, SourceId};
use jobin_core::ports::{Clock, JobSource, JobStore, LlmProvider, UsageMeter};
use jobin_core::services::{AiGateway, Enhancer};

use crate::answers::{AnswerCopies, SearchAnswers};
use jobin_core::usecases::*;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{AiSettings, BoardsConfig, Config, LlmSettings};
use crate::secrets::Secrets;
use crate::state::{ImportTask, Jobs, ScheduledCrawl, ScheduledIngest, ScheduledLiveness};

use super::{Common, Overrides};

/// The job store's background work, each when scheduled.
pub(super) struct JobTasks {
    pub ingest: Option<ScheduledIngest>,
    pub crawl: Option<ScheduledCrawl>,
    pub liveness: Option<ScheduledLiveness>,
}

/// Search, analytics, AI and the feed over the job store; its background work when scheduled.
pub(super) fn build(
    config: &Config,
    c: &Common,
    secrets: &Secrets,
    overrides: Overrides,
) -> anyhow::Result<(Jobs, JobTasks)> {
    let search_config = SearchConfig {
        source_timeout: Duration::from_millis(config.search.source_timeout_ms),
        per_source_limit: config.search.per_source_limit,
        cache_ttl: Duration::from_secs(config.search.cache_secs),
    };
    let fake_boards = overrides.boards.is_some() || config.demo.is_some();
    let mut boards = match (overrides.boards, &config.demo) {
        (Some(boards), _) => boards,
        (None, Some(demo)) => fakes::demo_boards(demo.seed, Duration::from_millis(demo.latency_ms), &demo.failing)
            .into_iter()
            .map(|b| b as Arc<dyn JobSource>)
            .collect(),
        (None, None) => real_boards(&config.boards, &search_config, c.meter.clone(), c.clock.clone())?,
    };
    // The boards a search here can reach: every stand-in, else the keyless ones and those with keys.
    let reachable: Vec<SourceId> = if fake_boards {
        boards.iter().map(|b| b.id()).collect()
    } else {
        SourceId::ALL.into_iter().filter(|s| config.boards.reachable(*s)).collect()
    };
    if !fake_boards {
        // Said once here; searches then report these boards `unconfigured` without a log line each.
        let missing: Vec<String> = SourceId::ALL
            .into_iter()
            .filter(|s| *s != SourceId::Import && !reachable.contains(s))
            .map(|s| format!("{s} ({})", crate::config::BoardsConfig::settings(s)))
            .collect();
        if !missing.is_empty() {
            tracing::warn!(
                "job boards without credentials, reported `unconfigured` by every search until they are set: {}",
                missing.join(", ")
            );
        }
    }
    if config.import.is_some() {
        // Imported postings live in the job store (loaded in the background at start-up).
        boards.push(Arc::new(sources::StoredImport::new(c.jobs.clone())));
    }
    let ai_budget = Duration::from_millis(config.ai.budget_ms);
    let llms = match overrides.llms {
        Some(llms) => llms,
        None => real_llms(&config.ai, ai_budget)?,
    };
    let boards: Vec<Arc<dyn JobSource>> =
        boards.into_iter().map(|b| Arc::new(MeteredSource(b)) as Arc<dyn JobSource>).collect();
    let llms: Vec<Arc<dyn LlmProvider>> =
        llms.into_iter().map(|l| Arc::new(MeteredLlm(l)) as Arc<dyn LlmProvider>).collect();
    let crawl = config.ingest.crawl_every.map(|every| {
        let settings = CrawlSettings {
            max_pages: config.ingest.crawl_pages,
            lock_ttl: every.max(Duration::from_secs(60)),
            ..CrawlSettings::default()
        };
        let ports = CrawlPorts {
            boards: boards.clone(),
            store: c.jobs.clone(),
            lock: c.lock.clone(),
            clock: c.clock.clone(),
            timer: Arc::new(TokioTimer),
        };
        let crawl = Crawl::new(ports, settings);
        (Arc::new(crawl), every)
    });
    match &crawl {
        Some((_, every)) => tracing::info!(
            every_secs = every.as_secs(),
            max_pages = config.ingest.crawl_pages,
            "crawl of the boards' whole listings scheduled (Arbeitnow, The Muse, Remotive; one node per board)"
        ),
        None => {
            tracing::info!("crawl off (JOBIN_CRAWL_INTERVAL=off): the corpus fills from searches and ingestion only")
        }
    }
    // The pages of real postings only: stand-in boards' links lead nowhere real.
    let liveness = match config.ingest.liveness_every {
        Some(every) if !fake_boards => {
            let probe = jobin_adapters::liveness::HttpLiveness::new(
                jobin_adapters::liveness::CHECK_TIMEOUT,
                jobin_core::domain::outbound::OutboundPolicy::STRICT,
            )
            .context("building the liveness checks' HTTP client")?;
            let pass = CheckLiveness::new(
                LivenessPorts {
                    store: c.jobs.clone(),
                    probe: Arc::new(probe),
                    lock: c.lock.clone(),
                    clock: c.clock.clone(),
                    timer: Arc::new(TokioTimer),
                },
                LivenessSettings {
                    stale_after: config.ingest.liveness_after,
                    lock_ttl: every.max(Duration::from_secs(60)),
                    ..LivenessSettings::default()
                },
            );
            Some((Arc::new(pass), every))
        }
        _ => None,
    };
    let search = Search::new(
        SearchPorts {
            sources: boards,
            catalog: c.catalog.clone(),
            cache: c.cache.clone(),
            store: c.jobs.clone(),
            clock: c.clock.clone(),
            timer: Arc::new(TokioTimer),
        },
        search_config,
    );
    let ai = AiGateway::new(
        Arc::new(config.models.clone()),
        c.catalog.clone(),
        llms,
        config.ai.default_provider,
        Arc::new(TokioTimer),
    );
    tracing::info!(default_provider = %ai.default_provider(), "AI providers ready");
    let enhancer = Enhancer { ai: ai.clone(), cache: c.cache.clone(), budget: ai_budget };
    let corpus =
        Corpus { search: search.clone(), store: c.jobs.clone(), cache: c.cache.clone(), clock: c.clock.clone() };
    // Feed cursors are signed with a key derived from the pepper: stable across restarts and nodes.
    let cursors =
        CursorCodec::new(&[secrets.key_pepper.expose_secret().as_bytes(), b"|jobin feed cursors v1"].concat());
    let ingest = config.ingest.every.map(|every| {
        let ingest = Ingest {
            search: search.clone(),
            store: c.jobs.clone(),
            lock: c.lock.clone(),
            clock: c.clock.clone(),
            watch: config.ingest.watch.clone(),
            expire_after: config.ingest.expire_after,
            lock_ttl: every.max(Duration::from_secs(60)),
        };
        (Arc::new(ingest), every)
    });
    match &ingest {
        Some((i, every)) => tracing::info!(
            every_secs = every.as_secs(),
            watch_queries = i.watch.len(),
            expire_after_secs = i.expire_after.as_secs(),
            "ingestion scheduled (one node per cycle)"
        ),
        None => tracing::info!("ingestion off: jobs are stored by searches only"),
    }
    let jobs = Jobs {
        search: SearchAnswers::new(
            SearchJobs { search, ai: ai.clone(), enhancer, reachable },
            AnswerCopies::default(),
            c.clock.clone(),
            crate::http::jobs::SearchBody::encode,
        ),
        salary: SalaryPercentiles { corpus: corpus.clone() },
        trends: Trends { corpus: corpus.clone(), ai: ai.clone() },
        insight: Insight { corpus, ai: ai.clone(), budget: ai_budget },
        ai,
        feed: Feed { store: c.jobs.clone(), cursors: cursors.clone() },
        expired: Expired { store: c.jobs.clone(), cursors: cursors.clone(), clock: c.clock.clone() },
        get: GetJob { store: c.jobs.clone() },
        corpus: SearchCorpus { store: c.jobs.clone(), catalog: c.catalog.clone(), cursors: cursors.clone() },
        store: c.jobs.clone(),
    };
    Ok((jobs, JobTasks { ingest, crawl, liveness }))
}

/// Loading the operator's file into the job store (`JOBIN_IMPORT_FILE`), when set.
pub(super) fn import_task(config: &Config, store: Arc<dyn JobStore>) -> Option<ImportTask> {
    let import = config.import.clone()?;
    Some(Arc::new(move || {
        let (store, import) = (store.clone(), import.clone());
        Box::pin(
            async move { sources::file::import_file(store.as_ref(), import.file, import.currency).await.map(|_| ()) },
        )
    }))
}

/// `local` plus the remote providers that have keys, sharing one HTTP client.
fn real_llms(cfg: &AiSettings, budget: Duration) -> anyhow::Result<Vec<Arc<dyn LlmProvider>>> {
    let client = llm::llm_client(budget).context("building the LLM providers' HTTP client")?;
    let ep = |s: &LlmSettings| s.api_key.clone().map(|k| llm::LlmEndpoint::new(&s.base_url, k, client.clone()));
    let mut out: Vec<Arc<dyn LlmProvider>> = vec![Arc::new(llm::LocalRules)];
    if let Some(e) = ep(&cfg.qwen) {
        out.push(Arc::new(llm::OpenAiCompat::new(e, llm::Flavour::Qwen)));
    }
    if let Some(e) = ep(&cfg.openai) {
        out.push(Arc::new(llm::OpenAiCompat::new(e, llm::Flavour::OpenAi)));
    }
    if let Some(e) = ep(&cfg.deepseek) {
        out.push(Arc::new(llm::OpenAiCompat::new(e, llm::Flavour::DeepSeek)));
    }
    if let Some(e) = ep(&cfg.anthropic) {
        out.push(Arc::new(llm::Anthropic::new(e)));
    }
    if let Some(e) = ep(&cfg.gemini) {
        out.push(Arc::new(llm::Gemini::new(e)));
    }
    Ok(out)
}

/// The six real board adapters, sharing one HTTP client and the request budget.
fn real_boards(
    cfg: &BoardsConfig,
    search: &SearchConfig,
    meter: Arc<dyn UsageMeter>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Vec<Arc<dyn JobSource>>> {
    let client = sources::board_client(search.source_timeout).context("building the job boards' HTTP client")?;
    let budget = Arc::new(sources::RequestBudget::new(meter, clock, Default::default()));
    let ctx = |base: &str| BoardContext::new(base, client.clone(), budget.clone());
    Ok(vec![
        Arc::new(Adzuna::new(ctx(&cfg.adzuna_base_url), cfg.adzuna_credentials.clone())),
        Arc::new(Remotive::new(ctx(&cfg.remotive_base_url), sources::remotive::DEFAULT_TTL)),
        Arc::new(Findwork::new(ctx(&cfg.findwork_base_url), cfg.findwork_api_key.clone())),
        Arc::new(Reed::new(ctx(&cfg.reed_base_url), cfg.reed_api_key.clone())),
        Arc::new(Arbeitnow::new(ctx(&cfg.arbeitnow_base_url), sources::arbeitnow::DEFAULT_TTL)),
        Arc::new(TheMuse::new(ctx(&cfg.themuse_base_url), cfg.themuse_api_key.clone(), sources::themuse::DEFAULT_TTL)),
    ])
}
