//! Strided matrix products on the host, for the crate's host operations, through the `gemm`
//! crate that burn's CPU backend already builds.

use deepsig_signature::Scalar;
use gemm::Parallelism;

/// A row-major destination: rows `row_stride` apart, columns adjacent; with `accumulate`
/// the product is added to what it holds, otherwise written over it.
pub(crate) struct Matrix<'a, T> {
    pub(crate) data: &'a mut [T],
    pub(crate) row_stride: usize,
    pub(crate) accumulate: bool,
}

/// `dst = lhs · rhs` (or `dst += lhs · rhs`) for an `m × n` `dst` and `k` inner terms; `lhs` and `rhs` are a slice
/// with its (row, column) strides.
pub(crate) fn product<T: Scalar>(
    (m, n, k): (usize, usize, usize),
    dst: Matrix<'_, T>,
    (lhs, lhs_rs, lhs_cs): (&[T], usize, usize),
    (rhs, rhs_rs, rhs_cs): (&[T], usize, usize),
    parallelism: Parallelism,
) {
    if m == 0 || n == 0 {
        return;
    }
    // Every element `gemm` touches lies inside its slice: the last row and column of each.
    let last = |rs: usize, cs: usize, rows: usize, cols: usize| (rows - 1) * rs + (cols - 1) * cs;
    assert!(last(dst.row_stride, 1, m, n) < dst.data.len(), "product: destination too short");
    if k > 0 {
        assert!(last(lhs_rs, lhs_cs, m, k) < lhs.len(), "product: left factor too short");
        assert!(last(rhs_rs, rhs_cs, k, n) < rhs.len(), "product: right factor too short");
    }
    let stride = |s: usize| isize::try_from(s).expect("product: stride overflows isize");
    // SAFETY: the asserts above keep every index gemm reads or writes inside its slice;
    // `dst` is borrowed mutably, so it overlaps neither factor. gemm computes
    // `alpha · dst + beta · lhs · rhs`, reading `dst` only with `read_dst` (`accumulate`);
    // `alpha = beta = 1`.
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.data.as_mut_ptr(),
            1,
            stride(dst.row_stride),
            dst.accumulate,
            lhs.as_ptr(),
            stride(lhs_cs),
            stride(lhs_rs),
            rhs.as_ptr(),
            stride(rhs_cs),
            stride(rhs_rs),
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Threads for an `m × n × k` product as burn's CPU backend chooses them: all of rayon's
/// from 192³ multiply-adds on, below that one (splitting a small product costs more than it
/// saves: the `small` preset's runs took 1.6× as long with every product split).
pub(crate) fn parallelism_for(m: usize, n: usize, k: usize) -> Parallelism {
    if m.saturating_mul(n).saturating_mul(k) >= 192 * 192 * 192 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    }
}

/// `m` `[rows, cols]` row-major as `[cols, rows]`, in tiles of 16 × 16 numbers: a row at a
/// time, every store would touch a new cache line (a tenth of a small system's epoch for
/// the LSTM's W_hh, 1 MB).
pub(crate) fn transposed<T: Scalar>(m: &[T], rows: usize, cols: usize) -> Vec<T> {
    const TILE: usize = 16;
    let mut out = vec![T::ZERO; rows * cols];
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for r in r0..(r0 + TILE).min(rows) {
                for c in c0..(c0 + TILE).min(cols) {
                    out[c * rows + r] = m[r * cols + c];
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposed_swaps_rows_and_columns() {
        let (rows, cols) = (19, 35);
        let m: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
        let t = transposed(&m, rows, cols);
        for (r, c) in (0..rows).flat_map(|r| (0..cols).map(move |c| (r, c))) {
            assert_eq!(t[c * rows + r], m[r * cols + c]);
        }
    }
}
