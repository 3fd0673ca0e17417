//! The skill dictionary (canonical names and their aliases, e.g. `k8s` → Kubernetes) and the text
//! rules the `local` AI provider uses: skills mentioned in a posting, remote from the text. The
//! same rules validate remote models' answers: a skill that the posting's text or tags do not
//! mention is dropped, so a model cannot add skills a posting never asked for.

use std::collections::HashSet;

/// Canonical skill name, then aliases (lower case). The canonical name itself always matches.
const DICTIONARY: &[(&str, &[&str])] = &[
    ("Python", &["python3"]),
    ("Java", &[]),
    ("JavaScript", &["js", "ecmascript"]),
    ("TypeScript", &["ts"]),
    ("Rust", &["rustlang"]),
    ("Go", &["golang"]),
    ("C++", &["cpp"]),
    ("C#", &["csharp", "c sharp"]),
    ("Ruby", &[]),
    ("PHP", &[]),
    ("Kotlin", &[]),
    ("Swift", &[]),
    ("Scala", &[]),
    ("R", &[]),
    ("SQL", &[]),
    ("NoSQL", &[]),
    ("PostgreSQL", &["postgres", "psql"]),
    ("MySQL", &[]),
    ("MongoDB", &["mongo"]),
    ("Redis", &[]),
    ("Elasticsearch", &["elastic search"]),
    ("Kafka", &["apache kafka"]),
    ("Spark", &["apache spark", "pyspark"]),
    ("Hadoop", &[]),
    ("Airflow", &["apache airflow"]),
    ("dbt", &[]),
    ("Snowflake", &[]),
    ("Databricks", &[]),
    ("Tableau", &[]),
    ("Power BI", &["powerbi"]),
    ("Excel", &["ms excel", "microsoft excel"]),
    ("Pandas", &[]),
    ("NumPy", &[]),
    ("TensorFlow", &[]),
    ("PyTorch", &["torch"]),
    ("scikit-learn", &["sklearn", "scikit learn"]),
    ("Machine Learning", &["ml"]),
    ("Deep Learning", &[]),
    ("NLP", &["natural language processing"]),
    ("LLM", &["llms", "large language models"]),
    ("React", &["reactjs", "react.js"]),
    ("Angular", &["angularjs"]),
    ("Vue", &["vue.js", "vuejs"]),
    ("Next.js", &["nextjs"]),
    ("Node.js", &["node", "nodejs"]),
    ("Django", &[]),
    ("Flask", &[]),
    ("FastAPI", &[]),
    ("Spring", &["spring boot", "springboot"]),
    (".NET", &["dotnet", "asp.net"]),
    ("Ruby on Rails", &["rails"]),
    ("GraphQL", &[]),
    ("REST", &["rest api", "restful"]),
    ("HTML", &["html5"]),
    ("CSS", &["css3"]),
    ("Docker", &[]),
    ("Kubernetes", &["k8s"]),
    ("Terraform", &[]),
    ("Ansible", &[]),
    ("AWS", &["amazon web services"]),
    ("Azure", &["microsoft azure"]),
    ("GCP", &["google cloud", "google cloud platform"]),
    ("Linux", &[]),
    ("Git", &["github", "gitlab"]),
    ("CI/CD", &["ci cd", "continuous integration"]),
    ("Jenkins", &[]),
    ("Microservices", &["micro services"]),
    ("Agile", &["scrum"]),
    ("Figma", &[]),
    ("Salesforce", &[]),
    ("SAP", &[]),
    ("Looker", &[]),
];

/// Lower case, with every character that is not a letter, digit, `+`, `#` or `.` as a space, so
/// that `C++`, `C#` and `Node.js` survive while punctuation around words does not matter.
fn tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars().flat_map(char::to_lowercase) {
        out.push(if c.is_alphanumeric() || matches!(c, '+' | '#' | '.') { c } else { ' ' });
    }
    out.push(' ');
    out
}

/// Whether `needle` (lower case) occurs in `hay` (from `tokens`) as whole words. A trailing `.`
/// after the match (end of a sentence) still counts.
fn contains_phrase(hay: &str, needle: &str) -> bool {
    let needle = needle.trim();
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before_ok = hay[..start].chars().next_back().is_none_or(|c| c == ' ');
        let after = &hay[end..];
        let after_ok = after.starts_with(' ') || after.starts_with(". ") || after == "." || after.is_empty();
        if before_ok && after_ok {
            return true;
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn entry(lower: &str) -> Option<&'static (&'static str, &'static [&'static str])> {
    DICTIONARY.iter().find(|(name, aliases)| name.to_lowercase() == lower || aliases.contains(&lower))
}

/// The canonical name of a dictionary skill, by name or alias, ignoring case.
pub fn canonical_skill(raw: &str) -> Option<&'static str> {
    entry(&raw.trim().to_lowercase()).map(|(name, _)| *name)
}

/// A posting's text prepared for repeated mention checks.
#[derive(Debug, Clone)]
pub struct PostingText {
    hay: String,
}

impl PostingText {
    /// From the title, description and board tags of a posting.
    pub fn new(parts: &[&str]) -> Self {
        Self { hay: tokens(&parts.join(" \n ")) }
    }

    /// Whether the text mentions `skill` as whole words: for a dictionary skill its name or any
    /// alias, otherwise the skill itself. (Used to check a model's claim, so a common-word name
    /// such as "Rust" counts wherever the word appears.)
    pub fn mentions(&self, skill: &str) -> bool {
        let lower = skill.trim().to_lowercase();
        if lower.is_empty() {
            return false;
        }
        match entry(&lower) {
            Some((name, aliases)) => {
                std::iter::once(name).chain(aliases.iter()).any(|n| contains_phrase(&self.hay, tokens(n).trim()))
            }
            None => contains_phrase(&self.hay, tokens(&lower).trim()),
        }
    }

    /// Dictionary skills the text mentions, in dictionary order.
    pub fn dictionary_skills(&self) -> Vec<&'static str> {
        DICTIONARY.iter().filter(|(name, aliases)| self.dictionary_hit(name, aliases)).map(|(name, _)| *name).collect()
    }

    /// Names that are also common words (Go, R, Rust, Swift, Spring, REST) count only through an
    /// alias (`golang`, `rest api`, …) or next to a technical word ("Go developer").
    fn dictionary_hit(&self, name: &str, aliases: &[&str]) -> bool {
        const AMBIGUOUS: &[&str] = &["Go", "R", "Rust", "Swift", "Spring", "REST"];
        const CONTEXT: &[&str] = &["developer", "engineer", "programming", "language", "framework", "development"];
        if aliases.iter().any(|a| contains_phrase(&self.hay, tokens(a).trim())) {
            return true;
        }
        let n = name.to_lowercase();
        if AMBIGUOUS.contains(&name) {
            CONTEXT.iter().any(|c| contains_phrase(&self.hay, &format!("{n} {c}")))
        } else {
            contains_phrase(&self.hay, tokens(&n).trim())
        }
    }

    /// Whether the text offers remote work ("remote", "work from home", "home office", …) and
    /// does not rule it out ("no remote", "not remote", "on-site only").
    pub fn says_remote(&self) -> bool {
        const NO: &[&str] =
            &["no remote", "not remote", "non remote", "on site only", "onsite only", "office based only"];
        const YES: &[&str] = &[
            "remote",
            "fully remote",
            "work from home",
            "working from home",
            "wfh",
            "home office",
            "homeoffice",
            "telecommute",
            "remote first",
            "hybrid remote",
        ];
        !NO.iter().any(|p| contains_phrase(&self.hay, p)) && YES.iter().any(|p| contains_phrase(&self.hay, p))
    }
}

/// Skills from `candidates` that `text` mentions, canonicalized when the dictionary knows them,
/// duplicates (ignoring case) removed, first occurrence kept.
pub fn grounded_skills<'a>(text: &PostingText, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for raw in candidates {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > 40 || !text.mentions(raw) {
            continue;
        }
        let name = canonical_skill(raw).map(str::to_owned).unwrap_or_else(|| raw.to_owned());
        if seen.insert(name.to_lowercase()) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_map_to_canonical_names() {
        assert_eq!(canonical_skill("k8s"), Some("Kubernetes"));
        assert_eq!(canonical_skill("Golang"), Some("Go"));
        assert_eq!(canonical_skill("postgres"), Some("PostgreSQL"));
        assert_eq!(canonical_skill("python"), Some("Python"));
        assert_eq!(canonical_skill("cobol"), None);
    }

    #[test]
    fn dictionary_skills_respect_word_boundaries_and_symbols() {
        let t = PostingText::new(&["Senior C++ / C# engineer", "We use k8s, Node.js and PostgreSQL. Java."]);
        assert_eq!(t.dictionary_skills(), vec!["Java", "C++", "C#", "PostgreSQL", "Node.js", "Kubernetes"]);
        // "JavaScript" does not imply Java; "going" is not Go; "trust" is not Rust.
        let t = PostingText::new(&["Frontend developer", "JavaScript going forward, trust and teamwork"]);
        assert_eq!(t.dictionary_skills(), vec!["JavaScript"]);
        let t = PostingText::new(&["Golang developer", "Go developer wanted"]);
        assert_eq!(t.dictionary_skills(), vec!["Go"]);
    }

    #[test]
    fn grounding_drops_skills_the_text_does_not_mention() {
        let t = PostingText::new(&["Data engineer", "Spark and Airflow on AWS", "python"]);
        let got = grounded_skills(&t, ["pyspark", "Airflow", "Kubernetes", "Python", "python", "Snowflake"]);
        // pyspark is an alias of Spark, which the text mentions; Kubernetes and Snowflake are not.
        assert_eq!(got, vec!["Spark", "Airflow", "Python"]);
    }

    #[test]
    fn remote_from_text_honours_negations() {
        assert!(PostingText::new(&["Fully remote role"]).says_remote());
        assert!(PostingText::new(&["Work from home 3 days"]).says_remote());
        assert!(!PostingText::new(&["On-site only, no remote"]).says_remote());
        assert!(!PostingText::new(&["Office in Leeds"]).says_remote());
    }
}
