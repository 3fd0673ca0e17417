//! Saved-search matching (issue 20): the cost of finding, for each of 1,000 landed postings, the
//! saved searches it matches among 10,000 — through the word index (`SearchIndex`) and, for
//! comparison, by testing every search. Target: 1,000 postings against 10,000 searches add ≤ 1 s
//! to ingestion.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jobin_core::domain::saved_search::{Matcher, SearchIndex};

#[path = "support/matching_mix.rs"]
mod mix;
use mix::{postings, stress_searches};

fn bench(c: &mut Criterion) {
    let jobs = postings(1_000, 0);
    let saved: Vec<Matcher> = stress_searches(10_000, &jobs).iter().map(|c| c.matcher()).collect();
    let index = SearchIndex::new(saved.iter().cloned().enumerate());
    let matched: usize = jobs.iter().map(|j| index.matching(j).len()).sum();
    eprintln!(
        "matching: {} postings, {} saved searches, {} (search, posting) matches",
        jobs.len(),
        index.len(),
        matched
    );
    let mut group = c.benchmark_group("saved_search_matching");
    group.sample_size(10);
    group.throughput(Throughput::Elements(jobs.len() as u64));
    group.bench_function("index_build_10k", |b| b.iter(|| SearchIndex::new(saved.iter().cloned().enumerate())));
    group.bench_function("indexed_1k_postings_x_10k_searches", |b| {
        b.iter(|| jobs.iter().map(|j| index.matching(j).len()).sum::<usize>())
    });
    // Testing every search: 100 postings (the whole 1,000 takes seconds per sample).
    group.throughput(Throughput::Elements(100));
    group.bench_function("every_search_100_postings_x_10k_searches", |b| {
        b.iter(|| jobs[..100].iter().map(|j| saved.iter().filter(|m| m.matches(j)).count()).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
