//! The liveness probe over the wire (`HttpLiveness` against local stand-ins): each outcome a
//! posting's page can give — alive, 404, 410, a redirect to a search page, a redirect on to the
//! posting, a page saying the job is closed, a timeout, a 503 — and the outbound policy: a posting
//! URL pointing inside is refused before any connection (names through a resolver stub, so no
//! lookup or packet leaves the machine). Then the pass over a store: gone postings expire with
//! the reason `gone`, alive ones are seen, unknown ones are left.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use jobin_adapters::liveness::HttpLiveness;
use jobin_adapters::memory::{MemoryJobStore, MemoryLock};
use jobin_adapters::outbound::NameLookup;
use jobin_adapters::{TokioTimer, crypto::OsEntropy};
use jobin_core::domain::outbound::OutboundPolicy;
use jobin_core::domain::{Job, SourceId};
use jobin_core::ports::{Clock, ExpiredReason, JobStore, Liveness, LivenessProbe};
use jobin_core::usecases::{CheckLiveness, LivenessPorts, LivenessReport, LivenessSettings};

/// Every name resolves to the one address given; each lookup is recorded.
struct Names(IpAddr, Mutex<Vec<String>>);

#[async_trait]
impl NameLookup for Names {
    async fn lookup(&self, name: &str) -> std::io::Result<Vec<IpAddr>> {
        self.1.lock().unwrap().push(name.to_owned());
        Ok(vec![self.0])
    }
}

/// Loopback allowed (the stand-ins listen there), as in development.
fn probe() -> HttpLiveness {
    HttpLiveness::new(Duration::from_millis(500), OutboundPolicy { allow_private: true }).unwrap()
}

async fn page(server: &MockServer, at: &str, answer: ResponseTemplate) {
    Mock::given(method("GET")).and(path(at)).respond_with(answer).mount(server).await;
}

#[tokio::test]
async fn each_answer_a_postings_page_gives_is_judged() {
    let server = MockServer::start().await;
    let base = server.uri();
    page(
        &server,
        "/jobs/rust-engineer/5101",
        ResponseTemplate::new(200).set_body_string("<h1>Rust Engineer</h1><button>Apply</button>"),
    )
    .await;
    page(&server, "/jobs/nurse/5102", ResponseTemplate::new(404)).await;
    page(&server, "/jobs/welder/5103", ResponseTemplate::new(410)).await;
    // Closed: the board sends the visitor to a search page on its own site.
    page(&server, "/jobs/analyst/5104", ResponseTemplate::new(301).insert_header("Location", "/jobs?keywords=analyst"))
        .await;
    // Moved: the posting under a new slug, its id kept, then alive.
    page(&server, "/jobs/old-slug/5105", ResponseTemplate::new(302).insert_header("Location", "/jobs/new-slug/5105"))
        .await;
    page(&server, "/jobs/new-slug/5105", ResponseTemplate::new(200).set_body_string("Apply now")).await;
    page(
        &server,
        "/jobs/cook/5106",
        ResponseTemplate::new(200).set_body_string("<p>Sorry, this job is\n   no longer available.</p>"),
    )
    .await;
    page(&server, "/jobs/slow/5107", ResponseTemplate::new(200).set_delay(Duration::from_secs(3))).await;
    page(&server, "/jobs/busy/5108", ResponseTemplate::new(503)).await;
    page(&server, "/jobs/limited/5109", ResponseTemplate::new(429)).await;
    // A login wall that keeps the posting in its return address: followed, not taken for gone.
    page(
        &server,
        "/jobs/walled/5110",
        ResponseTemplate::new(302).insert_header("Location", "/login?next=/jobs/walled/5110"),
    )
    .await;
    page(&server, "/login", ResponseTemplate::new(200).set_body_string("Sign in")).await;
    let p = probe();
    for (at, want) in [
        ("/jobs/rust-engineer/5101", Liveness::Alive),
        ("/jobs/nurse/5102", Liveness::Gone),
        ("/jobs/welder/5103", Liveness::Gone),
        ("/jobs/analyst/5104", Liveness::Gone),
        ("/jobs/old-slug/5105", Liveness::Alive),
        ("/jobs/cook/5106", Liveness::Gone),
        ("/jobs/slow/5107", Liveness::Unknown),
        ("/jobs/busy/5108", Liveness::Unknown),
        ("/jobs/limited/5109", Liveness::Unknown),
        ("/jobs/walled/5110", Liveness::Alive),
        ("not a url", Liveness::Unknown),
    ] {
        let url = if at.starts_with('/') { format!("{base}{at}") } else { at.to_owned() };
        assert_eq!(p.check(&url).await, want, "{at}");
    }
}

#[tokio::test]
async fn a_posting_url_pointing_inside_is_refused_before_any_connection() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .with_priority(10)
        .expect(0)
        .mount(&server)
        .await;
    // The strict policy (the default): plain http, a loopback literal, a name resolving inside
    // (to a loopback address: were the check to fail, nothing would leave the machine).
    let names = Arc::new(Names("127.0.0.2".parse().unwrap(), Mutex::new(Vec::new())));
    let strict = HttpLiveness::with_lookup(Duration::from_secs(2), OutboundPolicy::STRICT, names.clone()).unwrap();
    let port = server.address().port();
    for url in [
        format!("http://127.0.0.1:{port}/jobs/1"),
        format!("https://127.0.0.1:{port}/jobs/1"),
        "https://jobs.inside.example/jobs/1".to_owned(),
    ] {
        assert_eq!(strict.check(&url).await, Liveness::Unknown, "{url}");
    }
    assert_eq!(*names.1.lock().unwrap(), ["jobs.inside.example"], "the name was resolved by the stub, and refused");
    // A page redirecting to an address refused even in development (0.0.0.0, unspecified: were
    // it not refused, it would reach this machine's stand-in and read as alive): the redirect is
    // checked like the first URL.
    let dev = probe();
    let inside = format!("http://0.0.0.0:{port}/jobs/inside/78");
    page(&server, "/jobs/x/77", ResponseTemplate::new(302).insert_header("Location", inside.as_str())).await;
    Mock::given(path("/jobs/inside/78")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;
    assert_eq!(dev.check(&format!("{}/jobs/x/77", server.uri())).await, Liveness::Unknown);
    server.verify().await;
}

/// A clock that stands still.
struct At(DateTime<Utc>);
impl Clock for At {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn posting(source: SourceId, native: &str, url: String) -> Job {
    let mut job = Job::sample(source, native, "Care Assistant", &format!("Care {native} Ltd"), "Leeds");
    job.location.country = "GB".into();
    job.url = url;
    job
}

#[tokio::test]
async fn the_pass_expires_gone_postings_with_that_reason_and_leaves_the_rest() {
    let server = MockServer::start().await;
    page(&server, "/ad/1", ResponseTemplate::new(200).set_body_string("Apply")).await;
    page(&server, "/ad/2", ResponseTemplate::new(410)).await;
    page(&server, "/ad/3", ResponseTemplate::new(503)).await;
    page(&server, "/ad/4", ResponseTemplate::new(404)).await;
    let store: Arc<dyn JobStore> = Arc::new(MemoryJobStore::default());
    let then = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let now = then + chrono::Duration::days(2);
    let u = |n: u32| format!("{}/ad/{n}", server.uri());
    let jobs = vec![
        posting(SourceId::Reed, "1", u(1)),
        posting(SourceId::Adzuna, "2", u(2)),
        posting(SourceId::Findwork, "3", u(3)),
        // A board with a whole listing: the crawl sees to it, the pass never asks.
        posting(SourceId::Arbeitnow, "4", u(4)),
    ];
    store.upsert(&jobs, then).await.unwrap();
    let pass = CheckLiveness::new(
        LivenessPorts {
            store: store.clone(),
            probe: Arc::new(probe()),
            lock: Arc::new(MemoryLock::new(Arc::new(OsEntropy))),
            clock: Arc::new(At(now)),
            timer: Arc::new(TokioTimer),
        },
        LivenessSettings { pause: Duration::from_millis(1), ..LivenessSettings::default() },
    );
    let r = pass.run_cycle().await.unwrap();
    assert_eq!(r, LivenessReport { ran: true, checked: 3, alive: 1, gone: 1, unknown: 1 });
    let found = |id: &'static str| {
        let store = store.clone();
        async move { store.get(id).await.unwrap().unwrap() }
    };
    let gone = found("adzuna:2").await;
    assert_eq!((gone.expired_at, gone.expired_reason), (Some(now), Some(ExpiredReason::Gone)));
    assert_eq!(found("reed:1").await.stored.last_seen_at, now, "alive: seen now");
    let unknown = found("findwork:3").await;
    assert_eq!((unknown.expired_at, unknown.stored.last_seen_at), (None, then), "no answer: left as it was");
    assert_eq!(found("arbeitnow:4").await.expired_at, None);
    // The next pass asks none of them: the unknown one is not asked again for a day (so postings
    // that never answer cannot hold the head of the queue), the others are no longer stale.
    assert_eq!(pass.run_cycle().await.unwrap().checked, 0);
}
