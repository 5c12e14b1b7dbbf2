//! Every option of the fast engine against the slow twin in `naive`.

use deepsig_signature::{Depth, LogMode, PathShape, SigOptions, lyndon_words, signature};

use crate::naive::{self, Rng};

pub(crate) fn rows(flat: &[f64], channels: usize) -> Vec<Vec<f64>> {
    flat.chunks(channels).map(<[f64]>::to_vec).collect()
}

/// The expected output for one path, from the slow twin.
pub(crate) fn expected(points: &[Vec<f64>], opts: &SigOptions) -> Vec<f64> {
    let depth = opts.depth.get();
    let aug = naive::augment(points, opts.basepoint, opts.lead_lag, opts.time, opts.inverse);
    let d = aug[0].len();
    let prefixes: Vec<usize> =
        if opts.stream { (2..=aug.len()).collect() } else { vec![aug.len()] };
    let mut out = Vec::new();
    for end in prefixes {
        let sig = naive::signature(&aug[..end], depth);
        match opts.log {
            None => out.extend(naive::flat(&sig)),
            Some(LogMode::Expand) => out.extend(naive::flat(&naive::log(&sig, d, depth))),
            Some(LogMode::Words) => {
                let log = naive::log(&sig, d, depth);
                for w in naive::lyndon_brute(d, depth) {
                    let index = w.iter().fold(0, |acc, &l| acc * d + l);
                    out.push(log[w.len()][index]);
                }
            }
            Some(LogMode::Brackets) => {
                out.extend(naive::lyndon_coordinates(&naive::log(&sig, d, depth), d, depth));
            }
        }
    }
    out
}

pub(crate) fn all_options(depth: usize) -> Vec<SigOptions> {
    let depth = Depth::new(depth).unwrap();
    let mut all = Vec::new();
    for bits in 0..32u32 {
        for log in [None, Some(LogMode::Expand), Some(LogMode::Words), Some(LogMode::Brackets)] {
            all.push(SigOptions {
                depth,
                log,
                stream: bits & 1 != 0,
                basepoint: bits & 2 != 0,
                inverse: bits & 4 != 0,
                time: bits & 8 != 0,
                lead_lag: bits & 16 != 0,
            });
        }
    }
    all
}

fn max_rel_err(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
    got.iter().zip(want).map(|(g, w)| (g - w).abs()).fold(0.0, f64::max) / scale
}

#[test]
fn every_option_matches_the_naive_product_of_exponentials() {
    let mut rng = Rng::new(1);
    // (channels, depth, length): the augmentations double or extend channels, so high depths
    // use few channels to keep the naive twin fast.
    for (d, depth, length) in
        [(1, 6, 5), (2, 1, 4), (2, 2, 6), (2, 4, 5), (3, 3, 4), (2, 5, 3), (4, 2, 5)]
    {
        let batch = 2;
        let x = rng.vec(batch * length * d);
        let shape = PathShape { batch, length, channels: d };
        for opts in all_options(depth) {
            if depth >= 5 && (opts.lead_lag || opts.time) {
                continue; // 2d+1 channels at depth 5 makes the naive twin too slow.
            }
            let got = signature(&x, shape, &opts).unwrap();
            let want: Vec<f64> =
                x.chunks(length * d).flat_map(|p| expected(&rows(p, d), &opts)).collect();
            let err = max_rel_err(&got, &want);
            assert!(err < 1e-12, "d={d} depth={depth} {opts:?}: relative error {err}");

            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let got32: Vec<f64> =
                signature(&x32, shape, &opts).unwrap().into_iter().map(f64::from).collect();
            let err32 = max_rel_err(&got32, &want);
            assert!(err32 < 2e-5, "f32 d={d} depth={depth} {opts:?}: relative error {err32}");
        }
    }
}

#[test]
fn depth_six_signature_and_log_of_a_longer_path() {
    let mut rng = Rng::new(2);
    let (d, length) = (3, 7);
    let x = rng.vec(length * d);
    let shape = PathShape { batch: 1, length, channels: d };
    for log in [None, Some(LogMode::Words), Some(LogMode::Brackets)] {
        let opts = SigOptions { log, ..SigOptions::signature(Depth::new(6).unwrap()) };
        let err =
            max_rel_err(&signature(&x, shape, &opts).unwrap(), &expected(&rows(&x, d), &opts));
        assert!(err < 1e-12, "{log:?}: {err}");
    }
}

#[test]
fn lyndon_words_match_brute_force_enumeration() {
    for d in 1..5 {
        for depth in 1..6 {
            assert_eq!(
                lyndon_words(d, Depth::new(depth).unwrap()).unwrap(),
                naive::lyndon_brute(d, depth)
            );
        }
    }
}

#[test]
fn batch_results_equal_single_path_results_and_do_not_depend_on_threads() {
    let mut rng = Rng::new(3);
    let (batch, length, d) = (9, 20, 3);
    let x = rng.vec(batch * length * d);
    let opts = SigOptions {
        stream: true,
        ..SigOptions::logsignature(Depth::new(3).unwrap(), LogMode::Words)
    };
    let shape = PathShape { batch, length, channels: d };
    let one = deepsig_signature::with_threads(1, || signature(&x, shape, &opts)).unwrap().unwrap();
    let two = deepsig_signature::with_threads(2, || signature(&x, shape, &opts)).unwrap().unwrap();
    assert_eq!(one, two);
    let per = one.len() / batch;
    for (b, path) in x.chunks(length * d).enumerate() {
        let single = signature(path, PathShape { batch: 1, ..shape }, &opts).unwrap();
        assert_eq!(single, one[b * per..(b + 1) * per]);
    }
}
