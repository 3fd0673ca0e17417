//! Search fan-out latency: six fake boards answering after L ms each (the search should take
//! about L), and the same plus a seventh source that never answers (bounded by the timeout).
//! The cache always misses so every iteration fans out.

use async_trait::async_trait;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use jobin_adapters::fakes::{Failure, FakeBoard, generate};
use jobin_adapters::memory::MemoryJobStore;
use jobin_adapters::{SystemClock, TokioTimer};
use jobin_core::domain::{Plan, PlanCatalog, SourceId};
use jobin_core::ports::{Cache, CacheError, JobSource};
use jobin_core::usecases::{Search, SearchConfig, SearchPorts, SearchQuery, SearchRequest};
use std::sync::Arc;
use std::time::Duration;

struct NoCache;
#[async_trait]
impl Cache for NoCache {
    async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(None)
    }
    async fn set(&self, _: &str, _: Vec<u8>, _: Duration) -> Result<(), CacheError> {
        Ok(())
    }
}

const TIMEOUT: Duration = Duration::from_millis(250);

fn search(latency: Duration, hanging: bool) -> Search {
    let mut jobs = generate(3, 200, chrono::Utc::now());
    let mut sources: Vec<Arc<dyn JobSource>> = SourceId::ALL
        .into_iter()
        .map(|id| Arc::new(FakeBoard::new(id, jobs.remove(&id).unwrap_or_default()).with_latency(latency)) as _)
        .collect();
    if hanging {
        sources.push(Arc::new(FakeBoard::new(SourceId::Import, vec![]).failing(Failure::Hang)));
    }
    Search::new(
        SearchPorts {
            sources,
            catalog: Arc::new(PlanCatalog::document()),
            cache: Arc::new(NoCache),
            store: Arc::new(MemoryJobStore::default()),
            clock: Arc::new(SystemClock),
            timer: Arc::new(TokioTimer),
        },
        SearchConfig { source_timeout: TIMEOUT, ..SearchConfig::default() },
    )
}

fn bench(c: &mut Criterion) {
    let Ok(rt) = tokio::runtime::Runtime::new() else { return };
    let mut group = c.benchmark_group("search_fanout");
    group.sample_size(10);
    for latency_ms in [20u64, 100] {
        for hanging in [false, true] {
            let s = search(Duration::from_millis(latency_ms), hanging);
            let label =
                if hanging { format!("six_at_{latency_ms}ms_plus_hanging") } else { format!("six_at_{latency_ms}ms") };
            let Ok(query) = SearchQuery::parse(SearchRequest {
                q: Some("engineer".into()),
                country: Some("gb".into()),
                plan: Some(Plan::Scale),
                ..Default::default()
            }) else {
                return;
            };
            group.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.to_async(&rt).iter(|| {
                    let (s, query) = (s.clone(), query.clone());
                    async move { s.execute(&query).await }
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
