//! Findwork: `GET {base}/jobs/` with `Authorization: Token <key>`; DRF paging (`page`, `next`);
//! no salaries; `role` is the title; `location` is free text, often null or junk (a URL).
//! Jobs whose location names another country than the searched one are dropped.

use async_trait::async_trait;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{BoardContext, parse_json, places, says_remote, workplace};
use jobin_core::domain::normalize::{
    clean_skills, clean_text, country_in_text, fold, parse_iso_datetime, seniority_from_title, us_state,
};
use jobin_core::domain::{CompanyDetails, Country, EmploymentType, Job, JobDetails, Location, SourceId, html};
use jobin_core::ports::{JobSource, SourceError, SourceQuery};

pub struct Findwork {
    ctx: BoardContext,
    api_key: Option<SecretString>,
}

impl Findwork {
    pub fn new(ctx: BoardContext, api_key: Option<SecretString>) -> Self {
        Self { ctx, api_key }
    }
}

#[derive(Deserialize)]
struct Page {
    next: Option<String>,
    #[serde(default)]
    results: Vec<Wire>,
}

#[derive(Deserialize)]
struct Wire {
    id: Option<serde_json::Value>,
    role: Option<String>,
    company_name: Option<String>,
    location: Option<String>,
    #[serde(default)]
    remote: bool,
    url: Option<String>,
    text: Option<String>,
    date_posted: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    /// `full time`, `contract`, …, or null.
    employment_type: Option<String>,
    logo: Option<String>,
    /// Head-count bucket (`11-50`), or null.
    company_num_employees: Option<String>,
}

/// The place a free-text location names where it wraps it in a work arrangement, as Findwork's
/// posters write them: `Onsite (Antwerp, Belgium)`, `1 day/week in the office (London, UK)`,
/// `In person - San Francisco, CA`, `London (Hybrid)`. Anything else is the text itself.
fn place_in(text: &str) -> &str {
    let arrangement = |s: &str| {
        let f = fold(s);
        ["onsite", "on site", "in person", "office", "hybrid", "remote"].iter().any(|w| f.contains(w))
    };
    if let Some(open) = text.find('(')
        && text.ends_with(')')
    {
        let (lead, inner) = (text[..open].trim(), text[open + 1..text.len() - 1].trim());
        if arrangement(lead) && !inner.is_empty() && !arrangement(inner) {
            return inner;
        }
        if arrangement(inner) && !lead.is_empty() && !arrangement(lead) {
            return lead;
        }
    }
    match text.split_once(" - ") {
        Some((lead, rest)) if arrangement(lead) && !rest.trim().is_empty() && !arrangement(rest) => rest.trim(),
        _ => text,
    }
}

impl Wire {
    fn into_job(self) -> Option<Job> {
        let native = match self.id? {
            serde_json::Value::String(s) if !s.trim().is_empty() => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        let title = clean_text(self.role.as_deref()?);
        if title.is_empty() {
            return None;
        }
        // Some postings carry a URL where the location should be.
        let place = clean_text(self.location.as_deref().unwrap_or_default());
        let place = if place.starts_with("http") { String::new() } else { place };
        let named = place_in(&place);
        let country = country_in_text(named);
        let remote = self.remote || says_remote(&[&place]);
        let city = if remote || country.is_some_and(|c| c.names().iter().any(|n| n.eq_ignore_ascii_case(named))) {
            String::new()
        } else {
            named.split(',').next().unwrap_or_default().trim().to_owned()
        };
        // "Columbus, OH": the state is the region.
        let state = (country == Some(Country::Us) && !remote)
            .then(|| named.rsplit_once(',').and_then(|(_, st)| us_state(&fold(st))))
            .flatten();
        let location = Location {
            city,
            country: country.map(|c| c.iso().to_owned()).unwrap_or_default(),
            region: if remote { place.clone() } else { state.map(str::to_ascii_uppercase).unwrap_or_default() },
        };
        let details = JobDetails {
            employment_type: self.employment_type.as_deref().and_then(EmploymentType::from_board),
            workplace_type: workplace(remote, &[&title, &place]),
            locations: places(&location),
            company: CompanyDetails {
                logo_url: self.logo.filter(|u| u.starts_with("http")),
                url: None,
                size: self.company_num_employees.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
            },
            ..JobDetails::default()
        };
        Some(Job {
            id: Job::make_id(SourceId::Findwork, &native),
            source: SourceId::Findwork,
            seniority: seniority_from_title(&title),
            remote,
            company: clean_text(self.company_name.as_deref().unwrap_or_default()),
            location,
            salary: None,
            skills: clean_skills(self.keywords.iter().map(String::as_str)),
            url: self.url.unwrap_or_default(),
            posted_at: self.date_posted.as_deref().and_then(parse_iso_datetime),
            valid_through: None,
            fetched_at: Utc::now(),
            description: html::to_text(self.text.as_deref().unwrap_or_default()),
            copies: vec![],
            details,
            title,
            provenance: None,
        })
    }
}

/// Parses one page into jobs and whether a next page exists.
pub fn parse_page(body: &[u8]) -> Result<(Vec<Job>, bool), SourceError> {
    let page: Page = parse_json(body)?;
    Ok((page.results.into_iter().filter_map(Wire::into_job).collect(), page.next.is_some()))
}

fn in_country(job: &Job, country: Country) -> bool {
    job.location.country.is_empty() || job.location.country == country.iso()
}

#[async_trait]
impl JobSource for Findwork {
    fn id(&self) -> SourceId {
        SourceId::Findwork
    }

    async fn search(&self, query: &SourceQuery) -> Result<Vec<Job>, SourceError> {
        let Some(key) = &self.api_key else {
            return Err(SourceError::Unconfigured);
        };
        let mut jobs = Vec::new();
        // Findwork pages hold 100; a few pages are plenty for any limit we ask.
        for page in 1..=5u32 {
            let mut params: Vec<(&str, String)> =
                vec![("search", query.q.clone()), ("order_by", "date".into()), ("page", page.to_string())];
            if let Some(loc) = &query.location {
                params.push(("location", loc.clone()));
            }
            let req = self
                .ctx
                .client
                .get(self.ctx.url("/jobs/"))
                .header(reqwest::header::AUTHORIZATION, format!("Token {}", key.expose_secret()))
                .query(&params);
            let body = match self.ctx.fetch(SourceId::Findwork, req).await {
                // Past the last page DRF answers 404 "Invalid page.".
                Err(SourceError::Upstream { status: 404 }) if page > 1 => break,
                other => other?,
            };
            let (batch, has_next) = parse_page(&body)?;
            jobs.extend(batch.into_iter().filter(|j| in_country(j, query.country)));
            if !has_next || jobs.len() >= query.limit {
                break;
            }
        }
        jobs.truncate(query.limit);
        Ok(jobs)
    }
}
