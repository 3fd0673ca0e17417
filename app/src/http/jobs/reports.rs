//! The analytics answers (`/jobs/salary`, `/jobs/trends`, `/jobs/insight`) and what each covers,
//! each built `From` its use case's report.

use jobin_core::usecases::{Coverage, InsightReport, SalaryReport, TrendsReport};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use super::dto::iso_seconds;

/// What an analytics answer covers.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct CoverageItem {
    /// Matching postings in the job store (each job once): every active posting whose title,
    /// company or skills contain words starting with each word of `q`, located in the country
    /// (and `location`), listed by one of your plan's sources or imported.
    pub postings: u64,
    /// Earliest posting date among them (ISO 8601); null when none is dated.
    pub posted_from: Option<String>,
    /// Latest posting date among them; null when none is dated.
    pub posted_to: Option<String>,
    /// The `since` the figures were restricted to, if any.
    pub since: Option<String>,
    /// When the figures were computed (a cached answer keeps its time).
    pub as_of: String,
}

impl From<Coverage> for CoverageItem {
    fn from(c: Coverage) -> Self {
        Self {
            postings: c.postings as u64,
            posted_from: c.posted_from.map(iso_seconds),
            posted_to: c.posted_to.map(iso_seconds),
            since: c.since.map(iso_seconds),
            as_of: iso_seconds(c.as_of),
        }
    }
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SalaryExcluded {
    /// Postings without a salary.
    pub without_salary: u64,
    /// Postings whose salary is in another currency (never converted or pooled), per currency.
    pub other_currency: std::collections::BTreeMap<String, u64>,
    /// Postings whose annualized salary is under 1,000 or over 5,000,000.
    pub implausible: u64,
}

/// One histogram bucket: postings whose annual salary is at least `min` and under `max`.
#[derive(Debug, Object)]
pub struct SalaryBucket {
    pub min: u64,
    pub max: u64,
    pub count: u64,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SalaryBody {
    pub query: String,
    pub location: Option<String>,
    /// Lower-case country code.
    pub country: String,
    /// ISO 4217: the country's currency. Every figure is annual, in this currency.
    pub currency: String,
    /// Postings in the sample (each a midpoint of its stated range, annualized: hour × 2,080,
    /// day × 260, week × 52, month × 12).
    pub sample_size: u64,
    /// 25th percentile (linear interpolation between closest ranks); null when `sampleSize` is 0.
    pub p25: Option<f64>,
    pub median: Option<f64>,
    pub p75: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Deprecated: the same counts as `histogramBuckets`, keyed by each bucket's lower bound as a
    /// string (a JSON object, whose keys sort as text: `"110000"` before `"40000"`). Use
    /// `histogramBuckets`.
    #[oai(deprecated)]
    pub histogram: std::collections::BTreeMap<String, u64>,
    /// The histogram, lowest bucket first: postings in [`min`, `max`), each bucket
    /// `histogramBucket` wide; buckets with no posting are left out. Empty when `sampleSize` is 0.
    pub histogram_buckets: Vec<SalaryBucket>,
    /// Width of a histogram bucket (10,000).
    pub histogram_bucket: u64,
    /// Matching postings in the job store (each job once), including the excluded ones.
    pub postings: u64,
    pub excluded: SalaryExcluded,
    /// Set when there are no figures, saying why.
    pub note: Option<String>,
    pub coverage: CoverageItem,
}

impl From<SalaryReport> for SalaryBody {
    fn from(r: SalaryReport) -> Self {
        let note = r.stats.is_none().then(|| {
            format!(
                "No posting among {} states a usable salary in {}; there are no figures for this query.",
                r.coverage.postings, r.currency
            )
        });
        let st = r.stats.as_ref();
        SalaryBody {
            sample_size: st.map_or(0, |s| s.sample_size as u64),
            p25: st.map(|s| s.p25),
            median: st.map(|s| s.median),
            p75: st.map(|s| s.p75),
            min: st.map(|s| s.min),
            max: st.map(|s| s.max),
            histogram: st.map(|s| s.histogram.iter().map(|(k, v)| (k.to_string(), *v)).collect()).unwrap_or_default(),
            // The core's map is keyed by the numeric lower bound, so it iterates lowest first.
            histogram_buckets: st
                .map(|s| {
                    s.histogram
                        .iter()
                        .map(|(min, count)| SalaryBucket {
                            min: *min,
                            max: min + jobin_core::domain::stats::HISTOGRAM_BUCKET,
                            count: *count,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            histogram_bucket: jobin_core::domain::stats::HISTOGRAM_BUCKET,
            postings: r.coverage.postings as u64,
            excluded: SalaryExcluded {
                without_salary: r.without_salary as u64,
                other_currency: r.other_currency.into_iter().map(|(k, v)| (k, v as u64)).collect(),
                implausible: r.implausible as u64,
            },
            note,
            coverage: r.coverage.into(),
            query: r.query,
            location: r.location,
            country: r.country,
            currency: r.currency,
        }
    }
}

#[derive(ApiResponse)]
pub enum SalaryResponse {
    /// Salary statistics (figures null, with a `note`, when no posting states a salary).
    #[oai(status = 200)]
    Ok(
        Json<SalaryBody>,
        /// `HIT` when served from the 6-hour cache.
        #[oai(header = "X-Cache")]
        String,
    ),
}

#[derive(Debug, Object)]
pub struct SkillCountItem {
    pub skill: String,
    pub count: u64,
    /// `count / sampleSize`, two decimals.
    pub ratio: f64,
}

#[derive(Debug, Object)]
pub struct SeniorityItem {
    pub intern: u64,
    pub junior: u64,
    pub mid: u64,
    pub senior: u64,
    pub lead: u64,
    pub executive: u64,
    /// Level not stated and not found by the model.
    pub unknown: u64,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct TrendsBody {
    pub query: String,
    pub location: Option<String>,
    pub country: String,
    pub sample_size: u64,
    pub ai_provider: String,
    /// The model id used.
    pub ai_model: String,
    /// Up to 15 skills, most requested first.
    pub top_skills: Vec<SkillCountItem>,
    pub remote_ratio: f64,
    pub seniority: SeniorityItem,
    pub coverage: CoverageItem,
}

impl From<TrendsReport> for TrendsBody {
    fn from(r: TrendsReport) -> Self {
        let s = &r.seniority;
        TrendsBody {
            sample_size: r.sample_size as u64,
            top_skills: r
                .top_skills
                .into_iter()
                .map(|k| SkillCountItem { skill: k.skill, count: k.count as u64, ratio: k.ratio })
                .collect(),
            seniority: SeniorityItem {
                intern: s.intern as u64,
                junior: s.junior as u64,
                mid: s.mid as u64,
                senior: s.senior as u64,
                lead: s.lead as u64,
                executive: s.executive as u64,
                unknown: s.unknown as u64,
            },
            remote_ratio: r.remote_ratio,
            coverage: r.coverage.into(),
            query: r.query,
            location: r.location,
            country: r.country,
            ai_provider: r.ai_provider,
            ai_model: r.ai_model,
        }
    }
}

#[derive(ApiResponse)]
pub enum TrendsResponse {
    #[oai(status = 200)]
    Ok(
        Json<TrendsBody>,
        /// `HIT` when served from the 6-hour cache (per query, plan and model).
        #[oai(header = "X-Cache")]
        String,
    ),
}

#[derive(Debug, Object)]
pub struct SkillTrendItem {
    pub skill: String,
    /// `rising`, `stable` or `declining` (newer half of postings against the older half).
    pub trend: String,
}

#[derive(Debug, Object)]
pub struct SalaryRangeItem {
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    /// ISO 4217 (the country's currency).
    pub currency: String,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct InsightItem {
    /// Written by the model from our figures.
    pub summary: String,
    /// Chosen by the model among the skills in the sample.
    pub top_skills: Vec<SkillTrendItem>,
    /// Computed from our data (annual, linear-interpolation percentiles); null when no posting
    /// states a salary.
    pub salary_range: Option<SalaryRangeItem>,
    /// Computed from our data.
    pub remote_ratio: f64,
    /// Written by the model; a finding quoting a number that is not among our figures is dropped.
    pub key_findings: Vec<String>,
    /// `none` (0 postings), `low` (< 15), `medium` (≥ 15), `high` (≥ 50 with ≥ 20 salaries).
    pub data_quality: String,
    pub sample_size: u64,
    pub ai_provider: String,
    pub ai_model: String,
}

#[derive(Debug, Object)]
pub struct InsightBody {
    pub query: String,
    pub location: Option<String>,
    pub country: String,
    pub insight: InsightItem,
    pub coverage: CoverageItem,
}

impl From<InsightReport> for InsightBody {
    fn from(r: InsightReport) -> Self {
        InsightBody {
            insight: InsightItem {
                summary: r.summary,
                top_skills: r
                    .top_skills
                    .into_iter()
                    .map(|t| SkillTrendItem { skill: t.skill, trend: t.trend })
                    .collect(),
                salary_range: r.salary_range.map(|s| SalaryRangeItem {
                    p25: s.p25,
                    median: s.median,
                    p75: s.p75,
                    currency: s.currency,
                }),
                remote_ratio: r.remote_ratio,
                key_findings: r.key_findings,
                data_quality: r.data_quality,
                sample_size: r.sample_size as u64,
                ai_provider: r.ai_provider,
                ai_model: r.ai_model,
            },
            coverage: r.coverage.into(),
            query: r.query,
            location: r.location,
            country: r.country,
        }
    }
}

#[derive(ApiResponse)]
pub enum InsightResponse {
    #[oai(status = 200)]
    Ok(
        Json<InsightBody>,
        /// `HIT` when served from the 6-hour cache (no AI cost).
        #[oai(header = "X-Cache")]
        String,
    ),
}
