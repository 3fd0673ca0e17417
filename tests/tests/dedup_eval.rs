//! The merge rule over the labelled evaluation pairs (`jobin_tests::dedup_eval`): every variation
//! kind boards really show, and every never-merge kind, on the project's fixture and on real
//! postings from `../shared`: the data-jobs dataset and the six boards' recorded answers (the
//! `shared_` tests: filtered out in a bare clone, required in CI).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jobin_tests::dedup_eval::{
    BOARD_CAPTURES, Report, SAME_KINDS, bases_from_dataset, bases_from_fixture, bases_from_postings, capture_postings,
    evaluate, pairs,
};

const FIXTURE: &str = include_str!("../fixtures/dedup/postings.csv");

fn holds_the_targets(name: &str, report: &Report) {
    println!("{name}\n{}", report.table());
    assert!(report.true_pairs() + report.false_pairs() >= 500, "at least 500 labelled pairs: {}", report.table());
    for kind in SAME_KINDS {
        assert!(report.same.get(kind).is_some_and(|t| t.pairs > 0), "no pair of kind {kind}");
    }
    assert_eq!(report.false_merges(), 0, "no false merge:\n{}", report.wrong.join("\n"));
    assert!(report.recall() >= 0.97, "recall {:.3} < 0.97:\n{}", report.recall(), report.wrong.join("\n"));
}

#[test]
fn the_fixture_pairs_merge_when_the_same_job_and_never_otherwise() {
    let bases = bases_from_fixture(FIXTURE);
    assert!(bases.len() >= 100, "{} bases", bases.len());
    holds_the_targets("fixture", &evaluate(&pairs(&bases, 7)));
}

#[test]
fn shared_real_postings_pairs_merge_when_the_same_job_and_never_otherwise() {
    let Some(path) = jobin_adapters::testing::shared_file("datasets/data-jobs-2023/data_jobs_salary_all.csv") else {
        return;
    };
    let bases = bases_from_dataset(&std::fs::read_to_string(path).unwrap(), 2_000);
    assert!(bases.len() >= 500, "{} bases", bases.len());
    holds_the_targets("real postings", &evaluate(&pairs(&bases, 11)));
}

#[test]
fn shared_board_captures_pairs_merge_when_the_same_job_and_never_otherwise() {
    let mut postings = Vec::new();
    for rel in BOARD_CAPTURES {
        let Some(path) = jobin_adapters::testing::shared_file(&format!("payloads/boards/{rel}")) else { return };
        postings.extend(capture_postings(rel, &std::fs::read(path).unwrap()).unwrap());
    }
    let bases = bases_from_postings(&postings);
    assert!(bases.len() >= 100, "{} bases from {} postings", bases.len(), postings.len());
    holds_the_targets("board captures", &evaluate(&pairs(&bases, 13)));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Whatever variations of the listed kinds a copy carries (chosen by the seed), a true pair
    /// never splits, and no pair of a never-merge kind merges.
    #[test]
    fn variations_never_split_a_true_pair_and_never_merge_others(seed in proptest::prelude::any::<u64>(), start in 0usize..100) {
        let bases = bases_from_fixture(FIXTURE);
        let some: Vec<_> = bases.iter().cycle().skip(start).take(12).cloned().collect();
        let report = evaluate(&pairs(&some, seed));
        proptest::prop_assert_eq!(report.false_merges(), 0, "{}", report.wrong.join("\n"));
        proptest::prop_assert!(report.recall() == 1.0, "{}", report.wrong.join("\n"));
    }
}
