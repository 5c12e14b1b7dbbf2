//! Identities and invariances that any correct signature satisfies.

use deepsig_signature::{Depth, LogMode, PathShape, Scalar, SigOptions, combine, signature};

use crate::naive::{self, Rng};

fn sig(x: &[f64], length: usize, d: usize, depth: usize) -> Vec<f64> {
    signature(
        x,
        PathShape { batch: 1, length, channels: d },
        &SigOptions::signature(Depth::new(depth).unwrap()),
    )
    .unwrap()
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{what}: index {i}: {x} vs {y}");
    }
}

#[test]
fn straight_line_level_k_is_increment_power_over_factorial() {
    let mut rng = Rng::new(10);
    let (d, depth) = (3, 5);
    let start = rng.vec(d);
    let delta = rng.vec(d);
    // Five collinear points, unevenly spaced: still one straight segment.
    let x: Vec<f64> = [0.0, 0.1, 0.5, 0.55, 1.0]
        .iter()
        .flat_map(|&t| start.iter().zip(&delta).map(move |(s, v)| s + t * v))
        .collect();
    let got = sig(&x, 5, d, depth);
    assert_close(&got, &naive::flat(&naive::exp_vector(&delta, depth)), 1e-13, "straight line");
}

#[test]
fn shuffle_identity_at_depth_two() {
    let mut rng = Rng::new(11);
    let (d, length) = (4, 9);
    let s = sig(&rng.vec(length * d), length, d, 2);
    for i in 0..d {
        for j in 0..d {
            let lhs = s[i] * s[j];
            let rhs = s[d + i * d + j] + s[d + j * d + i];
            assert!((lhs - rhs).abs() < 1e-12, "S^{i} S^{j} = {lhs}, S^{i}{j} + S^{j}{i} = {rhs}");
        }
    }
}

#[test]
fn chen_identity_combines_two_halves() {
    let mut rng = Rng::new(12);
    let (d, depth, length) = (3, 4, 11);
    let x = rng.vec(length * d);
    let split = 6; // the halves share point 6
    let first = sig(&x[..(split + 1) * d], split + 1, d, depth);
    let second = sig(&x[split * d..], length - split, d, depth);
    let whole = sig(&x, length, d, depth);
    let combined = combine(&first, &second, d, Depth::new(depth).unwrap()).unwrap();
    assert_close(&combined, &whole, 1e-12, "Chen");
}

#[test]
fn inverse_times_signature_is_the_identity() {
    let mut rng = Rng::new(13);
    let (d, depth, length) = (2, 5, 8);
    let x = rng.vec(length * d);
    let shape = PathShape { batch: 1, length, channels: d };
    let depth = Depth::new(depth).unwrap();
    let s = signature(&x, shape, &SigOptions::signature(depth)).unwrap();
    let inv = signature(&x, shape, &SigOptions { inverse: true, ..SigOptions::signature(depth) })
        .unwrap();
    for product in [combine(&s, &inv, d, depth).unwrap(), combine(&inv, &s, d, depth).unwrap()] {
        assert_close(&product, &vec![0.0; s.len()], 1e-12, "S ⊗ S^-1");
    }
}

#[test]
fn translation_leaves_the_signature_unchanged() {
    let mut rng = Rng::new(14);
    let (d, depth, length) = (3, 4, 10);
    let x = rng.vec(length * d);
    let shift: Vec<f64> = rng.vec(d).iter().map(|v| 100.0 * v).collect();
    let moved: Vec<f64> = x.iter().enumerate().map(|(i, v)| v + shift[i % d]).collect();
    assert_close(&sig(&moved, length, d, depth), &sig(&x, length, d, depth), 1e-10, "translation");
}

#[test]
fn repeated_points_and_inserted_midpoints_change_nothing() {
    let mut rng = Rng::new(15);
    let (d, depth, length) = (3, 4, 6);
    let x = rng.vec(length * d);
    let points: Vec<&[f64]> = x.chunks(d).collect();
    let mut stuttered = Vec::new();
    let mut refined = Vec::new();
    for (i, p) in points.iter().enumerate() {
        stuttered.extend_from_slice(p);
        if i % 2 == 0 {
            stuttered.extend_from_slice(p);
        }
        refined.extend_from_slice(p);
        if let Some(q) = points.get(i + 1) {
            for t in [0.25, 0.5] {
                refined.extend(p.iter().zip(*q).map(|(a, b)| a + t * (b - a)));
            }
        }
    }
    let want = sig(&x, length, d, depth);
    assert_close(&sig(&stuttered, stuttered.len() / d, d, depth), &want, 1e-12, "repeated points");
    assert_close(&sig(&refined, refined.len() / d, d, depth), &want, 1e-12, "midpoints");
}

#[test]
fn exp_of_the_expanded_log_gives_back_the_signature() {
    let mut rng = Rng::new(16);
    let (d, depth, length) = (3, 5, 7);
    let x = rng.vec(length * d);
    let shape = PathShape { batch: 1, length, channels: d };
    let depth_t = Depth::new(depth).unwrap();
    let log = signature(&x, shape, &SigOptions::logsignature(depth_t, LogMode::Expand)).unwrap();
    let back = naive::flat(&naive::exp(&naive::unflat(&log, d, depth), d, depth));
    assert_close(&back, &sig(&x, length, d, depth), 1e-12, "exp(log S)");
}

#[test]
fn depth_two_words_are_increments_and_levy_areas() {
    let mut rng = Rng::new(17);
    let (d, length) = (4, 12);
    let x = rng.vec(length * d);
    let shape = PathShape { batch: 1, length, channels: d };
    let words =
        signature(&x, shape, &SigOptions::logsignature(Depth::new(2).unwrap(), LogMode::Words))
            .unwrap();
    assert_eq!(words.len(), d + d * (d - 1) / 2);
    let p: Vec<&[f64]> = x.chunks(d).collect();
    for i in 0..d {
        assert!((words[i] - (p[length - 1][i] - p[0][i])).abs() < 1e-13);
    }
    // Lévy area A_ij = ½ Σ_k (x^i_k - x^i_0)(Δx^j_k) - (x^j_k - x^j_0)(Δx^i_k), the shoelace
    // formula over the path closed by its chord.
    let mut at = d;
    for i in 0..d {
        for j in (i + 1)..d {
            let area: f64 = (1..length)
                .map(|k| {
                    let (xi, xj) = (p[k - 1][i] - p[0][i], p[k - 1][j] - p[0][j]);
                    let (di, dj) = (p[k][i] - p[k - 1][i], p[k][j] - p[k - 1][j]);
                    0.5 * (xi * dj - xj * di)
                })
                .sum();
            assert!((words[at] - area).abs() < 1e-12, "area {i}{j}: {} vs {area}", words[at]);
            at += 1;
        }
    }
}

#[test]
fn f32_and_f64_agree_on_long_paths() {
    let mut rng = Rng::new(18);
    let (batch, length, d, depth) = (3, 500, 5, 3);
    let x: Vec<f64> = rng.vec(batch * length * d).iter().map(|v| v * 0.1).collect();
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let shape = PathShape { batch, length, channels: d };
    let opts = SigOptions::signature(Depth::new(depth).unwrap());
    let a = signature(&x, shape, &opts).unwrap();
    let b = signature(&x32, shape, &opts).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert!((x - f64::from(*y)).abs() < 1e-4 * (1.0 + x.abs()), "{x} vs {y}");
    }
}

/// The whole-path forward takes increments four at a time (`mul_exps_in_place`), the
/// streamed one a step at a time; both do the same operations in the same order per element,
/// so the last streamed signature is the whole-path one exactly, for lengths that leave every
/// remainder, depths 1-4 and channel counts on each kernel path (tiled 6 and 7, generic 20,
/// 512-bit registers from 8 in f64 and 16 in f32).
#[test]
fn steps_taken_four_at_a_time_give_the_one_step_numbers_exactly() {
    let mut rng = Rng::new(14);
    for d in [1, 2, 3, 6, 7, 8, 13, 20] {
        for depth in 1..=4 {
            for length in [2, 3, 5, 6, 9, 12] {
                whole_is_last_streamed(&rng.vec(length * d), length, d, depth);
            }
        }
    }
    // In f32 too, where rows of 16 or more go in 512-bit registers on CPUs with AVX-512.
    for d in [13, 16, 17, 31] {
        for depth in 2..=4 {
            let x: Vec<f32> = rng.vec(6 * d).iter().map(|&v| v as f32).collect();
            whole_is_last_streamed(&x, 6, d, depth);
        }
    }
}

/// The whole-path signature of one path of `length` points equals its last streamed one
/// exactly.
fn whole_is_last_streamed<T: Scalar>(x: &[T], length: usize, d: usize, depth: usize) {
    let shape = PathShape { batch: 1, length, channels: d };
    let opts = SigOptions::signature(Depth::new(depth).unwrap());
    let whole = signature(x, shape, &opts).unwrap();
    let stream = signature(x, shape, &SigOptions { stream: true, ..opts }).unwrap();
    let last = &stream[stream.len() - whole.len()..];
    let name = std::any::type_name::<T>();
    assert!(whole == last, "{name}, d = {d}, depth {depth}, {length} points");
}
