//! A saved search's matches as an Atom 1.0 feed (RFC 4287) for feed readers: one entry per
//! `job.matched` event, newest first, linking to the posting. Text is escaped, and characters XML
//! 1.0 forbids (control characters) are dropped.

use jobin_core::ports::SavedSearch;
use jobin_core::usecases::MatchedJob;
use std::fmt::Write;

use crate::http::error::iso_millis;

/// `text` escaped for XML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The feed of `search`'s matches; `self_url` is the feed's address without its token.
pub fn render(search: &SavedSearch, items: &[MatchedJob], self_url: &str) -> String {
    let updated = items.first().map_or(search.updated_at, |m| m.event.event.created_at);
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(xml, "  <id>urn:jobin:saved-search:{}</id>", search.id);
    let _ = writeln!(xml, "  <title>{}</title>", esc(&format!("JobIn: {}", search.name)));
    let _ = writeln!(xml, "  <subtitle>{}</subtitle>", esc(&format!("New postings matching “{}”", search.criteria.q)));
    let _ = writeln!(xml, "  <updated>{}</updated>", iso_millis(updated));
    let _ = writeln!(xml, "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>", esc(self_url));
    xml.push_str("  <author><name>JobIn</name></author>\n  <generator>JobIn</generator>\n");
    for m in items {
        // A posting the store no longer holds has nothing to link to.
        let Some(found) = &m.job else { continue };
        let job = &found.stored.job;
        let place: Vec<&str> =
            [job.location.city.as_str(), job.location.region.as_str(), job.location.country.as_str()]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect();
        let mut summary = format!(
            "{} — {}",
            job.company,
            if place.is_empty() { "location not given".into() } else { place.join(", ") }
        );
        if job.remote {
            summary.push_str(" — remote");
        }
        if let Some(s) = &job.salary {
            let _ = write!(summary, " — {} a {}", pay_range(&s.currency, s.min, s.max), s.period.as_str());
        }
        if found.expired_at.is_some() {
            summary.push_str(" — expired");
        }
        xml.push_str("  <entry>\n");
        let _ = writeln!(xml, "    <id>urn:jobin:event:{}</id>", m.event.id);
        let _ = writeln!(xml, "    <title>{}</title>", esc(&format!("{} at {}", job.title, job.company)));
        let _ = writeln!(xml, "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", esc(&job.url));
        let _ = writeln!(xml, "    <updated>{}</updated>", iso_millis(m.event.event.created_at));
        if let Some(posted) = job.posted_at {
            let _ = writeln!(xml, "    <published>{}</published>", iso_millis(posted));
        }
        let _ = writeln!(xml, "    <summary>{}</summary>", esc(&summary));
        let _ = writeln!(xml, "    <category term=\"{}\"/>", esc(job.source.as_str()));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

/// A pay range for people: thousands grouped, one figure when both ends are the same
/// (`USD 75,000`, `EUR 40,000–55,000`).
fn pay_range(currency: &str, min: f64, max: f64) -> String {
    // Whole units: the figures are annual or periodic amounts, never fractions people read.
    let whole = |v: f64| jobin_core::domain::normalize::thousands(v.round() as i64);
    if min.round() == max.round() {
        format!("{currency} {}", whole(min))
    } else {
        format!("{currency} {}–{}", whole(min), whole(max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pay_is_grouped_and_one_figure_when_the_ends_meet() {
        assert_eq!(pay_range("USD", 75_000.0, 75_000.0), "USD 75,000");
        assert_eq!(pay_range("EUR", 40_000.0, 55_000.4), "EUR 40,000–55,000");
        assert_eq!(pay_range("GBP", 1_250_000.0, 2_000_000.0), "GBP 1,250,000–2,000,000");
        assert_eq!(pay_range("USD", 25.0, 30.0), "USD 25–30");
    }

    #[test]
    fn text_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(esc("R&D <lead> \"x\" 'y'\u{1}\tz"), "R&amp;D &lt;lead&gt; &quot;x&quot; &apos;y&apos;\tz");
    }
}
