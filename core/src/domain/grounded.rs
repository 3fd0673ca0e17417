//! The facts an AI answer is grounded in — computed by JobIn from its data, handed to a model to
//! write about, never added to by it — and the rules that answer from them without a model (the
//! `local` provider's, and the fallback when a model's answer is not grounded).

use serde::{Deserialize, Serialize};

/// A skill's share of postings in the newer and the older half of the sample (by posting date).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillFact {
    pub skill: String,
    /// Postings that mention it.
    pub count: usize,
    pub share_newer: f64,
    pub share_older: f64,
}

/// Figures computed from our data, given to the model to write about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightFacts {
    pub query: String,
    pub location: Option<String>,
    /// ISO alpha-2, upper case.
    pub country: String,
    pub sample_size: usize,
    pub currency: String,
    /// Annual p25, median, p75 in `currency`, when any posting states a salary.
    pub salary: Option<(f64, f64, f64)>,
    pub salary_sample_size: usize,
    pub remote_ratio: f64,
    /// Most frequent skills first.
    pub top_skills: Vec<SkillFact>,
    /// Seniority name → postings.
    pub seniority: Vec<(String, usize)>,
    pub data_quality: String,
}

/// How one posting fits a job seeker's profile, computed from the posting and the profile; the
/// model explains (and may weigh) these, it never adds to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitFacts {
    pub title: String,
    pub company: String,
    /// Skills the posting names (its stated skills and dictionary skills in its text).
    pub posting_skills: Vec<String>,
    /// Posting skills the profile has / lacks.
    pub matched_skills: Vec<String>,
    pub missing_skills: Vec<String>,
    /// How many skills the profile lists.
    pub profile_skill_count: usize,
    pub posting_seniority: Option<String>,
    pub profile_seniority: Option<String>,
    /// Levels between the two (0 = same), when both are known.
    pub seniority_gap: Option<u8>,
    pub posting_location: Option<String>,
    pub posting_remote: bool,
    pub profile_locations: Vec<String>,
    /// Whether the profile wants remote work (`None`: not said).
    pub profile_remote: Option<bool>,
    /// Whether the posting's place is one of the profile's locations (`None`: the profile names none).
    pub location_match: Option<bool>,
    /// The start of the posting's text, for the model's reading.
    pub excerpt: String,
}

/// Every skill `trend`.
pub const TRENDS: [&str; 3] = ["rising", "stable", "declining"];

/// The trend of a skill from its shares in the newer and older halves of the sample.
pub fn skill_trend(f: &SkillFact) -> &'static str {
    let delta = f.share_newer - f.share_older;
    if delta >= 0.05 {
        "rising"
    } else if delta <= -0.05 {
        "declining"
    } else {
        "stable"
    }
}

/// Names as prose: `a`, `a and b`, `a, b and c`.
fn list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The rules score: skills up to 60 points (the share of the posting's skills the profile has),
/// seniority up to 20 (same level 20, one apart 10, further 0), place up to 20 (remote work the
/// profile accepts, or one of its locations: 20; wanted remote or other places only: 0). An
/// unknown part scores half its points. Reasons state each part from the facts.
pub fn fit_rules(f: &FitFacts) -> (u8, Vec<String>) {
    let mut reasons = Vec::new();
    let skills = if f.posting_skills.is_empty() {
        reasons.push("The posting names no skills we recognise, so skills count as unknown.".to_owned());
        30.0
    } else {
        let share = f.matched_skills.len() as f64 / f.posting_skills.len() as f64;
        if f.matched_skills.is_empty() {
            reasons.push(format!("The posting names {}; the profile has none of them.", list(&f.posting_skills)));
        } else {
            reasons.push(format!(
                "The profile has {} of the {} skills the posting names: {}.",
                f.matched_skills.len(),
                f.posting_skills.len(),
                list(&f.matched_skills)
            ));
            if !f.missing_skills.is_empty() {
                reasons.push(format!("Not in the profile: {}.", list(&f.missing_skills)));
            }
        }
        60.0 * share
    };
    let seniority = match (f.seniority_gap, &f.posting_seniority, &f.profile_seniority) {
        (Some(gap), Some(posting), Some(profile)) => {
            let (points, how) = match gap {
                0 => (20.0, "the same level".to_owned()),
                1 => (10.0, "one level apart".to_owned()),
                n => (0.0, format!("{n} levels apart")),
            };
            reasons.push(format!("The posting is {posting} and the profile {profile}: {how}."));
            points
        }
        (_, Some(posting), None) => {
            reasons.push(format!("The posting is {posting}; the profile states no seniority."));
            10.0
        }
        _ => 10.0,
    };
    let where_ = f.posting_location.clone().unwrap_or_else(|| "an unstated place".to_owned());
    let place = if f.posting_remote && f.profile_remote != Some(false) {
        reasons.push("The posting offers remote work.".to_owned());
        20.0
    } else if f.location_match == Some(true) {
        reasons.push(format!("The posting is in {where_}, one of the profile's locations."));
        20.0
    } else if f.location_match == Some(false) || f.profile_remote == Some(true) {
        let wanted = if f.profile_remote == Some(true) { "remote work".to_owned() } else { list(&f.profile_locations) };
        let remote = if f.posting_remote { "" } else { " and does not offer remote work" };
        reasons.push(format!("The posting is in {where_}{remote}; the profile asks for {wanted}."));
        0.0
    } else {
        10.0
    };
    let score = (skills + seniority + place).round().clamp(0.0, 100.0) as u8;
    (score, reasons)
}
