//! Provenance per field of a merged job: which board listing (one of its `copies`) supplied each
//! field. Merging (`dedup::merge`) keeps the best-ranked listing and fills what it lacks from the
//! others; `Job::provenance` records each field so filled, and every other field with a value is
//! the kept listing's own. Skills, categories and places are the union of every copy's (no single
//! listing supplies them).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::Job;

/// A field of a job, as far as provenance tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Company,
    City,
    Country,
    Region,
    Salary,
    Seniority,
    Remote,
    Url,
    ApplyUrl,
    Description,
    EmploymentType,
    WorkplaceType,
    VisaSponsorship,
    CompanyLogoUrl,
    CompanyUrl,
    CompanySize,
    PostedAt,
    ValidThrough,
}

impl Field {
    pub const ALL: [Field; 19] = [
        Field::Title,
        Field::Company,
        Field::City,
        Field::Country,
        Field::Region,
        Field::Salary,
        Field::Seniority,
        Field::Remote,
        Field::Url,
        Field::ApplyUrl,
        Field::Description,
        Field::EmploymentType,
        Field::WorkplaceType,
        Field::VisaSponsorship,
        Field::CompanyLogoUrl,
        Field::CompanyUrl,
        Field::CompanySize,
        Field::PostedAt,
        Field::ValidThrough,
    ];

    /// Whether merging may fill this field from another listing (the others are always the kept
    /// listing's own: its title, city, link and closing date).
    pub const fn fillable(self) -> bool {
        !matches!(self, Field::Title | Field::City | Field::Url | Field::ValidThrough)
    }

    /// The field's value in `job`, borrowed (for comparing); `None` when the posting does not
    /// state it. `remote` always has a value (false is "not said to be remote").
    pub fn value(self, job: &Job) -> Option<Stated<'_>> {
        fn text(s: &str) -> Option<Stated<'_>> {
            (!s.trim().is_empty()).then_some(Stated::Text(s))
        }
        let name = |s: &'static str| Stated::Text(s);
        let d = &job.details;
        match self {
            Field::Title => text(&job.title),
            Field::Company => text(&job.company),
            Field::City => text(&job.location.city),
            Field::Country => text(&job.location.country),
            Field::Region => text(&job.location.region),
            Field::Salary => job.salary.as_ref().map(Stated::Salary),
            Field::Seniority => job.seniority.map(|s| name(s.as_str())),
            Field::Remote => Some(Stated::Flag(job.remote)),
            Field::Url => text(&job.url),
            Field::ApplyUrl => d.apply_url.as_deref().map(Stated::Text),
            Field::Description => text(&job.description)
                .map(|_| Stated::Description { text: &job.description, truncated: d.description_truncated }),
            Field::EmploymentType => d.employment_type.map(|t| name(t.as_str())),
            Field::WorkplaceType => d.workplace_type.map(|t| name(t.as_str())),
            Field::VisaSponsorship => d.visa_sponsorship.map(Stated::Flag),
            Field::CompanyLogoUrl => d.company.logo_url.as_deref().map(Stated::Text),
            Field::CompanyUrl => d.company.url.as_deref().map(Stated::Text),
            Field::CompanySize => d.company.size.as_deref().map(Stated::Text),
            Field::PostedAt => job.posted_at.map(Stated::Time),
            Field::ValidThrough => job.valid_through.map(Stated::Time),
        }
    }
}

/// A field's value as a job states it ([`Field::value`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stated<'a> {
    Text(&'a str),
    Flag(bool),
    Salary(&'a super::Salary),
    Time(chrono::DateTime<chrono::Utc>),
    Description { text: &'a str, truncated: bool },
}

/// The listings fields were filled from, where not the job's own (`Job::provenance`).
pub type Provenance = BTreeMap<Field, String>;

impl Job {
    /// The id of the listing (one of `copies`, or the job itself) that supplied `field`: `None`
    /// when the job has no value for it, or when it was merged before provenance was recorded
    /// and the field is one merging may have filled (unknown, rather than a guess).
    pub fn supplier(&self, field: Field) -> Option<&str> {
        field.value(self)?;
        match &self.provenance {
            Some(filled) => Some(filled.get(&field).map_or(self.id.as_str(), String::as_str)),
            None if self.copies.len() > 1 && field.fillable() => None,
            None => Some(&self.id),
        }
    }

    /// The listing that supplied `field` of this job, as a later merge records it.
    pub(crate) fn supplier_id(&self, field: Field) -> &str {
        self.provenance.as_ref().and_then(|p| p.get(&field)).map_or(self.id.as_str(), String::as_str)
    }

    /// Records that `field` of this (merged) job came from the listing `from`.
    pub(crate) fn filled(&mut self, field: Field, from: &str) {
        let record = self.provenance.get_or_insert_default();
        if from == self.id {
            record.remove(&field);
        } else {
            record.insert(field, from.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{JobCopy, SourceId};

    #[test]
    fn a_lone_listing_supplies_every_field_it_has() {
        let job = Job::sample(SourceId::Reed, "1", "Nurse", "NHS", "Leeds");
        assert_eq!(job.supplier(Field::Title), Some("reed:1"));
        assert_eq!(job.supplier(Field::Company), Some("reed:1"));
        assert_eq!(job.supplier(Field::Salary), None, "no salary: nothing supplied it");
        assert_eq!(job.supplier(Field::Remote), Some("reed:1"));
    }

    #[test]
    fn a_job_merged_before_provenance_was_recorded_knows_only_its_own_fields() {
        let mut job = Job::sample(SourceId::Reed, "1", "Nurse", "NHS", "Leeds");
        job.copies = vec![
            JobCopy { source: SourceId::Reed, id: "reed:1".into(), url: String::new() },
            JobCopy { source: SourceId::Adzuna, id: "adzuna:9".into(), url: String::new() },
        ];
        assert_eq!(job.supplier(Field::Title), Some("reed:1"));
        assert_eq!(job.supplier(Field::Company), None, "may have been filled: unknown");
        job.filled(Field::Company, "adzuna:9");
        assert_eq!(job.supplier(Field::Company), Some("adzuna:9"));
        assert_eq!(job.supplier(Field::City), Some("reed:1"));
        job.filled(Field::Company, "reed:1");
        assert_eq!(job.provenance, Some(Provenance::new()), "its own listing is not recorded");
    }

    #[test]
    fn fields_serialize_by_their_snake_case_names() {
        let p: Provenance = [(Field::EmploymentType, "adzuna:9".to_owned())].into();
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"employment_type":"adzuna:9"}"#);
    }
}
