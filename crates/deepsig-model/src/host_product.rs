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
