//! What deepsig's tests share, so that each exists once: the seeded generator, a random
//! rotation, and the locator of the real MD files in `../shared/data`.
//!
//! The locator never lets a real-data test pass by skipping where the data should be:
//! with `DEEPSIG_REQUIRE_DATA=1` (set by `.ci/run` when `../shared/data` exists) a missing
//! folder fails the test; otherwise the skip is said on stderr, which libtest shows (it
//! hides stdout).

use std::path::PathBuf;

/// Steele, Lea & Flood's splitmix64, the same sequence as `deepsig_md::SplitMix64` (this
/// crate depends on nothing, so every crate's tests can use it).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// A generator whose state starts at `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f64 {
        self.next_f64() * 2.0 - 1.0
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// Uniform in `0..n` (0 when `n` is 0); the modulo bias is negligible for test sizes.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.next_f64().max(1e-300), self.next_f64());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// `n` values uniform in [-1, 1).
    pub fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.uniform()).collect()
    }

    /// `n` values uniform in [-1, 1), as f32.
    pub fn vec_f32(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.uniform() as f32).collect()
    }
}

/// A rotation matrix drawn uniformly (a normalised Gaussian quaternion).
pub fn rotation(rng: &mut Rng) -> [[f64; 3]; 3] {
    let q: Vec<f64> = (0..4).map(|_| rng.normal()).collect();
    let n = q.iter().map(|v| v * v).sum::<f64>().sqrt();
    let (w, x, y, z) = (q[0] / n, q[1] / n, q[2] / n, q[3] / n);
    [
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - w * z), 2.0 * (x * z + w * y)],
        [2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - w * x)],
        [2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)],
    ]
}

/// `../shared/data` beside the repository when it holds `entry` (a file or folder inside
/// it, or `""` for the folder itself); else `None`, after saying so on stderr, or a panic
/// when `DEEPSIG_REQUIRE_DATA=1`.
pub fn shared_data(entry: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    if dir.join(entry).exists() {
        return Some(dir);
    }
    let missing = dir.join(entry);
    assert!(
        std::env::var_os("DEEPSIG_REQUIRE_DATA").is_none_or(|v| v != "1"),
        "DEEPSIG_REQUIRE_DATA=1 but {} is not found",
        missing.display()
    );
    eprintln!("skipping: {} not found (the real MD files of ../shared/data)", missing.display());
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_splitmix64() {
        // The first output of splitmix64 seeded with 0 (Vigna's reference implementation).
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
        let mut rng = Rng::new(3);
        let xs: Vec<f64> = (0..1000).map(|_| rng.uniform()).collect();
        assert!(xs.iter().all(|x| (-1.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / 1000.0;
        assert!(mean.abs() < 0.1, "{mean}");
    }

    #[test]
    fn rotations_are_orthonormal_with_determinant_one() {
        let mut rng = Rng::new(5);
        for _ in 0..20 {
            let r = rotation(&mut rng);
            for i in 0..3 {
                for j in 0..3 {
                    let dot: f64 = (0..3).map(|k| r[i][k] * r[j][k]).sum();
                    assert!((dot - f64::from(u8::from(i == j))).abs() < 1e-12);
                }
            }
            let det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
                - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
                + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
            assert!((det - 1.0).abs() < 1e-12, "{det}");
        }
    }
}
