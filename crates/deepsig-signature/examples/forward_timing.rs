//! Forward timings of the engine alone (no CLI, no Python) on BENCHMARKS.md's anchor shapes,
//! or on the `B,L,d,N` shapes given as arguments; one thread, f64. `BACKWARD=1` times the
//! backward instead, `F32=1` computes in f32.
//! `benches/target_features.sh` builds it for several CPU feature sets.

use std::time::Instant;

use deepsig_signature::{
    Depth, PathShape, Scalar, SigOptions, signature, signature_backward, with_threads,
};

fn main() {
    let given: Vec<(usize, usize, usize, usize)> = std::env::args()
        .skip(1)
        .map(|a| {
            let v: Vec<usize> = a.split(',').map(|x| x.trim().parse().expect("B,L,d,N")).collect();
            (v[0], v[1], v[2], v[3])
        })
        .collect();
    let shapes = if given.is_empty() {
        vec![(32, 1000, 13, 3), (32, 100, 31, 3), (32, 1000, 7, 4), (32, 100, 13, 4)]
    } else {
        given
    };
    for (batch, length, channels, depth) in shapes {
        let shape = PathShape { batch, length, channels };
        // A deterministic random walk (an LCG), steps of size about 0.1.
        let mut state = 1u64;
        let path: Vec<f64> = (0..shape.len())
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.2
            })
            .collect();
        let opts = SigOptions::signature(Depth::new(depth).unwrap());
        let mut times = if std::env::var_os("F32").is_some() {
            let path: Vec<f32> = path.iter().map(|&v| v as f32).collect();
            time(&path, shape, &opts)
        } else {
            time(&path, shape, &opts)
        };
        times.sort_by(f64::total_cmp);
        println!(
            "{batch}, {length}, {channels}, {depth}: min {:.2} ms, median {:.2} ms",
            times[0], times[7]
        );
    }
}

/// 15 timed calls (ms) after a warm-up, of the forward or (`BACKWARD=1`) the backward.
fn time<T: Scalar>(path: &[T], shape: PathShape, opts: &SigOptions) -> Vec<f64> {
    let backward = std::env::var_os("BACKWARD").is_some();
    let out = signature(path, shape, opts).unwrap();
    let grad: Vec<T> = (0..out.len()).map(|i| T::from_f64(((i % 7) as f64 - 3.0) * 0.1)).collect();
    let call = || {
        if backward {
            std::hint::black_box(signature_backward(path, shape, &grad, opts).unwrap());
        } else {
            std::hint::black_box(signature(path, shape, opts).unwrap());
        }
    };
    with_threads(1, || {
        call();
        (0..15)
            .map(|_| {
                let start = Instant::now();
                call();
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect()
    })
    .unwrap()
}
