//! Chen's identity: $S(x * y) = S(x) \otimes S(y)$ for the concatenation $x * y$.

use crate::algebra::{Levels, mul_truncated};
use crate::{Depth, Error, Scalar, signature_channels};

/// The signatures of the concatenations of paired paths, from their signatures.
///
/// `a` and `b` are `[batch, C]` signatures (no leading 1) of `channels`-channel paths at
/// `depth`; the result is $a \otimes b$ per row, truncated at `depth`. Combining the
/// signatures of two paths where the second starts at the end of the first gives the
/// signature of the whole path.
///
/// # Shapes
/// `a`, `b`: `[batch, C]` → `[batch, C]`, `C = signature_channels(channels, depth)`.
pub fn combine<T: Scalar>(
    a: &[T],
    b: &[T],
    channels: usize,
    depth: Depth,
) -> Result<Vec<T>, Error> {
    let c = signature_channels(channels, depth)?;
    if !a.len().is_multiple_of(c) {
        return Err(Error::ShapeMismatch {
            what: "the first signature batch",
            expected: a.len().div_ceil(c) * c,
            got: a.len(),
        });
    }
    if b.len() != a.len() {
        return Err(Error::ShapeMismatch {
            what: "the second signature batch",
            expected: a.len(),
            got: b.len(),
        });
    }
    for (what, sigs) in [("the first signature batch", a), ("the second signature batch", b)] {
        if let Some(index) = sigs.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFiniteInput { what, index });
        }
    }
    let levels = Levels::new(channels, depth.get());
    let mut out = vec![T::ZERO; a.len()];
    for ((a, b), out) in a.chunks_exact(c).zip(b.chunks_exact(c)).zip(out.chunks_exact_mut(c)) {
        // The implicit level-0 ones contribute a + b; the rest is the truncated product.
        mul_truncated(a, 1, b, out, &levels);
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o += x + y;
        }
    }
    Ok(out)
}
