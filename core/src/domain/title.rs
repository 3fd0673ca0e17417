//! A job title normalized, for dedup and for clients (`normalized_title`): the place and work-mode
//! tails boards append removed (` - London`, `(Hybrid)`, `| Remote (UK)`, `, Berlin`), case,
//! accents, punctuation and spacing folded, gender markers dropped (`(m/w/d)`), and the common
//! abbreviations written out (`Sr.`, `Snr` → senior; `Jr`, `Jnr` → junior; `Mgr` → manager; …).
//! Normalizing a normalized title changes nothing.

use super::Job;
use super::normalize::fold;

/// Words that say where or how the work is done, never what it is.
#[rustfmt::skip]
const WORK_MODES: &[&str] = &[
    "remote", "hybrid", "onsite", "on", "site", "office", "in", "based", "home", "from", "work", "wfh",
    "fully", "partially", "partly", "teilweise", "homeoffice", "telecommute", "first", "friendly", "possible",
    "anywhere", "worldwide", "global", "only", "or", "and", "days", "week", "per", "100", "1", "2", "3", "4",
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
/// them): a tail naming only a work mode, a well-known place or the posting's own place is removed.
pub fn normalize_title_at(title: &str, place: &[&str]) -> String {
    let own: Vec<String> =
        place.iter().flat_map(|p| fold(p).split(' ').map(str::to_owned).collect::<Vec<_>>()).collect();
    let is_tail = |segment: &str| {
        let folded = fold(segment);
        let gender_marker = strip_gender_marker(&folded).is_empty();
        !folded.is_empty()
            && (gender_marker
                || folded
                    .split(' ')
                    .all(|w| WORK_MODES.contains(&w) || PLACES.contains(&w) || own.iter().any(|o| o == w)))
    };
    let mut rest = title.trim();
    // Tail after tail, but never the whole title.
    while let Some(head) = without_tail(rest, &is_tail).filter(|h| !fold(h).is_empty()) {
        rest = head.trim_end();
    }
    let folded = strip_gender_marker(&fold(rest));
    folded
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| ABBREVIATIONS.iter().find(|(short, _)| *short == w).map_or(w, |(_, long)| long))
        .collect::<Vec<_>>()
        .join(" ")
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
    let cut = [" - ", " – ", " — ", " | ", ", "].iter().filter_map(|sep| t.rfind(sep).map(|i| (i, sep.len()))).max()?;
    is_tail(&t[cut.0 + cut.1..]).then(|| &t[..cut.0])
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
