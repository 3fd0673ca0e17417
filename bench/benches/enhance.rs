//! The cost of `enhance=true`: the enhance step over one search answer (the demo boards' jobs for
//! "engineer" on the Pro plan), with a model that answers after 200 ms per prompt. Uncached: every
//! job goes to the model in batches of 10 (4 in flight); cached: the same jobs again, every
//! extraction from the cache (no model call). Also the `local` rules provider, uncached.

use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use jobin_adapters::TokioTimer;
use jobin_adapters::fakes::generate;
use jobin_adapters::llm::LocalRules;
use jobin_adapters::memory::MemoryCache;
use jobin_core::domain::{AiProvider, Job, ModelCatalog, Plan, PlanCatalog};
use jobin_core::ports::{Cache, LlmAnswer, LlmError, LlmProvider, LlmRequest};
use jobin_core::services::{AiChoice, AiGateway, Enhancer, Selection};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The rules provider's answers, as Qwen, after a fixed model latency.
struct SlowModel {
    latency: Duration,
    calls: AtomicUsize,
}

#[async_trait]
impl LlmProvider for SlowModel {
    fn provider(&self) -> AiProvider {
        AiProvider::Qwen
    }
    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.latency).await;
        LocalRules.complete(req).await
    }
}

fn jobs() -> Vec<Job> {
    let mut all: Vec<Job> = generate(42, 80, chrono::Utc::now()).into_values().flatten().collect();
    all.truncate(50);
    all
}

fn enhancer(provider: Arc<dyn LlmProvider>, choice: &str, cache: Arc<dyn Cache>) -> (Enhancer, Selection) {
    let ai = AiGateway::new(
        Arc::new(ModelCatalog::document()),
        Arc::new(PlanCatalog::document()),
        vec![provider],
        None,
        Arc::new(TokioTimer),
    );
    let (p, m) = choice.split_once('/').unwrap_or(("qwen", "turbo"));
    let sel = ai
        .select(Plan::Pro, &AiChoice { provider: Some(p.into()), model: Some(m.into()) }, true)
        .unwrap_or_else(|e| panic!("{e}"));
    (Enhancer::new(ai, cache), sel)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let jobs = jobs();
    let mut g = c.benchmark_group("enhance_50_jobs");
    g.sample_size(10);

    let model = Arc::new(SlowModel { latency: Duration::from_millis(200), calls: AtomicUsize::new(0) });
    g.bench_function("uncached_model_200ms", |b| {
        b.to_async(&rt).iter(|| {
            let (e, sel) = enhancer(model.clone(), "qwen/turbo", Arc::new(MemoryCache::new(1_000)));
            let jobs = jobs.clone();
            async move { assert!(e.run(jobs, &sel).await.enhanced) }
        })
    });

    let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new(1_000));
    let (warm, sel) = enhancer(model.clone(), "qwen/turbo", cache);
    rt.block_on(warm.run(jobs.clone(), &sel));
    let before = model.calls.load(Ordering::Relaxed);
    g.bench_function("cached_model_200ms", |b| {
        b.to_async(&rt).iter(|| {
            let (warm, sel, jobs) = (warm.clone(), sel.clone(), jobs.clone());
            async move { assert!(warm.run(jobs, &sel).await.enhanced) }
        })
    });
    assert_eq!(model.calls.load(Ordering::Relaxed), before, "a cached enhance makes no model call");

    g.bench_function("uncached_local_rules", |b| {
        b.to_async(&rt).iter(|| {
            let (e, sel) = enhancer(Arc::new(LocalRules), "local/rules", Arc::new(MemoryCache::new(1_000)));
            let jobs = jobs.clone();
            async move { assert!(e.run(jobs, &sel).await.enhanced) }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
