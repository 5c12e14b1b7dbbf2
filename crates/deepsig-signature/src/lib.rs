//! Exact, fast path signatures and log-signatures, with a memory-efficient backward.
//!
//! # Overview
//!
//! A path is piecewise linear through `L` points in $\mathbb R^d$; a batch is a C-order
//! `[batch, length, channels]` slice of `f32` or `f64` ([`Scalar`]) described by a
//! [`PathShape`]. Its depth-$N$ signature is the sequence of iterated integrals
//! $S^{i_1 \dots i_k} = \int_{t_1 < \dots < t_k} dx^{i_1}_{t_1} \cdots dx^{i_k}_{t_k}$,
//! $k = 1..N$, stored without the leading 1, levels concatenated, each level in row-major
//! order of its multi-index (signatory's layout): [`signature_channels`] numbers in all.
//!
//! - [`signature`] / [`signature_into`]: signature or log-signature of a batch, as
//!   [`SigOptions`] says (depth, [`LogMode`], stream, basepoint, inverse, time, lead-lag).
//! - [`signature_backward`] / [`signature_backward_into`]: the vector-Jacobian product, in
//!   $O(C)$ memory per path.
//! - [`combine`]: Chen's identity, the signature of a concatenation from the two signatures.
//! - [`lyndon_words`], [`logsignature_channels`]: the `words` log-signature's index set.
//!
//! Paths run in parallel over the batch on the current rayon pool; [`with_threads`] bounds it.
//!
//! # Example
//!
//! ```
//! use deepsig_signature::{signature, Depth, PathShape, SigOptions};
//! // One straight path from (0, 0) to (1, 2): level k is Δ^{⊗k} / k!.
//! let path = [0.0_f64, 0.0, 1.0, 2.0];
//! let shape = PathShape { batch: 1, length: 2, channels: 2 };
//! let sig = signature(&path, shape, &SigOptions::signature(Depth::new(2)?))?;
//! assert_eq!(sig, vec![1.0, 2.0, 0.5, 1.0, 1.0, 2.0]);
//! # Ok::<(), deepsig_signature::Error>(())
//! ```
#![deny(missing_docs)]

mod algebra;
mod augment;
mod brackets;
mod combine;
mod compute;
mod error;
mod kernels;
mod log;
mod lyndon;
mod options;
mod scalar;

pub use combine::combine;
pub use compute::{signature, signature_backward, signature_backward_into, signature_into};
pub use error::Error;
pub use lyndon::lyndon_words;
pub use options::{
    Depth, LogMode, MAX_DEPTH, PathShape, SigOptions, logsignature_channels, signature_channels,
};
pub use scalar::Scalar;

/// Whether the AVX2 + FMA builds of the kernels run on this CPU (detected once;
/// `DEEPSIG_SIMD=baseline` turns them off), for other crates' kernels to follow the same
/// switch.
pub fn wide_simd() -> bool {
    kernels::wide()
}

/// The build of the kernels that runs on this CPU: `"avx512"` (512-bit registers for rows
/// that fill one, AVX2 + FMA for the others), `"avx2"` or `"baseline"`. Detected once;
/// `DEEPSIG_SIMD=avx2` or `DEEPSIG_SIMD=baseline` chooses a narrower one.
pub fn kernel_set() -> &'static str {
    if kernels::widest() {
        "avx512"
    } else if kernels::wide() {
        "avx2"
    } else {
        "baseline"
    }
}

/// Runs `f` on a rayon pool of `threads` threads (0 = one per core), so that every
/// signature call inside it uses at most that many.
pub fn with_threads<R: Send>(
    threads: usize,
    f: impl FnOnce() -> R + Send,
) -> Result<R, rayon::ThreadPoolBuildError> {
    Ok(rayon::ThreadPoolBuilder::new().num_threads(threads).build()?.install(f))
}
