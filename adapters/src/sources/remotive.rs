//! Remotive: `GET {base}/remote-jobs`, no auth, no paging, every job remote. Its terms ask for
//! at most about four fetches a day and its filters are reported to be ignored, so the adapter
//! fetches the whole listing (kept for [`Remotive::new`]'s TTL, 6 hours by default) and filters
//! it locally: keywords, and `candidate_required_location` against the searched country.

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;
use std::time::Duration;

use super::{BoardContext, Feed, filter_locally, parse_json, visa_from_tags};
use jobin_core::domain::normalize::{
    clean_skills, clean_text, country_in_text, location_admits, parse_iso_datetime, parse_salary_text,
    seniority_from_title,
};
use jobin_core::domain::{CompanyDetails, EmploymentType, Job, JobDetails, Location, SourceId, WorkplaceType, html};
use jobin_core::ports::{JobSource, ListingPage, SourceError, SourceQuery};

/// How long a fetched listing is reused by default (four fetches a day at most).
pub const DEFAULT_TTL: Duration = Duration::from_secs(6 * 3600);

pub struct Remotive {
    ctx: BoardContext,
    feed: Feed,
}

impl Remotive {
    pub fn new(ctx: BoardContext, ttl: Duration) -> Self {
        Self { ctx, feed: Feed::new(ttl) }
    }
}

#[derive(Deserialize)]
struct Listing {
    #[serde(default)]
    jobs: Vec<Wire>,
}

#[derive(Deserialize)]
struct Wire {
    id: Option<u64>,
    url: Option<String>,
    title: Option<String>,
    company_name: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    publication_date: Option<String>,
    candidate_required_location: Option<String>,
    salary: Option<String>,
    description: Option<String>,
    /// `full_time`, `contract`, `part_time`, `freelance`, `internship` or "".
    job_type: Option<String>,
    category: Option<String>,
    company_logo: Option<String>,
    /// Older name of `company_logo`, on some jobs only.
    company_logo_url: Option<String>,
}

impl Wire {
    fn into_job(self) -> Option<Job> {
        let native = self.id?.to_string();
        let title = clean_text(self.title.as_deref()?);
        if title.is_empty() {
            return None;
        }
        let region = clean_text(self.candidate_required_location.as_deref().unwrap_or_default());
        let country = country_in_text(&region).map(|c| c.iso().to_owned()).unwrap_or_default();
        let location = Location { city: String::new(), country, region };
        let logo = self.company_logo.or(self.company_logo_url).filter(|u| u.starts_with("http"));
        let details = JobDetails {
            employment_type: self.job_type.as_deref().and_then(EmploymentType::from_board),
            // Remotive lists remote jobs only; the place is where candidates may live.
            workplace_type: Some(WorkplaceType::Remote),
            locations: super::places(&location),
            visa_sponsorship: visa_from_tags(self.tags.iter().map(String::as_str)),
            company: CompanyDetails { logo_url: logo, ..CompanyDetails::default() },
            categories: self.category.map(|c| clean_text(&c)).filter(|c| !c.is_empty()).into_iter().collect(),
            ..JobDetails::default()
        };
        Some(Job {
            id: Job::make_id(SourceId::Remotive, &native),
            source: SourceId::Remotive,
            seniority: seniority_from_title(&title),
            remote: true,
            company: clean_text(self.company_name.as_deref().unwrap_or_default()),
            location,
            salary: self.salary.as_deref().and_then(parse_salary_text),
            skills: clean_skills(self.tags.iter().map(String::as_str)),
            url: self.url.unwrap_or_default(),
            posted_at: self.publication_date.as_deref().and_then(parse_iso_datetime),
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

/// Parses a `remote-jobs` answer into jobs.
pub fn parse_listing(body: &[u8]) -> Result<Vec<Job>, SourceError> {
    let listing: Listing = parse_json(body)?;
    Ok(listing.jobs.into_iter().filter_map(Wire::into_job).collect())
}

#[async_trait]
impl JobSource for Remotive {
    fn id(&self) -> SourceId {
        SourceId::Remotive
    }

    async fn search(&self, query: &SourceQuery) -> Result<Vec<Job>, SourceError> {
        let all = self.listing().await?;
        Ok(filter_locally(&all, query, |j| location_admits(&j.location.region, query.country)))
    }

    /// The whole listing is one page, and the same kept copy searches read (so a crawl spends
    /// none of the board's few fetches a day beyond them).
    async fn listing_page(&self, page: u32) -> Result<Option<ListingPage>, SourceError> {
        if page > 0 {
            return Ok(Some(ListingPage::default()));
        }
        Ok(Some(ListingPage { jobs: self.listing().await?.as_ref().clone(), has_next: false }))
    }
}

impl Remotive {
    async fn listing(&self) -> Result<std::sync::Arc<Vec<Job>>, SourceError> {
        self.feed
            .get(|| async {
                let req = self.ctx.client.get(self.ctx.url("/remote-jobs"));
                parse_listing(&self.ctx.fetch(SourceId::Remotive, req).await?)
            })
            .await
    }
}
