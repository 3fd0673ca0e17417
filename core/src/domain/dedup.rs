//! Cross-board deduplication: the fingerprint (normalized title + company + city) and the merge
//! rules. Merging is deterministic: the result does not depend on the order jobs arrived in.

use std::collections::{BTreeMap, BTreeSet};

use super::normalize::{fold, normalize_city};
use super::title::normalized_title;
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
    "pvt",
    "private",
    "holdings",
    "ou",
    "oue",
    "spa",
    "sae",
    "bvba",
    "kk",
    "lp",
    "pc",
    "pllc",
    "spzoo",
];

/// Words of a company name that say nothing of which company it is when they are a tail: a
/// country (`Acme UK`, `Acme (Deutschland)`), or an ISO code of one.
fn is_country_tail(words: &[&str]) -> bool {
    let text = words.join(" ");
    super::Country::ALL.into_iter().any(|c| {
        // Codes that are also words of a name (`Acme IT`, `… IN`) are not tails.
        (c.code() == text && !matches!(text.as_str(), "it" | "in")) || c.names().iter().any(|n| fold(n) == text)
    }) || matches!(text.as_str(), "uk" | "usa" | "emea" | "europe" | "international" | "global" | "worldwide")
}

/// Words after which a tail is part of the name (`Bank of America`, `Institut für Deutschland`).
const BINDING: &[&str] = &["of", "for", "de", "du", "des", "la", "le", "von", "fur", "der", "di", "del", "in", "at"];

/// A company name as dedup compares it: dotted initials joined (`S.A.` → `sa`, `U.S.` → `us`);
/// folded; `&`/`and`/`und` and a leading `The` dropped; then, from the end, legal forms
/// (`Ltd`, `GmbH`, `S.A.`, `B.V.`, `Pty Ltd`, …), `Group` and a country tail (`Acme UK Ltd`),
/// as long as a word is left and the tail does not follow `of`, `de`, … (`Bank of America`).
pub fn normalize_company(company: &str) -> String {
    // Dotted initials are one word (`S.A.S.`, `N.V.`, `U.S.A.`, `I.T.`); so is Poland's `sp. z o.o.`.
    let lower = company.to_lowercase();
    let spelled = ["sp. z o.o.", "sp. z.o.o.", "sp.z o.o.", "sp z o o", "sp. z o. o."]
        .iter()
        .fold(lower, |text, form| text.replace(form, " spzoo "));
    let joined: Vec<String> = spelled
        .split_whitespace()
        .map(|token| {
            let bare = token.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')'));
            let letters: Vec<&str> = bare.split('.').filter(|p| !p.is_empty()).collect();
            if letters.len() > 1 && letters.iter().all(|p| p.chars().count() == 1) {
                letters.concat()
            } else {
                token.to_owned()
            }
        })
        .collect();
    let folded = fold(&joined.join(" "));
    let mut words: Vec<String> = folded.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect();
    words.retain(|w| !matches!(w.as_str(), "and" | "und"));
    if words.len() > 1 && words[0] == "the" {
        words.remove(0);
    }
    let mut words: Vec<&str> = words.iter().map(String::as_str).collect();
    loop {
        let n = words.len();
        let bound = |tail: usize| n > tail && BINDING.contains(&words[n - tail - 1]);
        if n > 1 && LEGAL_SUFFIXES.contains(&words[n - 1]) {
            words.pop();
        } else if let Some(tail) =
            (1..=2.min(n.saturating_sub(1))).rev().find(|t| is_country_tail(&words[n - t..]) && !bound(*t))
        {
            words.truncate(n - tail);
        } else {
            break;
        }
    }
    words.join(" ")
}

/// Words a board puts in the city field for a remote posting.
const REMOTE_CITY: &[&str] = &["remote", "anywhere", "worldwide", "home based", "homeoffice", "work from home"];

/// Other words a board puts in the city field when there is no single city.
const NO_CITY: &[&str] =
    &["wfh", "multiple locations", "various locations", "various", "nationwide", "unknown", "n a", "tbd"];

/// The place of a posting as the merge rule compares it: its cities (a multi-location posting
/// lists several, sorted) with the country, or "remote in <country>". `None` when the posting
/// names no place that can be compared (no city and not remote in a known country).
///
/// The city field's text after the first comma ("Hyderabad, Telangana", "Portland, OR") is a
/// region; regions are compared separately (see [`merge`]).
fn place(job: &Job) -> Option<String> {
    let country = job.location.country.trim().to_ascii_uppercase();
    let cities: Vec<String> = {
        let mut cities: Vec<String> = job
            .location
            .city
            .split([';', '/', '|'])
            .flat_map(|part| part.split(" or "))
            .map(|part| normalize_city(part.split(',').next().unwrap_or_default()))
            .filter(|c| !c.is_empty() && !REMOTE_CITY.contains(&c.as_str()) && !NO_CITY.contains(&c.as_str()))
            .collect();
        cities.sort();
        cities.dedup();
        cities
    };
    if !cities.is_empty() {
        return Some(format!("{}@{country}", cities.join("+")));
    }
    let says_remote = job.remote || REMOTE_CITY.contains(&normalize_city(&job.location.city).as_str());
    (says_remote && !country.is_empty()).then(|| format!("remote@{country}"))
}

/// The region a posting states, folded: the `region` field, else the city field's text after
/// its first comma; the posting's own country (`London, UK`, `Tysons, United States`) and its own
/// city (`Leeds, Leeds`) are not a region, and a US state is its abbreviation (`New York, New
/// York` is `ny`). Empty when nothing is left.
fn region(job: &Job) -> String {
    let from_field = fold(&job.location.region);
    let stated = if from_field.is_empty() {
        job.location.city.split_once(',').map(|(_, rest)| fold(rest)).unwrap_or_default()
    } else {
        from_field
    };
    let country = super::Country::from_iso(&job.location.country);
    let mut words: Vec<&str> = stated.split(' ').filter(|w| !w.is_empty()).collect();
    // Country names and codes anywhere in it (`United States, CA`), longest first.
    if let Some(c) = country {
        let mut names: Vec<String> = c.names().iter().map(|n| fold(n)).collect();
        names.extend([c.code().to_owned(), if c == super::Country::Gb { "uk".into() } else { String::new() }]);
        names.extend(
            ["england", "scotland", "wales", "northern ireland", "great britain"]
                .iter()
                .filter(|_| c == super::Country::Gb)
                .map(|n| (*n).to_owned()),
        );
        names.sort_by_key(|n| std::cmp::Reverse(n.split(' ').count()));
        for name in names.iter().filter(|n| !n.is_empty()) {
            let name: Vec<&str> = name.split(' ').collect();
            while let Some(at) = words.windows(name.len()).position(|w| w == name.as_slice()) {
                words.drain(at..at + name.len());
            }
        }
    }
    let rest = words.join(" ");
    let city = normalize_city(job.location.city.split(',').next().unwrap_or_default());
    if rest == city || normalize_city(&rest) == city {
        return String::new();
    }
    match country {
        Some(super::Country::Us) => super::normalize::us_state(&rest).map_or(rest, str::to_owned),
        _ => rest,
    }
}

/// What makes two postings the same job: normalized title, normalized company and place.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Normalized title, company and place; `None` for each one that is unknown.
    fn parts(job: &Job) -> [Option<String>; 3] {
        let known = |s: String| (!s.is_empty()).then_some(s);
        [known(normalized_title(job)), known(normalize_company(&job.company)), place(job)]
    }

    /// `title|company|place`; an unknown part is written `?`.
    pub fn of(job: &Job) -> Self {
        let parts = Self::parts(job).map(|p| p.unwrap_or_else(|| "?".to_owned()));
        Fingerprint(parts.join("|"))
    }

    /// The fingerprint two postings must share to merge; `None` when the title, company or place
    /// is unknown: an unknown field is never equal to anything, so such a posting never merges.
    pub fn merge_key(job: &Job) -> Option<Self> {
        let [title, company, place] = Self::parts(job);
        Some(Fingerprint(format!("{}|{}|{}", title?, company?, place?)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Splits postings with one merge key into the sets that are the same job:
/// - postings that state different regions are different places;
/// - a posting that states no region joins the one region stated in the group (with several,
///   it is ambiguous and stays alone);
/// - a set where one source lists two different ids is not one job (a board lists distinct
///   openings as distinct ids), so none of its postings merge.
fn same_job_sets(group: Vec<Job>) -> Vec<Vec<Job>> {
    let mut by_region: BTreeMap<String, Vec<Job>> = BTreeMap::new();
    for job in group {
        by_region.entry(region(&job)).or_default().push(job);
    }
    let unstated = by_region.remove("").unwrap_or_default();
    let mut sets: Vec<Vec<Job>> = by_region.into_values().collect();
    match sets.as_mut_slice() {
        [] => sets.push(unstated),
        [only] => only.extend(unstated),
        _ => sets.extend(unstated.into_iter().map(|j| vec![j])),
    }
    let mut out = Vec::new();
    for set in sets {
        let mut ids_per_source: BTreeMap<SourceId, BTreeSet<String>> = BTreeMap::new();
        for job in &set {
            for c in listings(job).iter() {
                ids_per_source.entry(c.source).or_default().insert(c.id.clone());
            }
        }
        if ids_per_source.values().any(|ids| ids.len() > 1) {
            out.extend(set.into_iter().map(|j| vec![j]));
        } else {
            out.push(set);
        }
    }
    out
}

/// Merges duplicates: postings from **different sources** with the same [`Fingerprint::merge_key`]
/// (title, non-empty company, the same non-empty city, or remote in the same country) and no
/// conflicting region (see `same_job_sets`). Postings with the same id collapse first; postings
/// of one source with different ids never merge. In each set the job of the best-ranked source
/// (`rank`, lower wins; ties: smallest id) is kept, missing fields are filled from the others in
/// rank order, skills are united, `remote` is true if any copy says so, and `copies` lists every
/// listing merged into it. The result does not depend on the order jobs arrive in; it is ordered
/// by the rank of each job's source, then newest first, then id.
pub fn merge(jobs: Vec<Job>, rank: impl Fn(SourceId) -> usize) -> Vec<Job> {
    let order = |a: &Job, b: &Job| rank(a.source).cmp(&rank(b.source)).then_with(|| a.id.cmp(&b.id));
    // Same id first: one listing, whatever its fields say.
    let mut by_id: BTreeMap<String, Job> = BTreeMap::new();
    for job in jobs {
        match by_id.remove(&job.id) {
            Some(prev) => {
                // Keep the version with more listings, then the later fetch, then by content, so
                // the choice does not depend on arrival order.
                let weight = |j: &Job| (j.copies.len(), j.fetched_at, super::content_hash(j));
                let (mut keep, other) = if weight(&prev) >= weight(&job) { (prev, job) } else { (job, prev) };
                let copies = union_copies([&keep, &other], &rank);
                fill_from(&mut keep, other);
                keep.copies = copies;
                settle_provenance(&mut keep);
                by_id.insert(keep.id.clone(), keep);
            }
            None => {
                by_id.insert(job.id.clone(), job);
            }
        }
    }
    let mut groups: BTreeMap<Fingerprint, Vec<Job>> = BTreeMap::new();
    let mut alone: Vec<Vec<Job>> = Vec::new();
    for job in by_id.into_values() {
        match Fingerprint::merge_key(&job) {
            Some(key) => groups.entry(key).or_default().push(job),
            None => alone.push(vec![job]),
        }
    }
    let sets = groups.into_values().flat_map(same_job_sets).chain(alone);
    let mut merged: Vec<Job> = sets
        .filter_map(|mut set| {
            set.sort_by(order);
            let copies = union_copies(set.iter(), &rank);
            let mut rest = set.into_iter();
            let mut primary = rest.next()?;
            for other in rest {
                fill_from(&mut primary, other);
            }
            primary.copies = copies;
            settle_provenance(&mut primary);
            Some(primary)
        })
        .collect();
    merged.sort_by(|a, b| {
        rank(a.source).cmp(&rank(b.source)).then_with(|| b.posted_at.cmp(&a.posted_at)).then_with(|| a.id.cmp(&b.id))
    });
    merged
}

/// A merged job records its provenance (even when nothing was filled: then every field is its
/// own listing's); a job nothing was merged into records none.
fn settle_provenance(job: &mut Job) {
    if job.copies.len() > 1 {
        job.provenance.get_or_insert_default();
    } else {
        job.provenance = None;
    }
}

/// A job's board listings: its `copies`, or its own listing when nothing was merged into it.
fn listings(job: &Job) -> std::borrow::Cow<'_, [JobCopy]> {
    if job.copies.is_empty() {
        std::borrow::Cow::Owned(vec![job.own_copy()])
    } else {
        std::borrow::Cow::Borrowed(&job.copies)
    }
}

/// Every listing of `jobs` once, ordered by source rank then id.
fn union_copies<'a>(jobs: impl IntoIterator<Item = &'a Job>, rank: &impl Fn(SourceId) -> usize) -> Vec<JobCopy> {
    let mut copies: Vec<JobCopy> = Vec::new();
    for job in jobs {
        for c in listings(job).iter() {
            if !copies.iter().any(|x| x.id == c.id) {
                copies.push(c.clone());
            }
        }
    }
    copies.sort_by(|a, b| rank(a.source).cmp(&rank(b.source)).then_with(|| a.id.cmp(&b.id)));
    copies
}

/// Fills what `primary` lacks from `other` (its fields are the listing `other` records for them,
/// or `other`'s own), recording each field so filled in `primary.provenance`.
fn fill_from(primary: &mut Job, other: Job) {
    use super::provenance::Field;
    let empty = |s: &String| s.trim().is_empty();
    let mut filled: Vec<Field> = Vec::new();
    if empty(&primary.company) && !empty(&other.company) {
        primary.company = other.company.clone();
        filled.push(Field::Company);
    }
    if empty(&primary.location.country) && !empty(&other.location.country) {
        primary.location.country = other.location.country.clone();
        filled.push(Field::Country);
    }
    if empty(&primary.location.region) && !empty(&other.location.region) {
        primary.location.region = other.location.region.clone();
        filled.push(Field::Region);
    }
    if primary.salary.is_none() && other.salary.is_some() {
        primary.salary = other.salary.clone();
        filled.push(Field::Salary);
    }
    if primary.seniority.is_none() && other.seniority.is_some() {
        primary.seniority = other.seniority;
        filled.push(Field::Seniority);
    }
    if primary.posted_at.is_none() && other.posted_at.is_some() {
        primary.posted_at = other.posted_at;
        filled.push(Field::PostedAt);
    }
    // A whole description is better than a board's snippet of it.
    let other_better = !empty(&other.description)
        && (empty(&primary.description)
            || (primary.details.description_truncated && !other.details.description_truncated));
    if other_better {
        primary.description = other.description.clone();
        primary.details.description_truncated = other.details.description_truncated;
        filled.push(Field::Description);
    }
    if !primary.remote && other.remote {
        primary.remote = true;
        filled.push(Field::Remote);
    }
    {
        let (d, o) = (&mut primary.details, &other.details);
        let mut fill = |field: Field, mine: bool, theirs: bool| {
            if !mine && theirs {
                filled.push(field);
            }
            !mine && theirs
        };
        if fill(Field::ApplyUrl, d.apply_url.is_some(), o.apply_url.is_some()) {
            d.apply_url = o.apply_url.clone();
        }
        if fill(Field::EmploymentType, d.employment_type.is_some(), o.employment_type.is_some()) {
            d.employment_type = o.employment_type;
        }
        if fill(Field::WorkplaceType, d.workplace_type.is_some(), o.workplace_type.is_some()) {
            d.workplace_type = o.workplace_type;
        }
        if fill(Field::VisaSponsorship, d.visa_sponsorship.is_some(), o.visa_sponsorship.is_some()) {
            d.visa_sponsorship = o.visa_sponsorship;
        }
        if fill(Field::CompanyLogoUrl, d.company.logo_url.is_some(), o.company.logo_url.is_some()) {
            d.company.logo_url = o.company.logo_url.clone();
        }
        if fill(Field::CompanyUrl, d.company.url.is_some(), o.company.url.is_some()) {
            d.company.url = o.company.url.clone();
        }
        if fill(Field::CompanySize, d.company.size.is_some(), o.company.size.is_some()) {
            d.company.size = o.company.size.clone();
        }
    }
    for field in filled {
        let from = other.supplier_id(field).to_owned();
        primary.filled(field, &from);
    }
    let (d, o) = (&mut primary.details, other.details);
    for place in o.locations {
        if !d.locations.contains(&place) {
            d.locations.push(place);
        }
    }
    for category in o.categories {
        if !d.categories.iter().any(|c| c.eq_ignore_ascii_case(&category)) {
            d.categories.push(category);
        }
    }
    for skill in other.skills {
        if !primary.skills.iter().any(|s| s.eq_ignore_ascii_case(&skill)) {
            primary.skills.push(skill);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::provenance::Field;
    use crate::domain::{EmploymentType, PayPeriod, Salary, Seniority};
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
        assert_eq!(Fingerprint::of(&a).as_str(), "senior python developer|tech|munich@");
        let c = job(SourceId::Reed, "3", "Senior Python Developer", "Tech Ltd", "Berlin");
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&c));
        assert_eq!(normalize_company("Müller GmbH & Co. KG"), "muller");
        assert_eq!(normalize_company("Limited"), "limited", "a name made only of a suffix stays");
        assert_eq!(normalize_city("Greater London"), "london");
        // The title's abbreviations and the tails a board appends are the same title.
        let d = job(SourceId::Adzuna, "4", "Sr. Python Developer - München (Hybrid)", "Tech GmbH", "München");
        assert_eq!(Fingerprint::of(&d), Fingerprint::of(&a));
        let e = job(SourceId::Reed, "5", "Senior Python Developer - Payments", "Tech", "München");
        assert_ne!(Fingerprint::of(&e), Fingerprint::of(&a), "a tail that names the work is the title");
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
    fn a_snippet_gives_way_to_a_whole_description_and_details_are_filled_not_overwritten() {
        use crate::domain::{EmploymentType, Location, WorkplaceType};
        let mut reed = job(SourceId::Reed, "9", "Data Engineer", "Acme", "London");
        reed.description = "We are hiring a data engineer to... ".into();
        reed.details.description_truncated = true;
        reed.details.employment_type = Some(EmploymentType::Contract);
        let place = |city: &str| Location { city: city.into(), country: "GB".into(), region: String::new() };
        reed.details.locations = vec![place("London")];
        let mut muse = job(SourceId::TheMuse, "5", "Data Engineer", "Acme", "London");
        muse.description = "We are hiring a data engineer to build pipelines.\n\n- Python\n- SQL".into();
        muse.details.employment_type = Some(EmploymentType::FullTime);
        muse.details.workplace_type = Some(WorkplaceType::Hybrid);
        muse.details.locations = vec![place("London"), place("Leeds")];
        muse.details.categories = vec!["Data and Analytics".into()];
        let out = merge(vec![muse, reed], |s| if s == SourceId::Reed { 0 } else { 1 });
        assert_eq!(out.len(), 1);
        let m = &out[0];
        assert_eq!(m.id, "reed:9");
        assert!(m.description.ends_with("- SQL"), "{}", m.description);
        assert!(!m.details.description_truncated);
        assert_eq!(m.details.employment_type, Some(EmploymentType::Contract), "the primary's own statement stays");
        assert_eq!(m.details.workplace_type, Some(WorkplaceType::Hybrid));
        assert_eq!(m.details.locations, vec![place("London"), place("Leeds")]);
        assert_eq!(m.details.categories, vec!["Data and Analytics"]);
    }

    fn located(mut j: Job, country: &str, region: &str, remote: bool) -> Job {
        j.location.country = country.into();
        j.location.region = region.into();
        j.remote = remote;
        j
    }

    fn merged_count(jobs: Vec<Job>) -> usize {
        merge(jobs, rank).len()
    }

    #[test]
    fn jobs_in_different_cities_are_never_merged() {
        let a = job(SourceId::Adzuna, "1", "Data Engineer", "Acme", "London");
        let b = job(SourceId::Reed, "2", "Data Engineer", "Acme", "Leeds");
        assert_eq!(merged_count(vec![a, b]), 2);
    }

    #[test]
    fn a_city_with_its_region_is_the_same_place_and_different_regions_are_not() {
        let plain = located(job(SourceId::Adzuna, "1", "Analyst", "Infosys", "Hyderabad"), "IN", "", false);
        let telangana =
            located(job(SourceId::Reed, "2", "Analyst", "Infosys", "Hyderabad, Telangana"), "IN", "", false);
        assert_eq!(merged_count(vec![plain.clone(), telangana.clone()]), 1);
        // Two regions: the posting that names none could be either, so it stays alone.
        let sindh = located(job(SourceId::TheMuse, "3", "Analyst", "Infosys", "Hyderabad"), "IN", "Sindh", false);
        assert_eq!(merged_count(vec![plain, telangana, sindh]), 3);
    }

    #[test]
    fn multi_location_postings_merge_only_with_the_same_set_of_places() {
        let both = job(SourceId::Adzuna, "1", "Nurse", "NHS Trust", "London; Manchester");
        let one = job(SourceId::Reed, "2", "Nurse", "NHS Trust", "London");
        assert_eq!(merged_count(vec![both.clone(), one]), 2);
        let reordered = job(SourceId::Reed, "3", "Nurse", "NHS Trust", "Manchester / London");
        assert_eq!(merged_count(vec![both, reordered]), 1);
        let various = job(SourceId::Adzuna, "4", "Nurse", "NHS Trust", "Multiple Locations");
        let various_too = job(SourceId::Reed, "5", "Nurse", "NHS Trust", "Multiple Locations");
        assert_eq!(merged_count(vec![various, various_too]), 2, "no place named: nothing to compare");
    }

    #[test]
    fn remote_postings_merge_only_with_remote_postings_of_the_same_known_country() {
        let remote_gb = located(job(SourceId::Adzuna, "1", "Rust Dev", "Ferrous", ""), "GB", "", true);
        let onsite_london = located(job(SourceId::Reed, "2", "Rust Dev", "Ferrous", "London"), "GB", "", false);
        assert_eq!(merged_count(vec![remote_gb.clone(), onsite_london]), 2);
        let remote_gb_too = located(job(SourceId::Findwork, "3", "Rust Dev", "Ferrous", "Remote"), "GB", "", true);
        assert_eq!(merged_count(vec![remote_gb.clone(), remote_gb_too]), 1);
        let remote_us = located(job(SourceId::TheMuse, "4", "Rust Dev", "Ferrous", ""), "US", "", true);
        assert_eq!(merged_count(vec![remote_gb, remote_us]), 2);
        let anywhere_a = located(job(SourceId::Adzuna, "5", "Rust Dev", "Ferrous", ""), "", "", true);
        let anywhere_b = located(job(SourceId::Remotive, "6", "Rust Dev", "Ferrous", ""), "", "", true);
        assert_eq!(merged_count(vec![anywhere_a, anywhere_b]), 2, "an unknown country is not equal to itself");
    }

    #[test]
    fn an_unknown_company_or_place_is_never_equal_to_anything() {
        let a = job(SourceId::Adzuna, "1", "Data Scientist", "", "");
        let b = job(SourceId::Reed, "2", "Data Scientist", "", "");
        assert_eq!(merged_count(vec![a, b]), 2);
        let c = job(SourceId::Adzuna, "3", "Data Scientist", "", "Boston");
        let d = job(SourceId::Reed, "4", "Data Scientist", "", "Boston");
        assert_eq!(merged_count(vec![c, d]), 2);
        let e = job(SourceId::Adzuna, "5", "Data Scientist", "Acme", "");
        let f = job(SourceId::Reed, "6", "Data Scientist", "Acme", "");
        assert_eq!(merged_count(vec![e, f]), 2);
    }

    #[test]
    fn distinct_ids_of_one_board_never_merge_and_the_same_id_collapses() {
        let a = job(SourceId::Adzuna, "1", "Barista", "Bean Co", "Leeds");
        let b = job(SourceId::Adzuna, "2", "Barista", "Bean Co", "Leeds");
        assert_eq!(merged_count(vec![a.clone(), b.clone()]), 2);
        // A third board's listing could be either opening: it merges with neither.
        let c = job(SourceId::Reed, "3", "Barista", "Bean Co", "Leeds");
        assert_eq!(merged_count(vec![a.clone(), b, c.clone()]), 3);
        let mut again = a.clone();
        again.fetched_at = DateTime::<Utc>::from_timestamp(10, 0).unwrap_or_default();
        let out = merge(vec![a, again, c], rank);
        assert_eq!(out.len(), 1, "one listing fetched twice, plus another board's copy");
        assert_eq!(out[0].copies.len(), 2);
    }

    fn arb_job() -> impl Strategy<Value = Job> {
        let titles = prop::sample::select(vec!["Data Engineer", "data engineer!", "Rust Dev", "Rust Dév (m/w/d)"]);
        let companies = prop::sample::select(vec!["Acme", "ACME Ltd", "Beta GmbH", "beta", ""]);
        let cities = prop::sample::select(vec![
            "London",
            "Greater London",
            "Leeds",
            "",
            "München",
            "Munich",
            "Remote",
            "Hyderabad",
            "Hyderabad, Telangana",
            "London; Leeds",
        ]);
        let countries = prop::sample::select(vec!["", "GB", "IN"]);
        let sources = prop::sample::select(SourceId::ALL.to_vec());
        // What boards state or leave out beside the merge key, each copy its own way.
        let extras = (
            prop::option::of((0u8..3, any::<bool>())),
            prop::option::of(prop::sample::select(vec![EmploymentType::FullTime, EmploymentType::Contract])),
            prop::sample::select(vec!["", "England", "Telangana"]),
            prop::option::of(prop::sample::select(vec![Seniority::Junior, Seniority::Senior])),
            prop::option::of(0u8..3),
            prop::option::of(any::<bool>()),
        );
        (sources, 0u32..20, titles, companies, (cities, countries), any::<bool>(), prop::option::of(1u32..5), extras)
            .prop_map(|(s, n, t, c, (city, country), remote, sal, extras)| {
                let mut j = job(s, &n.to_string(), t, c, city);
                j.remote = remote;
                j.location.country = country.into();
                j.salary =
                    sal.and_then(|k| Salary::from_bounds(Some(f64::from(k) * 10_000.0), None, "GBP", PayPeriod::Year));
                j.posted_at = DateTime::<Utc>::from_timestamp(i64::from(n) * 1000, 0);
                let (description, employment, region, seniority, apply, visa) = extras;
                if let Some((k, truncated)) = description {
                    j.description = format!("Description {k} of {s}");
                    j.details.description_truncated = truncated;
                }
                j.details.employment_type = employment;
                j.location.region = region.into();
                j.seniority = seniority;
                j.details.apply_url = apply.map(|k| format!("https://apply.example/{k}"));
                j.details.visa_sponsorship = visa;
                j
            })
    }

    /// Same-id postings are the same listing; the generator may produce two with the same id but
    /// different fields, which no board does. Keep the first of each id.
    fn unique_ids(jobs: Vec<Job>) -> Vec<Job> {
        let mut seen = std::collections::HashSet::new();
        jobs.into_iter().filter(|j| seen.insert(j.id.clone())).collect()
    }

    #[test]
    fn company_forms_boards_write_are_one_company_and_stems_are_not() {
        for (a, b) in [
            ("Acme UK Ltd", "ACME"),
            ("Acme (UK)", "Acme Limited"),
            ("Acme Deutschland GmbH", "Acme AG"),
            ("Acme USA, Inc.", "Acme Group"),
            ("Marsh & Partners", "Marsh and Partners"),
            ("The Hut Group", "Hut Group plc"),
            ("Volt Resources S.A.", "Volt Resources SA"),
            ("Adyen N.V.", "ADYEN"),
            ("Allegro sp. z o.o.", "Allegro"),
            ("Atlassian Pty Ltd", "Atlassian"),
            ("Grant Thornton UK LLP", "Grant Thornton"),
        ] {
            assert_eq!(normalize_company(a), normalize_company(b), "{a} / {b}");
        }
        for (a, b) in [("Acme Foods", "Acme Bank"), ("Bank of America", "Bank"), ("Capital One", "Capital")] {
            assert_ne!(normalize_company(a), normalize_company(b), "{a} / {b}");
        }
        assert_eq!(normalize_company("Bank of America"), "bank of america", "a country after `of` is the name");
        assert_eq!(normalize_company("UK"), "uk", "a name made only of a tail stays");
    }

    #[test]
    fn a_region_written_differently_is_the_same_region() {
        let at = |city: &str, region: &str, country: &str| {
            located(job(SourceId::Reed, "1", "Data Engineer", "Acme", city), country, region, false)
        };
        assert_eq!(region(&at("New York, New York", "", "US")), "", "the city's own name: joins the one stated");
        assert_eq!(region(&at("Albany, New York", "", "US")), "ny");
        assert_eq!(region(&at("New York", "NY", "US")), "ny");
        assert_eq!(region(&at("Santa Clara, United States, CA", "", "US")), "ca");
        assert_eq!(region(&at("Tysons, United States", "", "US")), "");
        assert_eq!(region(&at("London, UK", "", "GB")), "");
        assert_eq!(region(&at("Leeds", "England", "GB")), "");
        assert_eq!(region(&at("Central London", "London", "GB")), "", "the city's own name is no region");
        assert_eq!(region(&at("Portland", "OR", "US")), "or");
        assert_eq!(region(&at("Portland", "Maine", "US")), "me", "and Portland, OR stays another place");
    }

    proptest! {
        #[test]
        fn merge_is_idempotent(jobs in prop::collection::vec(arb_job(), 0..40)) {
            let once = merge(unique_ids(jobs), rank);
            let twice = merge(once.clone(), rank);
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn normalizing_a_company_twice_changes_nothing(name in "[A-Za-z&.,() ]{0,40}") {
            let once = normalize_company(&name);
            prop_assert_eq!(normalize_company(&once), once);
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
        fn each_fields_provenance_names_a_listing_of_the_job_that_states_that_value(
            jobs in prop::collection::vec(arb_job(), 0..40),
        ) {
            let jobs = unique_ids(jobs);
            let by_id: std::collections::HashMap<&str, &Job> = jobs.iter().map(|j| (j.id.as_str(), j)).collect();
            for m in merge(jobs.clone(), rank) {
                prop_assert_eq!(m.provenance.is_some(), m.copies.len() > 1, "recorded on merged jobs only");
                for field in Field::ALL {
                    let Some(value) = field.value(&m) else {
                        prop_assert_eq!(m.supplier(field), None);
                        continue;
                    };
                    let from = m.supplier(field);
                    prop_assert!(from.is_some(), "{:?} of {} has a known listing", field, m.id);
                    let from = from.unwrap_or_default();
                    prop_assert!(m.copies.iter().any(|c| c.id == from) || from == m.id, "{} is a listing of {}", from, m.id);
                    prop_assert_eq!(field.value(by_id[from]), Some(value), "{:?} of {} is what {} states", field, m.id, from);
                }
            }
        }

        #[test]
        fn merge_never_loses_a_listing_and_never_merges_across_cities(jobs in prop::collection::vec(arb_job(), 0..40)) {
            let jobs = unique_ids(jobs);
            let out = merge(jobs.clone(), rank);
            for j in &jobs {
                let holders: Vec<_> = out.iter().filter(|m| m.copies.iter().any(|c| c.id == j.id)).collect();
                prop_assert_eq!(holders.len(), 1, "{} is in exactly one merged job", j.id);
                if holders[0].copies.len() > 1 {
                    prop_assert_eq!(place(holders[0]), place(j), "merged only within one place");
                }
            }
        }

        #[test]
        fn merge_joins_only_different_sources_with_known_equal_fields(jobs in prop::collection::vec(arb_job(), 0..40)) {
            let jobs = unique_ids(jobs);
            let by_id: std::collections::HashMap<&str, &Job> = jobs.iter().map(|j| (j.id.as_str(), j)).collect();
            for m in merge(jobs.clone(), rank) {
                if m.copies.len() < 2 {
                    continue;
                }
                let sources: std::collections::HashSet<_> = m.copies.iter().map(|c| c.source).collect();
                prop_assert_eq!(sources.len(), m.copies.len(), "one listing per source in {:?}", m.copies);
                let keys: Vec<_> = m.copies.iter().map(|c| Fingerprint::merge_key(by_id[c.id.as_str()])).collect();
                prop_assert!(keys[0].is_some(), "a merged listing has a known title, company and place");
                prop_assert!(keys.iter().all(|k| *k == keys[0]), "merged listings share their key: {:?}", keys);
                for c in &m.copies {
                    let j = by_id[c.id.as_str()];
                    prop_assert!(!normalize_company(&j.company).is_empty());
                }
            }
        }
    }
}
