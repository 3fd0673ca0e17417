//! Which boards a search asks, and in what priority: the plan's sources in the document's order,
//! minus those that cannot serve the country, reordered by the document's smart routing
//! (remote=true → Remotive and Findwork first; gb → Reed; us → The Muse; de at ch nl pl cz →
//! Arbeitnow).

use super::{Country, SourceId};

/// Why a board is not asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The plan does not include it.
    NotInPlan,
    /// It has no jobs for the country.
    NotCovered,
}

/// The routing decision for one search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Boards to ask, highest priority first (merge precedence and result order).
    pub ask: Vec<SourceId>,
    /// Boards not asked, in the document's order, with the reason.
    pub skipped: Vec<(SourceId, Skip)>,
}

impl Route {
    /// The board's precedence: its position in `ask` (boards not asked come after).
    pub fn rank(&self, source: SourceId) -> usize {
        self.ask.iter().position(|s| *s == source).unwrap_or(self.ask.len() + source as usize)
    }
}

/// Whether a plan that includes `data_sources` boards includes `source`: the first ones in the
/// document's order.
pub fn in_plan(source: SourceId, data_sources: u8) -> bool {
    (source as usize) < usize::from(data_sources)
}

/// The route for a plan that includes `data_sources` boards (1–6, the first ones in the
/// document's order).
pub fn route(data_sources: u8, country: Country, remote: bool) -> Route {
    let mut ask = Vec::new();
    let mut skipped = Vec::new();
    for s in SourceId::ALL {
        // Coverage first: upgrading would not make a board serve a country it does not cover.
        if !s.covers(country) {
            skipped.push((s, Skip::NotCovered));
        } else if !in_plan(s, data_sources) {
            skipped.push((s, Skip::NotInPlan));
        } else {
            ask.push(s);
        }
    }
    let boost = |s: SourceId| -> u8 {
        let remote_first = remote && matches!(s, SourceId::Remotive | SourceId::Findwork);
        let country_first = match s {
            SourceId::Reed => country == Country::Gb,
            SourceId::TheMuse => country == Country::Us,
            SourceId::Arbeitnow => Country::ARBEITNOW_FIRST.contains(&country),
            _ => false,
        };
        match (remote_first, country_first) {
            (true, _) => 0,
            (false, true) => 1,
            _ => 2,
        }
    };
    // Stable: within a boost level the document's order holds.
    ask.sort_by_key(|s| boost(*s));
    Route { ask, skipped }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SourceId::*;

    #[test]
    fn each_plan_asks_its_sources_in_the_documents_order() {
        assert_eq!(route(1, Country::Au, false).ask, vec![Adzuna]);
        assert_eq!(route(3, Country::Au, false).ask, vec![Adzuna, Remotive]);
        assert_eq!(route(6, Country::Au, false).ask, vec![Adzuna, Remotive, TheMuse]);
        let r = route(3, Country::Au, false);
        assert_eq!(
            r.skipped,
            vec![
                (Findwork, Skip::NotCovered),
                (Reed, Skip::NotCovered),
                (Arbeitnow, Skip::NotCovered),
                (TheMuse, Skip::NotInPlan)
            ],
            "a board that cannot serve the country is not covered, whatever the plan"
        );
    }

    #[test]
    fn smart_routing_puts_the_countrys_specialist_first() {
        assert_eq!(route(6, Country::Gb, false).ask, vec![Reed, Adzuna, Remotive, Findwork, TheMuse]);
        assert_eq!(route(6, Country::Us, false).ask, vec![TheMuse, Adzuna, Remotive, Findwork]);
        assert_eq!(route(6, Country::De, false).ask, vec![Arbeitnow, Adzuna, Remotive, TheMuse]);
        assert_eq!(route(6, Country::Fr, false).ask, vec![Adzuna, Remotive, Arbeitnow, TheMuse]);
        for c in [Country::At, Country::Ch, Country::Nl, Country::Pl] {
            assert_eq!(route(6, c, false).ask, vec![Arbeitnow, Adzuna, Remotive, TheMuse], "{c}");
        }
        assert_eq!(route(6, Country::Cz, false).ask, vec![Arbeitnow, Remotive, TheMuse], "no Adzuna site in Czechia");
        let cz = route(6, Country::Cz, false);
        assert!(cz.skipped.contains(&(Adzuna, Skip::NotCovered)));
        assert_eq!(route(6, Country::In, false).ask, vec![Adzuna, Remotive, TheMuse]);
    }

    #[test]
    fn remote_puts_remotive_and_findwork_first() {
        assert_eq!(route(6, Country::Gb, true).ask, vec![Remotive, Findwork, Reed, Adzuna, TheMuse]);
        assert_eq!(route(1, Country::Gb, true).ask, vec![Adzuna], "never beyond the plan");
    }

    #[test]
    fn rank_follows_the_ask_order() {
        let r = route(6, Country::Gb, false);
        assert_eq!(r.rank(Reed), 0);
        assert_eq!(r.rank(Adzuna), 1);
        assert!(r.rank(Arbeitnow) > r.rank(TheMuse));
    }
}
