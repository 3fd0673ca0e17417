//! The postings and saved searches of the matching benches (`matching`, `matching_e2e`).

use chrono::{DateTime, Utc};
use jobin_adapters::fakes::generate;
use jobin_core::domain::Job;
use jobin_core::domain::saved_search::{RawCriteria, SearchCriteria};

/// `n` postings from the fake boards' generator; `run` makes distinct ids (and seeds), so each
/// run of a bench lands new postings.
pub fn postings(n: usize, run: usize) -> Vec<Job> {
    let now = DateTime::<Utc>::from_timestamp(1_763_000_000, 0).unwrap_or_default();
    let mut all: Vec<Job> = generate(23 + run as u64, n / 6 + 1, now).into_values().flatten().collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all.truncate(n);
    if run > 0 {
        for j in &mut all {
            j.id = format!("{}-r{run}", j.id);
        }
    }
    all
}

/// The search mix: `Stress` (one or two title words: the generator's titles share few words, so
/// each posting matches about a thousand of 10,000 searches), `Narrow` (a title word and a
/// company, half of them with a city: about fifty).
#[derive(Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // each bench uses the mixes it measures
pub enum Mix {
    Stress,
    Narrow,
}

/// `n` searches of `mix` made from the words of `from`: a deterministic mix, no randomness crate.
#[allow(dead_code)]
pub fn criteria(n: usize, from: &[Job], mix: Mix) -> Vec<SearchCriteria> {
    match mix {
        Mix::Stress => stress_searches(n, from),
        Mix::Narrow => (0..n)
            .filter_map(|i| {
                let j = &from[(i * 7919) % from.len()];
                let title = j.title.split_whitespace().find(|w| w.len() > 2).unwrap_or("developer");
                let company = j.company.split_whitespace().next().unwrap_or_default();
                SearchCriteria::parse(RawCriteria {
                    q: Some(format!("{title} {company}")),
                    location: (i % 2 == 0 && !j.location.city.is_empty()).then(|| j.location.city.clone()),
                    ..RawCriteria::default()
                })
                .ok()
            })
            .collect(),
    }
}

/// One or two title words, a third with a city, a fifth remote only.
pub fn stress_searches(n: usize, from: &[Job]) -> Vec<SearchCriteria> {
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
            SearchCriteria::parse(RawCriteria {
                q: Some(q),
                location: (i % 3 == 0).then(|| cities[(i * 31) % cities.len()].clone()),
                remote: Some(i % 5 == 0),
                ..RawCriteria::default()
            })
            .ok()
        })
        .collect()
}
