//! Loading `JOBIN_IMPORT_FILE` into the job store: parsed off the async runtime, written in
//! chunks with progress in the log, rows that left the file expired. The server runs it in the
//! background at start-up, so a large file never holds up serving.

use anyhow::Context;
use chrono::Utc;
use jobin_adapters::sources::ImportFile;
use jobin_adapters::sources::file::LoadReport;
use jobin_core::ports::JobStore;
use std::path::PathBuf;

/// Postings written per store transaction.
const CHUNK: usize = 1_000;
/// A progress line every this many postings.
const PROGRESS_EVERY: usize = 10_000;

/// Reads `path` and stores its postings; returns what loading found.
pub async fn import_file(store: &dyn JobStore, path: PathBuf, currency: Option<String>) -> anyhow::Result<LoadReport> {
    let shown = path.display().to_string();
    let (file, report) = tokio::task::spawn_blocking(move || ImportFile::load(&path, currency.as_deref()))
        .await
        .context("the import reader stopped")?
        .with_context(|| format!("reading JOBIN_IMPORT_FILE {shown}"))?;
    for e in &report.first_errors {
        tracing::warn!(file = %shown, "import row skipped: {e}");
    }
    if report.skipped > report.first_errors.len() {
        tracing::warn!(file = %shown, more = report.skipped - report.first_errors.len(), "more import rows skipped");
    }
    tracing::info!(file = %shown, rows = report.rows, loadable = report.loaded, skipped = report.skipped, "importing postings");
    let total = report.loaded;
    let mut next = PROGRESS_EVERY;
    let expired = file
        .store_into(store, Utc::now(), CHUNK, |done| {
            if done >= next || done == total {
                tracing::info!(file = %shown, done, total, "import progress");
                next = done + PROGRESS_EVERY;
            }
        })
        .await
        .context("writing imported postings to the job store")?;
    tracing::info!(file = %shown, stored = total, expired, "import done");
    Ok(report)
}
