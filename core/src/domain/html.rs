//! A posting's HTML as plain text that keeps its shape: paragraphs, line breaks and list items on
//! their own lines; scripts, styles and images (boards' tracking pixels) dropped; character
//! references decoded; markup that was HTML-escaped once (`&lt;p&gt;`) treated as markup.

use super::normalize::decode_entities;

/// Elements that start a new line, and those that leave a blank line after them.
const LINE_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];
const PARAGRAPH_TAGS: &[&str] =
    &["blockquote", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "section", "table", "ul"];
/// Elements inside a word's flow (`<b>Rust</b>.` reads `Rust.`).
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "dfn", "em", "font", "i", "ins", "kbd", "mark", "q", "s",
    "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var",
];
/// Elements whose content is not text.
const SKIPPED_TAGS: &[&str] = &["head", "noscript", "script", "style", "svg", "template", "title"];

/// Plain text from a posting's HTML (or plain text with character references). Lines are trimmed
/// and their whitespace collapsed; list items start with `- `; at most one blank line separates
/// paragraphs; no leading or trailing blank lines.
pub fn to_text(html: &str) -> String {
    // Escaped once: decoded once here, and its text decoded again below like any markup's.
    let source = if has_escaped_tag(html) { decode_entities(html) } else { html.to_owned() };
    if !source.char_indices().any(|(i, c)| c == '<' && Tag::read(&source[i..]).is_some()) {
        // Plain text: its own line breaks are its shape.
        return tidy(&decode_entities(&source).replace(PARAGRAPH, " "), true);
    }
    let mut raw = String::with_capacity(source.len());
    let mut text = String::new();
    let mut rest = source.as_str();
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(tag) = Tag::read(rest) else {
            text.push('<');
            rest = &rest[1..];
            continue;
        };
        flush(&mut raw, &mut text);
        rest = &rest[tag.len..];
        if !tag.closing && SKIPPED_TAGS.contains(&tag.name.as_str()) {
            // Skip to the matching end tag (or the end of the input).
            let close = format!("</{}", tag.name);
            rest = match find_ignore_case(rest, &close) {
                Some(j) => rest[j..].find('>').map_or("", |k| &rest[j + k + 1..]),
                None => "",
            };
            continue;
        }
        let name = tag.name.as_str();
        if name == "li" {
            if !tag.closing {
                raw.push_str("\n- ");
            }
        } else if PARAGRAPH_TAGS.contains(&name) {
            raw.push_str(PARAGRAPH_BREAK);
        } else if LINE_TAGS.contains(&name) {
            raw.push('\n');
        } else if !INLINE_TAGS.contains(&name) {
            // Anything else (img, input, unknown elements) separates words at most.
            raw.push(' ');
        }
    }
    text.push_str(rest);
    flush(&mut raw, &mut text);
    tidy(&raw, false)
}

/// Marks a paragraph end in the raw text (a line of its own); never in decoded text.
const PARAGRAPH: char = '\u{1}';
const PARAGRAPH_BREAK: &str = "\n\u{1}\n";

/// Appends a text run to `raw`: references decoded, and (being markup's text) its line breaks
/// are spaces.
fn flush(raw: &mut String, text: &mut String) {
    raw.push_str(&decode_entities(text).replace(['\n', '\r', PARAGRAPH], " "));
    text.clear();
}

/// Collapses whitespace within lines, drops empty items, and leaves at most one blank line where
/// a paragraph ended (or, in plain text, where a blank line was).
fn tidy(raw: &str, plain: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank_pending = false;
    for line in raw.split('\n') {
        let collapsed = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let paragraph_end = collapsed == PARAGRAPH.to_string() || (plain && collapsed.is_empty());
        if paragraph_end || collapsed.is_empty() || collapsed == "-" {
            blank_pending |= paragraph_end && !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_pending { "\n\n" } else { "\n" });
        }
        out.push_str(&collapsed);
        blank_pending = false;
    }
    out
}

struct Tag {
    name: String,
    closing: bool,
    /// Bytes from `<` to `>` included.
    len: usize,
}

impl Tag {
    /// A tag at the start of `s` (`<name …>`, `</name>`, `<!-- … -->`, `<!DOCTYPE …>`); `None`
    /// when `<` does not start one (`a < b`).
    fn read(s: &str) -> Option<Tag> {
        let after = &s[1..];
        if let Some(comment) = after.strip_prefix("!--") {
            let end = comment.find("-->").map_or(s.len(), |e| 1 + 3 + e + 3);
            return Some(Tag { name: "!--".into(), closing: false, len: end });
        }
        let (closing, body) = match after.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, after),
        };
        let first = body.chars().next()?;
        if !(first.is_ascii_alphabetic() || first == '!') {
            return None;
        }
        let end = s.find('>')?;
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect::<String>()
            .to_ascii_lowercase();
        Some(Tag { name, closing, len: end + 1 })
    }
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let lower = haystack.to_ascii_lowercase();
    lower.find(&needle.to_ascii_lowercase())
}

/// Whether the text holds markup escaped once: `&lt;p&gt;`, `&lt;/li&gt;`, `&lt;br /&gt;`.
fn has_escaped_tag(text: &str) -> bool {
    text.match_indices("&lt;").any(|(i, _)| {
        let rest = &text[i + 4..];
        let name = rest.strip_prefix('/').unwrap_or(rest);
        name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && rest.find("&gt;").is_some_and(|end| !rest[..end].contains('<') && end < 200)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_breaks_and_list_items_keep_their_lines() {
        let html = "<h2>About us</h2><p>We build <b>fast</b>&nbsp;APIs.<br>Remote&#x27;s fine.</p>\
                    <ul><li>Rust &amp; Go</li><li>SQL</li></ul><p>Apply&hellip; now</p>";
        assert_eq!(
            to_text(html),
            "About us\n\nWe build fast APIs.\nRemote's fine.\n\n- Rust & Go\n- SQL\n\nApply… now"
        );
    }

    #[test]
    fn tracking_pixels_scripts_styles_and_comments_leave_nothing() {
        let html = "<p>Join us.</p><style>p{color:red}</style><script>track('x < y')</script><!-- note -->\
                    <img src=\"https://remotive.com/job/track/1/blank.gif?source=public_api\" alt=\"\"/>";
        assert_eq!(to_text(html), "Join us.");
    }

    #[test]
    fn escaped_markup_is_markup_and_plain_text_stays_as_it_is() {
        assert_eq!(
            to_text("&lt;p&gt;Hallo &amp;amp; willkommen&lt;/p&gt;&lt;p&gt;Zweiter&lt;/p&gt;"),
            "Hallo & willkommen\n\nZweiter"
        );
        assert_eq!(to_text("Salary &pound;40k &ndash; a < b, c > d ... "), "Salary £40k – a < b, c > d ...");
        assert_eq!(to_text("line one\n\n\n\nline two"), "line one\n\nline two");
        assert_eq!(to_text(""), "");
    }
}
