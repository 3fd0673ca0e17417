//! What the process tests share: `jobin serve` children on free ports, their environment, and a
//! two-node cluster on a scratch PostgreSQL database and a fresh Redis prefix.

#![allow(dead_code)] // each test binary uses its own part

use jobin_adapters::testing::{self, ScratchPostgres};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Node {
    pub base: String,
    pub child: Child,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every real board's base URL on one closed loopback port: a real (non-demo) server's searches and
/// ingestion never leave this machine (each board fails to connect).
pub fn closed_boards() -> Vec<(&'static str, String)> {
    let closed = format!("http://127.0.0.1:{}", free_port());
    [
        "JOBIN_ADZUNA_BASE_URL",
        "JOBIN_REED_BASE_URL",
        "JOBIN_REMOTIVE_BASE_URL",
        "JOBIN_FINDWORK_BASE_URL",
        "JOBIN_ARBEITNOW_BASE_URL",
        "JOBIN_THEMUSE_BASE_URL",
    ]
    .into_iter()
    .map(|board| (board, closed.clone()))
    .collect()
}

pub use testing::free_port;

pub fn env(db: &str, prefix: &str, data: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("JOBIN_DATABASE_URL", db.to_owned()),
        (
            "JOBIN_REDIS_URL",
            std::env::var("JOBIN_TEST_REDIS_URL").unwrap_or_else(|_| testing::DEFAULT_REDIS_URL.into()),
        ),
        ("JOBIN_REDIS_PREFIX", prefix.to_owned()),
        ("JOBIN_JWT_SECRET", "multi-node-jwt-secret-0123456789abcdef".into()),
        ("JOBIN_KEY_PEPPER", "multi-node-key-pepper-0123456789abcdef".into()),
        ("JOBIN_DATA_DIR", data.display().to_string()),
        ("JOBIN_TRUSTED_PROXIES", "127.0.0.1".into()),
        ("JOBIN_LOG_FORMAT", "json".into()),
        ("RUST_LOG", "warn".into()),
    ]
}

pub async fn start(vars: &[(&'static str, String)]) -> Node {
    spawn(vars, &[], None, None).await
}

/// A node whose standard error goes to `stderr` (a file, to read its log).
pub async fn start_with_stderr(vars: &[(&'static str, String)], stderr: &std::fs::File) -> Node {
    spawn(vars, &[], Some(stderr), None).await
}

/// A node started with `serve` and `args` (e.g. `--init`).
pub async fn start_with_args(vars: &[(&'static str, String)], args: &[&str]) -> Node {
    spawn(vars, args, None, None).await
}

/// A node started with `serve` and `args` in the working directory `dir` (its default data dirs).
pub async fn start_in(dir: &std::path::Path, vars: &[(&'static str, String)], args: &[&str]) -> Node {
    spawn(vars, args, None, Some(dir)).await
}

/// `jobin serve` (with `args`, in `dir` when given) that must exit on its own: its status and
/// standard error. Panics if it is still serving after 30 s.
pub fn refused_start(
    vars: &[(&'static str, String)],
    args: &[&str],
    dir: Option<&std::path::Path>,
) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jobin"));
    command
        .arg("serve")
        .args(args)
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .env("JOBIN_BIND", format!("127.0.0.1:{}", free_port()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the start was not refused: the node is serving");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `jobin serve` with `args` (in `dir` when given), its standard error in `stderr` (inherited when
/// `None`), once it answers `/health`.
async fn spawn(
    vars: &[(&'static str, String)],
    args: &[&str],
    stderr: Option<&std::fs::File>,
    dir: Option<&std::path::Path>,
) -> Node {
    // A port free when chosen can still be taken before the child binds it (another process's
    // outgoing connection): a child that exits before it is healthy is started again on another.
    for _ in 0..3 {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_jobin"));
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let child = command
            .arg("serve")
            .args(args)
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .env("JOBIN_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(stderr.map_or_else(Stdio::inherit, |f| f.try_clone().unwrap().into()))
            .spawn()
            .unwrap();
        let mut node = Node { base: format!("http://127.0.0.1:{port}"), child };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = node.child.try_wait().unwrap() {
                eprintln!("node on {port} exited before it was healthy ({status}); starting it on another port");
                break;
            }
            if let Ok(r) = http.get(format!("{}/health", node.base)).send().await
                && r.status() == 200
                // The answer came from this child, not from something else on the port.
                && node.child.try_wait().unwrap().is_none()
            {
                return node;
            }
            assert!(Instant::now() < deadline, "node on {port} did not become healthy");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    panic!("the node exited before it was healthy on three ports in a row");
}

/// Two nodes on a scratch PostgreSQL database and a fresh Redis prefix, with `extra` variables
/// (given the data dir); `None` (announced) when PostgreSQL or Redis is absent outside CI.
pub struct Cluster {
    pub a: Node,
    pub b: Node,
    pub vars: Vec<(&'static str, String)>,
    pub pg: ScratchPostgres,
    _data: tempfile::TempDir,
}

impl Cluster {
    pub async fn start(extra: impl FnOnce(&std::path::Path) -> Vec<(&'static str, String)>) -> Option<Self> {
        let pg = ScratchPostgres::create().await?;
        let (_, prefix) = testing::redis().await?;
        let data = tempfile::tempdir().unwrap();
        let mut vars = env(&pg.url, &prefix, data.path());
        vars.extend(extra(data.path()));
        let a = start(&vars).await;
        let b = start(&vars).await;
        Some(Self { a, b, vars, pg, _data: data })
    }

    pub async fn stop(self) {
        drop(self.a);
        drop(self.b);
        self.pg.cleanup().await;
    }
}

pub async fn call(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Registers `email` on the node at `base` (from client address `ip`) and answers its API key.
pub async fn register(http: &reqwest::Client, base: &str, ip: &str, email: &str) -> String {
    let (status, reg) = call(
        http.post(format!("{base}/v1/auth/register"))
            .header("x-forwarded-for", ip)
            .json(&serde_json::json!({"email": email, "password": "correct horse"})),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    reg["api_key"].as_str().unwrap().to_owned()
}

/// `jobin accounts set-plan` on the cluster's database.
pub fn set_plan(vars: &[(&'static str, String)], email: &str, plan: &str) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jobin"))
        .args(["accounts", "set-plan", email, plan])
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
