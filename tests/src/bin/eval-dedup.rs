//! `make eval-dedup`: the merge rule's precision and recall over the labelled pairs of the
//! project's fixture and, beside a checkout with `../shared`, of the six boards' recorded answers
//! and the real postings of `datasets/data-jobs-2023` (see `jobin_tests::dedup_eval`). `--wrong`
//! lists the pairs judged wrongly.

use jobin_tests::dedup_eval::{
    BOARD_CAPTURES, bases_from_dataset, bases_from_fixture, bases_from_postings, capture_postings, evaluate, pairs,
};

const FIXTURE: &str = include_str!("../../fixtures/dedup/postings.csv");
const DATASET: &str = "datasets/data-jobs-2023/data_jobs_salary_all.csv";
/// Real postings taken from the dataset (each gives about 16 labelled pairs).
const DATASET_BASES: usize = 2_000;

fn main() {
    let wrong = std::env::args().any(|a| a == "--wrong");
    let show = |name: &str, bases: Vec<jobin_tests::dedup_eval::Base>| {
        let report = evaluate(&pairs(&bases, 7));
        println!("== {name}: {} base postings\n{}", bases.len(), report.table());
        if wrong {
            for w in &report.wrong {
                println!("  {w}");
            }
        }
    };
    show("project fixture (tests/fixtures/dedup/postings.csv)", bases_from_fixture(FIXTURE));
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let mut postings = Vec::new();
    let mut read = Vec::new();
    for rel in BOARD_CAPTURES {
        let path = shared.join("payloads/boards").join(rel);
        match std::fs::read(&path).map_err(|e| e.to_string()).and_then(|body| capture_postings(rel, &body)) {
            Ok(jobs) => {
                read.push(format!("{rel} ({})", jobs.len()));
                postings.extend(jobs);
            }
            Err(e) => println!("== board captures: {} skipped ({e})", path.display()),
        }
    }
    if !postings.is_empty() {
        show(&format!("board captures: {}", read.join(", ")), bases_from_postings(&postings));
    }
    let path = shared.join(DATASET);
    match std::fs::read_to_string(&path) {
        Ok(text) => show(&format!("real postings ({DATASET})"), bases_from_dataset(&text, DATASET_BASES)),
        Err(e) => {
            println!("== real postings: skipped, {} unreadable ({e}): a bare clone has no ../shared", path.display())
        }
    }
}
