//! The backward against central finite differences, in f64, for every mode.

use deepsig_signature::{Depth, PathShape, SigOptions, signature, signature_backward};

use crate::naive::Rng;
use crate::reference::all_options;

/// Checks <g, J v> from the backward against the central difference of <g, f(x + h v)>.
fn check(x: &[f64], shape: PathShape, opts: &SigOptions, rng: &mut Rng) {
    let out = signature(x, shape, opts).unwrap();
    let g = rng.vec(out.len());
    let dx = signature_backward(x, shape, &g, opts).unwrap();
    for _ in 0..3 {
        let v = rng.vec(x.len());
        let h = 1e-5;
        let at = |s: f64| -> f64 {
            let moved: Vec<f64> = x.iter().zip(&v).map(|(a, b)| a + s * b).collect();
            signature(&moved, shape, opts).unwrap().iter().zip(&g).map(|(o, gi)| o * gi).sum()
        };
        let numeric = (at(h) - at(-h)) / (2.0 * h);
        let analytic: f64 = dx.iter().zip(&v).map(|(a, b)| a * b).sum();
        let rel = (numeric - analytic).abs() / numeric.abs().max(analytic.abs()).max(1e-3);
        assert!(rel < 1e-6, "{opts:?}: numeric {numeric} vs backward {analytic} (relative {rel})");
    }
}

#[test]
fn backward_matches_finite_differences_for_every_option() {
    let mut rng = Rng::new(20);
    // d ≥ 4 with 4 steps or more takes the backward four steps at a time (with every
    // remainder of steps over 4 here), the others one step at a time.
    let shapes = [(2, 1, 4), (2, 2, 5), (3, 3, 4), (2, 4, 4), (17, 2, 3), (5, 3, 11), (9, 2, 8)];
    for (d, depth, length) in shapes {
        let shape = PathShape { batch: 2, length, channels: d };
        let x = rng.vec(shape.len());
        for opts in all_options(depth) {
            check(&x, shape, &opts, &mut rng);
        }
    }
}

#[test]
fn backward_of_a_long_path_at_depth_five() {
    let mut rng = Rng::new(21);
    let shape = PathShape { batch: 1, length: 200, channels: 2 };
    let x: Vec<f64> = rng.vec(shape.len()).iter().map(|v| 0.2 * v).collect();
    let opts = SigOptions::signature(Depth::new(5).unwrap());
    check(&x, shape, &opts, &mut rng);
}
