//! What the server enforces and sends, declared in the document where the handlers' types cannot
//! say it. A value set the server only sends is a typed field (`domain_enum_type!` over the
//! domain's enum: `SourceStatus`, `ProviderStatus`, `AiTier`, `BillingStatus`, `DeliveryStatus`,
//! `FailureCause`, `ErrorCode`), which poem-openapi documents itself. What stays here, and why:
//! - value sets, ranges, lengths and patterns of what a client *sends* (bodies and parameters):
//!   the domain checks them and answers 400 `validation_failed` naming the field and the valid
//!   values; a typed or validated field would be refused earlier by the framework, in its words;
//! - value sets one schema shares between what is sent and what is answered (`Board`, `Country`,
//!   `Plan`, `Seniority`, …): one named schema, declared once, for both;
//! - `date-time` and `date` formats of the timestamps we write as RFC 3339 strings ourselves;
//! - parameters a handler requires although its type is optional (so the handler answers the
//!   missing one in the envelope).
//!
//! The value sets are taken from the domain's own lists, so a new value reaches the document with
//! the code. A rule that names a schema, property or parameter the document lacks fails the tests
//! (a rename never drops a rule silently).

use crate::http::jobs::Includes;
use jobin_core::domain::application::{
    ApplicationSort, ApplicationStatus, EventKind, NOTES_MAX_CHARS, SortOrder, TAG_MAX_CHARS, TAGS_MAX, TEXT_MAX_CHARS,
    URL_MAX_BYTES,
};
use jobin_core::domain::corpus::{CorpusSort, Facet};
use jobin_core::domain::grounded::TRENDS;
use jobin_core::domain::saved_search;
use jobin_core::domain::{AiProvider, Country, EmploymentType, PayPeriod, Plan, Seniority, SourceId, WorkplaceType};
use jobin_core::usecases::CORPUS_LIMIT;
use jobin_core::usecases::fit_score::{PROFILE_ENTRY_MAX_CHARS, PROFILE_LOCATIONS_MAX, PROFILE_SKILLS_MAX};
use jobin_core::usecases::insight::DATA_QUALITY;
use jobin_core::usecases::saved_searches::{MATCHES_MAX, PER_PAGE_MAX as SEARCHES_PER_PAGE_MAX};
use serde_json::{Map, Value, json};

use crate::http::searches::JOB_MATCHED;

/// A value set, as a named schema of the document (generators make one type of it).
fn named<T: Copy>(name: &'static str, description: &str, all: &[T], value: impl Fn(T) -> &'static str) -> Value {
    let values: Vec<&str> = all.iter().map(|v| value(*v)).collect();
    json!({ NAMED: name, "type": "string", "description": description, "enum": values })
}

/// The key that marks a rule as a named value set (never left in the document).
const NAMED: &str = "x-named";

fn countries() -> Value {
    named("Country", "Country code, lower case.", &Country::ALL, Country::code)
}
fn boards() -> Value {
    named("Board", "A job board.", &SourceId::ALL, SourceId::as_str)
}
/// What the corpus search's `source` takes: a board, or the operator's import.
fn corpus_sources() -> Value {
    let all: Vec<SourceId> = SourceId::ALL.into_iter().chain([SourceId::Import]).collect();
    named("CorpusSource", "A job board, or `import` (the operator's own file).", &all, SourceId::as_str)
}
fn plans() -> Value {
    named("Plan", "A plan.", &Plan::ALL, Plan::as_str)
}
fn seniorities() -> Value {
    named("Seniority", "Seniority, junior to senior.", &Seniority::ALL, Seniority::as_str)
}
fn experience_levels() -> Value {
    let mut levels: Vec<&'static str> = Vec::new();
    for s in Seniority::ALL {
        if !levels.contains(&s.experience_level()) {
            levels.push(s.experience_level());
        }
    }
    named("ExperienceLevel", "Seniority in the coarser scale of sync clients.", &levels, |l| l)
}
fn employment_types() -> Value {
    named("EmploymentType", "Terms of employment.", &EmploymentType::ALL, EmploymentType::as_str)
}
fn workplace_types() -> Value {
    named("WorkplaceType", "Where the work happens.", &WorkplaceType::ALL, WorkplaceType::as_str)
}
fn periods() -> Value {
    named("PeriodName", "Pay period of a salary.", &PayPeriod::ALL, PayPeriod::as_str)
}
fn statuses() -> Value {
    named(
        "StatusName",
        "Where an application stands, in pipeline order.",
        &ApplicationStatus::ALL,
        ApplicationStatus::as_str,
    )
}
fn providers() -> Value {
    named("AiProvider", "An AI provider.", &AiProvider::ALL, AiProvider::as_str)
}
fn date_time() -> Value {
    json!({"format": "date-time"})
}
/// Text the server trims and then requires: at least one character that is not white space.
fn words(max: u32) -> Value {
    json!({"minLength": 1, "maxLength": max, "pattern": "\\S"})
}

/// No control character (Unicode `Cc`) anywhere.
const NO_CONTROL: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// One line the server trims and requires: no control character and not only white space.
const ONE_LINE: &str =
    "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// Several lines: line breaks and tabs, no other control character.
const MULTI_LINE: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

fn line(max: usize) -> Value {
    json!({"minLength": 1, "maxLength": max, "pattern": ONE_LINE})
}
fn optional_line(max: usize) -> Value {
    json!({"maxLength": max, "pattern": NO_CONTROL})
}
fn lines(max: usize) -> Value {
    json!({"maxLength": max, "pattern": MULTI_LINE})
}
/// A list of one-line entries.
fn entries(max_items: usize, max_chars: usize) -> Value {
    json!({"maxItems": max_items, "items": {"type": "string", "minLength": 1, "maxLength": max_chars, "pattern": ONE_LINE}})
}
/// An ISO 8601 date (`2026-01-31`) or date-time: either form.
fn date_or_time() -> Value {
    json!({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]})
}
/// A redirect target the server accepts: https://, or http:// to the machine itself.
fn redirect_url() -> Value {
    json!({"format": "uri", "maxLength": 2048,
           "pattern": "^(https://[^/\\s]+|http://(localhost|127\\.0\\.0\\.1|\\[::1\\])(:[0-9]{1,5})?)(/[^\\s]*)?$"})
}

/// `(schema, property, keywords)`: the keywords are merged into the property (into its `items`
/// when the property is `name[]`).
fn property_rules() -> Vec<(&'static str, &'static str, Value)> {
    let paid: Vec<Plan> = Plan::ALL.into_iter().filter(|p| *p != Plan::Free).collect();
    let mut rules = vec![
        ("CheckoutBody", "plan", named("PaidPlan", "A plan one subscribes to.", &paid, Plan::as_str)),
        ("FeedBody", "country", countries()),
        ("FeedBody", "source", boards()),
        ("FeedBody", "batch_size", json!({"minimum": 1, "maximum": 1000})),
        ("FeedBody", "posted_after", date_time()),
        ("JoboFeedRequest", "batch_size", json!({"minimum": 1, "maximum": 1000})),
        ("JoboFeedRequest", "posted_after", date_time()),
        ("MeBody", "plan", plans()),
        ("PlanInfo", "plan", plans()),
        ("ProvidersBody", "plan", plans()),
        ("Registered", "plan", plans()),
        ("ProvidersBody", "defaultProvider", providers()),
        ("ProviderItem", "provider", providers()),
        (
            "InsightItem",
            "dataQuality",
            named("DataQuality", "How far the figures can be trusted.", &DATA_QUALITY, |q| q),
        ),
        ("SkillTrendItem", "trend", named("Trend", "A skill's trend.", &TRENDS, |t| t)),
        (
            "Notice",
            "code",
            named("NoticeCode", "Why an answer is empty or incomplete.", &crate::http::jobs::CODES, |c| c),
        ),
        ("Notice", "source", boards()),
        ("SourceMeta", "name", boards()),
        ("SalaryBody", "country", countries()),
        ("JobSalary", "period", periods()),
        ("JoboCompensation", "period", periods()),
        ("SalaryIn", "period", periods()),
        ("ScoreRequest", "seniority", seniorities()),
        ("NewApplication", "status", statuses()),
        ("ApplicationChange", "status", statuses()),
        ("NewEvent", "kind", named("NewEventKind", "An event a client may add.", &EventKind::USER, EventKind::as_str)),
        ("KeyRequest", "name", line(64)),
        ("StripeEvent", "object", json!({"enum": ["event"]})),
        (
            "StripeEventData",
            "object",
            json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}),
        ),
        ("KeyRequest", "scopes", json!({"minItems": 1})),
        ("Credentials", "email", json!({"format": "email"})),
        ("CheckoutBody", "success_url", redirect_url()),
        ("CheckoutBody", "cancel_url", redirect_url()),
        ("PortalBody", "return_url", redirect_url()),
        ("ScoreRequest", "skills", entries(PROFILE_SKILLS_MAX, PROFILE_ENTRY_MAX_CHARS)),
        ("ScoreRequest", "locations", entries(PROFILE_LOCATIONS_MAX, PROFILE_ENTRY_MAX_CHARS)),
        ("NewEvent", "note", lines(NOTES_MAX_CHARS)),
        ("NewEvent", "at", date_or_time()),
        ("SalaryIn", "currency", json!({"pattern": "^\\s*[A-Za-z]{3}\\s*$"})),
        ("SalaryIn", "min", json!({"minimum": 0, "exclusiveMinimum": true})),
        ("SalaryIn", "max", json!({"minimum": 0, "exclusiveMinimum": true})),
        ("Credentials", "password", json!({"minLength": 8})),
        ("PasswordChange", "new_password", json!({"minLength": 8})),
        ("ApplicationOut", "applied_at", date_time()),
        ("ApplicationOut", "created_at", date_time()),
        ("ApplicationOut", "updated_at", date_time()),
        ("EventOut", "at", date_time()),
        ("EventOut", "created_at", date_time()),
        ("CoverageItem", "asOf", date_time()),
        ("ErrorBody", "resets", date_time()),
        ("Health", "ts", date_time()),
        ("KeySummary", "last_used_at", date_time()),
        ("Session", "login_expires_at", date_time()),
        ("WeekOut", "week_start", json!({"format": "date"})),
    ];
    // An application as a client writes it (a change may clear what a new one may omit).
    for schema in ["NewApplication", "ApplicationChange"] {
        rules.extend([
            (schema, "job_title", line(TEXT_MAX_CHARS)),
            (schema, "company_name", line(TEXT_MAX_CHARS)),
            (schema, "location", optional_line(TEXT_MAX_CHARS)),
            (schema, "notes", lines(NOTES_MAX_CHARS)),
            (schema, "url", json!({"maxLength": URL_MAX_BYTES, "pattern": "^\\s*https?://[^\\s\\u0000-\\u001F\\u007F-\\u009F]+\\s*$"})),
            (schema, "tags", entries(TAGS_MAX, TAG_MAX_CHARS)),
            (schema, "applied_at", date_or_time()),
        ]);
    }
    // A saved search as a client writes it (a change may clear what a new one may omit).
    for schema in ["NewSavedSearch", "SavedSearchChange"] {
        rules.extend([
            (schema, "name", line(saved_search::NAME_MAX_CHARS)),
            (schema, "q", line(saved_search::QUERY_MAX_CHARS)),
            (schema, "location", optional_line(saved_search::QUERY_MAX_CHARS)),
            (schema, "country", countries()),
            (schema, "sources[]", boards()),
            (schema, "salary_min", json!({"minimum": 1, "maximum": saved_search::SALARY_MIN_MAX})),
            (schema, "salary_currency", json!({"pattern": "^[A-Za-z]{3}$"})),
            (schema, "employment_types[]", employment_types()),
            (schema, "workplace_types[]", workplace_types()),
            (schema, "webhook_url", redirect_url()),
        ]);
    }
    rules.extend([
        (
            "WebhookOut",
            "status",
            named("WebhookStatus", "Whether a webhook is sent to.", &["active", "disabled"], |s| s),
        ),
        ("WebhookOut", "failing_since", date_time()),
        ("WebhookOut", "disabled_at", date_time()),
        ("DeliveryOut", "next_attempt_at", date_time()),
        ("DeliveryOut", "created_at", date_time()),
        ("AttemptOut", "at", date_time()),
        ("SavedSearchOut", "country", countries()),
        ("SavedSearchOut", "sources[]", boards()),
        ("SavedSearchOut", "employment_types[]", employment_types()),
        ("SavedSearchOut", "workplace_types[]", workplace_types()),
        ("SavedSearchOut", "created_at", date_time()),
        ("SavedSearchOut", "updated_at", date_time()),
        ("MatchEventOut", "type", named("EventType", "The type of an event.", &[JOB_MATCHED], |t| t)),
        ("MatchEventOut", "created", date_time()),
        ("MatchData", "job_updated_at", date_time()),
        ("MatchData", "expired_at", date_time()),
    ]);
    // The two job shapes of the JobIn API and the Jobo-compatible one.
    for schema in ["JobItem", "FeedJob"] {
        rules.extend([
            (schema, "source", boards()),
            (schema, "seniority", seniorities()),
            (schema, "experienceLevel", experience_levels()),
            (schema, "employmentType", employment_types()),
            (schema, "workplaceType", workplace_types()),
            (schema, "postedAt", date_time()),
            (schema, "fetchedAt", date_time()),
            (schema, "validThrough", date_time()),
        ]);
    }
    rules.extend([
        ("FeedJob", "firstSeenAt", date_time()),
        ("FeedJob", "updatedAt", date_time()),
        ("JobCopy", "source", boards()),
        ("JoboJob", "source", boards()),
        ("JoboJob", "experience_level", experience_levels()),
        ("JoboJob", "employment_type", employment_types()),
        ("JoboJob", "workplace_type", workplace_types()),
        ("JoboJob", "created_at", date_time()),
        ("JoboJob", "date_posted", date_time()),
        ("JoboJob", "updated_at", date_time()),
        ("JoboJob", "valid_through", date_time()),
    ]);
    rules
}

/// `(operation ids, parameter, keywords)`: merged into the parameter (`required`) or its schema
/// (every other keyword; into `items` when the parameter is `name[]`). No operation ids: every
/// operation with that parameter.
fn parameter_rules() -> Vec<(&'static [&'static str], &'static str, Value)> {
    const ANALYTICS: &[&str] = &["search_jobs", "salary_stats", "skill_trends", "market_insight"];
    const MODEL_REPORTS: &[&str] = &["skill_trends", "market_insight"];
    const CORPUS: &[&str] = &["search_corpus"];
    vec![
        (ANALYTICS, "q", json!({"required": true})),
        (ANALYTICS, "q", words(200)),
        (ANALYTICS, "location", json!({"maxLength": 200})),
        (ANALYTICS, "country", countries()),
        // The corpus search: list parameters are repeated or comma-separated; none means any.
        (CORPUS, "q", json!({"maxLength": 200})),
        (CORPUS, "location", json!({"maxLength": 200})),
        (CORPUS, "company", json!({"maxLength": 200})),
        (CORPUS, "country", json!({"required": false})),
        (CORPUS, "country[]", countries()),
        (CORPUS, "employment_type", json!({"required": false})),
        (CORPUS, "employment_type[]", employment_types()),
        (CORPUS, "seniority", json!({"required": false})),
        (CORPUS, "seniority[]", seniorities()),
        (CORPUS, "source", json!({"required": false})),
        (CORPUS, "source[]", corpus_sources()),
        (CORPUS, "facets", json!({"required": false})),
        (CORPUS, "facets[]", named("Facet", "A count per value.", &Facet::ALL, Facet::as_str)),
        (CORPUS, "sort", named("CorpusSort", "A corpus search's order.", &CorpusSort::ALL, CorpusSort::as_str)),
        (CORPUS, "order", named("SortOrder", "Sort direction.", &SortOrder::ALL, SortOrder::as_str)),
        (CORPUS, "limit", json!({"minimum": CORPUS_LIMIT.1, "maximum": CORPUS_LIMIT.2})),
        (CORPUS, "posted_since", date_or_time()),
        (CORPUS, "posted_before", date_or_time()),
        (CORPUS, "salary_min", json!({"minimum": 0})),
        (CORPUS, "salary_max", json!({"minimum": 0})),
        (CORPUS, "salary_currency", json!({"pattern": "^[A-Za-z]{3}$"})),
        (CORPUS, "include", named("CorpusInclude", "Parts to include.", Includes::CORPUS, |i| i)),
        (MODEL_REPORTS, "X-AI-Provider", json!({"required": true})),
        (MODEL_REPORTS, "X-AI-Model", json!({"required": true})),
        (&["search_jobs"], "include", named("Include", "Parts to include.", Includes::SEARCH, |i| i)),
        (&["jobs_expired", "jobo_jobs_expired"], "expired_since", date_time()),
        (&["jobs_expired", "jobo_jobs_expired"], "batch_size", json!({"minimum": 1, "maximum": 10000})),
        // Any page the type holds (past the end is an empty page): said, so that no generator
        // sends a number the server cannot read.
        (&["list_applications"], "page", json!({"minimum": 1, "maximum": u64::MAX})),
        (&["list_applications"], "per_page", json!({"minimum": 1, "maximum": 500})),
        (
            &["list_applications"],
            "sort",
            named("ApplicationSort", "A sort key.", &ApplicationSort::ALL, ApplicationSort::as_str),
        ),
        (&["list_applications"], "order", named("SortOrder", "Sort direction.", &SortOrder::ALL, SortOrder::as_str)),
        (&["list_applications"], "search", json!({"maxLength": 200})),
        (ANALYTICS, "since", date_or_time()),
        (&["list_applications"], "applied_after", date_or_time()),
        (&["list_applications"], "applied_before", date_or_time()),
        (&["list_applications"], "tag", optional_line(TAG_MAX_CHARS)),
        (MODEL_REPORTS, "X-AI-Provider", providers()),
        (MODEL_REPORTS, "X-AI-Model", words(200)),
        (&["search_jobs", "score_application"], "X-AI-Provider", providers()),
        (&["search_jobs", "score_application"], "X-AI-Model", words(200)),
        // Repeated or comma-separated; none means every status.
        (&["list_applications"], "status", json!({"required": false})),
        (&["list_applications"], "status[]", statuses()),
        (&["application_analytics"], "weeks", json!({"minimum": 1, "maximum": 104})),
        (&["list_saved_searches"], "page", json!({"minimum": 1, "maximum": u64::MAX})),
        (&["list_saved_searches"], "per_page", json!({"minimum": 1, "maximum": SEARCHES_PER_PAGE_MAX})),
        (&["list_saved_search_matches", "list_webhook_deliveries"], "before", json!({"minimum": 1})),
        (
            &["list_saved_search_matches", "list_webhook_deliveries"],
            "limit",
            json!({"minimum": 1, "maximum": MATCHES_MAX}),
        ),
    ]
}

/// Merges `keywords` into `target`. A named value set becomes a schema of the document (`named`)
/// and `target` a reference to it, keeping its description (`nullable_optionals` then makes an
/// optional one nullable).
fn merge(target: &mut Value, keywords: &Value, named: &mut Map<String, Value>) {
    if let Some(name) = keywords.get(NAMED).and_then(Value::as_str) {
        let mut schema = keywords.clone();
        schema.as_object_mut().map(|o| o.remove(NAMED));
        named.insert(name.to_owned(), schema);
        let mut reference = json!({ "$ref": format!("#/components/schemas/{name}") });
        if let Some(d) = target.get("description") {
            reference["description"] = d.clone();
        }
        *target = reference;
        return;
    }
    if let (Some(t), Some(k)) = (target.as_object_mut(), keywords.as_object()) {
        if let Some(choices) = k.get("anyOf") {
            // Alternatives replace the type (an optional field's `null` is added with the other
            // optional fields' by `doc_headers::nullable_optionals`, which runs after).
            t.remove("type");
            t.insert("anyOf".into(), choices.clone());
            return;
        }
        for (key, v) in k {
            t.insert(key.clone(), v.clone());
        }
    }
}

/// The place a rule for `name` (or `name[]`, its items) lands inside `schema`.
fn slot<'a>(schema: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    if name.ends_with("[]") { schema.get_mut("items") } else { Some(schema) }
}

/// Applies every rule to `doc`; returns the rules that found nothing to apply to.
pub fn declare(doc: &mut Value) -> Vec<String> {
    let mut missed = Vec::new();
    let mut named = Map::new();
    for (schema, property, keywords) in property_rules() {
        let name = property.trim_end_matches("[]");
        let at = doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{name}"));
        match at.and_then(|p| slot(p, property)) {
            Some(p) => merge(p, &keywords, &mut named),
            None => missed.push(format!("{schema}.{property}")),
        }
    }
    let rules = parameter_rules();
    let mut used = vec![false; rules.len()];
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return missed };
    for op in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|i| i.values_mut()) {
        let id = op.get("operationId").and_then(Value::as_str).unwrap_or_default();
        let id = id.trim_end_matches("_unversioned").to_owned();
        let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else { continue };
        for param in params.iter_mut() {
            let pname = param.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            for (i, (ops, name, keywords)) in rules.iter().enumerate() {
                if name.trim_end_matches("[]") != pname || !(ops.is_empty() || ops.contains(&id.as_str())) {
                    continue;
                }
                used[i] = true;
                if keywords.get("required").is_some() {
                    merge(param, keywords, &mut named);
                } else if let Some(s) = param.get_mut("schema").and_then(|s| slot(s, name)) {
                    merge(s, keywords, &mut named);
                }
            }
        }
    }
    for ((ops, name, _), used) in rules.iter().zip(used) {
        if !used {
            missed.push(format!("{ops:?} {name}"));
        }
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for (name, schema) in named {
            // A value set the framework already names must be the same set.
            match schemas.get(&name) {
                Some(existing) if existing.get("enum") != schema.get("enum") => {
                    missed.push(format!("{name}: the document's values differ from the domain's"))
                }
                Some(_) => {}
                None => {
                    schemas.insert(name, schema);
                }
            }
        }
    }
    missed
}
