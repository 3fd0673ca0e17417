//! Saved-search matching (issue 20): the cost of finding, for each of 1,000 landed postings, the
//! saved searches it matches among 10,000 — through the word index (`SearchIndex`) and, for
//! comparison, by testing every search. Target: 1,000 postings against 10,000 searches add ≤ 1 s
//! to ingestion.

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jobin_adapters::fakes::generate;
use jobin_core::domain::Job;
use jobin_core::domain::saved_search::{Matcher, RawCriteria, SearchCriteria, SearchIndex};

fn postings(n: usize) -> Vec<Job> {
    let now = DateTime::<Utc>::from_timestamp(1_763_000_000, 0).unwrap_or_default();
    let mut all: Vec<Job> = generate(23, n / 6 + 1, now).into_values().flatten().collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all.truncate(n);
    all
}

/// `n` searches made of one or two words of the postings' titles (so that some match), a third
/// of them with a location, a fifth remote only: a deterministic mix, no randomness crate needed.
fn searches(n: usize, from: &[Job]) -> Vec<Matcher> {
    let words: Vec<String> = from
        .iter()
        .flat_map(|j| j.title.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>())
        .filter(|w| w.chars().all(char::is_alphanumeric) && w.len() > 2)
        .collect();
    let cities: Vec<String> = from.iter().map(|j| j.location.city.clone()).filter(|c| !c.is_empty()).collect();
    (0..n)
        .filter_map(|i| {
            let a = &words[(i * 7919) % words.len()];
            let q = if i % 2 == 0 { a.clone() } else { format!("{a} {}", words[(i * 104_729) % words.len()]) };
            let raw = RawCriteria {
                q: Some(q),
                location: (i % 3 == 0).then(|| cities[(i * 31) % cities.len()].clone()),
                remote: Some(i % 5 == 0),
                ..RawCriteria::default()
            };
            SearchCriteria::parse(raw).ok().map(|c| c.matcher())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let jobs = postings(1_000);
    let saved = searches(10_000, &jobs);
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
