//! The `jobin` command line.

use clap::{Parser, Subcommand};

/// What `jobin --help` opens with.
pub const ABOUT: &str = "JobIn: a self-hostable job-market data API — job search across six boards, salaries, \
skill trends, a sync feed and an application tracker. Settings come from JOBIN_* environment \
variables (or a .env file); see .env.example.";

/// JobIn: a self-hostable job-market data API.
///
/// Configuration comes from JOBIN_* environment variables (and a `.env` file if present);
/// see .env.example.
#[derive(Debug, Parser)]
#[command(name = "jobin", version, about = ABOUT, long_about = None)]
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
    /// Ask the server on this machine (at JOBIN_BIND) for /health: exit 0 when it answers 200 (a
    /// container's HEALTHCHECK; no curl needed).
    Health,
    /// Back up the embedded store (SQLite) into a new directory while the server keeps serving: a
    /// consistent copy of the database, the secret files (without the key pepper no API key
    /// authenticates) and a manifest. PostgreSQL: pg_dump (README, Backups).
    Backup {
        /// The directory to write (must not exist, or be empty).
        path: std::path::PathBuf,
        /// The demo's store (./data-demo, unless JOBIN_DATA_DIR says otherwise).
        #[arg(long)]
        demo: bool,
    },
    /// Restore a backup directory into this server's store (JOBIN_DATA_DIR, else ./data). Refused
    /// while a server serves it; the database and secrets it replaces are moved to
    /// `replaced-<time>/` beside them, never deleted.
    Restore {
        /// A directory `jobin backup` wrote.
        path: std::path::PathBuf,
        /// The demo's store (./data-demo, unless JOBIN_DATA_DIR says otherwise).
        #[arg(long)]
        demo: bool,
    },
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn help_opens_in_users_words_and_lists_the_commands() {
        let help = Cli::command().render_help().to_string();
        assert!(help.starts_with("JobIn: a self-hostable job-market data API"), "{help}");
        for internal in ["poem", "wiring", "surface"] {
            assert!(!help.contains(internal), "`{internal}` in: {help}");
        }
        for command in ["serve", "migrate", "openapi", "accounts", "backup", "restore", "health"] {
            assert!(help.contains(command), "{command} in: {help}");
        }
    }
}
