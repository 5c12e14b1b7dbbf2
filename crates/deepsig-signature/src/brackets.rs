//! The `brackets` log-signature: coordinates in the Lyndon basis of the free Lie algebra.
//!
//! The log-signature is a Lie series, $\log S = \sum_w \lambda_w P_w$ over Lyndon words $w$,
//! where $P_w$ is the standard bracketing ($P_a = a$ for a letter; $P_w = [P_u, P_v]$ for the
//! standard factorisation $w = uv$, $v$ the longest proper Lyndon suffix). Expanded as a
//! polynomial, $P_w = w + \sum_{v > w} c_{w,v}\, v$ over words $v$ of the same length that are
//! lexicographically larger (docs/method.md, "Log-signature coordinates", eq. L1). So the `words`
//! coordinates $\ell_v$ (the expanded log at the Lyndon words) and the bracket coordinates are
//! related by a unit triangular system, $\ell_v = \lambda_v + \sum_{u < v} c_{u,v} \lambda_u$,
//! solved by forward substitution; its transpose gives the backward.

use std::collections::HashMap;

use crate::{Depth, Error, Scalar, lyndon_words};

/// The off-diagonal entries $c_{u,v}$ between Lyndon words, as positions in the `words` output.
#[derive(Debug, Clone)]
pub(crate) struct Brackets {
    /// `(u, v, c_{u,v})` with `u < v`, sorted by `u`.
    entries: Vec<(usize, usize, f64)>,
}

/// A homogeneous polynomial on words of one length: word (base-`d` number) → coefficient.
type Polynomial = HashMap<usize, i64>;

impl Brackets {
    pub(crate) fn new(channels: usize, depth: Depth) -> Result<Brackets, Error> {
        let words = lyndon_words(channels, depth)?;
        let key = |w: &[usize]| w.iter().fold(0usize, |acc, &l| acc * channels + l);
        let position: HashMap<(usize, usize), usize> =
            words.iter().enumerate().map(|(i, w)| ((w.len(), key(w)), i)).collect();
        let mut expansions: HashMap<Vec<usize>, Polynomial> = HashMap::new();
        let mut entries = Vec::new();
        for (u, w) in words.iter().enumerate() {
            let p = expansion(w, channels, &mut expansions);
            for (&word, &c) in p {
                if let Some(&v) = position.get(&(w.len(), word))
                    && v != u
                {
                    entries.push((u, v, c as f64));
                }
            }
        }
        // Forward substitution needs every entry out of u before any entry out of a later word.
        entries.sort_unstable_by_key(|&(u, v, _)| (u, v));
        Ok(Brackets { entries })
    }

    /// `words` coordinates → bracket coordinates, in place.
    pub(crate) fn words_to_brackets<T: Scalar>(&self, out: &mut [T]) {
        for &(u, v, c) in &self.entries {
            let source = out[u];
            out[v] -= T::from_f64(c) * source;
        }
    }

    /// The adjoint of [`Brackets::words_to_brackets`], in place: bracket gradient → `words` gradient.
    pub(crate) fn backward<T: Scalar>(&self, grad: &mut [T]) {
        for &(u, v, c) in self.entries.iter().rev() {
            let target = grad[v];
            grad[u] -= T::from_f64(c) * target;
        }
    }
}

/// The expansion of the standard bracketing of the Lyndon word `w`, memoised.
fn expansion<'a>(
    w: &[usize],
    channels: usize,
    memo: &'a mut HashMap<Vec<usize>, Polynomial>,
) -> &'a Polynomial {
    if !memo.contains_key(w) {
        let p = if w.len() == 1 {
            Polynomial::from([(w[0], 1)])
        } else {
            let split = standard_split(w);
            let (u, v) = w.split_at(split);
            let pu = expansion(u, channels, memo).clone();
            let pv = expansion(v, channels, memo).clone();
            let (su, sv) = (channels.pow(u.len() as u32), channels.pow(v.len() as u32));
            let mut p = Polynomial::new();
            for (&a, &ca) in &pu {
                for (&b, &cb) in &pv {
                    *p.entry(a * sv + b).or_default() += ca * cb;
                    *p.entry(b * su + a).or_default() -= ca * cb;
                }
            }
            p.retain(|_, c| *c != 0);
            p
        };
        memo.insert(w.to_vec(), p);
    }
    &memo[w]
}

/// Where the standard factorisation splits `w`: the start of its lexicographically smallest
/// proper suffix, which is its longest proper Lyndon suffix.
fn standard_split(w: &[usize]) -> usize {
    (1..w.len()).min_by(|&a, &b| w[a..].cmp(&w[b..])).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_factorisations_are_the_known_ones() {
        // aab = a·ab, abb = ab·b, aabab = aab·ab (letters 0 = a, 1 = b).
        assert_eq!(standard_split(&[0, 0, 1]), 1);
        assert_eq!(standard_split(&[0, 1, 1]), 2);
        assert_eq!(standard_split(&[0, 0, 1, 0, 1]), 3);
    }

    #[test]
    fn each_bracket_is_its_word_plus_larger_words() {
        let mut memo = HashMap::new();
        for w in lyndon_words(3, Depth::new(5).unwrap()).unwrap() {
            let key = w.iter().fold(0usize, |acc, &l| acc * 3 + l);
            let p = expansion(&w, 3, &mut memo);
            assert_eq!(p.get(&key), Some(&1), "{w:?}");
            assert!(p.keys().all(|&k| k >= key), "{w:?} has a smaller word");
        }
    }
}
