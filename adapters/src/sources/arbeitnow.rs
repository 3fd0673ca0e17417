//! Arbeitnow: `GET {base}/job-board-api?page=N`, no auth; Laravel paging (`links.next`); it
//! ignores search parameters, so the adapter keeps the newest pages (one hour by default; the
//! board updates hourly) and filters locally. `slug` is the id; `created_at` is Unix seconds;
//! descriptions are sometimes HTML-escaped. A location that names no country is taken as
//! Germany, where nearly all of its postings are.

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;
use std::time::Duration;

use super::{BoardContext, Feed, filter_locally, parse_json, says_remote, visa_from_tags, workplace};
use jobin_core::domain::normalize::{
    clean_skills, clean_text, country_in_text, from_unix_seconds, seniority_from_title,
};
use jobin_core::domain::{Country, EmploymentType, Job, JobDetails, Location, SourceId, html};
use jobin_core::ports::{JobSource, ListingPage, SourceError, SourceQuery};

pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// Pages fetched per refresh (250 jobs each in 2026).
pub const MAX_PAGES: u32 = 4;

pub struct Arbeitnow {
    ctx: BoardContext,
    feed: Feed,
}

impl Arbeitnow {
    pub fn new(ctx: BoardContext, ttl: Duration) -> Self {
        Self { ctx, feed: Feed::new(ttl) }
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

    /// One page (0-based here; the board counts from 1); `background`: the crawl's, within its
    /// share of the budget.
    async fn fetch_page(&self, page: u32, background: bool) -> Result<ListingPage, SourceError> {
        let req = self.ctx.client.get(self.ctx.url("/job-board-api")).query(&[("page", page + 1)]);
        let body = if background {
            self.ctx.fetch_background(SourceId::Arbeitnow, req).await?
        } else {
            self.ctx.fetch(SourceId::Arbeitnow, req).await?
        };
        let (jobs, has_next) = parse_page(&body)?;
        Ok(ListingPage { jobs, has_next })
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Wire>,
    links: Option<Links>,
}

#[derive(Deserialize)]
struct Links {
    next: Option<String>,
}

#[derive(Deserialize)]
struct Wire {
    slug: Option<String>,
    company_name: Option<String>,
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    remote: bool,
    url: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    location: Option<String>,
    created_at: Option<i64>,
    /// Free text: `Full-time`, `Internship`, `professional / experienced`, …
    #[serde(default)]
    job_types: Vec<String>,
    /// Not in any capture (it is a request filter), read should the board add it.
    visa_sponsorship: Option<bool>,
}

/// Every place a location names (`Hamburg, Berlin`), without country names and remote words; the
/// country is the one the text names, else Germany.
fn named_places(place: &str, country: Country) -> Vec<Location> {
    place
        .split([',', '/', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty() && !says_remote(&[p]))
        .filter(|p| !country_in_text(p).is_some_and(|c| c.names().iter().any(|n| n.eq_ignore_ascii_case(p))))
        .map(|city| Location { city: city.to_owned(), country: country.iso().to_owned(), region: String::new() })
        .collect()
}

impl Wire {
    fn into_job(self) -> Option<Job> {
        let native = self.slug.filter(|s| !s.trim().is_empty())?;
        let title = clean_text(self.title.as_deref()?);
        if title.is_empty() {
            return None;
        }
        let place = clean_text(self.location.as_deref().unwrap_or_default());
        let remote = self.remote || says_remote(&[&place]);
        let country = country_in_text(&place).unwrap_or(Country::De);
        let city = if says_remote(&[&place]) {
            String::new()
        } else {
            place.split(',').next().unwrap_or_default().trim().to_owned()
        };
        let locations = named_places(&place, country);
        let details = JobDetails {
            employment_type: self.job_types.iter().find_map(|t| EmploymentType::from_board(t)),
            workplace_type: workplace(remote, &[&title, &place]),
            locations,
            visa_sponsorship: self.visa_sponsorship.or_else(|| visa_from_tags(self.tags.iter().map(String::as_str))),
            ..JobDetails::default()
        };
        Some(Job {
            id: Job::make_id(SourceId::Arbeitnow, &native),
            source: SourceId::Arbeitnow,
            seniority: seniority_from_title(&title),
            remote,
            company: clean_text(self.company_name.as_deref().unwrap_or_default()),
            location: Location { city, country: country.iso().to_owned(), region: String::new() },
            salary: None,
            skills: clean_skills(self.tags.iter().map(String::as_str)),
            url: self.url.unwrap_or_default(),
            posted_at: self.created_at.and_then(from_unix_seconds),
            valid_through: None,
            fetched_at: Utc::now(),
            description: html::to_text(self.description.as_deref().unwrap_or_default()),
            copies: vec![],
            details,
            title,
            provenance: None,
        })
    }
}

/// Parses one page into jobs and whether `links.next` points further.
pub fn parse_page(body: &[u8]) -> Result<(Vec<Job>, bool), SourceError> {
    let page: Page = parse_json(body)?;
    let has_next = page.links.and_then(|l| l.next).is_some();
    Ok((page.data.into_iter().filter_map(Wire::into_job).collect(), has_next))
}

#[async_trait]
impl JobSource for Arbeitnow {
    fn id(&self) -> SourceId {
        SourceId::Arbeitnow
    }

    async fn search(&self, query: &SourceQuery) -> Result<Vec<Job>, SourceError> {
        let all = self.feed.get(|| self.fetch_pages()).await?;
        Ok(filter_locally(&all, query, |j| j.location.country == query.country.iso()))
    }

    async fn listing_page(&self, page: u32) -> Result<Option<ListingPage>, SourceError> {
        self.fetch_page(page, true).await.map(Some)
    }
}
