//! Writes the OpenAPI document to `openapi/openapi.json` (or the path given as the first
//! argument). The file is generated and committed; `make openapi-check` fails when it drifts.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json"));
    let mut doc = jobin_app::openapi_json();
    doc.push('\n');
    std::fs::write(&path, doc)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
