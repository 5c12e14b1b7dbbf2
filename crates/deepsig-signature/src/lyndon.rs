//! Lyndon words: the index set of the `words` log-signature coordinates.
//!
//! A Lyndon word is a non-empty word strictly smaller, lexicographically, than all of its
//! proper rotations. The Lyndon words of length at most $N$ over $d$ letters index a basis of
//! the free Lie algebra truncated at level $N$, so the coefficients of the expanded
//! log-signature at those words determine it (signatory's `words` mode).

use std::sync::{Arc, Mutex, PoisonError};

use crate::{Depth, Error, signature_channels};

/// All Lyndon words over `0..channels` of length at most `depth`, ordered by length and then
/// lexicographically (signatory's order).
///
/// # Example
/// ```
/// # use deepsig_signature::{lyndon_words, Depth};
/// let words = lyndon_words(2, Depth::new(3)?)?;
/// assert_eq!(words, vec![vec![0], vec![1], vec![0, 1], vec![0, 0, 1], vec![0, 1, 1]]);
/// # Ok::<(), deepsig_signature::Error>(())
/// ```
pub fn lyndon_words(channels: usize, depth: Depth) -> Result<Vec<Vec<usize>>, Error> {
    let mut by_length: Vec<Vec<Vec<usize>>> = vec![Vec::new(); depth.get()];
    duval(channels, depth, |w| by_length[w.len() - 1].push(w.to_vec()))?;
    Ok(by_length.into_iter().flatten().collect())
}

/// Visits every Lyndon word over `0..channels` of length at most `depth` in lexicographic
/// order (Duval's algorithm), so words of one length arrive in their final relative order.
fn duval(channels: usize, depth: Depth, mut visit: impl FnMut(&[usize])) -> Result<(), Error> {
    signature_channels(channels, depth)?;
    let n = depth.get();
    let mut w: Vec<usize> = vec![0];
    loop {
        visit(&w);
        let m = w.len();
        while w.len() < n {
            w.push(w[w.len() - m]);
        }
        while w.last() == Some(&(channels - 1)) {
            w.pop();
        }
        match w.last_mut() {
            Some(last) => *last += 1,
            None => return Ok(()),
        }
    }
}

/// Positions of the Lyndon words in the flat expanded tensor (levels concatenated, level 0
/// omitted), in [`lyndon_words`] order.
///
/// Called for every signature-layer call, with the same shape call after call in training:
/// the last shape's indices are kept and shared (computing them was 1 % of a training epoch
/// at GPCR size, 11,325 words at 150 channels, depth 2).
pub(crate) fn lyndon_indices(channels: usize, depth: Depth) -> Result<Arc<[usize]>, Error> {
    static LAST: Mutex<Option<LastIndices>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((c, d, indices)) = last.as_ref()
        && (*c, *d) == (channels, depth)
    {
        return Ok(Arc::clone(indices));
    }
    let indices: Arc<[usize]> = compute_lyndon_indices(channels, depth)?.into();
    *last = Some((channels, depth, Arc::clone(&indices)));
    Ok(indices)
}

/// The shape [`lyndon_indices`] was last asked for and its indices.
type LastIndices = (usize, Depth, Arc<[usize]>);

/// [`lyndon_indices`] computed: buckets indices by length instead of building and sorting
/// one `Vec` per word.
fn compute_lyndon_indices(channels: usize, depth: Depth) -> Result<Vec<usize>, Error> {
    let mut level_offset = vec![0usize; depth.get() + 1];
    let mut size = 1;
    for k in 1..=depth.get() {
        size *= channels;
        if k < depth.get() {
            level_offset[k + 1] = level_offset[k] + size;
        }
    }
    let mut by_length: Vec<Vec<usize>> = vec![Vec::new(); depth.get()];
    duval(channels, depth, |w| {
        let index = w.iter().fold(0, |acc, &letter| acc * channels + letter);
        by_length[w.len() - 1].push(level_offset[w.len()] + index);
    })?;
    Ok(by_length.concat())
}

/// The number of Lyndon words of length exactly `k` over `d` letters (Witt's formula).
pub(crate) fn lyndon_word_count(d: usize, k: usize) -> usize {
    let mut total: i128 = 0;
    for m in 1..=k {
        if k.is_multiple_of(m) {
            total += i128::from(mobius(m)) * (d as i128).pow((k / m) as u32);
        }
    }
    (total / k as i128) as usize
}

fn mobius(mut n: usize) -> i8 {
    let mut result = 1;
    let mut p = 2;
    while p * p <= n {
        if n.is_multiple_of(p) {
            n /= p;
            if n.is_multiple_of(p) {
                return 0;
            }
            result = -result;
        }
        p += 1;
    }
    if n > 1 { -result } else { result }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_witt_formula_and_enumeration() {
        for d in 1..5 {
            for n in 1..6 {
                let words = lyndon_words(d, Depth::new(n).unwrap()).unwrap();
                let expected: usize = (1..=n).map(|k| lyndon_word_count(d, k)).sum();
                assert_eq!(words.len(), expected, "d={d} n={n}");
                for w in &words {
                    for r in 1..w.len() {
                        let rotated: Vec<usize> = w[r..].iter().chain(&w[..r]).copied().collect();
                        assert!(*w < rotated, "{w:?} is not smaller than its rotation {rotated:?}");
                    }
                }
            }
        }
        // Known values: 3 letters give 3, 3, 8, 18 words of length 1..4.
        assert_eq!((1..=4).map(|k| lyndon_word_count(3, k)).collect::<Vec<_>>(), [3, 3, 8, 18]);
    }
}
