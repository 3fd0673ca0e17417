//! The `jobin` command line.

use clap::{Parser, Subcommand};

/// JobIn: a self-hostable job-market data API.
///
/// Configuration comes from JOBIN_* environment variables (and a `.env` file if present);
/// see .env.example.
#[derive(Debug, Parser)]
#[command(name = "jobin", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default). Applies pending migrations first.
    Serve {
        /// Serve searches from seeded fake job boards (no keys, no network); same as JOBIN_DEMO=1.
        #[arg(long)]
        demo: bool,
        /// Begin a new, empty database where an earlier one is missing or empty (its secrets still
        /// in the data dir). Without it such a start is refused: restore the database instead.
        #[arg(long)]
        init: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        /// As for `serve --init`.
        #[arg(long)]
        init: bool,
    },
    /// Print the OpenAPI document (JSON) to stdout.
    Openapi,
    /// Operator tools for accounts (on this server's database: JOBIN_DATABASE_URL, else
    /// JOBIN_DATA_DIR/jobin.db, else ./data/jobin.db).
    Accounts {
        /// The demo's database (./data-demo/jobin.db, unless JOBIN_DATA_DIR says otherwise).
        #[arg(long, global = true)]
        demo: bool,
        #[command(subcommand)]
        command: AccountsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Set an account's plan (free, starter, pro, scale).
    SetPlan {
        /// The account's email.
        email: String,
        /// free | starter | pro | scale
        plan: String,
    },
}
