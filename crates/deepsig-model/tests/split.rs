//! The run's trajectory-level split from the configuration: k-fold cross-validation over
//! seeds (every trajectory tested exactly once, parts disjoint, one partition for every seed
//! and method), the fraction split's `split_seed`, and the errors of bad fold settings.

use std::collections::BTreeSet;

use deepsig_md::{Split, SplitUnit};
use deepsig_model::prepare::{Prepared, SplitInfo, split_trajectories};
use deepsig_model::{Method, Preset, TrainConfig};

/// 14 trajectories, two labels; trajectories 0-1 and 7-8 share a group each.
fn units() -> Vec<SplitUnit> {
    (0..14)
        .map(|i| SplitUnit {
            label: if i < 7 { "a".into() } else { "b".into() },
            group: match i {
                0 | 1 => Some("g0".into()),
                7 | 8 => Some("g1".into()),
                _ => None,
            },
        })
        .collect()
}

fn config(sets: &[&str]) -> TrainConfig {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Preset::Small.config().with_overrides(&sets).unwrap()
}

fn split(config: &TrainConfig, seed: u64) -> (Split, SplitInfo) {
    split_trajectories(&units(), config, seed).unwrap()
}

#[test]
fn k_fold_runs_over_seeds_test_every_trajectory_exactly_once() {
    let k = 4;
    let config = config(&["folds=4"]);
    let mut tested = vec![0usize; units().len()];
    for seed in 0..k as u64 {
        let (s, info) = split(&config, seed);
        assert_eq!(
            info,
            SplitInfo { folds: k, fold: Some(seed as usize), split_seed: 0, given: false }
        );
        let (train, val, test): (BTreeSet<_>, BTreeSet<_>, BTreeSet<_>) = (
            s.train.iter().copied().collect(),
            s.validation.iter().copied().collect(),
            s.test.iter().copied().collect(),
        );
        assert!(!train.is_empty() && !val.is_empty() && !test.is_empty(), "{s:?}");
        assert!(train.is_disjoint(&val) && train.is_disjoint(&test) && val.is_disjoint(&test));
        assert_eq!(train.len() + val.len() + test.len(), units().len(), "{s:?}");
        // Grouped trajectories stay together.
        for pair in [[0, 1], [7, 8]] {
            let part = |t: usize| [&train, &val, &test].iter().position(|p| p.contains(&t));
            assert_eq!(part(pair[0]), part(pair[1]), "seed {seed}: {s:?}");
        }
        for &t in &s.test {
            tested[t] += 1;
        }
        // The validation fold of seed s is the test fold of seed s + 1: one partition.
        let (next, _) = split(&config, seed + 1);
        assert_eq!(s.validation, next.test, "seed {seed}");
    }
    assert_eq!(tested, vec![1; units().len()]);
}

#[test]
fn the_fold_depends_on_the_seed_mod_k_only_not_on_the_method() {
    let base = config(&["folds=3"]);
    let (first, _) = split(&base, 1);
    assert_eq!(split(&base, 4).0, first, "seed 4 is fold 1 of 3, like seed 1");
    assert_ne!(split(&base, 2).0, first);
    for method in Method::ALL {
        let with = config(&["folds=3", &format!("method={}", method.name())]);
        assert_eq!(split(&with, 1).0, first, "{method}");
    }
    // Another split_seed draws another partition into folds.
    let other = config(&["folds=3", "split_seed=7"]);
    let (s, info) = split(&other, 1);
    assert_eq!((info.split_seed, info.fold), (7, Some(1)));
    assert_ne!((0..3).map(|seed| split(&other, seed).0.test).collect::<Vec<_>>(), {
        (0..3).map(|seed| split(&base, seed).0.test).collect::<Vec<_>>()
    });
    assert!(!s.test.is_empty());
}

#[test]
fn the_fraction_split_follows_the_seed_unless_split_seed_fixes_it() {
    let free = config(&[]);
    let (s0, info) = split(&free, 0);
    assert_eq!(info, SplitInfo { folds: 0, fold: None, split_seed: 0, given: false });
    let (s5, info) = split(&free, 5);
    assert_eq!(info.split_seed, 5);
    assert_ne!(s0, s5, "each seed its own split");
    let fixed = config(&["split_seed=0"]);
    assert_eq!(
        split(&fixed, 5),
        (s0, SplitInfo { folds: 0, fold: None, split_seed: 0, given: false })
    );
}

#[test]
fn bad_fold_settings_are_refused_with_the_numbers() {
    let base = Preset::Small.config();
    for k in ["1", "2"] {
        let e = base.with_overrides(&[format!("folds={k}")]).unwrap_err().to_string();
        assert!(e.contains(&format!("folds={k}")) && e.contains("at least 3"), "{e}");
    }
    let e = base
        .with_overrides(&["folds=5".into(), "test_fraction=0.3".into()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("test_fraction") && e.contains("folds=5"), "{e}");
    let e = base
        .with_overrides(&["validation_fraction=0.3".into(), "folds=3".into()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("validation_fraction"), "{e}");
    // 14 trajectories in 12 groups cannot fill 13 folds.
    let e = split_trajectories(&units(), &config(&["folds=13"]), 0).unwrap_err().to_string();
    assert!(e.contains("folds=13") && e.contains("has 12"), "{e}");
    assert!(split_trajectories(&units(), &config(&["folds=12"]), 0).is_ok());
}

#[test]
fn prepared_data_records_its_fold() {
    let dir = tempfile::tempdir().unwrap();
    let path = crate::nodes::write_graph_dataset(dir.path(), [1, 1]);
    let config = config(&["clusters=2", "sub_windows=2", "folds=3"]);
    let mut tested = Vec::new();
    for seed in 3..6 {
        let data = Prepared::load(&path, &config, seed, None).unwrap();
        assert_eq!(data.split.fold, Some(seed as usize % 3));
        assert_eq!(data.train.len() + data.validation.len() + data.test.len(), 6);
        tested.extend(data.test);
    }
    tested.sort_unstable();
    assert_eq!(tested, [0, 1, 2, 3, 4, 5]);
}

/// One system per trajectory of `write_graph_dataset`, each with the `split` given.
fn given_split_manifest(dir: &std::path::Path, parts: [&str; 3]) -> std::path::PathBuf {
    crate::nodes::write_graph_dataset(dir, [1, 1]);
    let mut text = String::from("[windowing]\nwindows = 2\n");
    for class in 0..2 {
        for (k, part) in parts.iter().enumerate() {
            text += &format!(
                "[[system]]\nname = \"c{class}_{k}\"\ngraph = \"edges.csv\"\nnodes = 4\n\
                 trajectories = [\"c{class}_{k}.npz\"]\nlabel = {class}\nsplit = \"{part}\"\n"
            );
        }
    }
    let path = dir.join("given.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_given_split_is_the_split_of_every_seed_and_refuses_folds_and_fractions() {
    let dir = tempfile::tempdir().unwrap();
    let path = given_split_manifest(dir.path(), ["train", "validation", "test"]);
    let base = ["clusters=2", "sub_windows=2"];
    for seed in [0, 7] {
        let data = Prepared::load(&path, &config(&base), seed, None).unwrap();
        // Manifest order: c0_0 c0_1 c0_2 c1_0 c1_1 c1_2.
        assert_eq!((data.train, data.validation, data.test), (vec![0, 3], vec![1, 4], vec![2, 5]));
        assert!(data.split.given);
    }
    for (extra, key) in [("folds=3", "folds=3"), ("test_fraction=0.3", "test_fraction=0.3")] {
        let Err(e) = Prepared::load(&path, &config(&[base[0], base[1], extra]), 0, None) else {
            panic!("{extra} with a given split must be refused")
        };
        let e = e.to_string();
        assert!(e.contains(key) && e.contains("gives the split"), "{e}");
    }
    let no_validation = given_split_manifest(dir.path(), ["train", "train", "test"]);
    let e = Prepared::load(&no_validation, &config(&base), 0, None).err().unwrap().to_string();
    assert!(e.contains("no `split = \"validation\"`"), "{e}");
}
