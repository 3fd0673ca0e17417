//! What the market figures read of a posting, derived once when it is stored (so analytics over
//! the whole corpus read a few small columns, never descriptions): the annual salary midpoint,
//! the skills, remote and seniority, by fixed rules.
//!
//! - **Salary**: the midpoint of the stated range, annualized (`stats::annual_factor`), with its
//!   currency. Plausibility and the currency filter are applied when a figure is computed.
//! - **Skills**: the board's tags plus every dictionary skill the title or description mentions
//!   (`PostingText::dictionary_skills`), each once ignoring case, tags first.
//! - **Remote**: the board says so, or the title or description does (`PostingText::says_remote`).
//! - **Seniority**: the board's (or the model's) level, else the one the title states.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::normalize::seniority_from_title;
use super::stats::annual_factor;
use super::{Job, PostingText, Seniority};

/// A posting's salary as one annual amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnualSalary {
    /// ISO 4217, upper case.
    pub currency: String,
    /// Midpoint of the stated range × the period's annual factor.
    pub annual: f64,
}

impl AnnualSalary {
    pub fn of(job: &Job) -> Option<Self> {
        job.salary.as_ref().map(|s| AnnualSalary {
            currency: s.currency.to_ascii_uppercase(),
            annual: (s.min + s.max) / 2.0 * annual_factor(s.period),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobFacts {
    pub salary: Option<AnnualSalary>,
    pub skills: Vec<String>,
    pub remote: bool,
    pub seniority: Option<Seniority>,
    pub posted_at: Option<DateTime<Utc>>,
}

impl JobFacts {
    pub fn of(job: &Job) -> Self {
        let text = PostingText::new(&[&job.title, &job.description]);
        let mut skills: Vec<String> = Vec::with_capacity(job.skills.len());
        let tags = job.skills.iter().map(String::as_str);
        for s in tags.chain(text.dictionary_skills()) {
            if !s.trim().is_empty() && !skills.iter().any(|k| k.eq_ignore_ascii_case(s)) {
                skills.push(s.to_owned());
            }
        }
        JobFacts {
            salary: AnnualSalary::of(job),
            skills,
            remote: job.remote || text.says_remote(),
            seniority: job.seniority.or_else(|| seniority_from_title(&job.title)),
            posted_at: job.posted_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PayPeriod, Salary, SourceId};

    #[test]
    fn facts_follow_the_documented_rules() {
        let mut j = Job::sample(SourceId::Reed, "1", "Senior Data Engineer", "Acme", "Leeds");
        j.skills = vec!["SQL".into()];
        j.description = "We use Python and sql daily. Fully remote.".into();
        j.salary = Salary::from_bounds(Some(400.0), Some(500.0), "gbp", PayPeriod::Day);
        let f = JobFacts::of(&j);
        assert_eq!(f.salary, Some(AnnualSalary { currency: "GBP".into(), annual: 450.0 * 260.0 }));
        assert_eq!(f.skills, vec!["SQL".to_owned(), "Python".to_owned()]);
        assert!(f.remote);
        assert_eq!(f.seniority, Some(Seniority::Senior));
    }
}
