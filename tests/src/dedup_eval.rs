//! The dedup evaluation: labelled pairs of postings — the same job listed on two boards, written
//! the ways boards really write titles, companies and places, and pairs that must never merge —
//! and the precision and recall of the merge rule (`jobin_core::domain::merge`) over them.
//!
//! Base postings come from the project's own fixture (`tests/fixtures/dedup/postings.csv`) and,
//! beside a checkout with `../shared`, from the real postings of `datasets/data-jobs-2023`. Each
//! base gives a true pair per variation kind it admits (one copy varied, sometimes both) and pairs
//! of each never-merge kind. Deterministic for a seed. `make eval-dedup` prints the figures; the
//! `dedup_eval` test holds the targets.

use jobin_core::domain::{Country, Job, Location, SourceId, merge};
use std::collections::BTreeMap;

/// One posting as a board would describe it before the variations: its title, company and place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    pub title: String,
    pub company: String,
    pub city: String,
    /// Region or state as the posting states it (may be empty).
    pub region: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// Two listings and whether they are the same job, with the variation (or never-merge) kind.
#[derive(Debug, Clone)]
pub struct Pair {
    pub a: Job,
    pub b: Job,
    pub same: bool,
    pub kind: &'static str,
}

/// Merged or not, per kind.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub pairs: u64,
    pub merged: u64,
}

#[derive(Debug, Default, Clone)]
pub struct Report {
    /// True pairs by variation kind.
    pub same: BTreeMap<&'static str, Tally>,
    /// Never-merge pairs by kind.
    pub different: BTreeMap<&'static str, Tally>,
    /// Some pairs judged wrongly (a missed true pair or a false merge), for reading.
    pub wrong: Vec<String>,
}

impl Report {
    pub fn true_pairs(&self) -> u64 {
        self.same.values().map(|t| t.pairs).sum()
    }

    pub fn false_pairs(&self) -> u64 {
        self.different.values().map(|t| t.pairs).sum()
    }

    /// Merged true pairs over all true pairs.
    pub fn recall(&self) -> f64 {
        let found: u64 = self.same.values().map(|t| t.merged).sum();
        found as f64 / self.true_pairs().max(1) as f64
    }

    /// Merged true pairs over all merged pairs (1.0 when nothing merged).
    pub fn precision(&self) -> f64 {
        let found: u64 = self.same.values().map(|t| t.merged).sum();
        let wrong: u64 = self.different.values().map(|t| t.merged).sum();
        if found + wrong == 0 { 1.0 } else { found as f64 / (found + wrong) as f64 }
    }

    pub fn false_merges(&self) -> u64 {
        self.different.values().map(|t| t.merged).sum()
    }

    /// A table: each kind with its pairs and merges, then the totals.
    pub fn table(&self) -> String {
        let mut out = String::new();
        out.push_str("same job, written differently (should merge):\n");
        for (kind, t) in &self.same {
            out.push_str(&format!("  {kind:<40} {:>5} of {:>5} merged\n", t.merged, t.pairs));
        }
        out.push_str("never the same job (must not merge):\n");
        for (kind, t) in &self.different {
            out.push_str(&format!("  {kind:<40} {:>5} of {:>5} merged\n", t.merged, t.pairs));
        }
        out.push_str(&format!(
            "pairs {} ({} true, {} never-merge): recall {:.3}, precision {:.3}, false merges {}\n",
            self.true_pairs() + self.false_pairs(),
            self.true_pairs(),
            self.false_pairs(),
            self.recall(),
            self.precision(),
            self.false_merges()
        ));
        out
    }
}

/// Whether the merge rule makes one job of the pair.
pub fn merges(pair: &Pair) -> bool {
    merge(vec![pair.a.clone(), pair.b.clone()], |s| s as usize).len() == 1
}

pub fn evaluate(pairs: &[Pair]) -> Report {
    let mut r = Report::default();
    for p in pairs {
        let merged = merges(p);
        let t = if p.same { r.same.entry(p.kind) } else { r.different.entry(p.kind) }.or_default();
        t.pairs += 1;
        t.merged += u64::from(merged);
        // Every false merge is listed; misses up to 60.
        if merged != p.same && (!p.same || r.wrong.len() < 60) {
            let show = |j: &Job| {
                format!(
                    "{} | {} | {} / {} / {}",
                    j.title, j.company, j.location.city, j.location.region, j.location.country
                )
            };
            r.wrong.push(format!(
                "{} {}: [{}] vs [{}]",
                if p.same { "missed" } else { "FALSE MERGE" },
                p.kind,
                show(&p.a),
                show(&p.b)
            ));
        }
    }
    r
}

/// The fixture's bases: CSV `title,company,city,region,country` with a header line.
pub fn bases_from_fixture(text: &str) -> Vec<Base> {
    csv_rows(text)
        .into_iter()
        .skip(1)
        .filter(|r| r.len() >= 5)
        .map(|r| Base {
            title: r[0].clone(),
            company: r[1].clone(),
            city: r[2].clone(),
            region: r[3].clone(),
            country: r[4].clone(),
        })
        .collect()
}

/// Bases from the data-jobs-2023 CSV (`job_title`, `company_name`, `job_location` "City, ST" or
/// "City, Country", `job_country`): postings with a city in a supported country, each title,
/// company and city once, at most `limit`.
pub fn bases_from_dataset(text: &str, limit: usize) -> Vec<Base> {
    let rows = csv_rows(text);
    let Some(header) = rows.first() else { return Vec::new() };
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(t), Some(c), Some(l), Some(k)) =
        (col("job_title"), col("company_name"), col("job_location"), col("job_country"))
    else {
        return Vec::new();
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for r in rows.iter().skip(1) {
        if out.len() >= limit {
            break;
        }
        let field = |i: usize| r.get(i).map(|s| s.trim().to_owned()).unwrap_or_default();
        let (title, company, location, country_name) = (field(t), field(c), field(l), field(k));
        let Some(country) =
            Country::ALL.into_iter().find(|x| x.names().contains(&country_name.to_lowercase().as_str()))
        else {
            continue;
        };
        let Some((city, rest)) = location.split_once(',') else { continue };
        let (city, rest) = (city.trim(), rest.trim());
        // "City, ST" (a US state) or "City, <country name>": anything else is not a city.
        let region = if country == Country::Us && rest.len() == 2 && rest.chars().all(|ch| ch.is_ascii_uppercase()) {
            rest.to_owned()
        } else if country.names().contains(&rest.to_lowercase().as_str()) {
            String::new()
        } else {
            continue;
        };
        if title.is_empty() || company.is_empty() || city.is_empty() || title.len() > 90 || title.contains("...") {
            continue;
        }
        if seen.insert((title.to_lowercase(), company.to_lowercase(), city.to_lowercase())) {
            out.push(Base { title, company, city: city.to_owned(), region, country: country.iso().to_owned() });
        }
    }
    out
}

/// The six boards' recorded answers under `../shared/payloads/boards/`, as their adapters parse
/// them (file, parser).
pub const BOARD_CAPTURES: [&str; 7] = [
    "adzuna/gb_search_page1_2025-07.json",
    "adzuna/de_search_page1_2024-03_raw.json",
    "reed/search_100results_2025-07.json",
    "findwork/jobs_page1_2025-07.json",
    "arbeitnow/job-board-api_5jobs_2026-08_data-only.json",
    "themuse/public_jobs_page1_2025-07.json",
    "remotive/remote-jobs_35jobs_2026-07.json",
];

/// The postings of one recorded board answer (`rel` under `payloads/boards/`), parsed by its
/// board's adapter.
pub fn capture_postings(rel: &str, body: &[u8]) -> Result<Vec<Job>, String> {
    use jobin_adapters::sources::{adzuna, arbeitnow, findwork, reed, remotive, themuse};
    let board = rel.split('/').next().unwrap_or_default();
    let parsed = match board {
        "adzuna" => {
            let country = if rel.contains("/de_") { Country::De } else { Country::Gb };
            adzuna::parse_page(body, country).map(|(jobs, _)| jobs)
        }
        "reed" => reed::parse_page(body).map(|(jobs, _)| jobs),
        "findwork" => findwork::parse_page(body).map(|(jobs, _)| jobs),
        "arbeitnow" => arbeitnow::parse_page(body).map(|(jobs, _)| jobs),
        "themuse" => themuse::parse_page(body).map(|(jobs, _)| jobs),
        "remotive" => remotive::parse_listing(body),
        other => return Err(format!("no parser for {other}")),
    };
    parsed.map_err(|e| format!("{rel}: {e}"))
}

/// Bases from postings the boards really served: each with a title, a company, a city and a
/// country (remote-only postings name no city: they give none), each title, company and city once.
pub fn bases_from_postings(jobs: &[Job]) -> Vec<Base> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for j in jobs {
        let (title, company, city) = (j.title.trim(), j.company.trim(), j.location.city.trim());
        if title.is_empty() || company.is_empty() || city.is_empty() || Country::from_iso(&j.location.country).is_none()
        {
            continue;
        }
        if seen.insert((title.to_lowercase(), company.to_lowercase(), city.to_lowercase())) {
            out.push(Base {
                title: title.to_owned(),
                company: company.to_owned(),
                city: city.to_owned(),
                region: j.location.region.trim().to_owned(),
                country: j.location.country.to_uppercase(),
            });
        }
    }
    out
}

/// A minimal RFC 4180 reader: quoted fields with doubled quotes and line breaks.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, _) => field.push(ch),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, _) => field.push(ch),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

use jobin_adapters::fakes::SeededRng as Rng;

const BOARDS: [SourceId; 6] = SourceId::ALL;

fn listing(source: SourceId, native: u64, base: &Base) -> Job {
    Job {
        id: Job::make_id(source, &native.to_string()),
        source,
        title: base.title.clone(),
        company: base.company.clone(),
        location: Location { city: base.city.clone(), region: base.region.clone(), country: base.country.clone() },
        salary: None,
        skills: Vec::new(),
        seniority: None,
        remote: false,
        url: String::new(),
        posted_at: None,
        valid_through: None,
        fetched_at: chrono::DateTime::<chrono::Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        description: String::new(),
        copies: Vec::new(),
        details: Default::default(),
        provenance: None,
    }
}

fn country_name(iso: &str) -> String {
    let name = Country::from_iso(iso).and_then(|c| c.names().first().copied()).unwrap_or("");
    name.split(' ').map(capitalized).collect::<Vec<_>>().join(" ")
}

fn capitalized(word: &str) -> String {
    let mut cs = word.chars();
    cs.next().map(|f| f.to_uppercase().chain(cs).collect()).unwrap_or_default()
}

/// Seniority words and the ways boards write them.
const SENIORITY: &[(&str, &[&str])] = &[
    ("Senior", &["Sr.", "Sr", "Snr", "SENIOR", "senior", "Snr."]),
    ("Junior", &["Jr.", "Jr", "Jnr", "JUNIOR"]),
    ("Manager", &["Mgr", "Mgr.", "manager"]),
    ("Lead", &["LEAD", "lead"]),
];

/// Level numerals: the roman form and the figure.
const LEVELS: &[(&str, &str)] = &[("I", "1"), ("II", "2"), ("III", "3"), ("IV", "4")];

const LEGAL_FORMS: &[&str] = &[
    " Ltd",
    " Ltd.",
    " LTD",
    " Limited",
    " plc",
    " PLC",
    " LLC",
    ", LLC",
    " Inc.",
    ", Inc.",
    " INC",
    " Inc",
    " GmbH",
    " gmbh",
    " AG",
    " SAS",
    " S.A.",
    " SA",
    " B.V.",
    " BV",
    " Corp.",
    " Corporation",
    " LLP",
    " Pty Ltd",
    " S.A.S.",
    " N.V.",
    " NV",
    " SE",
    " S.p.A.",
    " AB",
    " Oy",
];

const WORK_MODE_TAILS: &[&str] = &[
    " (Hybrid)",
    " - Remote",
    " | Remote",
    " [Fully Remote]",
    " - Hybrid",
    " (Remote)",
    " - Hybrid Working",
    " (Hybrid, 3 days in office)",
    " | Remote-first",
    " - Onsite",
];

/// Words no two distinct companies sharing a stem are told apart by here.
const SECTORS: &[&str] = &["Foods", "Bank", "Health", "Energy", "Digital", "Logistics", "Insurance", "Labs"];

/// True variations of one base: `(kind, title, company, city, region)` for the varied copy, or
/// `None` when the kind does not apply to this base.
fn vary(kind: &'static str, base: &Base, rng: &mut Rng) -> Option<Base> {
    let mut b = base.clone();
    match kind {
        "title: place tail" => {
            let place = match rng.below(4) {
                0 => base.city.clone(),
                1 => format!("{}, {}", base.city, country_name(&base.country)),
                2 if !base.region.is_empty() => format!("{}, {}", base.city, base.region),
                _ => base.city.clone(),
            };
            b.title = match rng.below(4) {
                0 => format!("{} - {place}", base.title),
                1 => format!("{} ({place})", base.title),
                2 => format!("{}, {}", base.title, base.city),
                _ => format!("{} | {place}", base.title),
            };
        }
        "title: work-mode tail" => b.title = format!("{}{}", base.title, rng.pick(WORK_MODE_TAILS)),
        "title: seniority written differently" => {
            let words: Vec<&str> = base.title.split(' ').collect();
            let (i, forms) = words.iter().enumerate().find_map(|(i, w)| {
                SENIORITY.iter().find(|(full, _)| w.eq_ignore_ascii_case(full)).map(|(_, forms)| (i, *forms))
            })?;
            let mut words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
            words[i] = (*rng.pick(forms)).to_owned();
            b.title = words.join(" ");
        }
        "title: level as roman numeral or figure" => {
            // Only a title without a level of its own; the level goes after the role, before any
            // tail (`Data Engineer II - Remote`). Both copies carry it; one as a figure.
            if has_level(&base.title) {
                return None;
            }
            let (roman, figure) = *rng.pick(LEVELS);
            b.title = with_level(&base.title, if rng.below(2) == 0 { figure } else { roman });
        }
        "title: case, spacing and punctuation" => {
            b.title = match rng.below(3) {
                0 => base.title.to_uppercase(),
                1 => base.title.replace(' ', "  ").to_lowercase(),
                _ => format!("{}.", base.title.replace(", ", " - ")),
            };
        }
        "company: legal form" => {
            let stripped = strip_legal(&base.company);
            b.company = format!("{stripped}{}", rng.pick(LEGAL_FORMS));
        }
        "company: group" => b.company = format!("{} Group", strip_legal(&base.company)),
        "company: country tail" => {
            let tail = match (base.country.as_str(), rng.below(3)) {
                ("GB", 0) => " UK".to_owned(),
                ("GB", 1) => " (UK)".to_owned(),
                ("US", 0) => " USA".to_owned(),
                ("US", 1) => " US".to_owned(),
                // `IN` and `IT` are words too: boards write the country's name.
                (iso, 2) | (iso @ ("IN" | "IT"), _) => format!(" {}", country_name(iso)),
                (iso, _) => format!(" {iso}"),
            };
            b.company = format!("{}{tail}{}", strip_legal(&base.company), if rng.below(2) == 0 { " Ltd" } else { "" });
        }
        "company: & or and" => {
            if base.company.contains(" & ") {
                b.company = base.company.replace(" & ", " and ");
            } else if base.company.contains(" and ") {
                b.company = base.company.replace(" and ", " & ");
            } else {
                return None;
            }
        }
        "company: The, case and punctuation" => {
            b.company = match rng.below(3) {
                0 if !base.company.to_lowercase().starts_with("the ") => format!("The {}", base.company),
                0 => base.company.trim_start_matches("The ").to_owned(),
                1 => base.company.to_uppercase(),
                _ => format!("{}.", base.company.replace(", ", " ")),
            };
        }
        "place: written differently" => {
            let city = base.city.as_str();
            match (base.country.as_str(), city) {
                ("GB", "London") => {
                    b.city = (*rng.pick(&[
                        "Central London",
                        "City of London",
                        "London, UK",
                        "Greater London",
                        "London, England",
                    ]))
                    .to_owned();
                }
                ("US", "New York") => {
                    b.city = (*rng.pick(&["New York, NY", "New York City", "NYC", "New York, New York"])).to_owned();
                    b.region = String::new();
                }
                _ => match rng.below(3) {
                    0 => b.city = format!("{city}, {}", country_name(&base.country)),
                    1 if !base.region.is_empty() => {
                        b.city = format!("{city}, {}", base.region);
                        b.region = String::new();
                    }
                    _ => b.region = String::new(),
                },
            }
        }
        _ => return None,
    }
    Some(b)
}

/// A company name without one trailing legal form.
fn strip_legal(company: &str) -> String {
    let mut c = company.trim().to_owned();
    for form in LEGAL_FORMS {
        if c.len() > form.len() && c.to_lowercase().ends_with(&form.to_lowercase()) {
            c.truncate(c.len() - form.len());
            return c.trim_end_matches([',', ' ']).to_owned();
        }
    }
    c
}

pub const SAME_KINDS: &[&str] = &[
    "title: place tail",
    "title: work-mode tail",
    "title: seniority written differently",
    "title: level as roman numeral or figure",
    "title: case, spacing and punctuation",
    "company: legal form",
    "company: group",
    "company: country tail",
    "company: & or and",
    "company: The, case and punctuation",
    "place: written differently",
];

/// The labelled pairs of `bases` (deterministic for `seed`).
pub fn pairs(bases: &[Base], seed: u64) -> Vec<Pair> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    // Each listing gets the next native id; `a` on one board, `b` on `board_b`.
    let mut native = 1_000_000u64;
    let mut pair = |a: &Base, board_a: SourceId, b: &Base, board_b: SourceId, same: bool, kind: &'static str| {
        native += 2;
        Pair { a: listing(board_a, native - 1, a), b: listing(board_b, native, b), same, kind }
    };
    for (n, base) in bases.iter().enumerate() {
        let ba = BOARDS[n % 6];
        let bb = BOARDS[(n + 1 + rng.below(5)) % 6];
        for &kind in SAME_KINDS {
            let Some(varied) = vary(kind, base, &mut rng) else { continue };
            let mut a_base = base.clone();
            if kind == "title: level as roman numeral or figure" {
                // The other copy has the same level in the other spelling.
                let other = LEVELS
                    .iter()
                    .find_map(|(r, f)| {
                        if varied.title == with_level(&base.title, r) {
                            Some(*f)
                        } else {
                            (varied.title == with_level(&base.title, f)).then_some(*r)
                        }
                    })
                    .unwrap_or_default();
                a_base.title = with_level(&base.title, other);
            }
            out.push(pair(&a_base, ba, &varied, bb, true, kind));
        }
        // Several variations at once: two kinds on one copy, one on the other.
        // Two different kinds (a board does not write a company's country twice).
        let mut both = base.clone();
        let first = *rng.pick(SAME_KINDS);
        let second = *rng.pick(SAME_KINDS);
        for kind in if first == second { vec![first] } else { vec![first, second] } {
            if kind != "title: level as roman numeral or figure"
                && let Some(v) = vary(kind, &both, &mut rng)
            {
                both = v;
            }
        }
        let kind = *rng.pick(&["title: work-mode tail", "company: legal form", "title: case, spacing and punctuation"]);
        let one = vary(kind, base, &mut rng).unwrap_or_else(|| base.clone());
        out.push(pair(&one, ba, &both, bb, true, "several at once"));

        // Never the same job.
        if let Some(other) = bases
            .iter()
            .cycle()
            .skip(n + 1)
            .take(bases.len())
            .find(|o| o.country == base.country && !o.city.eq_ignore_ascii_case(&base.city) && !o.city.is_empty())
        {
            let mut moved = base.clone();
            moved.city = other.city.clone();
            moved.region = other.region.clone();
            out.push(pair(base, ba, &moved, bb, false, "different city"));
            let varied = vary("company: legal form", &moved, &mut rng).unwrap_or(moved);
            out.push(pair(base, ba, &varied, bb, false, "different city, company written differently"));
        }
        out.push(pair(base, ba, base, ba, false, "one board, two ids"));
        let role = role_of(&base.title);
        let levels: [(&str, &str); 5] = [
            ("Senior {}", "{} II"),
            ("{} II", "{} III"),
            ("Junior {}", "Senior {}"),
            ("Lead {}", "Senior {}"),
            ("{}", "Senior {}"),
        ];
        let (x, y) = *rng.pick(&levels);
        let (mut a, mut b) = (base.clone(), base.clone());
        a.title = x.replace("{}", &role);
        b.title = y.replace("{}", &role);
        out.push(pair(&a, ba, &b, bb, false, "different seniority level"));
        let stem = strip_legal(&base.company).split(' ').next().unwrap_or_default().to_owned();
        if !stem.is_empty() {
            let s1 = *rng.pick(SECTORS);
            let s2 = SECTORS.iter().find(|s| **s != s1).copied().unwrap_or("Bank");
            let (mut a, mut b) = (base.clone(), base.clone());
            a.company = format!("{stem} {s1}");
            b.company = format!("{stem} {s2} Ltd");
            out.push(pair(&a, ba, &b, bb, false, "companies sharing a stem"));
        }
        // Another role: each title has a word the other lacks (not one title with an extra tail).
        let words = |t: &str| -> std::collections::BTreeSet<String> {
            t.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 1).map(str::to_owned).collect()
        };
        let mine = words(&role);
        if let Some(other) = bases.iter().skip(n + 1).find(|o| {
            let theirs = words(&role_of(&o.title));
            !theirs.is_subset(&mine) && !mine.is_subset(&theirs)
        }) {
            let mut b = base.clone();
            b.title = other.title.clone();
            out.push(pair(base, ba, &b, bb, false, "different role"));
        }
    }
    out
}

/// Whether a word of `title` is a level (`II`, `3`).
fn has_level(title: &str) -> bool {
    title.split(' ').any(|w| LEVELS.iter().any(|(r, f)| w == *r || w == *f))
}

/// `title` with `level` after its role: before the first tail separator, else at the end.
fn with_level(title: &str, level: &str) -> String {
    let cut = [" - ", " (", ", ", " | ", " – "].iter().filter_map(|sep| title.find(sep)).min();
    match cut {
        Some(at) => format!("{} {level}{}", &title[..at], &title[at..]),
        None => format!("{title} {level}"),
    }
}

/// The title without its seniority words and level numerals.
fn role_of(title: &str) -> String {
    title
        .split(' ')
        .filter(|w| {
            !SENIORITY.iter().any(|(full, _)| w.eq_ignore_ascii_case(full))
                && !LEVELS.iter().any(|(r, f)| w == r || w == f)
        })
        .collect::<Vec<_>>()
        .join(" ")
}
