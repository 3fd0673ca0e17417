//! Turning boards' free-form fields into the job shape: text folding, HTML to text, dates,
//! free-text salaries, the pay-period rule for boards that give none, seniority from a title,
//! and skill tags.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::{Country, PayPeriod, Salary, Seniority};

/// Folds one character to lower-case ASCII where it has an obvious ASCII base (accents dropped,
/// `ß` → `ss`); other characters are lower-cased.
fn fold_char(c: char, out: &mut String) {
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ą' => {
            "a"
        }
        'æ' | 'Æ' => "ae",
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "c",
        'ď' | 'đ' | 'Ď' | 'Đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ę' | 'Ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' => "i",
        'ł' | 'Ł' => "l",
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => {
            "o"
        }
        'œ' | 'Œ' => "oe",
        'ř' | 'Ř' => "r",
        'ś' | 'š' | 'ş' | 'Ś' | 'Š' | 'Ş' => "s",
        'ß' => "ss",
        'ť' | 'Ť' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        _ => {
            out.extend(c.to_lowercase());
            return;
        }
    };
    out.push_str(base);
}

/// Lower case, accents folded, every run of non-alphanumeric characters one space, trimmed.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut folded);
    }
    let mut out = String::with_capacity(folded.len());
    for word in folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Decodes character references: numeric ones and the HTML 4 named set.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        // An entity is short: look for its `;` within the next few characters (not bytes).
        let end = rest.char_indices().take(12).find(|(_, c)| *c == ';').map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let ch = match ent {
                // Spaces as spaces, so that text folds and splits as it reads.
                "nbsp" => Some(' '),
                "apos" => Some('\''),
                _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                    u32::from_str_radix(&ent[2..], 16).ok().and_then(char::from_u32)
                }
                _ if ent.starts_with('#') => ent[1..].parse::<u32>().ok().and_then(char::from_u32),
                _ => super::entities::NAMED
                    .binary_search_by(|(n, _)| (*n).cmp(ent))
                    .ok()
                    .map(|i| super::entities::NAMED[i].1),
            };
            ch.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Plain text from an HTML fragment: tags dropped (they become spaces), entities decoded,
/// whitespace collapsed. Markup that was HTML-escaped once (`&lt;p&gt;`, as some boards send it,
/// sometimes next to real tags) is stripped too.
pub fn html_to_text(html: &str) -> String {
    let once = decode_entities(&strip_tags(html));
    let text = if has_tag(&once) { decode_entities(&strip_tags(&once)) } else { once };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strip_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut chars = html.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' if chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || *n == '/' || *n == '!') => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

fn has_tag(text: &str) -> bool {
    text.match_indices('<').any(|(i, _)| {
        text[i + 1..].chars().next().is_some_and(|n| n.is_ascii_alphabetic() || n == '/') && text[i..].contains('>')
    })
}

/// A title or company name cleaned for display: entities decoded, whitespace collapsed.
pub fn clean_text(raw: &str) -> String {
    decode_entities(raw).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `dd/MM/yyyy` (Reed) as midnight UTC.
pub fn parse_day_month_year(raw: &str) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%d/%m/%Y").ok()?;
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?))
}

/// ISO 8601 with or without a zone; a timestamp without one is taken as UTC (Remotive).
pub fn parse_iso_datetime(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, fmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().and_then(|d| Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?)))
}

/// Unix seconds (Arbeitnow).
pub fn from_unix_seconds(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp(secs, 0)
}

/// The pay-period rule for amounts a board gives without a period (Reed): the larger bound
/// below 150 is hourly, below 2,000 daily, anything else yearly. UK hourly rates sit well below
/// 150 and day rates well below 2,000, while no annual salary is under 2,000.
pub fn infer_period(max_amount: f64) -> PayPeriod {
    if max_amount < 150.0 {
        PayPeriod::Hour
    } else if max_amount < 2_000.0 {
        PayPeriod::Day
    } else {
        PayPeriod::Year
    }
}

/// Parses a free-text salary ("$80k - $100k", "€50,000–60,000 per year", "$18 - $22/hr",
/// "OTE $25k - $35k", "$31,2k- $52k"). The currency comes from a symbol or ISO code in the text;
/// text without one yields `None` (we never guess a currency). The period comes from words such
/// as "hour", "/hr", "month", "day", "week", "year"; without one, [`infer_period`] decides.
pub fn parse_salary_text(text: &str) -> Option<Salary> {
    let lower = text.to_lowercase();
    let currency = if lower.contains('£') || lower.contains("gbp") {
        "GBP"
    } else if lower.contains('€') || lower.contains("eur") {
        "EUR"
    } else if lower.contains("cad") || lower.contains("c$") {
        "CAD"
    } else if lower.contains("aud") || lower.contains("a$") {
        "AUD"
    } else if lower.contains('$') || lower.contains("usd") {
        "USD"
    } else {
        return None;
    };
    let amounts = amounts_in(&lower);
    if amounts.is_empty() {
        return None;
    }
    let min = amounts.iter().copied().fold(f64::INFINITY, f64::min);
    let max = amounts.iter().copied().fold(0.0, f64::max);
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let period = if has(&["/hr", "/h ", "per hour", "hourly", "/hour", "an hour", " hr"]) || lower.ends_with("/h") {
        PayPeriod::Hour
    } else if has(&["/day", "per day", "daily", "a day"]) {
        PayPeriod::Day
    } else if has(&["/week", "per week", "weekly", "/wk"]) {
        PayPeriod::Week
    } else if has(&["/month", "per month", "monthly", "/mo", "a month"]) {
        PayPeriod::Month
    } else if has(&["/year", "per year", "per annum", "annual", "/yr", "a year", "p.a", "yearly"]) {
        PayPeriod::Year
    } else {
        infer_period(max)
    };
    Salary::from_bounds(Some(min), Some(max), currency, period)
}

/// The amounts in a salary text, with `k` multipliers; `31,2k` is read as 31.2k (a decimal
/// comma), `50,000` as fifty thousand.
fn amounts_in(lower: &str) -> Vec<f64> {
    let chars: Vec<char> = lower.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == ',' || chars[i] == '.') {
            i += 1;
        }
        let raw: String = chars[start..i].iter().collect();
        let raw = raw.trim_end_matches([',', '.']);
        let k = i < chars.len() && chars[i] == 'k';
        let value = parse_amount(raw);
        if let Some(v) = value.filter(|v| *v > 0.0) {
            out.push(if k { v * 1_000.0 } else { v });
        }
    }
    out
}

fn parse_amount(raw: &str) -> Option<f64> {
    // A group separator is followed by exactly three digits; anything else is a decimal mark.
    let mut normalized = String::new();
    let parts: Vec<&str> = raw.split([',', '.']).collect();
    for (idx, part) in parts.iter().enumerate() {
        normalized.push_str(part);
        if parts.get(idx + 1).is_some_and(|next| next.len() != 3) {
            normalized.push('.');
        }
    }
    normalized.parse::<f64>().ok()
}

/// Seniority from words in a job title, for when no AI runs. `None` when the title says nothing.
pub fn seniority_from_title(title: &str) -> Option<Seniority> {
    let t = fold(title);
    let words: Vec<&str> = t.split(' ').collect();
    let has = |w: &str| words.contains(&w);
    let phrase = |p: &str| format!(" {t} ").contains(&format!(" {p} "));
    if has("intern") || has("internship") || has("praktikum") || has("praktikant") || has("werkstudent") {
        Some(Seniority::Intern)
    } else if has("cto") || has("vp") || has("director") || has("head") || phrase("vice president") || has("chief") {
        Some(Seniority::Executive)
    } else if has("lead") || has("principal") || has("staff") || has("architect") || has("manager") {
        Some(Seniority::Lead)
    } else if has("senior") || has("sr") || has("snr") {
        Some(Seniority::Senior)
    } else if has("junior") || has("jr") || has("graduate") || has("entry") || has("trainee") || has("apprentice") {
        Some(Seniority::Junior)
    } else if has("mid") || phrase("mid level") || has("intermediate") {
        Some(Seniority::Mid)
    } else {
        None
    }
}

/// Board tags as skills: trimmed, empty and over-long tags dropped, duplicates (ignoring case)
/// dropped, first spelling kept.
pub fn clean_skills<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for tag in tags {
        let tag = clean_text(tag);
        if tag.is_empty() || tag.chars().count() > 40 {
            continue;
        }
        if seen.insert(tag.to_lowercase()) {
            out.push(tag);
        }
    }
    out
}

/// The words of a query as matching compares them: folded (lower case, accents and punctuation
/// dropped), in order, without repeats.
pub fn query_words(q: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in fold(q).split(' ').filter(|w| !w.is_empty()) {
        if !words.iter().any(|x| x == w) {
            words.push(w.to_owned());
        }
    }
    words
}

/// Word-prefix matching, the one rule search, the feed and analytics share: every word of
/// `words` (from [`query_words`]) starts some word of `folded` (text from [`fold`]). "develop"
/// matches "Developer"; "script" does not match "Javascript". No words match everything.
pub fn words_match(words: &[String], folded: &str) -> bool {
    words.iter().all(|w| folded.split(' ').any(|t| t.starts_with(w.as_str())))
}

/// Whether every keyword of `q` starts a word of the texts, for boards that ignore the keyword.
pub fn matches_keywords(q: &str, haystacks: &[&str]) -> bool {
    let words = query_words(q);
    words.is_empty() || words_match(&words, &haystacks.iter().map(|h| fold(h)).collect::<Vec<_>>().join(" "))
}

/// US states (and DC): abbreviation and folded name, for locations written "City, ST" or
/// "City, State".
const US_STATES: &[(&str, &str)] = &[
    ("al", "alabama"),
    ("ak", "alaska"),
    ("az", "arizona"),
    ("ar", "arkansas"),
    ("ca", "california"),
    ("co", "colorado"),
    ("ct", "connecticut"),
    ("de", "delaware"),
    ("fl", "florida"),
    ("ga", "georgia"),
    ("hi", "hawaii"),
    ("id", "idaho"),
    ("il", "illinois"),
    ("in", "indiana"),
    ("ia", "iowa"),
    ("ks", "kansas"),
    ("ky", "kentucky"),
    ("la", "louisiana"),
    ("me", "maine"),
    ("md", "maryland"),
    ("ma", "massachusetts"),
    ("mi", "michigan"),
    ("mn", "minnesota"),
    ("ms", "mississippi"),
    ("mo", "missouri"),
    ("mt", "montana"),
    ("ne", "nebraska"),
    ("nv", "nevada"),
    ("nh", "new hampshire"),
    ("nj", "new jersey"),
    ("nm", "new mexico"),
    ("ny", "new york"),
    ("nc", "north carolina"),
    ("nd", "north dakota"),
    ("oh", "ohio"),
    ("ok", "oklahoma"),
    ("or", "oregon"),
    ("pa", "pennsylvania"),
    ("ri", "rhode island"),
    ("sc", "south carolina"),
    ("sd", "south dakota"),
    ("tn", "tennessee"),
    ("tx", "texas"),
    ("ut", "utah"),
    ("vt", "vermont"),
    ("va", "virginia"),
    ("wa", "washington"),
    ("wv", "west virginia"),
    ("wi", "wisconsin"),
    ("wy", "wyoming"),
    ("dc", "district of columbia"),
];

/// City aliases, folded form → canonical folded form.
const CITY_ALIASES: &[(&str, &str)] = &[
    ("greater london", "london"),
    ("city of london", "london"),
    ("central london", "london"),
    ("london uk", "london"),
    ("nyc", "new york"),
    ("new york city", "new york"),
    ("new york ny", "new york"),
    ("manhattan", "new york"),
    ("sf", "san francisco"),
    ("san francisco ca", "san francisco"),
    ("san francisco bay area", "san francisco"),
    ("munchen", "munich"),
    ("muenchen", "munich"),
    ("koln", "cologne"),
    ("koeln", "cologne"),
    ("frankfurt am main", "frankfurt"),
    ("nurnberg", "nuremberg"),
    ("nuernberg", "nuremberg"),
    ("wien", "vienna"),
    ("zurich", "zurich"),
    ("zuerich", "zurich"),
    ("den haag", "the hague"),
    ("montreal qc", "montreal"),
    ("toronto on", "toronto"),
    ("sydney nsw", "sydney"),
    ("melbourne vic", "melbourne"),
];

/// A city's name as places are compared: folded, a known alias written as its city (`NYC`,
/// `Greater London`, `München`).
pub fn normalize_city(city: &str) -> String {
    let folded = fold(city);
    CITY_ALIASES.iter().find(|(alias, _)| *alias == folded).map_or(folded, |(_, canonical)| (*canonical).to_owned())
}

/// The abbreviation of the US state `folded` names (by abbreviation or name).
pub fn us_state(folded: &str) -> Option<&'static str> {
    US_STATES.iter().find(|(code, name)| *code == folded || *name == folded).map(|(code, _)| *code)
}

/// The supported country a free-text location names, if exactly one: by name ("Berlin,
/// Germany", "London, UK"), as a US "City, ST" pair, or failing both by one of its larger cities
/// ("Zürich", "Praha 5").
pub fn country_in_text(text: &str) -> Option<Country> {
    let folded = fold(text);
    let padded = format!(" {folded} ");
    let mut found: Vec<Country> = Country::ALL
        .into_iter()
        .filter(|c| c.names().iter().any(|n| padded.contains(&format!(" {} ", fold(n)))))
        .collect();
    if found.is_empty() {
        let mut parts = text.rsplit(',');
        let last = parts.next().map(|p| p.trim().to_ascii_lowercase());
        if parts.next().is_some() && last.as_deref().is_some_and(|st| US_STATES.iter().any(|(code, _)| *code == st)) {
            found.push(Country::Us);
        }
    }
    if found.is_empty() {
        // Only a city named ("Zürich", "Wien, Hybrid"): the country whose larger city it is.
        found = Country::ALL
            .into_iter()
            .filter(|c| c.cities().iter().any(|n| padded.contains(&format!(" {} ", fold(n)))))
            .collect();
    }
    match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Whether a remote job's stated candidate location ("Worldwide", "USA", "Americas, Europe")
/// admits candidates from `country`. An empty statement admits everyone.
pub fn location_admits(statement: &str, country: Country) -> bool {
    let folded = fold(statement);
    if folded.is_empty() || ["worldwide", "anywhere", "global", "remote"].iter().any(|w| folded.contains(w)) {
        return true;
    }
    statement.split([',', '/', ';', '|']).map(fold).any(|part| {
        let padded = format!(" {part} ");
        country.names().iter().any(|n| padded.contains(&format!(" {} ", fold(n)))) || country.in_region(&part)
    })
}

/// A whole number with its thousands grouped by commas (`1,234,567`), for text people read.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_drops_accents_case_and_punctuation() {
        assert_eq!(fold("  Müller & Söhne GmbH, Köln "), "muller sohne gmbh koln");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("C++/Rust—Dev"), "c rust dev");
    }

    #[test]
    fn html_is_reduced_to_text_even_when_escaped_once() {
        assert_eq!(html_to_text("<p>Hello&nbsp;<b>world</b> &amp; co</p>"), "Hello world & co");
        assert_eq!(html_to_text("&lt;p&gt;We&#x27;re hiring&lt;/p&gt;"), "We're hiring");
        assert_eq!(html_to_text("&lt;p&gt;Escaped&lt;/p&gt; <p>and real</p>"), "Escaped and real");
        assert_eq!(html_to_text("salary < 50k and x > y"), "salary < 50k and x > y");
        assert_eq!(decode_entities("a &unknown; b & c"), "a &unknown; b & c");
    }

    proptest::proptest! {
        #[test]
        fn text_helpers_never_panic_on_any_input(s in "\\PC{0,40}", t in "(&[a-z#x0-9]{0,6};?|[€–•<>; ]|[a-z])*") {
            let _ = html_to_text(&s);
            let _ = html_to_text(&t);
            let _ = decode_entities(&t);
            let _ = parse_salary_text(&s);
            let _ = parse_salary_text(&t);
            let _ = country_in_text(&s);
            let _ = fold(&t);
        }
    }

    #[test]
    fn entities_next_to_multibyte_characters_decode() {
        assert_eq!(decode_entities("&amp;€50 – &#8211;"), "&€50 – –");
        assert_eq!(decode_entities("&nbsp;Part–Time"), " Part–Time");
        assert_eq!(decode_entities("& product – but"), "& product – but");
    }

    #[test]
    fn dates_in_every_board_format_become_utc() {
        let iso = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(parse_day_month_year("09/07/2025"), Some(iso("2025-07-09T00:00:00Z")));
        assert_eq!(parse_iso_datetime("2026-07-01T10:13:46"), Some(iso("2026-07-01T10:13:46Z")));
        assert_eq!(parse_iso_datetime("2025-07-09T12:00:00+02:00"), Some(iso("2025-07-09T10:00:00Z")));
        assert_eq!(parse_iso_datetime("2025-07-09T12:00:00.123Z").map(|t| t.timestamp()), Some(1_752_062_400));
        assert_eq!(from_unix_seconds(1_752_062_400), Some(iso("2025-07-09T12:00:00Z")));
        assert_eq!(parse_day_month_year("2025-07-09"), None);
    }

    #[test]
    fn free_text_salaries_parse_with_currency_and_period() {
        let s = |t: &str| parse_salary_text(t).map(|s| (s.min, s.max, s.currency, s.period));
        assert_eq!(s("$80k - $100k"), Some((80_000.0, 100_000.0, "USD".into(), PayPeriod::Year)));
        assert_eq!(s("$18 - $22/hr"), Some((18.0, 22.0, "USD".into(), PayPeriod::Hour)));
        assert_eq!(s("OTE $25k - $35k"), Some((25_000.0, 35_000.0, "USD".into(), PayPeriod::Year)));
        assert_eq!(s("$31,2k- $52k"), Some((31_200.0, 52_000.0, "USD".into(), PayPeriod::Year)));
        assert_eq!(s("€50,000–60,000 per year"), Some((50_000.0, 60_000.0, "EUR".into(), PayPeriod::Year)));
        assert_eq!(s("£4,000 per month"), Some((4_000.0, 4_000.0, "GBP".into(), PayPeriod::Month)));
        assert_eq!(s("£400 - £500"), Some((400.0, 500.0, "GBP".into(), PayPeriod::Day)));
        assert_eq!(s("competitive"), None);
        assert_eq!(s("80k - 100k"), None, "no currency: never guessed");
        assert_eq!(s(""), None);
    }

    #[test]
    fn the_period_rule_for_amounts_without_one() {
        assert_eq!(infer_period(12.6), PayPeriod::Hour);
        assert_eq!(infer_period(500.0), PayPeriod::Day);
        assert_eq!(infer_period(35_000.0), PayPeriod::Year);
    }

    #[test]
    fn seniority_comes_from_title_words() {
        assert_eq!(seniority_from_title("Senior Python Developer"), Some(Seniority::Senior));
        assert_eq!(seniority_from_title("Sr. Data Engineer"), Some(Seniority::Senior));
        assert_eq!(seniority_from_title("Junior Analyst"), Some(Seniority::Junior));
        assert_eq!(seniority_from_title("Lead Engineer"), Some(Seniority::Lead));
        assert_eq!(seniority_from_title("Head of Data"), Some(Seniority::Executive));
        assert_eq!(seniority_from_title("Werkstudent Marketing (m/w/d)"), Some(Seniority::Intern));
        assert_eq!(seniority_from_title("Python Developer"), None);
        assert_eq!(seniority_from_title("Leadership coach"), None, "whole words only");
    }

    #[test]
    fn countries_are_read_from_free_text_locations() {
        assert_eq!(country_in_text("Berlin, Germany"), Some(Country::De));
        assert_eq!(country_in_text("London, United Kingdom"), Some(Country::Gb));
        assert_eq!(country_in_text("Paramount, CA"), Some(Country::Us));
        assert_eq!(country_in_text("REMOTE (Germany, Spain, Canada)"), None, "several countries: none");
        assert_eq!(country_in_text("Flexible / Remote"), None);
        assert_eq!(country_in_text("Zürich"), Some(Country::Ch), "a larger city alone names its country");
        assert_eq!(country_in_text("Praha 5, Hybrid"), Some(Country::Cz));
        assert_eq!(country_in_text("Wien"), Some(Country::At));
        assert_eq!(country_in_text("Birmingham, AL"), Some(Country::Us), "a US state before a city's name");
        assert_eq!(country_in_text("Warszawa, Polska"), Some(Country::Pl));
        assert_eq!(country_in_text(""), None);
    }

    #[test]
    fn a_candidate_location_statement_admits_matching_countries() {
        assert!(location_admits("Worldwide", Country::De));
        assert!(location_admits("USA", Country::Us));
        assert!(!location_admits("USA", Country::Gb));
        assert!(location_admits("Americas, Europe, Israel", Country::Fr));
        assert!(location_admits("UK, Ireland", Country::Gb));
        assert!(location_admits("", Country::Au));
        assert!(!location_admits("Canada", Country::Au));
    }

    #[test]
    fn skills_are_trimmed_and_deduplicated_ignoring_case() {
        assert_eq!(clean_skills(["Typescript ", "typescript", "", "C", "Rust"]), vec!["Typescript", "C", "Rust"]);
    }

    #[test]
    fn keyword_matching_needs_every_word_at_a_word_start() {
        assert!(matches_keywords("python developer", &["Senior Python Developer", ""]));
        assert!(matches_keywords("python", &["Engineer", "We use Python daily"]));
        assert!(!matches_keywords("python java", &["Python Developer"]));
        assert!(matches_keywords("develop", &["Developer"]), "a keyword matches the start of a word");
        assert!(!matches_keywords("script", &["Javascript"]), "but not the middle of one");
        assert!(matches_keywords("", &["anything"]));
    }
}
