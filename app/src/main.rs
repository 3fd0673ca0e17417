//! The `jobin` binary: parse the command line, load configuration, run.

use clap::Parser;
use jobin_app::cli::{AccountsCommand, Cli, Command};
use jobin_app::config::Config;
use jobin_app::{server, stores, telemetry, wiring};
use std::process::ExitCode;

/// mimalloc gives freed memory back to the system: under glibc's allocator each blocking thread's
/// arena kept the 19 MiB argon2 buffers of a login burst, and the process stayed at 0.7 GB
/// (BENCHMARKS.md, "Login burst"). Built without transparent huge pages (`no_thp`): with them,
/// each 2 MiB its arenas touched stayed resident, and an idle node held 72 MB instead of 52
/// (BENCHMARKS.md, "The fast path").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // One rustls crypto provider for the whole process (see shared/reference/dependencies.md G2).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        println!("{}", jobin_app::openapi_json());
        return ExitCode::SUCCESS;
    }
    let _ = dotenvy::dotenv();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve { demo: false, init: false }), config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Which boards each plan's searches can reach with this configuration; a plan that reaches none
/// answers every search empty, which the log says with the settings that fix it.
fn log_plan_boards(config: &Config) {
    use jobin_core::domain::{Plan, SourceId};
    for plan in Plan::ALL {
        let n = config.catalog.terms(plan).data_sources;
        let (on, off): (Vec<SourceId>, Vec<SourceId>) = SourceId::ALL
            .into_iter()
            .filter(|s| jobin_core::domain::in_plan(*s, n))
            .partition(|s| config.boards.reachable(*s));
        let set: Vec<&str> = off.iter().map(|s| jobin_app::config::BoardsConfig::settings(*s)).collect();
        let on: Vec<&str> = on.iter().map(|s| s.as_str()).collect();
        let off: Vec<&str> = off.iter().map(|s| s.as_str()).collect();
        if on.is_empty() {
            tracing::warn!(
                %plan, needs_keys = ?off, settings = %set.join("; "),
                "this plan's searches reach no board and answer empty: set the settings named, or try `--demo`"
            );
        } else {
            tracing::info!(%plan, reachable = ?on, needs_keys = ?off, "boards this plan's searches reach");
        }
    }
}

async fn run(command: Command, mut config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo, init } => {
            config.init = init;
            if demo {
                config.enter_demo();
            }
            match &config.demo {
                Some(d) => {
                    tracing::info!(latency_ms = d.latency_ms, failing = ?d.failing, "demo mode: searches use the fake job boards")
                }
                None => {
                    tracing::info!(
                        keyed_boards = ?config.boards.configured(),
                        "job boards: keyless ones (remotive, arbeitnow, themuse) are on; keyed ones need their keys"
                    );
                    log_plan_boards(&config);
                }
            }
            // The address first: a busy port is reported before anything is created on disk.
            let (listener, addr) = server::bind(config.bind).await.map_err(|e| {
                e.context(format!(
                    "cannot listen on {} (is another server running there? set JOBIN_BIND, e.g. JOBIN_BIND=127.0.0.1:8081)",
                    config.bind
                ))
            })?;
            // Held while serving: no `jobin restore` replaces the store underneath.
            let _serving = jobin_app::stores::backup::hold_while_serving(&config)?;
            let connections = stores::Connections::open(&config).await?;
            let state = wiring::build(&config, connections, wiring::Overrides::default())?;
            tracing::info!(%addr, docs = %format!("http://{addr}/docs"), "JobIn listening");
            server::serve(state, listener, server::shutdown_signal()).await
        }
        Command::Migrate { init } => {
            config.init = init;
            stores::open_database(&config).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Accounts { demo, command: AccountsCommand::SetPlan { email, plan } } => {
            if demo {
                config.enter_demo();
            }
            let (db, place) = stores::open_existing(&config).await?;
            let set = wiring::set_plan(db);
            let account = set.execute(&email, &plan).await.map_err(|e| anyhow::anyhow!("{e} (in {place})"))?;
            println!("{} is now on the {} plan (in {place})", account.email, account.plan);
            Ok(())
        }
        Command::Openapi => {
            println!("{}", jobin_app::openapi_json());
            Ok(())
        }
        Command::Health => {
            let answer = local_health(config.bind)?;
            println!("{answer}");
            Ok(())
        }
        Command::Backup { path, demo } => {
            if demo {
                config.enter_demo();
            }
            let r = jobin_app::stores::backup::backup(&config, &path).await?;
            println!("backed up to {} ({} bytes): {}", r.path.display(), r.bytes, counts(&r.counts));
            println!("secrets copied: {}", r.secrets.join(", "));
            if !r.secrets_from_environment.is_empty() {
                println!(
                    "not in the backup (set in the environment): {}; keep them with it",
                    names(&r.secrets_from_environment)
                );
            }
            Ok(())
        }
        Command::Restore { path, demo } => {
            if demo {
                config.enter_demo();
            }
            let r = jobin_app::stores::backup::restore(&config, &path).await?;
            println!("restored {} from {}: {}", r.database.display(), path.display(), counts(&r.counts));
            if let Some(aside) = &r.kept_aside {
                println!("what it replaced is kept in {}", aside.display());
            }
            if !r.secrets_from_environment.is_empty() {
                println!(
                    "the backup holds no {}: start the server with the same values as when it was backed up",
                    names(&r.secrets_from_environment)
                );
            }
            Ok(())
        }
    }
}

/// `GET /health` of the server listening at `bind` (an unspecified address is asked on loopback):
/// its status line, or why it is not healthy.
fn local_health(bind: std::net::SocketAddr) -> anyhow::Result<String> {
    use anyhow::Context;
    use std::io::{Read, Write};
    let mut addr = bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let limit = std::time::Duration::from_secs(5);
    let mut stream =
        std::net::TcpStream::connect_timeout(&addr, limit).with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(limit))?;
    stream.set_write_timeout(Some(limit))?;
    stream.write_all(format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())?;
    let mut head = [0u8; 256];
    let n = stream.read(&mut head).with_context(|| format!("reading {addr}'s answer"))?;
    let line = String::from_utf8_lossy(&head[..n]).lines().next().unwrap_or_default().to_owned();
    anyhow::ensure!(line.split(' ').nth(1) == Some("200"), "{addr}/health answered `{line}`");
    Ok(format!("{addr}/health: {line}"))
}

/// `12 accounts, 30 api keys, …`.
fn counts(counts: &[(String, i64)]) -> String {
    counts.iter().map(|(name, n)| format!("{n} {name}")).collect::<Vec<_>>().join(", ")
}

/// The environment variables of secrets (`JOBIN_KEY_PEPPER`, …).
fn names(secrets: &[String]) -> String {
    secrets.iter().map(|s| format!("JOBIN_{}", s.to_uppercase())).collect::<Vec<_>>().join(", ")
}
