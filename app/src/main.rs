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
    }
}
