//! Splits: determinism, groups kept together, stratification, k-fold coverage, and the
//! reference's interleaved window split.

use std::collections::BTreeSet;

use deepsig_md::{
    Fractions, Split, SplitError, SplitUnit, interleaved_windows, k_fold, train_validation_test,
};

fn units(labels: &[&str], groups: &[Option<&str>]) -> Vec<SplitUnit> {
    labels
        .iter()
        .zip(groups)
        .map(|(l, g)| SplitUnit { label: l.to_string(), group: g.map(str::to_string) })
        .collect()
}

/// 26 GPCR-like trajectories, 13 per class, no groups.
fn balanced() -> Vec<SplitUnit> {
    let labels: Vec<&str> =
        (0..26).map(|i| if i % 2 == 0 { "active" } else { "inactive" }).collect();
    units(&labels, &[None; 26])
}

fn part_of(s: &Split, i: usize) -> usize {
    [&s.train, &s.validation, &s.test].iter().position(|p| p.contains(&i)).unwrap_or(usize::MAX)
}

fn check_partition(s: &Split, n: usize) {
    let mut all: Vec<usize> = s.train.iter().chain(&s.validation).chain(&s.test).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..n).collect::<Vec<_>>(), "every unit in exactly one part");
}

#[test]
fn seeded_splits_are_deterministic_stratified_and_sized() {
    let u = balanced();
    let f = Fractions::new(0.6, 0.2, 0.2).unwrap_or_else(|e| panic!("{e}"));
    let a = train_validation_test(&u, f, 42).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(train_validation_test(&u, f, 42), Ok(a.clone()), "same seed, same split");
    check_partition(&a, 26);
    assert_eq!((a.train.len(), a.validation.len(), a.test.len()), (16, 5, 5));
    for part in [&a.train, &a.validation, &a.test] {
        let active = part.iter().filter(|&&i| u[i].label == "active").count();
        let inactive = part.len() - active;
        assert!(active.abs_diff(inactive) <= 1, "stratified: {active} vs {inactive}");
    }
    let distinct: BTreeSet<Vec<usize>> = (0..20)
        .map(|seed| train_validation_test(&u, f, seed).map(|s| s.test).unwrap_or_default())
        .collect();
    assert!(distinct.len() > 10, "seeds shuffle: {} distinct test sets", distinct.len());
}

#[test]
fn groups_are_never_split() {
    // 12 trajectories in 6 groups of 2 (e.g. replicas), plus 4 singletons.
    let labels = ["a", "a", "b", "b", "a", "a", "b", "b", "a", "a", "b", "b", "a", "b", "a", "b"];
    let names = ["g1", "g1", "g2", "g2", "g3", "g3", "g4", "g4", "g5", "g5", "g6", "g6"];
    let groups: Vec<Option<&str>> = names.iter().map(|g| Some(*g)).chain([None; 4]).collect();
    let u = units(&labels, &groups);
    let f = Fractions::new(0.5, 0.25, 0.25).unwrap_or_else(|e| panic!("{e}"));
    for seed in 0..30 {
        let s = train_validation_test(&u, f, seed).unwrap_or_else(|e| panic!("{e}"));
        check_partition(&s, u.len());
        for k in (0..12).step_by(2) {
            assert_eq!(part_of(&s, k), part_of(&s, k + 1), "seed {seed}: group of unit {k}");
        }
        let folds = k_fold(&u, 4, seed).unwrap_or_else(|e| panic!("{e}"));
        for fold in &folds {
            for k in (0..12).step_by(2) {
                assert_eq!(part_of(fold, k), part_of(fold, k + 1), "seed {seed} k-fold");
            }
        }
    }
}

#[test]
fn k_fold_tests_every_unit_once() {
    let u = balanced();
    let folds = k_fold(&u, 5, 7).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(folds.len(), 5);
    let mut tested = Vec::new();
    for (f, s) in folds.iter().enumerate() {
        check_partition(s, 26);
        // Validation is the next fold's test set.
        assert_eq!(s.validation, folds[(f + 1) % 5].test);
        assert!(s.test.len() == 5 || s.test.len() == 6);
        tested.extend_from_slice(&s.test);
    }
    tested.sort_unstable();
    assert_eq!(tested, (0..26).collect::<Vec<_>>());
    assert_eq!(k_fold(&u, 5, 7), Ok(folds));
    assert_eq!(k_fold(&u, 2, 7), Err(SplitError::TooFewFolds(2)));
    assert_eq!(k_fold(&u[..4], 5, 7), Err(SplitError::TooFewGroups { groups: 4, folds: 5 }));
}

#[test]
fn impossible_splits_are_errors() {
    assert!(Fractions::new(0.5, 0.3, 0.3).is_err());
    assert!(Fractions::new(0.0, 0.5, 0.5).is_err());
    assert!(Fractions::new(1.2, -0.1, -0.1).is_err());
    let f = Fractions::new(0.6, 0.2, 0.2).unwrap_or_else(|e| panic!("{e}"));
    let two = units(&["a", "b"], &[None, None]);
    assert!(matches!(train_validation_test(&two, f, 0), Err(SplitError::EmptyPart { .. })));
    assert_eq!(train_validation_test(&[], f, 0), Err(SplitError::NoUnits));
    let no_val = Fractions::new(0.5, 0.0, 0.5).unwrap_or_else(|e| panic!("{e}"));
    let s = train_validation_test(&two, no_val, 0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.train.len(), s.validation.len(), s.test.len()), (1, 0, 1));
}

#[test]
fn interleaved_window_split_matches_the_reference() {
    let s = interleaved_windows(&[0, 3], 25, 5, 2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.validation.len(), 10);
    assert_eq!(s.train.len(), 40);
    assert!(s.validation.iter().all(|&(_, j)| j % 5 == 2));
    assert_eq!(s.validation[..5], [(0, 2), (0, 7), (0, 12), (0, 17), (0, 22)]);
    assert!(interleaved_windows(&[0], 25, 5, 5).is_err());
    assert!(interleaved_windows(&[0], 3, 5, 0).is_err());
}

#[test]
fn distinct_real_labels_still_fill_every_part() {
    // Regression targets: every unit is its own stratum.
    let labels: Vec<String> = (0..20).map(|i| format!("{}", 0.37 * i as f64)).collect();
    let u: Vec<SplitUnit> =
        labels.iter().map(|l| SplitUnit { label: l.clone(), group: None }).collect();
    let f = Fractions::new(0.6, 0.2, 0.2).unwrap_or_else(|e| panic!("{e}"));
    let mut tests = BTreeSet::new();
    for seed in 0..10 {
        let s = train_validation_test(&u, f, seed).unwrap_or_else(|e| panic!("{e}"));
        check_partition(&s, 20);
        assert_eq!((s.train.len(), s.validation.len(), s.test.len()), (12, 4, 4), "seed {seed}");
        tests.insert(s.test);
    }
    assert!(tests.len() > 5, "the seed matters");
}
