//! The slow twin: truncated tensor algebra with an explicit level 0, written for clarity.

/// The workspace's one seeded generator.
pub(crate) use deepsig_testutil::Rng;

/// Levels 0..=depth, level k a flat row-major vector of d^k entries.
pub(crate) type Tensor = Vec<Vec<f64>>;

pub(crate) fn zero(d: usize, depth: usize) -> Tensor {
    (0..=depth).map(|k| vec![0.0; d.pow(k as u32)]).collect()
}

pub(crate) fn mul(a: &Tensor, b: &Tensor, d: usize, depth: usize) -> Tensor {
    let mut out = zero(d, depth);
    for k in 0..=depth {
        for i in 0..=k {
            let bj = &b[k - i];
            for (ia, &x) in a[i].iter().enumerate() {
                for (ib, &y) in bj.iter().enumerate() {
                    out[k][ia * bj.len() + ib] += x * y;
                }
            }
        }
    }
    out
}

/// exp(z) for a level-1 vector: level k is z^{⊗k} / k!, built as explicit outer products.
pub(crate) fn exp_vector(z: &[f64], depth: usize) -> Tensor {
    let d = z.len();
    let mut out = zero(d, depth);
    out[0][0] = 1.0;
    for (k, level) in out.iter_mut().enumerate().skip(1) {
        for (idx, v) in level.iter_mut().enumerate() {
            let mut prod = 1.0;
            let mut rest = idx;
            for _ in 0..k {
                prod *= z[rest % d];
                rest /= d;
            }
            *v = prod / (1..=k).product::<usize>() as f64;
        }
    }
    out
}

/// Power series of a tensor with zero level 0: Σ_n coef(n) X^n, n = 1..=depth.
fn series(x: &Tensor, d: usize, depth: usize, coef: impl Fn(usize) -> f64) -> Tensor {
    let mut out = zero(d, depth);
    let mut power = x.clone();
    for n in 1..=depth {
        for (o, p) in out.iter_mut().zip(&power) {
            for (a, b) in o.iter_mut().zip(p) {
                *a += coef(n) * b;
            }
        }
        power = mul(&power, x, d, depth);
    }
    out
}

pub(crate) fn log(sig: &Tensor, d: usize, depth: usize) -> Tensor {
    let mut x = sig.clone();
    x[0][0] = 0.0;
    series(&x, d, depth, |n| if n % 2 == 1 { 1.0 } else { -1.0 } / n as f64)
}

pub(crate) fn exp(x: &Tensor, d: usize, depth: usize) -> Tensor {
    let mut out = series(x, d, depth, |n| 1.0 / (1..=n).product::<usize>() as f64);
    out[0][0] = 1.0;
    out
}

/// The signature of one path (points as rows) as the product of segment exponentials.
pub(crate) fn signature(points: &[Vec<f64>], depth: usize) -> Tensor {
    let d = points[0].len();
    let mut sig = zero(d, depth);
    sig[0][0] = 1.0;
    for pair in points.windows(2) {
        let z: Vec<f64> = pair[1].iter().zip(&pair[0]).map(|(b, a)| b - a).collect();
        sig = mul(&sig, &exp_vector(&z, depth), d, depth);
    }
    sig
}

/// Levels 1..=depth concatenated (the crate's layout).
pub(crate) fn flat(t: &Tensor) -> Vec<f64> {
    t[1..].iter().flatten().copied().collect()
}

pub(crate) fn unflat(v: &[f64], d: usize, depth: usize) -> Tensor {
    let mut out = zero(d, depth);
    let mut at = 0;
    for level in out.iter_mut().skip(1) {
        let n = level.len();
        level.copy_from_slice(&v[at..at + n]);
        at += n;
    }
    out
}

/// Lyndon words by brute force: words smaller than all their rotations, by length then lex.
pub(crate) fn lyndon_brute(d: usize, depth: usize) -> Vec<Vec<usize>> {
    let mut words = Vec::new();
    for k in 1..=depth {
        for idx in 0..d.pow(k as u32) {
            let w: Vec<usize> = (0..k).rev().map(|p| idx / d.pow(p as u32) % d).collect();
            if (1..k).all(|r| {
                let rot: Vec<usize> = w[r..].iter().chain(&w[..r]).copied().collect();
                w < rot
            }) {
                words.push(w);
            }
        }
    }
    words
}

/// Augmentations as the docs define them, written out literally.
pub(crate) fn augment(
    points: &[Vec<f64>],
    basepoint: bool,
    lead_lag: bool,
    time: bool,
    inverse: bool,
) -> Vec<Vec<f64>> {
    let mut p: Vec<Vec<f64>> = points.to_vec();
    if basepoint {
        p.insert(0, vec![0.0; points[0].len()]);
    }
    if lead_lag {
        let mut ll = Vec::new();
        for i in 0..p.len() {
            ll.push([p[i].clone(), p[i].clone()].concat());
            if i + 1 < p.len() {
                ll.push([p[i + 1].clone(), p[i].clone()].concat());
            }
        }
        p = ll;
    }
    if time {
        let n = p.len();
        for (i, row) in p.iter_mut().enumerate() {
            row.insert(0, i as f64 / (n - 1) as f64);
        }
    }
    if inverse {
        p.reverse();
    }
    p
}

/// The standard bracketing of a Lyndon word as a dense homogeneous tensor: a letter is its
/// basis vector, else `[P_u, P_v] = P_u ⊗ P_v - P_v ⊗ P_u` for `w = uv`, `v` the longest proper
/// suffix that is a Lyndon word (found by brute force).
pub(crate) fn bracket(w: &[usize], d: usize) -> Vec<f64> {
    if w.len() == 1 {
        let mut e = vec![0.0; d];
        e[w[0]] = 1.0;
        return e;
    }
    let is_lyndon = |v: &[usize]| {
        (1..v.len()).all(|r| {
            let rot: Vec<usize> = v[r..].iter().chain(&v[..r]).copied().collect();
            v < &rot[..]
        })
    };
    let split = (1..w.len()).find(|&s| is_lyndon(&w[s..])).unwrap();
    let (pu, pv) = (bracket(&w[..split], d), bracket(&w[split..], d));
    let outer = |a: &[f64], b: &[f64]| -> Vec<f64> {
        a.iter().flat_map(|&x| b.iter().map(move |&y| x * y)).collect()
    };
    outer(&pu, &pv).iter().zip(outer(&pv, &pu)).map(|(x, y)| x - y).collect()
}

/// Coordinates of a Lie element (an expanded log) in the Lyndon basis, level by level, by
/// Gaussian elimination on the dense system "expansion at the Lyndon words = log there".
pub(crate) fn lyndon_coordinates(log: &Tensor, d: usize, depth: usize) -> Vec<f64> {
    let words = lyndon_brute(d, depth);
    let mut out = Vec::new();
    for (k, log_k) in log.iter().enumerate().skip(1) {
        let level: Vec<&Vec<usize>> = words.iter().filter(|w| w.len() == k).collect();
        let index = |w: &[usize]| w.iter().fold(0, |acc, &l| acc * d + l);
        let n = level.len();
        let columns: Vec<Vec<f64>> = level.iter().map(|w| bracket(w, d)).collect();
        // Augmented matrix rows: A[i][j] = P_{w_j} at word w_i, then the right-hand side.
        let mut a: Vec<Vec<f64>> = level
            .iter()
            .map(|wi| {
                let mut row: Vec<f64> = columns.iter().map(|p| p[index(wi)]).collect();
                row.push(log_k[index(wi)]);
                row
            })
            .collect();
        for c in 0..n {
            let pivot = (c..n).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs())).unwrap();
            a.swap(c, pivot);
            for r in 0..n {
                if r != c {
                    let f = a[r][c] / a[c][c];
                    let pivot_row = a[c].clone();
                    for (x, p) in a[r][c..].iter_mut().zip(&pivot_row[c..]) {
                        *x -= f * p;
                    }
                }
            }
        }
        out.extend((0..n).map(|i| a[i][n] / a[i][i]));
    }
    out
}
