//! The README's client sync workflow as a property: over random interleavings of ingests, edits,
//! expiries, reactivations, clock ticks and the client's own page-by-page progress (backfill, then
//! incremental runs with `posted_after = last_run - 15 min` followed by an expired sweep since
//! `last_run`), a client that finishes with one more run holds exactly the server's active jobs,
//! each in its latest version.
//!
//! Run against the in-process store (many cases) and SQLite (fewer; each case migrates a database).

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use chrono::{DateTime, Duration, Utc};
use jobin_adapters::db::SqlJobStore;
use jobin_adapters::memory::MemoryJobStore;
use jobin_core::domain::{CursorCodec, Job, Location, SourceId, content_hash};
use jobin_core::ports::{Clock, FeedQuery, JobStore};
use jobin_core::usecases::{Expired, Feed, FeedRequest};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

struct SimClock(Mutex<DateTime<Utc>>);

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl SimClock {
    fn advance(&self, minutes: i64) {
        *self.0.lock().unwrap() += Duration::minutes(minutes);
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Boards return these jobs (index, content variant).
    Ingest(Vec<(u8, u8)>),
    /// These jobs expire.
    Expire(Vec<u8>),
    Tick(i64),
    /// The client takes its next step (one page, or starting / finishing a run).
    Client,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop::collection::vec((0u8..16, 0u8..3), 1..6).prop_map(Op::Ingest),
        1 => prop::collection::vec(0u8..16, 1..4).prop_map(Op::Expire),
        2 => (1i64..90).prop_map(Op::Tick),
        4 => Just(Op::Client),
    ]
}

fn job(n: u8, variant: u8, at: DateTime<Utc>) -> Job {
    Job {
        id: Job::make_id(SourceId::Reed, &n.to_string()),
        source: SourceId::Reed,
        title: format!("Engineer {n} v{variant}"),
        company: "Acme".into(),
        location: Location { city: "London".into(), country: "GB".into(), region: String::new() },
        salary: None,
        skills: vec![],
        seniority: None,
        remote: false,
        url: format!("https://example.com/{n}"),
        posted_at: None,
        valid_through: None,
        fetched_at: at,
        description: String::new(),
        copies: vec![],
        details: Default::default(),
        provenance: None,
    }
}

enum Phase {
    Idle,
    Feed { cursor: Option<String>, posted_after: Option<DateTime<Utc>>, this_run: DateTime<Utc> },
    Sweep { cursor: Option<String>, since: DateTime<Utc>, this_run: DateTime<Utc> },
}

/// The client of the README: a key-value copy of the active jobs and its checkpoint.
struct Client {
    copy: HashMap<String, Job>,
    last_run: Option<DateTime<Utc>>,
    phase: Phase,
    batch: i64,
}

impl Client {
    /// One step; true when a run just finished.
    async fn step(&mut self, feed: &Feed, expired: &Expired, clock: &SimClock) -> bool {
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Idle => {
                let this_run = clock.now();
                let posted_after = self.last_run.map(|t| t - Duration::minutes(15));
                self.phase = Phase::Feed { cursor: None, posted_after, this_run };
                false
            }
            Phase::Feed { cursor, posted_after, this_run } => {
                let page = feed
                    .execute(FeedRequest {
                        cursor,
                        posted_after: posted_after.map(|t| t.to_rfc3339()),
                        batch_size: Some(self.batch),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                for j in page.items {
                    self.copy.insert(j.job.id.clone(), j.job);
                }
                if page.has_more {
                    self.phase = Phase::Feed { cursor: page.next_cursor, posted_after, this_run };
                    false
                } else if let Some(since) = self.last_run {
                    self.phase = Phase::Sweep { cursor: None, since, this_run };
                    false
                } else {
                    self.last_run = Some(this_run);
                    true
                }
            }
            Phase::Sweep { cursor, since, this_run } => {
                let page =
                    expired.execute(Some(&since.to_rfc3339()), Some(self.batch), cursor.as_deref()).await.unwrap();
                for id in page.items {
                    self.copy.remove(&id);
                }
                if page.has_more {
                    self.phase = Phase::Sweep { cursor: page.next_cursor, since, this_run };
                    false
                } else {
                    self.last_run = Some(this_run);
                    true
                }
            }
        }
    }
}

async fn simulate(store: Arc<dyn JobStore>, ops: Vec<Op>, batch: i64) {
    let clock = Arc::new(SimClock(Mutex::new(DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap())));
    let codec = CursorCodec::new(b"sync-test");
    let feed = Feed { store: store.clone(), cursors: codec.clone() };
    let expired = Expired { store: store.clone(), cursors: codec, clock: clock.clone() };
    let mut client = Client { copy: HashMap::new(), last_run: None, phase: Phase::Idle, batch };
    for op in ops {
        // Every change happens a moment after the one before it.
        clock.advance(1);
        let now = clock.now();
        match op {
            Op::Ingest(items) => {
                let jobs: Vec<Job> = items.into_iter().map(|(n, v)| job(n, v, now)).collect();
                store.upsert(&jobs, now).await.unwrap();
            }
            Op::Expire(ns) => {
                let ids: Vec<String> = ns.into_iter().map(|n| job(n, 0, now).id).collect();
                store.expire_ids(&ids, now).await.unwrap();
            }
            Op::Tick(m) => clock.advance(m),
            Op::Client => {
                client.step(&feed, &expired, &clock).await;
            }
        }
    }
    // The writes stop: the client finishes its run, then does one more complete run.
    clock.advance(1);
    while !client.step(&feed, &expired, &clock).await {}
    clock.advance(1);
    while !client.step(&feed, &expired, &clock).await {}

    let mut server = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = store.feed(&FeedQuery { after, limit: 1000, ..Default::default() }).await.unwrap();
        for j in &page.jobs {
            server.insert(j.job.id.clone(), content_hash(&j.job));
            after = j.seq;
        }
        if !page.has_more {
            break;
        }
    }
    let copy: BTreeMap<String, String> = client.copy.iter().map(|(id, j)| (id.clone(), content_hash(j))).collect();
    assert_eq!(copy, server, "the client's copy equals the server's active set");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn a_client_following_the_workflow_ends_in_sync_memory(
        ops in prop::collection::vec(op(), 1..80),
        batch in 1i64..5,
    ) {
        runtime().block_on(simulate(Arc::new(MemoryJobStore::default()), ops, batch));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn a_client_following_the_workflow_ends_in_sync_sqlite(
        ops in prop::collection::vec(op(), 1..60),
        batch in 1i64..5,
    ) {
        runtime().block_on(async {
            let db = jobin_adapters::testing::sqlite_memory().await.unwrap();
            simulate(Arc::new(SqlJobStore::new(db)), ops, batch).await;
        });
    }
}
