//! Configuration parsing: defaults, every invalid value naming its variable, secrets never shown.

use super::env::parse_duration;
use super::*;
use jobin_core::domain::SourceId;
use std::collections::HashMap;

fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn defaults_are_the_embedded_setup() {
    let c = cfg(&[]).unwrap();
    assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(c.data_dir, PathBuf::from("./data"));
    assert_eq!(c.database_url.expose_secret(), "sqlite://./data/jobin.db?mode=rwc");
    assert!(c.jwt_secret.is_none() && c.key_pepper.is_none());
    assert_eq!(c.log_format, LogFormat::Pretty);
    assert!(c.uses_sqlite_in_data_dir());
    assert_eq!(c.boards.adzuna_base_url, "https://api.adzuna.com/v1/api");
    assert_eq!(c.boards.reed_base_url, "https://www.reed.co.uk/api/1.0");
    assert_eq!(c.boards.remotive_base_url, "https://remotive.com/api");
    assert_eq!(c.boards.findwork_base_url, "https://findwork.dev/api");
    assert_eq!(c.boards.arbeitnow_base_url, "https://www.arbeitnow.com/api");
    assert_eq!(c.boards.themuse_base_url, "https://www.themuse.com/api/public");
    assert!(c.boards.configured().is_empty());
    assert_eq!(c.search, SearchSettings { source_timeout_ms: 8_000, per_source_limit: 50, cache_secs: 900 });
    assert!(c.demo.is_none());
    assert_eq!(c.session_max_age, std::time::Duration::from_secs(30 * 86_400));
    assert_eq!(cfg(&[("JOBIN_SESSION_MAX_AGE", "12h")]).unwrap().session_max_age.as_secs(), 12 * 3_600);
}

#[test]
fn board_keys_are_read_and_never_shown_by_debug() {
    let c = cfg(&[
        ("JOBIN_ADZUNA_APP_ID", "app-id"),
        ("JOBIN_ADZUNA_APP_KEY", "adzuna-secret-key"),
        ("JOBIN_REED_API_KEY", "reed-secret-key"),
        ("JOBIN_REED_BASE_URL", "http://127.0.0.1:9999/reed/"),
        ("JOBIN_DEMO", "1"),
        ("JOBIN_DEMO_FAILING", "reed, themuse"),
    ])
    .unwrap();
    assert_eq!(c.boards.configured(), vec!["adzuna", "reed"]);
    assert_eq!(c.boards.reed_base_url, "http://127.0.0.1:9999/reed");
    assert_eq!(c.demo.as_ref().unwrap().failing, vec![SourceId::Reed, SourceId::TheMuse]);
    let shown = format!("{c:?}");
    assert!(!shown.contains("secret-key"), "{shown}");
}

#[test]
fn each_invalid_value_names_its_variable() {
    for (var, value, needle) in [
        ("JOBIN_BIND", "localhost", "invalid socket address"),
        ("JOBIN_DATABASE_URL", "mysql://root:pw@x/db", "unsupported URL"),
        ("JOBIN_JWT_SECRET", "short", "at least 32 bytes"),
        ("JOBIN_KEY_PEPPER", "short", "at least 32 bytes"),
        ("JOBIN_LOG_FORMAT", "xml", "pretty or json"),
        ("JOBIN_TRUSTED_PROXIES", "10.0.0.1,bogus", "`bogus`"),
        ("JOBIN_FORWARDED_HEADER", "x-real-ip", "x-forwarded-for or forwarded"),
        ("JOBIN_MAX_BODY_BYTES", "12", "byte count"),
        ("JOBIN_DB_MAX_CONNECTIONS", "0", "between 1 and 1000"),
        ("JOBIN_MAX_CONNECTIONS", "0", "between 1 and 1000000"),
        ("JOBIN_HEADER_READ_TIMEOUT_SECS", "0", "between 1 and 3600"),
        ("JOBIN_IDLE_TIMEOUT_SECS", "forever", "between 1 and 3600"),
        ("JOBIN_PASSWORD_HASH_CONCURRENCY", "0", "between 1 and 256"),
        ("JOBIN_SESSION_MAX_AGE", "off", "between 5m and 365d"),
        ("JOBIN_SESSION_MAX_AGE", "60s", "between 5m and 365d"),
        ("JOBIN_SESSION_MAX_AGE", "400d", "between 5m and 365d"),
        ("JOBIN_SESSION_MAX_AGE", "a month", "not a duration"),
        ("JOBIN_PUBLIC_URL", "ftp://x", "http:// or https://"),
        ("JOBIN_REDIS_URL", "http://x", "not a redis:// URL"),
        ("JOBIN_ADZUNA_BASE_URL", "api.adzuna.com", "http:// or https://"),
        ("JOBIN_ADZUNA_APP_ID", "only-the-id", "JOBIN_ADZUNA_APP_ID is set"),
        ("JOBIN_SOURCE_TIMEOUT_MS", "5", "between 100 and 60000"),
        ("JOBIN_SOURCE_RESULT_CAP", "0", "between 1 and 500"),
        ("JOBIN_DEMO", "maybe", "1/true"),
        ("JOBIN_DEMO_FAILING", "reed,monster", "`monster`"),
        ("JOBIN_IMPORT_FILE", "/nonexistent/jobs.csv", "not a readable file"),
        ("JOBIN_IMPORT_CURRENCY", "dollars", "ISO 4217"),
        ("JOBIN_STRIPE_SECRET_KEY", "pk_test_publishable", "sk_… or rk_…"),
        ("JOBIN_STRIPE_SECRET_KEY", "sk_test_123", "required with JOBIN_STRIPE_SECRET_KEY"),
        ("JOBIN_STRIPE_BASE_URL", "stripe.local", "http:// or https://"),
        ("JOBIN_BILLING", "free", "not stripe, local, off or auto"),
        ("JOBIN_BILLING", "stripe", "JOBIN_STRIPE_SECRET_KEY is not set"),
        ("JOBIN_SMTP_URL", "mail.example.com:25", "smtp:// or smtps://"),
        ("JOBIN_SMTP_URL", "smtp://127.0.0.1:25", "JOBIN_SMTP_URL"),
        ("JOBIN_INGEST_INTERVAL", "soon", "not a duration"),
        ("JOBIN_INGEST_QUERIES", "rust@xx", "unsupported country"),
        ("JOBIN_EXPIRE_AFTER", "off", "cannot be off"),
        ("JOBIN_CRAWL_INTERVAL", "hourly", "not a duration"),
        ("JOBIN_CRAWL_MAX_PAGES", "0", "between 1 and 1000"),
        ("JOBIN_LIVENESS_AFTER", "off", "cannot be off"),
        ("JOBIN_MATCH_INTERVAL", "often", "not a duration"),
        ("JOBIN_UNVERSIONED_SUNSET", "next year", "not a date"),
    ] {
        let e = cfg(&[(var, value)]).unwrap_err();
        let var = match (var, value) {
            ("JOBIN_ADZUNA_APP_ID", _) => "JOBIN_ADZUNA_APP_KEY",
            ("JOBIN_STRIPE_SECRET_KEY", "sk_test_123") => "JOBIN_STRIPE_WEBHOOK_SECRET",
            ("JOBIN_SMTP_URL", "smtp://127.0.0.1:25") => "JOBIN_EMAIL_FROM",
            _ => var,
        };
        assert_eq!(e.var, var);
        assert!(e.message.contains(needle), "{e}");
        assert!(!e.to_string().contains('\n'));
    }
    // The password of a rejected URL is not echoed.
    let e = cfg(&[("JOBIN_DATABASE_URL", "mysql://root:hunter2@x/db")]).unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let e = cfg(&[("JOBIN_SMTP_URL", "smtp://mailer:hunter2@x:25")]).unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
}

#[test]
fn ingestion_settings_have_defaults_and_parse() {
    let c = cfg(&[]).unwrap();
    assert_eq!(c.ingest.every, Some(std::time::Duration::from_secs(1_800)));
    assert_eq!(c.ingest.expire_after, std::time::Duration::from_secs(7 * 86_400));
    assert!(c.ingest.watch.is_empty());
    assert_eq!(c.ingest.match_every, Some(std::time::Duration::from_secs(5)));
    // The crawl is on by default, hourly, 100 pages a board and cycle; one setting turns it off.
    assert_eq!((c.ingest.crawl_every, c.ingest.crawl_pages), (Some(std::time::Duration::from_secs(3_600)), 100));
    assert_eq!(cfg(&[("JOBIN_CRAWL_INTERVAL", "off")]).unwrap().ingest.crawl_every, None);
    assert_eq!(cfg(&[("JOBIN_CRAWL_MAX_PAGES", "7")]).unwrap().ingest.crawl_pages, 7);
    // The liveness pass: hourly, for postings unseen a day.
    assert_eq!(
        (c.ingest.liveness_every, c.ingest.liveness_after),
        (Some(std::time::Duration::from_secs(3_600)), std::time::Duration::from_secs(86_400))
    );
    assert_eq!(cfg(&[("JOBIN_LIVENESS_INTERVAL", "off")]).unwrap().ingest.liveness_every, None);
    let c = cfg(&[
        ("JOBIN_INGEST_INTERVAL", "off"),
        ("JOBIN_MATCH_INTERVAL", "1m"),
        ("JOBIN_INGEST_QUERIES", "rust developer@us; data engineer ;python@UK"),
        ("JOBIN_EXPIRE_AFTER", "72h"),
    ])
    .unwrap();
    assert_eq!(c.ingest.every, None);
    assert_eq!(c.ingest.match_every, Some(std::time::Duration::from_secs(60)));
    let watch: Vec<(&str, &str)> = c.ingest.watch.iter().map(|(q, c)| (q.as_str(), c.as_str())).collect();
    assert_eq!(watch, [("rust developer", "us"), ("data engineer", "gb"), ("python", "gb")]);
    assert_eq!(c.ingest.expire_after, std::time::Duration::from_secs(72 * 3_600));
    assert_eq!(parse_duration("90"), Some(Some(std::time::Duration::from_secs(90))));
    assert_eq!(parse_duration("5x"), None);
}

#[test]
fn stripe_and_smtp_settings_are_read_and_secrets_never_shown() {
    let c = cfg(&[]).unwrap();
    assert!(c.stripe.secret_key.is_none() && c.email.smtp_url.is_none(), "offline by default");
    assert_eq!(c.stripe.base_url, "https://api.stripe.com");
    let c = cfg(&[
        ("JOBIN_STRIPE_SECRET_KEY", "sk_test_stripe-secret-key"),
        ("JOBIN_STRIPE_WEBHOOK_SECRET", "whsec_webhook-secret-key"),
        ("JOBIN_STRIPE_BASE_URL", "http://127.0.0.1:12111/"),
        ("JOBIN_STRIPE_PRICE_PRO", "price_pro_1"),
        ("JOBIN_SMTP_URL", "smtps://mailer:smtp-secret-key@smtp.example.com"),
        ("JOBIN_EMAIL_FROM", "JobIn <billing@example.com>"),
    ])
    .unwrap();
    assert_eq!(c.stripe.base_url, "http://127.0.0.1:12111");
    assert_eq!(
        c.stripe.prices(),
        std::collections::HashMap::from([(jobin_core::domain::Plan::Pro, "price_pro_1".to_owned())])
    );
    assert_eq!(c.email.from.as_deref(), Some("JobIn <billing@example.com>"));
    let shown = format!("{c:?}");
    assert!(!shown.contains("secret-key"), "{shown}");
}

#[test]
fn catalog_file_is_loaded_or_its_error_names_the_variable() {
    let dir = std::env::temp_dir().join(format!("jobin-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, "[plans.free]\nmonthly_requests = 42\n").unwrap();
    let c = cfg(&[("JOBIN_CATALOG", good.to_str().unwrap())]).unwrap();
    assert_eq!(c.catalog.terms(jobin_core::domain::Plan::Free).monthly_requests, 42);
    let e = cfg(&[("JOBIN_CATALOG", dir.join("missing.toml").to_str().unwrap())]).unwrap_err();
    assert_eq!(e.var, "JOBIN_CATALOG");
    assert!(e.message.contains("cannot read"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn proxies_accept_addresses_and_ranges() {
    let c = cfg(&[("JOBIN_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1 ,::1")]).unwrap();
    assert_eq!(c.trusted_proxies.len(), 3);
    assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
    assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
}

#[test]
fn a_providers_key_makes_its_models_available_unless_the_catalog_file_says_otherwise() {
    use jobin_core::domain::{AiProvider, ModelStatus};
    let status = |c: &Config, alias: &str| {
        c.models.models().iter().find(|m| m.provider == AiProvider::OpenAi && m.alias == alias).unwrap().status
    };
    let plain = cfg(&[]).unwrap();
    assert_eq!(status(&plain, "gpt-4o"), ModelStatus::ComingSoon, "the document's default");
    let keyed = cfg(&[("JOBIN_OPENAI_API_KEY", "sk-test")]).unwrap();
    assert_eq!(
        (status(&keyed, "gpt-4o"), status(&keyed, "gpt-4o-mini")),
        (ModelStatus::Available, ModelStatus::Available)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.toml");
    std::fs::write(&file, "[models.openai.gpt-4o]\nstatus = \"coming_soon\"\n").unwrap();
    let held = cfg(&[("JOBIN_OPENAI_API_KEY", "sk-test"), ("JOBIN_CATALOG", file.to_str().unwrap())]).unwrap();
    assert_eq!(
        (status(&held, "gpt-4o"), status(&held, "gpt-4o-mini")),
        (ModelStatus::ComingSoon, ModelStatus::Available)
    );
}
