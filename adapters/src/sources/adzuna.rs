//! Adzuna: `GET {base}/jobs/{country}/search/{page}` with `app_id` and `app_key` query
//! parameters; 1-based pages of up to 50; salaries annual in the country's currency without a
//! currency field. Predicted salaries (`salary_is_predicted` = "1", Adzuna's own estimate) are
//! dropped: the API reports what employers posted.

use async_trait::async_trait;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{BoardContext, parse_json, places, says_remote, workplace};
use jobin_core::domain::normalize::{clean_text, html_to_text, parse_iso_datetime, seniority_from_title};
use jobin_core::domain::{
    CompanyDetails, Country, EmploymentType, Job, JobDetails, Location, PayPeriod, Salary, SourceId, html,
};
use jobin_core::ports::{JobSource, SourceError, SourceQuery};

/// Adzuna's page-size maximum.
const PAGE_SIZE: usize = 50;

pub struct Adzuna {
    ctx: BoardContext,
    credentials: Option<(String, SecretString)>,
}

impl Adzuna {
    /// `credentials` = (app_id, app_key); without them the board reports `Unconfigured`.
    pub fn new(ctx: BoardContext, credentials: Option<(String, SecretString)>) -> Self {
        Self { ctx, credentials }
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    count: u64,
    #[serde(default)]
    results: Vec<Wire>,
}

#[derive(Deserialize)]
struct Wire {
    id: Option<serde_json::Value>,
    title: Option<String>,
    description: Option<String>,
    created: Option<String>,
    redirect_url: Option<String>,
    company: Option<Named>,
    location: Option<WireLocation>,
    salary_min: Option<f64>,
    salary_max: Option<f64>,
    /// "0"/"1" in every capture; the docs show a number.
    salary_is_predicted: Option<serde_json::Value>,
    /// `permanent` or `contract`.
    contract_type: Option<String>,
    /// `full_time` or `part_time`.
    contract_time: Option<String>,
    category: Option<Category>,
}

#[derive(Deserialize)]
struct Category {
    label: Option<String>,
    tag: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct WireLocation {
    display_name: Option<String>,
    #[serde(default)]
    area: Vec<String>,
}

fn id_string(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn predicted(v: Option<&serde_json::Value>) -> bool {
    match v {
        Some(serde_json::Value::String(s)) => s.trim() == "1",
        Some(serde_json::Value::Number(n)) => n.as_f64() == Some(1.0),
        Some(serde_json::Value::Bool(b)) => *b,
        _ => false,
    }
}

impl Wire {
    fn into_job(self, country: Country) -> Option<Job> {
        let native = id_string(self.id.as_ref()?)?;
        let title = clean_text(&html_to_text(self.title.as_deref()?));
        if title.is_empty() {
            return None;
        }
        let loc = self.location.unwrap_or(WireLocation { display_name: None, area: vec![] });
        // `area` = [country, region, …, town]: the last entry is the most specific place.
        let city = if loc.area.len() >= 2 { loc.area.last().cloned().unwrap_or_default() } else { String::new() };
        let region = if loc.area.len() >= 3 { loc.area[1].clone() } else { String::new() };
        let salary = if predicted(self.salary_is_predicted.as_ref()) {
            None
        } else {
            Salary::from_bounds(self.salary_min, self.salary_max, country.currency(), PayPeriod::Year)
        };
        let description = html::to_text(self.description.as_deref().unwrap_or_default());
        let display = loc.display_name.unwrap_or_default();
        let location = Location { city, country: country.iso().to_owned(), region };
        let remote = says_remote(&[&title, &display]);
        // A contract is a contract whatever its hours; `permanent` alone says nothing of hours.
        let employment_type = match self.contract_type.as_deref().map(str::trim) {
            Some("contract") => Some(EmploymentType::Contract),
            _ => self.contract_time.as_deref().and_then(EmploymentType::from_board),
        };
        let categories = self
            .category
            .filter(|c| c.tag.as_deref() != Some("unknown"))
            .and_then(|c| c.label)
            .map(|l| clean_text(&l))
            .filter(|l| !l.is_empty())
            .into_iter()
            .collect();
        let details = JobDetails {
            // Adzuna's search gives the first 500 characters; the rest is on the redirect page.
            description_truncated: true,
            apply_url: None,
            employment_type,
            workplace_type: workplace(remote, &[&title, &display]),
            locations: places(&location),
            visa_sponsorship: None,
            company: CompanyDetails::default(),
            categories,
        };
        Some(Job {
            id: Job::make_id(SourceId::Adzuna, &native),
            source: SourceId::Adzuna,
            seniority: seniority_from_title(&title),
            remote,
            company: clean_text(&self.company.and_then(|c| c.display_name).unwrap_or_default()),
            location,
            salary,
            skills: vec![],
            url: self.redirect_url.unwrap_or_default(),
            posted_at: self.created.as_deref().and_then(parse_iso_datetime),
            valid_through: None,
            fetched_at: Utc::now(),
            description,
            copies: vec![],
            details,
            title,
            provenance: None,
        })
    }
}

/// Parses one search page (a real answer or a capture) into jobs and the total match count.
/// Records without an id or title are skipped.
pub fn parse_page(body: &[u8], country: Country) -> Result<(Vec<Job>, u64), SourceError> {
    let page: Page = parse_json(body)?;
    Ok((page.results.into_iter().filter_map(|w| w.into_job(country)).collect(), page.count))
}

#[async_trait]
impl JobSource for Adzuna {
    fn id(&self) -> SourceId {
        SourceId::Adzuna
    }

    async fn search(&self, query: &SourceQuery) -> Result<Vec<Job>, SourceError> {
        let Some((app_id, app_key)) = &self.credentials else {
            return Err(SourceError::Unconfigured);
        };
        let per_page = query.limit.clamp(1, PAGE_SIZE);
        let mut jobs = Vec::new();
        for page in 1.. {
            let url = self.ctx.url(&format!("/jobs/{}/search/{page}", query.country.code()));
            let mut params: Vec<(&str, String)> = vec![
                ("app_id", app_id.clone()),
                ("app_key", app_key.expose_secret().to_owned()),
                ("results_per_page", per_page.to_string()),
                ("what", query.q.clone()),
                ("content-type", "application/json".into()),
            ];
            if let Some(loc) = &query.location {
                params.push(("where", loc.clone()));
            }
            let body = self.ctx.fetch(SourceId::Adzuna, self.ctx.client.get(url).query(&params)).await?;
            let (batch, count) = parse_page(&body, query.country)?;
            let empty = batch.is_empty();
            jobs.extend(batch);
            if empty || jobs.len() >= query.limit || (page * per_page) as u64 >= count {
                break;
            }
        }
        jobs.truncate(query.limit);
        Ok(jobs)
    }
}
