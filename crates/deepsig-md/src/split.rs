//! Deterministic train/validation/test and k-fold splits of trajectories.
//!
//! The unit of splitting is a trajectory (never a window), so no window of a test trajectory
//! is ever trained on (docs/benchmarks-data.md, "Splits"). Units that share a `group` always
//! land in the same part. Within those constraints the split is stratified by label and
//! balanced in size, by a greedy pass over groups in a seeded random order:
//!
//! 1. Units become groups (their `group`, else a group of their own). A group's stratum is
//!    its label when all its units agree, else a separate "mixed" stratum.
//! 2. The order of the strata and, inside each, the order of its groups are shuffled with the
//!    seed (splitmix64 + Fisher-Yates, stable across platforms and crate versions); groups are
//!    then ordered by decreasing size (stable), so large groups are placed first.
//! 3. k-fold: each group goes to the fold with the fewest units of its stratum, then the
//!    fewest units overall, then the lowest index.
//! 4. Train/validation/test: each stratum of `n` units gets integer quotas
//!    `floor(fraction_p * n)`, and its leftover units go one at a time to the part furthest
//!    below its share of all units visited so far (so strata of one unit, as with real-valued
//!    labels, still fill every part in proportion). Each group then goes to the part furthest
//!    below its quota, ties broken by the part furthest below its overall share, then part
//!    order. Parts with a zero fraction receive nothing.
//!
//! [`interleaved_windows`] is the reference code's window-level split, kept for comparison
//! only: it is **leaky** (validation windows sit between training windows of the same
//! trajectories; docs/benchmarks-data.md, "Interleaved split").

use std::collections::BTreeMap;

/// A part of a split, as a manifest names it (`split = "train"`) for data sets that publish
/// their split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitPart {
    /// Trained on.
    Train,
    /// Model selection and early stopping.
    Validation,
    /// Reported once.
    Test,
}

impl std::fmt::Display for SplitPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SplitPart::Train => "train",
            SplitPart::Validation => "validation",
            SplitPart::Test => "test",
        })
    }
}

/// One trajectory to split: its label (as text, e.g. from [`crate::Label`]'s display) and
/// optional group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitUnit {
    /// Label used for stratification.
    pub label: String,
    /// Units with the same group are never separated.
    pub group: Option<String>,
}

/// Unit indices (into the slice given) of each part, each sorted increasingly.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Split {
    /// Training units.
    pub train: Vec<usize>,
    /// Validation units (model selection and early stopping).
    pub validation: Vec<usize>,
    /// Test units (reported once).
    pub test: Vec<usize>,
}

/// Shares of the units for training, validation and test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fractions {
    train: f64,
    validation: f64,
    test: f64,
}

impl Fractions {
    /// Each share in [0, 1], training above 0, summing to 1 within 1e-9.
    pub fn new(train: f64, validation: f64, test: f64) -> Result<Fractions, SplitError> {
        let all = [train, validation, test];
        let ok = all.iter().all(|f| f.is_finite() && (0.0..=1.0).contains(f))
            && train > 0.0
            && (all.iter().sum::<f64>() - 1.0).abs() <= 1e-9;
        if !ok {
            return Err(SplitError::BadFractions(all));
        }
        Ok(Fractions { train, validation, test })
    }
}

/// A seeded train/validation/test split (algorithm in the module docs). Every part with a
/// positive share must receive at least one unit.
pub fn train_validation_test(
    units: &[SplitUnit],
    fractions: Fractions,
    seed: u64,
) -> Result<Split, SplitError> {
    let shares = [fractions.train, fractions.validation, fractions.test];
    let strata = ordered_groups(units, seed)?;
    let mut total = [0usize; 3];
    let mut seen = 0usize;
    let mut parts: [Vec<usize>; 3] = Default::default();
    let open: Vec<usize> = (0..3).filter(|&p| shares[p] > 0.0).collect();
    for groups in &strata {
        let size: usize = groups.iter().map(Vec::len).sum();
        seen += size;
        // How far part p is below its share of every unit visited so far, this stratum included.
        let behind = |p: usize, total: &[usize; 3]| shares[p] * seen as f64 - total[p] as f64;
        // Integer quotas for the stratum: floors of the exact shares, then the leftover units
        // one by one to the part furthest behind overall, so rounding never starves a part.
        let mut quota = shares.map(|f| (f * size as f64).floor() as usize);
        let mut left = size.saturating_sub(quota.iter().sum());
        while left > 0 {
            let mut best = open[0];
            for &p in &open[1..] {
                if behind(p, &total) - quota[p] as f64 > behind(best, &total) - quota[best] as f64 {
                    best = p;
                }
            }
            quota[best] += 1;
            left -= 1;
        }
        let mut here = [0usize; 3];
        for g in groups {
            let score = |p: usize| (quota[p] as f64 - here[p] as f64, behind(p, &total));
            let mut best = open[0];
            for &p in &open[1..] {
                if score(p) > score(best) {
                    best = p;
                }
            }
            here[best] += g.len();
            total[best] += g.len();
            parts[best].extend_from_slice(g);
        }
    }
    for (p, name) in ["train", "validation", "test"].into_iter().enumerate() {
        if shares[p] > 0.0 && parts[p].is_empty() {
            return Err(SplitError::EmptyPart { part: name, groups: count_groups(&strata) });
        }
    }
    let [mut train, mut validation, mut test] = parts;
    for v in [&mut train, &mut validation, &mut test] {
        v.sort_unstable();
    }
    Ok(Split { train, validation, test })
}

/// Seeded k-fold cross-validation over groups (algorithm in the module docs).
///
/// Returns `k` splits; split `f` tests on fold `f`, validates on fold `(f + 1) mod k` and
/// trains on the other `k - 2` folds, so every unit is tested exactly once. Needs `k >= 3`
/// and at least `k` groups.
pub fn k_fold(units: &[SplitUnit], k: usize, seed: u64) -> Result<Vec<Split>, SplitError> {
    if k < 3 {
        return Err(SplitError::TooFewFolds(k));
    }
    let strata = ordered_groups(units, seed)?;
    let groups = count_groups(&strata);
    if groups < k {
        return Err(SplitError::TooFewGroups { groups, folds: k });
    }
    let mut folds: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut total = vec![0usize; k];
    for stratum in &strata {
        let mut here = vec![0usize; k];
        for g in stratum {
            let best = (0..k).min_by_key(|&f| (here[f], total[f], f)).unwrap_or(0);
            here[best] += g.len();
            total[best] += g.len();
            folds[best].extend_from_slice(g);
        }
    }
    folds.iter_mut().for_each(|f| f.sort_unstable());
    Ok((0..k)
        .map(|f| {
            let v = (f + 1) % k;
            let mut train: Vec<usize> = (0..k)
                .filter(|&g| g != f && g != v)
                .flat_map(|g| folds[g].iter().copied())
                .collect();
            train.sort_unstable();
            Split { train, validation: folds[v].clone(), test: folds[f].clone() }
        })
        .collect())
}

/// Windows `(trajectory, window)` of a window-level split.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowSplit {
    /// Training windows.
    pub train: Vec<(usize, usize)>,
    /// Validation windows.
    pub validation: Vec<(usize, usize)>,
}

/// The reference code's interleaved split (docs/benchmarks-data.md, "Interleaved split"):
/// window `j` of each given trajectory goes to validation when
/// `j mod folds == validation_fold`, else to training. **Leaky**: validation windows are
/// neighbours in time of training windows from the same trajectory, so validation scores
/// overestimate generalisation. For comparison with the reference only.
pub fn interleaved_windows(
    trajectories: &[usize],
    windows: usize,
    folds: usize,
    validation_fold: usize,
) -> Result<WindowSplit, SplitError> {
    if folds < 2 || validation_fold >= folds || windows < folds {
        return Err(SplitError::BadInterleave { windows, folds, validation_fold });
    }
    let mut out = WindowSplit::default();
    for &t in trajectories {
        for j in 0..windows {
            let part =
                if j % folds == validation_fold { &mut out.validation } else { &mut out.train };
            part.push((t, j));
        }
    }
    Ok(out)
}

/// Groups of unit indices per stratum, the strata and each stratum's groups shuffled with
/// `seed`, the groups then sorted by decreasing size.
fn ordered_groups(units: &[SplitUnit], seed: u64) -> Result<Vec<Vec<Vec<usize>>>, SplitError> {
    if units.is_empty() {
        return Err(SplitError::NoUnits);
    }
    let mut by_key: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, u) in units.iter().enumerate() {
        match u.group.as_deref() {
            Some(g) => match index.get(g) {
                Some(&k) => by_key[k].1.push(i),
                None => {
                    index.insert(g, by_key.len());
                    by_key.push((Some(g), vec![i]));
                }
            },
            None => by_key.push((None, vec![i])),
        }
    }
    // Stratum key: Some(label) when the group's units agree, None ("mixed") otherwise.
    let mut strata: BTreeMap<(bool, &str), Vec<Vec<usize>>> = BTreeMap::new();
    for (_, members) in by_key {
        let first = units[members[0]].label.as_str();
        let uniform = members.iter().all(|&m| units[m].label == first);
        let key = if uniform { (false, first) } else { (true, "") };
        strata.entry(key).or_default().push(members);
    }
    let mut rng = SplitMix64(seed);
    let mut strata: Vec<Vec<Vec<usize>>> = strata.into_values().collect();
    rng.shuffle(&mut strata);
    for groups in &mut strata {
        rng.shuffle(groups);
        groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    }
    Ok(strata)
}

fn count_groups(strata: &[Vec<Vec<usize>>]) -> usize {
    strata.iter().map(Vec::len).sum()
}

/// Steele, Lea & Flood's splitmix64 (2014): tiny, well mixed, and fixed forever, so a seed
/// gives the same split on every platform and release. Public so that every seeded choice in
/// deepsig (splits, training order, synthetic data) uses this one generator.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator whose state starts at `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// Uniform in `0..n` (n >= 1) by rejection, so there is no modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// A split that cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// Nothing to split.
    #[error("there are no trajectories to split")]
    NoUnits,
    /// Shares that are negative, not finite, give training nothing, or do not sum to 1.
    #[error("fractions {0:?} must be in [0, 1], give training a positive share and sum to 1")]
    BadFractions([f64; 3]),
    /// A part with a positive share received no unit.
    #[error("the {part} part is empty: {groups} groups are too few for these fractions")]
    EmptyPart {
        /// The part.
        part: &'static str,
        /// Groups available.
        groups: usize,
    },
    /// k-fold needs train, validation and test folds.
    #[error("k-fold needs at least 3 folds (train, validation, test), got {0}")]
    TooFewFolds(usize),
    /// Fewer groups than folds.
    #[error("{groups} groups cannot fill {folds} folds")]
    TooFewGroups {
        /// Groups available.
        groups: usize,
        /// Folds asked for.
        folds: usize,
    },
    /// Interleaved split settings that select nothing or everything.
    #[error(
        "interleaved split needs folds >= 2, validation fold < folds and windows >= folds \
         (windows {windows}, folds {folds}, validation fold {validation_fold})"
    )]
    BadInterleave {
        /// Windows per trajectory.
        windows: usize,
        /// Folds.
        folds: usize,
        /// Validation fold.
        validation_fold: usize,
    },
}
