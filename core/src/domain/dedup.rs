//! Cross-board deduplication: the fingerprint (normalized title + company + city) and the merge
//! rules. Merging is deterministic: the result does not depend on the order jobs arrived in.

use std::collections::HashMap;

use super::normalize::fold;
use super::{Job, JobCopy, SourceId};

/// Legal-form words dropped from the end of a company name.
const LEGAL_SUFFIXES: &[&str] = &[
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "llc",
    "llp",
    "plc",
    "gmbh",
    "ag",
    "kg",
    "se",
    "sa",
    "sas",
    "sarl",
    "bv",
    "nv",
    "srl",
    "spa",
    "oy",
    "ab",
    "as",
    "aps",
    "pty",
    "corp",
    "corporation",
    "co",
    "company",
    "group",
    "ug",
    "mbh",
];

/// City aliases, folded form → canonical folded form.
const CITY_ALIASES: &[(&str, &str)] = &[
    ("greater london", "london"),
    ("city of london", "london"),
    ("central london", "london"),
    ("london uk", "london"),
    ("nyc", "new york"),
    ("new york city", "new york"),
    ("new york ny", "new york"),
    ("manhattan", "new york"),
    ("sf", "san francisco"),
    ("san francisco ca", "san francisco"),
    ("san francisco bay area", "san francisco"),
    ("munchen", "munich"),
    ("muenchen", "munich"),
    ("koln", "cologne"),
    ("koeln", "cologne"),
    ("frankfurt am main", "frankfurt"),
    ("nurnberg", "nuremberg"),
    ("nuernberg", "nuremberg"),
    ("wien", "vienna"),
    ("zurich", "zurich"),
    ("zuerich", "zurich"),
    ("den haag", "the hague"),
    ("montreal qc", "montreal"),
    ("toronto on", "toronto"),
    ("sydney nsw", "sydney"),
    ("melbourne vic", "melbourne"),
];

/// Gender markers in (mostly German) titles: `(m/w/d)`, `(f/m/x)`, `(all genders)`.
fn strip_gender_marker(folded: &str) -> String {
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    loop {
        let n = words.len();
        if n >= 2 && words[n - 2] == "all" && matches!(words[n - 1], "genders" | "gender") {
            words.truncate(n - 2);
            continue;
        }
        let is_marker = |w: &str| matches!(w, "m" | "w" | "f" | "d" | "x" | "h" | "i");
        let tail = words.iter().rev().take_while(|w| is_marker(w)).count();
        if tail >= 2 {
            words.truncate(n - tail);
            continue;
        }
        break;
    }
    words.join(" ")
}

pub fn normalize_title(title: &str) -> String {
    strip_gender_marker(&fold(title))
}

pub fn normalize_company(company: &str) -> String {
    let folded = fold(company);
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

pub fn normalize_city(city: &str) -> String {
    let folded = fold(city);
    CITY_ALIASES.iter().find(|(alias, _)| *alias == folded).map_or(folded, |(_, canonical)| (*canonical).to_owned())
}

/// Two postings with the same fingerprint are the same job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(job: &Job) -> Self {
        Fingerprint(format!(
            "{}|{}|{}",
            normalize_title(&job.title),
            normalize_company(&job.company),
            normalize_city(&job.location.city)
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Merges duplicates. `rank` gives each source's precedence (lower wins; see routing). For each
/// fingerprint the job of the best-ranked source (ties: smallest id) is kept, missing fields are
/// filled from the others in rank order, skills are united, `remote` is true if any copy says so,
/// and `copies` lists every listing merged into it. Postings with the same id collapse first.
/// The output is ordered by the rank of each job's source, then newest first, then id.
pub fn merge(jobs: Vec<Job>, rank: impl Fn(SourceId) -> usize) -> Vec<Job> {
    let order = |a: &Job, b: &Job| rank(a.source).cmp(&rank(b.source)).then_with(|| a.id.cmp(&b.id));
    let mut groups: HashMap<Fingerprint, Vec<Job>> = HashMap::new();
    for job in jobs {
        groups.entry(Fingerprint::of(&job)).or_default().push(job);
    }
    let mut merged: Vec<Job> = groups
        .into_values()
        .filter_map(|mut group| {
            group.sort_by(order);
            let mut copies: Vec<JobCopy> = Vec::new();
            for job in &group {
                let own = if job.copies.is_empty() { vec![job.own_copy()] } else { job.copies.clone() };
                for c in own {
                    if !copies.iter().any(|x| x.id == c.id) {
                        copies.push(c);
                    }
                }
            }
            copies.sort_by(|a, b| rank(a.source).cmp(&rank(b.source)).then_with(|| a.id.cmp(&b.id)));
            let mut rest = group.into_iter();
            let mut primary = rest.next()?;
            for other in rest {
                fill_from(&mut primary, other);
            }
            primary.copies = copies;
            Some(primary)
        })
        .collect();
    merged.sort_by(|a, b| {
        rank(a.source).cmp(&rank(b.source)).then_with(|| b.posted_at.cmp(&a.posted_at)).then_with(|| a.id.cmp(&b.id))
    });
    merged
}

fn fill_from(primary: &mut Job, other: Job) {
    let empty = |s: &String| s.trim().is_empty();
    if empty(&primary.company) {
        primary.company = other.company;
    }
    if empty(&primary.location.country) {
        primary.location.country = other.location.country;
    }
    if empty(&primary.location.region) {
        primary.location.region = other.location.region;
    }
    if primary.salary.is_none() {
        primary.salary = other.salary;
    }
    if primary.seniority.is_none() {
        primary.seniority = other.seniority;
    }
    if primary.posted_at.is_none() {
        primary.posted_at = other.posted_at;
    }
    if empty(&primary.description) {
        primary.description = other.description;
    }
    primary.remote |= other.remote;
    for skill in other.skills {
        if !primary.skills.iter().any(|s| s.eq_ignore_ascii_case(&skill)) {
            primary.skills.push(skill);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PayPeriod, Salary};
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    fn job(source: SourceId, native: &str, title: &str, company: &str, city: &str) -> Job {
        Job::sample(source, native, title, company, city)
    }

    fn rank(s: SourceId) -> usize {
        s as usize
    }

    #[test]
    fn fingerprint_ignores_case_accents_punctuation_legal_suffixes_gender_markers_and_city_aliases() {
        let a = job(SourceId::Adzuna, "1", "Senior Python Developer (m/w/d)", "Tech Ltd.", "München");
        let b = job(SourceId::Reed, "2", "senior  python-developer", "TECH", "Munich");
        assert_eq!(Fingerprint::of(&a), Fingerprint::of(&b));
        assert_eq!(Fingerprint::of(&a).as_str(), "senior python developer|tech|munich");
        let c = job(SourceId::Reed, "3", "Senior Python Developer", "Tech Ltd", "Berlin");
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&c));
        assert_eq!(normalize_company("Müller GmbH & Co. KG"), "muller");
        assert_eq!(normalize_company("Limited"), "limited", "a name made only of a suffix stays");
        assert_eq!(normalize_city("Greater London"), "london");
    }

    #[test]
    fn merge_keeps_the_best_ranked_copy_and_fills_its_gaps_from_the_others() {
        let mut adzuna = job(SourceId::Adzuna, "1", "Data Engineer", "Acme Ltd", "London");
        adzuna.salary = Salary::from_bounds(Some(50_000.0), Some(60_000.0), "GBP", PayPeriod::Year);
        adzuna.skills = vec!["SQL".into()];
        let mut reed = job(SourceId::Reed, "9", "Data Engineer", "ACME", "london");
        reed.skills = vec!["Python".into(), "sql".into()];
        reed.remote = true;
        let out = merge(vec![reed, adzuna], |s| if s == SourceId::Reed { 0 } else { 1 });
        assert_eq!(out.len(), 1);
        let m = &out[0];
        assert_eq!(m.id, "reed:9");
        assert_eq!(m.salary.as_ref().map(|s| s.min), Some(50_000.0));
        assert_eq!(m.skills, vec!["Python", "sql"]);
        assert!(m.remote);
        let ids: Vec<_> = m.copies.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["reed:9", "adzuna:1"]);
    }

    #[test]
    fn jobs_in_different_cities_are_never_merged() {
        let a = job(SourceId::Adzuna, "1", "Data Engineer", "Acme", "London");
        let b = job(SourceId::Reed, "2", "Data Engineer", "Acme", "Leeds");
        assert_eq!(merge(vec![a, b], rank).len(), 2);
    }

    fn arb_job() -> impl Strategy<Value = Job> {
        let titles = prop::sample::select(vec!["Data Engineer", "data engineer!", "Rust Dev", "Rust Dév (m/w/d)"]);
        let companies = prop::sample::select(vec!["Acme", "ACME Ltd", "Beta GmbH", "beta"]);
        let cities = prop::sample::select(vec!["London", "Greater London", "Leeds", "", "München", "Munich"]);
        let sources = prop::sample::select(SourceId::ALL.to_vec());
        (sources, 0u32..20, titles, companies, cities, any::<bool>(), prop::option::of(1u32..5)).prop_map(
            |(s, n, t, c, city, remote, sal)| {
                let mut j = job(s, &n.to_string(), t, c, city);
                j.remote = remote;
                j.salary =
                    sal.and_then(|k| Salary::from_bounds(Some(f64::from(k) * 10_000.0), None, "GBP", PayPeriod::Year));
                j.posted_at = DateTime::<Utc>::from_timestamp(i64::from(n) * 1000, 0);
                j
            },
        )
    }

    /// Same-id postings are the same listing; the generator may produce two with the same id but
    /// different fields, which no board does. Keep the first of each id.
    fn unique_ids(jobs: Vec<Job>) -> Vec<Job> {
        let mut seen = std::collections::HashSet::new();
        jobs.into_iter().filter(|j| seen.insert(j.id.clone())).collect()
    }

    proptest! {
        #[test]
        fn merge_is_idempotent(jobs in prop::collection::vec(arb_job(), 0..40)) {
            let once = merge(unique_ids(jobs), rank);
            let twice = merge(once.clone(), rank);
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn merge_does_not_depend_on_arrival_order(jobs in prop::collection::vec(arb_job(), 0..40), seed in any::<u64>()) {
            let jobs = unique_ids(jobs);
            let mut shuffled = jobs.clone();
            // A deterministic shuffle from the seed.
            let n = shuffled.len();
            let mut x = seed | 1;
            for i in (1..n).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(merge(jobs, rank), merge(shuffled, rank));
        }

        #[test]
        fn merge_never_loses_a_listing_and_never_merges_across_cities(jobs in prop::collection::vec(arb_job(), 0..40)) {
            let jobs = unique_ids(jobs);
            let out = merge(jobs.clone(), rank);
            for j in &jobs {
                let holders: Vec<_> = out.iter().filter(|m| m.copies.iter().any(|c| c.id == j.id)).collect();
                prop_assert_eq!(holders.len(), 1, "{} is in exactly one merged job", j.id);
                prop_assert_eq!(normalize_city(&holders[0].location.city), normalize_city(&j.location.city));
            }
            let fps: std::collections::HashSet<_> = out.iter().map(Fingerprint::of).collect();
            prop_assert_eq!(fps.len(), out.len(), "no two results share a fingerprint");
        }
    }
}
