//! Dedup + merge cost at 1k, 10k and 100k jobs (should grow linearly: one hash pass and a sort).

use chrono::{DateTime, Utc};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jobin_adapters::fakes::generate;
use jobin_core::domain::{Job, merge};

/// `n` jobs from the fake boards' generator (about a quarter are cross-board duplicates).
fn jobs(n: usize) -> Vec<Job> {
    let now = DateTime::<Utc>::from_timestamp(1_763_000_000, 0).unwrap_or_default();
    let mut all: Vec<Job> = generate(11, n / 6 + 1, now).into_values().flatten().collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all.truncate(n);
    all
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("dedup_merge");
    group.sample_size(10);
    for n in [1_000, 10_000, 100_000] {
        let input = jobs(n);
        group.throughput(Throughput::Elements(input.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
            // The clone is setup, not measured.
            b.iter_batched(|| input.clone(), |jobs| merge(jobs, |s| s as usize), BatchSize::LargeInput)
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
