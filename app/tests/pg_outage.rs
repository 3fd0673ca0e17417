//! While PostgreSQL is down, requests that need it answer 503 `dependency_unavailable` promptly
//! (within the pool's acquire timeout, not after several seconds each), and the node serves again
//! once it is back. The outage is a loopback TCP relay between the node and the server, cut and
//! restored by the test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

mod common;

use jobin_adapters::testing::ScratchPostgres;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

/// Relays 127.0.0.1:`port` to `upstream` while up. Cut, it closes every relayed connection and
/// stops listening (a new connection is refused, as by a stopped server); restored, it listens on
/// the same port again.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    cut: Arc<tokio::sync::Notify>,
    restored: Arc<tokio::sync::Notify>,
}

impl Relay {
    async fn start(upstream: String) -> Self {
        let mut listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(tokio::sync::Notify::new());
        let restored = Arc::new(tokio::sync::Notify::new());
        let (cut2, restored2) = (cut.clone(), restored.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((mut inbound, _)) = accepted else { continue };
                        let upstream = upstream.clone();
                        let cut = cut2.clone();
                        tokio::spawn(async move {
                            let Ok(mut outbound) = TcpStream::connect(upstream).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                                _ = cut.notified() => {}
                            }
                        });
                    }
                    _ = cut2.notified() => {
                        drop(listener);
                        restored2.notified().await;
                        listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
                    }
                }
            }
        });
        Self { port, up, cut, restored }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
        self.restored.notify_one();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn while_postgresql_is_down_each_503_is_prompt_and_service_resumes() {
    let Some(pg) = ScratchPostgres::create().await else { return };
    let after_scheme = pg.url.split_once("://").unwrap().1;
    let (auth, rest) = after_scheme.split_once('@').unwrap_or(("", after_scheme));
    let upstream = rest.split('/').next().unwrap().to_owned();
    let relay = Relay::start(upstream.clone()).await;
    let via_relay = pg.url.replacen(&upstream, &format!("127.0.0.1:{}", relay.port), 1);
    assert!(auth.is_empty() || via_relay.contains(auth));
    let data = tempfile::tempdir().unwrap();
    let vars = vec![
        ("JOBIN_DATABASE_URL", via_relay),
        ("JOBIN_JWT_SECRET", "outage-jwt-secret-0123456789abcdef".to_owned()),
        ("JOBIN_KEY_PEPPER", "outage-key-pepper-0123456789abcdef".to_owned()),
        ("JOBIN_DATA_DIR", data.path().display().to_string()),
        ("JOBIN_TRUSTED_PROXIES", "127.0.0.1".into()),
        ("RUST_LOG", "error".into()),
    ];
    let node = common::start(&vars).await;
    let http = reqwest::Client::new();
    let clients = std::sync::atomic::AtomicU32::new(1);
    let register = |email: String| {
        let n = clients.fetch_add(1, Ordering::SeqCst);
        http.post(format!("{}/v1/auth/register", node.base))
            .header("x-forwarded-for", format!("198.18.7.{n}"))
            .json(&serde_json::json!({"email": email, "password": "correct horse"}))
            .send()
    };
    assert_eq!(register("before@example.com".into()).await.unwrap().status(), 201);

    relay.cut();
    for i in 0..5 {
        let started = Instant::now();
        let r = register(format!("during{i}@example.com")).await.unwrap();
        let took = started.elapsed();
        assert_eq!(r.status(), 503, "request {i}");
        assert!(r.headers().contains_key("retry-after"));
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], "dependency_unavailable");
        eprintln!("503 {i} in {took:?}");
        assert!(took < Duration::from_millis(2_500), "request {i}'s 503 took {took:?}");
    }

    relay.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut n = 0;
    loop {
        n += 1;
        let r = register(format!("after{n}@example.com")).await.unwrap();
        if r.status() == 201 {
            break;
        }
        assert!(Instant::now() < deadline, "the node never served again: {}", r.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(node);
    pg.cleanup().await;
}
