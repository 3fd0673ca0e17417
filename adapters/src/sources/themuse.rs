//! The Muse: `GET {base}/jobs?page=N` (0-based pages of 20, `page_count`), no auth required (an
//! optional `api_key` raises the limit); a 403 means its rate limit was hit. No keyword, country
//! or remote parameter: the adapter keeps the newest pages (one hour by default) and filters
//! locally. `name` is the title; "Flexible / Remote" marks remote work.

use async_trait::async_trait;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

use super::{BoardContext, Feed, filter_locally, parse_json, says_remote, workplace};
use jobin_core::domain::normalize::{
    clean_skills, clean_text, country_in_text, parse_iso_datetime, seniority_from_title,
};
use jobin_core::domain::{EmploymentType, Job, JobDetails, Location, Seniority, SourceId, html};
use jobin_core::ports::{JobSource, ListingPage, SourceError, SourceQuery};

pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// Pages fetched per refresh (20 jobs each).
pub const MAX_PAGES: u32 = 10;
/// The last page the board serves (0-based; past it every page is empty).
pub const LAST_PAGE: u32 = 99;

pub struct TheMuse {
    ctx: BoardContext,
    api_key: Option<SecretString>,
    feed: Feed,
}

impl TheMuse {
    pub fn new(ctx: BoardContext, api_key: Option<SecretString>, ttl: Duration) -> Self {
        Self { ctx, api_key, feed: Feed::new(ttl) }
    }

    async fn fetch_pages(&self) -> Result<Vec<Job>, SourceError> {
        let mut jobs = Vec::new();
        for page in 0..MAX_PAGES {
            let ListingPage { jobs: batch, has_next } = self.fetch_page(page, false).await?;
            let empty = batch.is_empty();
            jobs.extend(batch);
            if empty || !has_next {
                break;
            }
        }
        Ok(jobs)
    }

    /// One page, newest first (0-based); `background`: the crawl's, within its share of the budget.
    async fn fetch_page(&self, page: u32, background: bool) -> Result<ListingPage, SourceError> {
        let mut params: Vec<(&str, String)> = vec![("page", page.to_string()), ("descending", "true".into())];
        if let Some(key) = &self.api_key {
            params.push(("api_key", key.expose_secret().to_owned()));
        }
        let req = self.ctx.client.get(self.ctx.url("/jobs")).query(&params);
        let fetched = if background {
            self.ctx.fetch_background(SourceId::TheMuse, req).await
        } else {
            self.ctx.fetch(SourceId::TheMuse, req).await
        };
        let body = match fetched {
            // The Muse answers 403 when its hourly limit is reached.
            Err(SourceError::Unauthorized { status: 403 }) => {
                return Err(SourceError::RateLimited { retry_after: None });
            }
            other => other?,
        };
        let (jobs, page_count) = parse_page(&body)?;
        let has_next = u64::from(page) + 1 < page_count.min(u64::from(LAST_PAGE) + 1);
        Ok(ListingPage { jobs, has_next })
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    page_count: u64,
    #[serde(default)]
    results: Vec<Wire>,
}

#[derive(Deserialize)]
struct Wire {
    id: Option<u64>,
    name: Option<String>,
    contents: Option<String>,
    publication_date: Option<String>,
    #[serde(default)]
    locations: Vec<Named>,
    #[serde(default)]
    categories: Vec<Named>,
    #[serde(default)]
    levels: Vec<Level>,
    refs: Option<Refs>,
    company: Option<Named>,
}

#[derive(Deserialize)]
struct Named {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Level {
    short_name: Option<String>,
}

#[derive(Deserialize)]
struct Refs {
    landing_page: Option<String>,
}

fn level_seniority(short: &str) -> Option<Seniority> {
    match short {
        "internship" => Some(Seniority::Intern),
        "entry" => Some(Seniority::Junior),
        "mid" => Some(Seniority::Mid),
        "senior" => Some(Seniority::Senior),
        "management" => Some(Seniority::Lead),
        _ => None,
    }
}

impl Wire {
    fn into_job(self) -> Option<Job> {
        let native = self.id?.to_string();
        let title = clean_text(self.name.as_deref()?);
        if title.is_empty() {
            return None;
        }
        let places: Vec<String> = self.locations.into_iter().filter_map(|l| l.name).map(|n| clean_text(&n)).collect();
        let remote = places.iter().any(|p| says_remote(&[p]));
        // Every named place but "Flexible / Remote"; the first is the job's location.
        let locations: Vec<Location> = places.iter().filter(|p| !says_remote(&[p])).map(|p| place(p)).collect();
        let location = locations.first().cloned().unwrap_or_default();
        let shorts: Vec<&str> = self.levels.iter().filter_map(|l| l.short_name.as_deref()).collect();
        let level = shorts.iter().copied().find_map(level_seniority);
        let categories: Vec<String> = self
            .categories
            .into_iter()
            .filter_map(|c| c.name)
            .map(|c| clean_text(&c))
            .filter(|c| !c.is_empty())
            .collect();
        let details = JobDetails {
            // "Internship" is The Muse's level for internships: the one term of employment it states.
            employment_type: shorts.contains(&"internship").then_some(EmploymentType::Internship),
            workplace_type: workplace(remote, &[&title]),
            locations,
            categories,
            ..JobDetails::default()
        };
        Some(Job {
            id: Job::make_id(SourceId::TheMuse, &native),
            source: SourceId::TheMuse,
            seniority: level.or_else(|| seniority_from_title(&title)),
            remote,
            company: clean_text(&self.company.and_then(|c| c.name).unwrap_or_default()),
            location,
            salary: None,
            // Categories ("Data and Analytics") are fields, not skills; The Muse's tags are empty.
            skills: clean_skills(std::iter::empty()),
            url: self.refs.and_then(|r| r.landing_page).unwrap_or_default(),
            posted_at: self.publication_date.as_deref().and_then(parse_iso_datetime),
            valid_through: None,
            fetched_at: Utc::now(),
            description: html::to_text(self.contents.as_deref().unwrap_or_default()),
            copies: vec![],
            details,
            title,
            provenance: None,
        })
    }
}

/// A place as The Muse names it (`New York, NY`, `London, United Kingdom`): city, then region
/// unless it is the country.
fn place(name: &str) -> Location {
    let country = country_in_text(name);
    let mut parts = name.split(',').map(str::trim);
    let city = parts.next().unwrap_or_default().to_owned();
    let region = parts.next().filter(|r| country_in_text(r).is_none()).unwrap_or_default().to_owned();
    Location { city, country: country.map(|c| c.iso().to_owned()).unwrap_or_default(), region }
}

/// Parses one page into jobs and the page count.
pub fn parse_page(body: &[u8]) -> Result<(Vec<Job>, u64), SourceError> {
    let page: Page = parse_json(body)?;
    Ok((page.results.into_iter().filter_map(Wire::into_job).collect(), page.page_count))
}

#[async_trait]
impl JobSource for TheMuse {
    fn id(&self) -> SourceId {
        SourceId::TheMuse
    }

    async fn search(&self, query: &SourceQuery) -> Result<Vec<Job>, SourceError> {
        let all = self.feed.get(|| self.fetch_pages()).await?;
        let iso = query.country.iso();
        Ok(filter_locally(&all, query, |j| j.location.country == iso || (j.remote && j.location.country.is_empty())))
    }

    async fn listing_page(&self, page: u32) -> Result<Option<ListingPage>, SourceError> {
        self.fetch_page(page, true).await.map(Some)
    }
}
