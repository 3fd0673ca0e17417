//! A job posting in the documented shape and the boards it comes from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::Country;

/// A job board. The declaration order is the JobIn document's plan order (Free: the first source;
/// Starter: the first three; Pro: five; Scale: all six). `Import` is the operator's own dump
/// (`JOBIN_IMPORT_FILE`): not a board, not counted by plans, asked last when configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceId {
    Adzuna,
    Remotive,
    Findwork,
    Reed,
    Arbeitnow,
    TheMuse,
    Import,
}

impl SourceId {
    pub const ALL: [SourceId; 6] = [
        SourceId::Adzuna,
        SourceId::Remotive,
        SourceId::Findwork,
        SourceId::Reed,
        SourceId::Arbeitnow,
        SourceId::TheMuse,
    ];

    /// The wire name (`meta.sources[].name`, the prefix of a job id).
    pub const fn as_str(self) -> &'static str {
        match self {
            SourceId::Adzuna => "adzuna",
            SourceId::Remotive => "remotive",
            SourceId::Findwork => "findwork",
            SourceId::Reed => "reed",
            SourceId::Arbeitnow => "arbeitnow",
            SourceId::TheMuse => "themuse",
            SourceId::Import => "import",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        SourceId::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// This source's bit in a job's source mask (`Job::source_mask`); stable, stored.
    pub const fn bit(self) -> i64 {
        1 << (self as u8)
    }

    /// The attribution a board's terms ask for when its jobs are shown.
    pub const fn attribution(self) -> &'static str {
        match self {
            SourceId::Adzuna => "Jobs by Adzuna",
            SourceId::Remotive => "Jobs by Remotive",
            SourceId::Findwork => "Jobs by Findwork",
            SourceId::Reed => "Jobs by Reed",
            SourceId::Arbeitnow => "Jobs by Arbeitnow",
            SourceId::TheMuse => "Jobs by The Muse",
            SourceId::Import => "Imported by the operator",
        }
    }

    /// Whether this board can serve jobs in `country` (the document's coverage table): Adzuna its
    /// 19 countries (every country here but Czechia); Remotive and The Muse worldwide (their
    /// postings are matched to the country by their stated places); Findwork UK + US; Reed UK;
    /// Arbeitnow Europe (continental: Germany first).
    pub fn covers(self, country: Country) -> bool {
        match self {
            SourceId::Remotive | SourceId::TheMuse | SourceId::Import => true,
            SourceId::Adzuna => country != Country::Cz,
            SourceId::Findwork => matches!(country, Country::Gb | Country::Us),
            SourceId::Reed => country == Country::Gb,
            SourceId::Arbeitnow => country.is_continental_europe(),
        }
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The town or city; empty when the board does not say.
    pub city: String,
    /// ISO alpha-2 upper case; empty when unknown.
    pub country: String,
    /// County, state or region; empty when unknown.
    pub region: String,
}

impl Location {
    /// The place as one line for people: city, region, country, the known ones, comma-separated.
    pub fn line(&self) -> Option<String> {
        let parts: Vec<&str> =
            [&self.city, &self.region, &self.country].into_iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// The period a salary amount is paid per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayPeriod {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl PayPeriod {
    /// Every period, for the documents that list them.
    pub const ALL: [PayPeriod; 5] =
        [PayPeriod::Hour, PayPeriod::Day, PayPeriod::Week, PayPeriod::Month, PayPeriod::Year];

    pub const fn as_str(self) -> &'static str {
        match self {
            PayPeriod::Hour => "hour",
            PayPeriod::Day => "day",
            PayPeriod::Week => "week",
            PayPeriod::Month => "month",
            PayPeriod::Year => "year",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [PayPeriod::Hour, PayPeriod::Day, PayPeriod::Week, PayPeriod::Month, PayPeriod::Year]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }
}

/// A pay range in one currency and period. `min <= max`; both positive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Salary {
    pub min: f64,
    pub max: f64,
    /// ISO 4217, upper case.
    pub currency: String,
    pub period: PayPeriod,
}

impl Salary {
    /// The range per year, never converting the currency: hour × 2,080, day × 260, week × 52,
    /// month × 12 (`stats::annual_factor`).
    pub fn annual(&self) -> (f64, f64) {
        let f = super::stats::annual_factor(self.period);
        (self.min * f, self.max * f)
    }

    /// A range from optional bounds: one bound stands for both; the two are ordered; a
    /// non-positive or non-finite amount means "no salary".
    pub fn from_bounds(min: Option<f64>, max: Option<f64>, currency: &str, period: PayPeriod) -> Option<Self> {
        let ok = |v: Option<f64>| v.filter(|x| x.is_finite() && *x > 0.0);
        let (min, max) = match (ok(min), ok(max)) {
            (Some(a), Some(b)) => (a.min(b), a.max(b)),
            (Some(a), None) | (None, Some(a)) => (a, a),
            (None, None) => return None,
        };
        Some(Salary { min, max, currency: currency.to_owned(), period })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Seniority {
    Intern,
    Junior,
    Mid,
    Senior,
    Lead,
    Executive,
}

impl Seniority {
    /// Every level, junior to senior.
    pub const ALL: [Seniority; 6] = [
        Seniority::Intern,
        Seniority::Junior,
        Seniority::Mid,
        Seniority::Senior,
        Seniority::Lead,
        Seniority::Executive,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Seniority::Intern => "intern",
            Seniority::Junior => "junior",
            Seniority::Mid => "mid",
            Seniority::Senior => "senior",
            Seniority::Lead => "lead",
            Seniority::Executive => "executive",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Seniority::Intern, Seniority::Junior, Seniority::Mid, Seniority::Senior, Seniority::Lead, Seniority::Executive]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

impl Seniority {
    /// The coarser experience level sync clients use: intern and junior are `entry`.
    pub const fn experience_level(self) -> &'static str {
        match self {
            Seniority::Intern | Seniority::Junior => "entry",
            Seniority::Mid => "mid",
            Seniority::Senior => "senior",
            Seniority::Lead => "lead",
            Seniority::Executive => "executive",
        }
    }
}

/// The terms of employment a board states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentType {
    FullTime,
    PartTime,
    Contract,
    Internship,
    Temporary,
}

impl EmploymentType {
    /// Every type.
    pub const ALL: [EmploymentType; 5] = [
        EmploymentType::FullTime,
        EmploymentType::PartTime,
        EmploymentType::Contract,
        EmploymentType::Internship,
        EmploymentType::Temporary,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EmploymentType::FullTime => "full_time",
            EmploymentType::PartTime => "part_time",
            EmploymentType::Contract => "contract",
            EmploymentType::Internship => "internship",
            EmploymentType::Temporary => "temporary",
        }
    }

    /// A board's own wording (`full_time`, `Full-time`, `full time`, `Teilzeit`, `freelance`,
    /// `Praktikum`, …); `None` for anything that is not a term of employment (`permanent` says
    /// nothing about hours, `professional / experienced` is a level).
    pub fn from_board(raw: &str) -> Option<Self> {
        let folded: String =
            raw.trim().to_lowercase().chars().map(|c| if c == '-' || c == '_' { ' ' } else { c }).collect();
        match folded.split_whitespace().collect::<Vec<_>>().join(" ").as_str() {
            "full time" | "fulltime" | "vollzeit" | "temps plein" | "cdi" => Some(EmploymentType::FullTime),
            "part time" | "parttime" | "teilzeit" | "temps partiel" => Some(EmploymentType::PartTime),
            "contract" | "contractor" | "freelance" | "freelancer" | "freiberuflich" => Some(EmploymentType::Contract),
            "internship" | "intern" | "praktikum" | "stage" | "werkstudent" | "working student" => {
                Some(EmploymentType::Internship)
            }
            "temporary" | "temp" | "befristet" | "cdd" | "interim" => Some(EmploymentType::Temporary),
            _ => None,
        }
    }
}

/// Where the work is done, when the posting says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkplaceType {
    Remote,
    Hybrid,
    Onsite,
}

impl WorkplaceType {
    /// Every type.
    pub const ALL: [WorkplaceType; 3] = [WorkplaceType::Remote, WorkplaceType::Hybrid, WorkplaceType::Onsite];

    pub const fn as_str(self) -> &'static str {
        match self {
            WorkplaceType::Remote => "remote",
            WorkplaceType::Hybrid => "hybrid",
            WorkplaceType::Onsite => "onsite",
        }
    }
}

/// What a board says about the hiring company beyond its name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CompanyDetails {
    /// The company's logo, as the board hosts it.
    pub logo_url: Option<String>,
    /// The company's page (its site, or its profile on the board).
    pub url: Option<String>,
    /// Head-count bucket as the board states it (`11-50`).
    pub size: Option<String>,
}

/// One board's listing of a job that was merged into another (or the job itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobCopy {
    pub source: SourceId,
    /// The full id, `source:native_id`.
    pub id: String,
    pub url: String,
}

/// The longest [`Job::summary`], in characters (the ellipsis aside).
pub const SUMMARY_CHARS: usize = 300;

/// A normalized job posting. Serde is for the search cache's own encoding, not the API shape
/// (the app maps it to the documented DTO).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// `source:native_id`, stable across fetches.
    pub id: String,
    pub source: SourceId,
    pub title: String,
    pub company: String,
    pub location: Location,
    pub salary: Option<Salary>,
    pub skills: Vec<String>,
    pub seniority: Option<Seniority>,
    pub remote: bool,
    /// Where to send the user (the board's link-back URL).
    pub url: String,
    pub posted_at: Option<DateTime<Utc>>,
    /// When the board says the posting closes (Reed's `expirationDate`); it expires then.
    #[serde(default)]
    pub valid_through: Option<DateTime<Utc>>,
    pub fetched_at: DateTime<Utc>,
    /// Plain text: HTML and tracking images stripped, entities decoded, paragraphs and list items
    /// on their own lines.
    pub description: String,
    /// Every board listing merged into this job, this one included, ordered by source priority.
    pub copies: Vec<JobCopy>,
    /// The rest of what the posting states (jobs stored before these existed read as unknown).
    #[serde(default)]
    pub details: JobDetails,
    /// A merged job's fields filled from another of its `copies`, with that listing's id (see
    /// [`Job::supplier`]); every other field is this listing's own. `None` for a job nothing was
    /// merged into, and for one merged before provenance was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<super::provenance::Provenance>,
}

/// What a posting states beyond the fields every board has. Unknown is `None` or empty, never a
/// guess.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobDetails {
    /// The board gives only the start of the description (Adzuna, Reed): the full text is on the
    /// listing page.
    pub description_truncated: bool,
    /// Where to apply when the board gives a link apart from its listing page (`Job::url`).
    pub apply_url: Option<String>,
    pub employment_type: Option<EmploymentType>,
    /// Stated by the board or the posting's title or place (`Job::remote` stays as it was).
    pub workplace_type: Option<WorkplaceType>,
    /// Every place the posting names (`Job::location` is the first); empty when it names none.
    pub locations: Vec<Location>,
    /// Whether the employer sponsors visas, where the board tags it.
    pub visa_sponsorship: Option<bool>,
    pub company: CompanyDetails,
    /// The board's categories ("Data and Analytics"): matched by keyword filters, not skills.
    pub categories: Vec<String>,
}

impl Job {
    /// The copy entry for this job's own listing.
    pub fn own_copy(&self) -> JobCopy {
        JobCopy { source: self.source, id: self.id.clone(), url: self.url.clone() }
    }

    /// The folded text a query's words are matched in (word prefixes, `normalize::words_match`):
    /// title, company and skills. Search over the store, the feed's `q` and analytics use it.
    pub fn search_text(&self) -> String {
        super::normalize::fold(&format!("{} {} {}", self.title, self.company, self.skills.join(" ")))
    }

    /// The folded text a `location` is matched in: the city, region and country code of every
    /// place it names (`location`, then `details.locations`).
    pub fn place_text(&self) -> String {
        let mut text = String::new();
        for l in std::iter::once(&self.location).chain(&self.details.locations) {
            text.push_str(&format!(" {} {} {}", l.city, l.region, l.country));
        }
        super::normalize::fold(&text)
    }

    /// The description's start on one line: at most [`SUMMARY_CHARS`] characters, cut at a word
    /// boundary and ended with `…` when cut.
    pub fn summary(&self) -> String {
        let flat = self.description.split_whitespace().collect::<Vec<_>>().join(" ");
        if flat.chars().count() <= SUMMARY_CHARS {
            return flat;
        }
        let cut: String = flat.chars().take(SUMMARY_CHARS).collect();
        let at_word = match cut.rfind(' ') {
            Some(i) if i > SUMMARY_CHARS / 2 => &cut[..i],
            _ => cut.as_str(),
        };
        format!("{}…", at_word.trim_end_matches([',', ';', ':', '-', ' ']))
    }

    /// The ids of the other listings merged into this job (its `copies` but itself).
    pub fn merged_ids(&self) -> impl Iterator<Item = &str> {
        self.copies.iter().filter(|c| c.id != self.id).map(|c| c.id.as_str())
    }

    /// The bits (`SourceId::bit`) of every source that lists this job: its own and its copies'.
    pub fn source_mask(&self) -> i64 {
        self.copies.iter().fold(self.source.bit(), |m, c| m | c.source.bit())
    }

    /// `source:native_id`.
    pub fn make_id(source: SourceId, native: &str) -> String {
        format!("{}:{}", source.as_str(), native.trim())
    }
}

impl Job {
    /// A job stating only these (tests and fixtures): no country, salary, skills or dates, a
    /// `https://<source>.example/<native>` link, fetched at the epoch.
    pub fn sample(source: SourceId, native: &str, title: &str, company: &str, city: &str) -> Job {
        Job {
            id: Job::make_id(source, native),
            source,
            title: title.into(),
            company: company.into(),
            location: Location { city: city.into(), country: String::new(), region: String::new() },
            salary: None,
            skills: vec![],
            seniority: None,
            remote: false,
            url: format!("https://{source}.example/{native}"),
            posted_at: None,
            valid_through: None,
            fetched_at: DateTime::<Utc>::UNIX_EPOCH,
            description: String::new(),
            copies: vec![],
            details: JobDetails::default(),
            provenance: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_salary_per_year_scales_by_its_period_and_keeps_its_currency() {
        let per = |period, min, max| Salary::from_bounds(Some(min), Some(max), "GBP", period).unwrap().annual();
        assert_eq!(per(PayPeriod::Hour, 20.0, 25.5), (41_600.0, 53_040.0));
        assert_eq!(per(PayPeriod::Day, 400.0, 500.0), (104_000.0, 130_000.0));
        assert_eq!(per(PayPeriod::Week, 1_000.0, 1_000.0), (52_000.0, 52_000.0));
        assert_eq!(per(PayPeriod::Month, 4_000.0, 5_000.0), (48_000.0, 60_000.0));
        assert_eq!(per(PayPeriod::Year, 50_000.0, 60_000.0), (50_000.0, 60_000.0));
    }

    #[test]
    fn coverage_follows_the_documents_table() {
        let covering = |c: Country| SourceId::ALL.into_iter().filter(|s| s.covers(c)).collect::<Vec<_>>();
        use SourceId::*;
        assert_eq!(covering(Country::Gb), vec![Adzuna, Remotive, Findwork, Reed, TheMuse]);
        assert_eq!(covering(Country::Us), vec![Adzuna, Remotive, Findwork, TheMuse]);
        assert_eq!(covering(Country::De), vec![Adzuna, Remotive, Arbeitnow, TheMuse]);
        assert_eq!(covering(Country::Au), vec![Adzuna, Remotive, TheMuse]);
        assert_eq!(covering(Country::Cz), vec![Remotive, Arbeitnow, TheMuse], "Adzuna has no Czech site");
        assert_eq!(covering(Country::Ch), vec![Adzuna, Remotive, Arbeitnow, TheMuse]);
        assert_eq!(covering(Country::Sg), vec![Adzuna, Remotive, TheMuse]);
        for c in Country::ALL {
            assert!(covering(c).len() >= 2, "{c}: every country has a board besides the worldwide ones' filter");
        }
    }

    #[test]
    fn employment_types_are_read_from_each_boards_wording_and_nothing_else() {
        use EmploymentType::*;
        for (raw, want) in [
            ("full_time", Some(FullTime)),
            ("Full-time", Some(FullTime)),
            ("full time", Some(FullTime)),
            ("Part-Time", Some(PartTime)),
            ("Teilzeit", Some(PartTime)),
            ("freelance", Some(Contract)),
            ("contract", Some(Contract)),
            ("Internship", Some(Internship)),
            ("Werkstudent", Some(Internship)),
            ("temporary", Some(Temporary)),
            ("permanent", None),
            ("professional / experienced", None),
            ("berufseinstieg", None),
            ("", None),
        ] {
            assert_eq!(EmploymentType::from_board(raw), want, "{raw}");
        }
    }

    #[test]
    fn a_summary_is_the_descriptions_start_cut_at_a_word() {
        let mut j = Job::sample(SourceId::Reed, "1", "T", "C", "");
        j.description = "Short.\n\n- One".into();
        assert_eq!(j.summary(), "Short. - One");
        j.description = format!("{} tail", "word ".repeat(70));
        let s = j.summary();
        assert!(s.ends_with("word…") && s.chars().count() <= SUMMARY_CHARS + 1, "{s}");
        j.description = "é".repeat(400);
        assert_eq!(j.summary().chars().count(), SUMMARY_CHARS + 1, "no word boundary: cut at the limit");
    }

    #[test]
    fn salary_bounds_are_ordered_and_a_single_bound_stands_for_both() {
        let s = Salary::from_bounds(Some(50.0), Some(40.0), "GBP", PayPeriod::Year).unwrap();
        assert_eq!((s.min, s.max), (40.0, 50.0));
        let s = Salary::from_bounds(None, Some(40.0), "GBP", PayPeriod::Year).unwrap();
        assert_eq!((s.min, s.max), (40.0, 40.0));
        assert_eq!(Salary::from_bounds(Some(0.0), None, "GBP", PayPeriod::Year), None);
        assert_eq!(Salary::from_bounds(Some(f64::NAN), None, "GBP", PayPeriod::Year), None);
    }
}
