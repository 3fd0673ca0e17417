//! Reed (UK): `GET {base}/search` with the API key as the HTTP Basic user name and an empty
//! password; offset paging (`resultsToTake` ≤ 100, `resultsToSkip`); dates `dd/MM/yyyy`;
//! salaries without a period (the period rule of `normalize::infer_period` decides); a location
//! may be a bare postcode, which is not a city.

use async_trait::async_trait;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{BoardContext, parse_json, places, says_remote, workplace};
use jobin_core::domain::normalize::{clean_text, infer_period, parse_day_month_year, seniority_from_title};
use jobin_core::domain::{Country, EmploymentType, Job, JobDetails, Location, Salary, SourceId, html};
use jobin_core::ports::{JobSource, SourceError, SourceQuery};

const PAGE_SIZE: usize = 100;

pub struct Reed {
    ctx: BoardContext,
    api_key: Option<SecretString>,
}

impl Reed {
    pub fn new(ctx: BoardContext, api_key: Option<SecretString>) -> Self {
        Self { ctx, api_key }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    results: Vec<Wire>,
    #[serde(default)]
    total_results: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    job_id: Option<u64>,
    employer_name: Option<String>,
    job_title: Option<String>,
    location_name: Option<String>,
    minimum_salary: Option<f64>,
    maximum_salary: Option<f64>,
    currency: Option<String>,
    date: Option<String>,
    expiration_date: Option<String>,
    job_description: Option<String>,
    job_url: Option<String>,
    // Only in the details answer (`/jobs/{id}`), read when present.
    full_time: Option<bool>,
    part_time: Option<bool>,
    /// `Permanent`, `Contract`, `Temporary`.
    contract_type: Option<String>,
    /// The employer's own application page.
    external_url: Option<String>,
}

/// A UK postcode written without a space (`CH11DA`, `SW1A1AA`): letters and digits mixed, no
/// space, 5–7 characters, starting with a letter and ending with two letters.
fn is_postcode(s: &str) -> bool {
    let s = s.trim();
    let n = s.len();
    (5..=7).contains(&n)
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().any(|c| c.is_ascii_digit())
        && s[n - 2..].chars().all(|c| c.is_ascii_alphabetic())
        && s.chars().filter(|c| c.is_ascii_uppercase()).count() >= 3
}

impl Wire {
    fn into_job(self) -> Option<Job> {
        let native = self.job_id?.to_string();
        let title = clean_text(self.job_title.as_deref()?);
        if title.is_empty() {
            return None;
        }
        let place = clean_text(self.location_name.as_deref().unwrap_or_default());
        let city = if is_postcode(&place) { String::new() } else { place.clone() };
        let currency = self.currency.filter(|c| !c.trim().is_empty()).unwrap_or_else(|| Country::Gb.currency().into());
        let top = self.maximum_salary.or(self.minimum_salary).unwrap_or(0.0);
        let salary = Salary::from_bounds(self.minimum_salary, self.maximum_salary, &currency, infer_period(top));
        let description = html::to_text(self.job_description.as_deref().unwrap_or_default());
        let location = Location { city, country: Country::Gb.iso().into(), region: String::new() };
        let remote = says_remote(&[&title, &place]);
        let employment_type = match self.contract_type.as_deref().and_then(EmploymentType::from_board) {
            Some(t) => Some(t),
            None => match (self.full_time, self.part_time) {
                (Some(true), _) => Some(EmploymentType::FullTime),
                (_, Some(true)) => Some(EmploymentType::PartTime),
                _ => None,
            },
        };
        let details = JobDetails {
            // The search answer's description is a snippet of about 450 characters.
            description_truncated: true,
            apply_url: self.external_url.filter(|u| u.starts_with("http")),
            employment_type,
            workplace_type: workplace(remote, &[&title, &place]),
            locations: places(&location),
            ..JobDetails::default()
        };
        Some(Job {
            id: Job::make_id(SourceId::Reed, &native),
            source: SourceId::Reed,
            seniority: seniority_from_title(&title),
            remote,
            company: clean_text(self.employer_name.as_deref().unwrap_or_default()),
            location,
            salary,
            skills: vec![],
            url: self.job_url.unwrap_or_default(),
            posted_at: self.date.as_deref().and_then(parse_day_month_year),
            // Open through the whole of its expiration day.
            valid_through: self
                .expiration_date
                .as_deref()
                .and_then(parse_day_month_year)
                .map(|d| d + chrono::Duration::days(1)),
            fetched_at: Utc::now(),
            description,
            details,
            copies: vec![],
            title,
            provenance: None,
        })
    }
}

/// Parses one search page into jobs and the total match count.
pub fn parse_page(body: &[u8]) -> Result<(Vec<Job>, u64), SourceError> {
    let page: Page = parse_json(body)?;
    Ok((page.results.into_iter().filter_map(Wire::into_job).collect(), page.total_results))
}

#[async_trait]
impl JobSource for Reed {
    fn id(&self) -> SourceId {
        SourceId::Reed
    }

    async fn search(&self, query: &SourceQuery) -> Result<Vec<Job>, SourceError> {
        let Some(key) = &self.api_key else {
            return Err(SourceError::Unconfigured);
        };
        let take = query.limit.clamp(1, PAGE_SIZE);
        let mut jobs = Vec::new();
        let mut skip = 0usize;
        loop {
            let mut params: Vec<(&str, String)> = vec![
                ("keywords", query.q.clone()),
                ("resultsToTake", take.to_string()),
                ("resultsToSkip", skip.to_string()),
            ];
            if let Some(loc) = &query.location {
                params.push(("locationName", loc.clone()));
            }
            let req =
                self.ctx.client.get(self.ctx.url("/search")).basic_auth(key.expose_secret(), Some("")).query(&params);
            let body = self.ctx.fetch(SourceId::Reed, req).await?;
            let (batch, total) = parse_page(&body)?;
            let got = batch.len();
            jobs.extend(batch);
            skip += take;
            if got < take || jobs.len() >= query.limit || skip as u64 >= total {
                break;
            }
        }
        jobs.truncate(query.limit);
        Ok(jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::is_postcode;

    #[test]
    fn bare_postcodes_are_recognised_and_towns_are_not() {
        for p in ["CH11DA", "SW1A1AA", "M11AE", "EC2A4NE"] {
            assert!(is_postcode(p), "{p}");
        }
        for t in ["Canterbury", "London", "Leeds", "Hull", "ST4"] {
            assert!(!is_postcode(t), "{t}");
        }
    }
}
