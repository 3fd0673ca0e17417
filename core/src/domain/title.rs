//! A job title normalized, for dedup and for clients (`normalized_title`): the place and work-mode
//! tails boards append removed (` - London`, `(Hybrid)`, `| Remote (UK)`, `, Berlin`), case,
//! accents, punctuation and spacing folded, gender markers dropped (`(m/w/d)`), and the common
//! abbreviations written out (`Sr.`, `Snr` → senior; `Jr`, `Jnr` → junior; `Mgr` → manager; …).
//! Normalizing a normalized title changes nothing.

use super::Job;
use super::normalize::{fold, normalize_city};

/// Words that say where or how the work is done, never what it is.
#[rustfmt::skip]
const WORK_MODES: &[&str] = &[
    "remote", "hybrid", "onsite", "on", "site", "office", "in", "based", "home", "from", "work", "wfh",
    "fully", "partially", "partly", "teilweise", "homeoffice", "telecommute", "first", "friendly", "possible",
    "anywhere", "worldwide", "global", "only", "or", "and", "days", "week", "per", "100", "1", "2", "3", "4",
    "working", "flexible", "location", "locations", "optional", "mobile", "nationwide",
];

/// Places a tail names without the posting saying them: countries, regions and large cities boards
/// append (never a code that is also a word of a title: `IT`, `IN`, `BE`, `AT`, `ES`, `NA`).
#[rustfmt::skip]
const PLACES: &[&str] = &[
    "uk", "gb", "united", "kingdom", "great", "britain", "england", "scotland", "wales", "ireland", "us",
    "usa", "america", "states", "eu", "europe", "emea", "apac", "latam", "americas", "germany",
    "deutschland", "de", "austria", "osterreich", "switzerland", "schweiz", "ch", "netherlands", "nl",
    "poland", "pl", "czechia", "czech", "republic", "cz", "france", "fr", "spain", "italy",
    "canada", "ca", "australia", "au", "new", "zealand", "nz", "india", "brazil", "br", "mexico", "mx",
    "singapore", "sg", "south", "africa", "za", "belgium", "london", "berlin", "munich", "munchen",
    "hamburg", "vienna", "wien", "zurich", "amsterdam", "paris", "new", "york", "nyc", "san", "francisco",
    "sf", "toronto", "sydney", "melbourne",
];

/// Abbreviations written out (folded forms).
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("sr", "senior"),
    ("snr", "senior"),
    ("jr", "junior"),
    ("jnr", "junior"),
    ("mgr", "manager"),
    ("mngr", "manager"),
    ("engr", "engineer"),
    ("asst", "assistant"),
    ("assoc", "associate"),
    ("coord", "coordinator"),
];

/// A posting's title normalized for its own place (its city, region and country): the form dedup
/// compares and `normalized_title` serves.
pub fn normalized_title(job: &Job) -> String {
    normalize_title_at(&job.title, &[&job.location.city, &job.location.region, &job.location.country])
}

/// `title` normalized. A tail naming only a work mode or a well-known place is removed.
pub fn normalize_title(title: &str) -> String {
    normalize_title_at(title, &[])
}

/// `title` normalized for a posting at `place` (its city, region and country as the board states
/// them, in that order): a tail naming only a work mode, a well-known place or the posting's own place is removed.
pub fn normalize_title_at(title: &str, place: &[&str]) -> String {
    // The place's words as stated, and its city's as places are compared (`NYC` is New York).
    let canonical_city = place.first().map(|c| normalize_city(c.split(',').next().unwrap_or_default()));
    let own: Vec<String> = place
        .iter()
        .map(|p| fold(p))
        .chain(canonical_city)
        .flat_map(|p| p.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let is_own = |w: &str| own.iter().any(|o| o == w);
    let title_names_own = fold(title).split(' ').any(is_own);
    let states_region = place.get(1).is_some_and(|region| !region.trim().is_empty());
    let city = place.first().map(|c| fold(c)).filter(|c| !c.is_empty());
    let compact = |text: &str| text.split(' ').collect::<String>();
    let region = place.get(1).map(|r| compact(&fold(r))).filter(|r| !r.is_empty());
    // `Linz, Oberösterreich` after a title listed at Linz: the posting's own city, then one to three
    // words without figures — any, when the posting states no region (the board left it out of
    // its location); else its own region however written (`Washington, D.C.` listed in DC) or
    // well-known places.
    let own_city_then_more = |segment: &str| {
        let Some(city) = &city else { return false };
        let mut parts = segment.split(',').map(fold);
        parts.next().is_some_and(|first| &first == city) && {
            let rest: Vec<String> = parts.collect();
            !rest.is_empty()
                && rest.iter().all(|p| {
                    let words: Vec<&str> = p.split(' ').filter(|w| !w.is_empty()).collect();
                    (1..=3).contains(&words.len())
                        && !p.chars().any(|ch| ch.is_ascii_digit())
                        && region.as_ref().is_none_or(|r| &compact(p) == r || words.iter().all(|w| PLACES.contains(w)))
                })
        }
    };
    // Each comma-separated part the posting's own city, region or country however spaced and
    // dotted (`D.C.` is `DC`).
    let own_compact: Vec<String> = place.iter().map(|p| compact(&fold(p))).filter(|p| !p.is_empty()).collect();
    let names_own_place = |segment: &str| {
        segment.split(',').map(|p| compact(&fold(p))).all(|p| !p.is_empty() && own_compact.contains(&p))
    };
    let is_tail = |segment: &str| {
        let folded = fold(segment);
        let gender_marker = strip_gender_marker(&folded).is_empty();
        // A US state's abbreviation that is not the posting's own is a place only in a title
        // naming the posting's own place, and only when the posting states no region of its own
        // (`- McLean, VA` listed at McLean): elsewhere it may be a word (`OR`, `IN`) or another
        // place (`Data Engineer - MA` listed in Mesa, AZ).
        let names_own = title_names_own && !states_region;
        !folded.is_empty()
            && (gender_marker
                || own_city_then_more(segment)
                || names_own_place(segment)
                || folded.split(' ').all(|w| {
                    WORK_MODES.contains(&w)
                        || PLACES.contains(&w)
                        || is_own(w)
                        || (names_own && super::normalize::us_state(w) == Some(w))
                }))
    };
    // Trailing full stops and commas are punctuation, not part of a tail (`… (Hybrid).`).
    let mut rest = title.trim().trim_end_matches(['.', ',', ';', ':', '!']).trim_end();
    // Tail after tail, but never the whole title.
    while let Some(head) = without_tail(rest, &is_tail).filter(|h| !fold(h).is_empty()) {
        rest = head.trim_end();
    }
    let folded = strip_gender_marker(&fold(rest));
    folded
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            ABBREVIATIONS.iter().find(|(short, _)| *short == w).map(|(_, long)| *long).or_else(|| level(w)).unwrap_or(w)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A level written as a roman numeral, as its figure (`Engineer II` is `Engineer 2`, `Analyst I,
/// Pricing` is `Analyst 1, Pricing`). Both copies of a title are rewritten alike, so a roman
/// numeral that was a word (`I/O`) makes no two different titles equal.
fn level(word: &str) -> Option<&'static str> {
    const ROMAN: &[(&str, &str)] = &[
        ("ii", "2"),
        ("iii", "3"),
        ("iv", "4"),
        ("vi", "6"),
        ("vii", "7"),
        ("viii", "8"),
        ("ix", "9"),
        ("i", "1"),
        ("v", "5"),
    ];
    ROMAN.iter().find(|(r, _)| *r == word).map(|(_, figure)| *figure)
}

/// `title` without its last tail when `is_tail` says the tail names only a place or work mode: a
/// trailing bracketed group, else the text after the last separator (` - `, ` – `, ` — `, ` | `,
/// `, `). `None` when there is no such tail.
fn without_tail<'a>(title: &'a str, is_tail: &impl Fn(&str) -> bool) -> Option<&'a str> {
    let t = title.trim_end();
    for (open, close) in [('(', ')'), ('[', ']')] {
        if t.ends_with(close) {
            let start = t.rfind(open)?;
            let inner = &t[start + open.len_utf8()..t.len() - close.len_utf8()];
            return is_tail(inner).then(|| &t[..start]);
        }
    }
    // Right to left over every separator: the text after a cut is a tail only as a whole
    // (`- Linz, Oberösterreich` is one tail though `Oberösterreich` alone is not).
    let mut cuts: Vec<(usize, usize)> = [" - ", " – ", " — ", " | ", ", "]
        .iter()
        .flat_map(|sep| t.match_indices(sep).map(|(i, s)| (i, s.len())))
        .collect();
    cuts.sort_unstable_by(|a, b| b.cmp(a));
    cuts.into_iter().find(|&(i, len)| is_tail(&t[i + len..])).map(|(i, _)| &t[..i])
}

/// Gender markers in (mostly German) titles: `(m/w/d)`, `(f/m/x)`, `(all genders)`, folded.
fn strip_gender_marker(folded: &str) -> String {
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    loop {
        let n = words.len();
        if n >= 2 && words[n - 2] == "all" && matches!(words[n - 1], "genders" | "gender") {
            words.truncate(n - 2);
            continue;
        }
        let is_marker = |w: &str| matches!(w, "m" | "w" | "f" | "d" | "x" | "h" | "i");
        let tail = words.iter().rev().take_while(|w| is_marker(w)).count();
        if tail >= 2 {
            words.truncate(n - tail);
            continue;
        }
        break;
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tails_of_place_and_work_mode_go_and_the_role_stays() {
        let cases = [
            ("Senior Rust Engineer - London", "senior rust engineer"),
            ("Senior Rust Engineer (Hybrid)", "senior rust engineer"),
            ("Senior Rust Engineer | Remote (UK)", "senior rust engineer"),
            ("Senior Rust Engineer | Remote - US only", "senior rust engineer"),
            ("Sr. Rust Engineer, Remote", "senior rust engineer"),
            ("Snr Data Analyst – Berlin (m/w/d)", "senior data analyst"),
            ("Jnr Developer [Fully Remote]", "junior developer"),
            ("Sales Mgr - EMEA", "sales manager"),
            ("Softwareentwickler (m/w/d)", "softwareentwickler"),
            ("  Product   Manager  ", "product manager"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_title(raw), want, "{raw}");
        }
    }

    #[test]
    fn what_names_the_role_is_never_taken_for_a_tail() {
        for (raw, want) in [
            ("Director, Sales", "director sales"),
            ("Manager - Remote Operations", "manager remote operations"),
            ("Engineer (Payments)", "engineer payments"),
            ("Remote", "remote"),
            ("London", "london"),
            ("Head of Data - Platform | Leeds", "head of data platform leeds"),
            ("Support Engineer - IT", "support engineer it"),
        ] {
            assert_eq!(normalize_title(raw), want, "{raw}");
        }
        // The posting's own place is a tail, any place.
        assert_eq!(normalize_title_at("Head of Data - Platform | Leeds", &["Leeds"]), "head of data platform");
        assert_eq!(normalize_title_at("Nurse (Bristol, Avon)", &["Bristol", "Avon"]), "nurse");
        // The own city and a region the posting does not state, in brackets or after a separator.
        // A city the posting writes as an alias (`NYC`) is its place in the title's spelling.
        assert_eq!(normalize_title_at("Financial Analyst | New York, NY", &["NYC", "", "US"]), "financial analyst");
        for raw in
            ["Data Engineer (Linz, Oberösterreich)", "Data Engineer - Linz, Upper Austria", "Data Engineer | Linz, OÖ"]
        {
            assert_eq!(normalize_title_at(raw, &["Linz", "", "AT"]), "data engineer", "{raw}");
        }
        // The posting's own region however the title writes it.
        assert_eq!(normalize_title_at("IT Analyst - Washington, D.C.", &["Washington", "DC", "US"]), "it analyst");
        assert_eq!(normalize_title_at("IT Analyst - Washington, D.C.", &["Washington", "", "US"]), "it analyst");
        assert_eq!(normalize_title_at("IT Analyst - Washington - D.C..", &["Washington", "DC", "US"]), "it analyst");
        // Not where the posting states another region, nor words with figures, nor another city.
        assert_eq!(normalize_title_at("Nurse (Bristol, Avon)", &["Bristol", "Somerset"]), "nurse bristol avon");
        assert_eq!(normalize_title_at("Engineer (Linz, Team 4)", &["Linz", "", "AT"]), "engineer linz team 4");
        assert_eq!(normalize_title_at("Engineer (Graz, Steiermark)", &["Linz", "", "AT"]), "engineer graz steiermark");
        // A US state beside the posting's own city, whether or not the posting states it.
        assert_eq!(normalize_title_at("Data Scientist - McLean, VA", &["McLean", "", "US"]), "data scientist");
        assert_eq!(normalize_title_at("Data Scientist - McLean, VA", &["McLean", "VA", "US"]), "data scientist");
        // Another state, where the posting states its own, is not its place; nor a bare code.
        assert_eq!(normalize_title_at("Data Engineer - MA, Mesa", &["Mesa", "AZ", "US"]), "data engineer ma");
        assert_eq!(normalize_title_at("Support Engineer, ME", &["Portland", "", "US"]), "support engineer me");
        // Levels are figures.
        assert_eq!(normalize_title("Data Engineer II - Remote"), normalize_title("Data Engineer 2"));
        assert_ne!(normalize_title("Data Engineer II"), normalize_title("Data Engineer III"));
    }

    proptest! {
        #[test]
        fn normalizing_twice_changes_nothing(title in "[A-Za-zé. ,|()\\[\\]/-]{0,40}") {
            let once = normalize_title(&title);
            prop_assert_eq!(normalize_title(&once), once.clone());
            let at = normalize_title_at(&title, &["London", "Greater London"]);
            prop_assert_eq!(normalize_title_at(&at, &["London", "Greater London"]), at);
        }
    }
}
