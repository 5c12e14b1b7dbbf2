//! The preprocessing cache is never stale: every byte that shapes a trajectory's windows is in
//! its key, so changing any one input misses exactly the entries it shaped, and changing nothing
//! (or only what shapes no window, a label) hits.
//!
//! The topology is a PSF without bonds or coordinates: the bonds that make molecules whole
//! are guessed from the first frame of the system's first trajectory, and the alignment
//! reference is that frame too; a second system of the same atoms shares the first's
//! reference. So a system's first frame shapes trajectories of other files.

use std::fmt::Write as _;

use deepsig_md::{BondOptions, Manifest};
use deepsig_model::dataset::{Dataset, DatasetOptions};

const ATOMS: usize = 6;

fn psf(charge: f64) -> String {
    let mut s = String::from("PSF\n\n       1 !NTITLE\n* cache test\n\n");
    let _ = writeln!(s, "{ATOMS:>8} !NATOM");
    for i in 1..=ATOMS {
        let _ =
            writeln!(s, "{i:>8} LIG  1    LIG  C{i}    CT1  {charge:>9.6}   12.0110           0");
    }
    s + "\n       0 !NBOND: bonds\n\n"
}

/// Frame `t` of trajectory `seed`: a zig-zag chain of carbons 1.5 Angstrom apart (bonded
/// when guessed), bending a little more each frame.
fn positions(seed: usize, t: usize) -> Vec<[f64; 3]> {
    (0..ATOMS)
        .map(|i| {
            let wiggle = 0.05 * ((seed * 7 + t * 3 + i) as f64).sin();
            [i as f64 * 1.3, (i % 2) as f64 * 0.75 + wiggle, 0.1 * (t as f64) * (i as f64 / 5.0)]
        })
        .collect()
}

fn pdb(frames: &[Vec<[f64; 3]>]) -> String {
    let mut s = String::new();
    for (t, frame) in frames.iter().enumerate() {
        let _ = writeln!(s, "MODEL     {:>4}", t + 1);
        for (i, p) in frame.iter().enumerate() {
            let _ = writeln!(
                s,
                "HETATM{:>5} C{:<3}LIG A   1    {:>8.3}{:>8.3}{:>8.3}  1.00  0.00           C",
                i + 1,
                i + 1,
                p[0],
                p[1],
                p[2]
            );
        }
        s.push_str("ENDMDL\n");
    }
    s + "END\n"
}

fn trajectory(seed: usize) -> Vec<Vec<[f64; 3]>> {
    (0..8).map(|t| positions(seed, t)).collect()
}

fn manifest(selection: &str, windows: usize, label_b: &str) -> String {
    format!(
        "selection = \"{selection}\"\n[windowing]\nwindows = {windows}\n\
         [[system]]\nname = \"a\"\ntopology = \"top.psf\"\ntrajectories = [\"t1.pdb\", \"t2.pdb\"]\nlabel = \"x\"\n\
         [[system]]\nname = \"b\"\ntopology = \"top.psf\"\ntrajectories = [\"t3.pdb\"]\nlabel = \"{label_b}\"\n"
    )
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let fixture = Fixture { dir: tempfile::tempdir().unwrap() };
        fixture.write("top.psf", &psf(0.0));
        for k in 1..=3 {
            fixture.write(&format!("t{k}.pdb"), &pdb(&trajectory(k)));
        }
        fixture.write("m.toml", &manifest("all", 2, "y"));
        fixture
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }

    /// The trajectories read rather than served from the cache, after checking that what
    /// the cache served is what reading without it gives.
    fn read(&self, options: &DatasetOptions) -> Vec<String> {
        let manifest = Manifest::load(self.dir.path().join("m.toml")).unwrap();
        let cache = self.dir.path().join("cache");
        let (data, stats) = Dataset::load(&manifest, options, Some(&cache)).unwrap();
        assert_eq!(stats.hits + stats.misses, 3);
        assert_eq!(stats.read.len(), stats.misses);
        let uncached = Dataset::load(&manifest, options, None).unwrap().0;
        assert!(data == uncached, "the cache serves what reading gives");
        let name = |p: &std::path::PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
        stats.read.iter().map(name).collect()
    }
}

#[test]
fn every_input_that_shapes_a_window_is_in_its_cache_key() {
    let f = Fixture::new();
    let options = DatasetOptions::default();
    let all = ["t1.pdb", "t2.pdb", "t3.pdb"];
    assert_eq!(f.read(&options), all, "a cold cache reads everything");
    assert!(f.read(&options).is_empty(), "nothing changed: all three are hits");

    // Trajectory 1's first frame gives system a's bonds and reference, and b shares that
    // reference (same atoms): all three change.
    let mut t1 = trajectory(1);
    t1[0][2][1] += 0.2;
    f.write("t1.pdb", &pdb(&t1));
    assert_eq!(f.read(&options), all, "t1's first frame shapes every trajectory");
    // A later frame of t1 shapes t1 alone.
    t1[5][2][1] += 0.2;
    f.write("t1.pdb", &pdb(&t1));
    assert_eq!(f.read(&options), ["t1.pdb"]);
    // t3 is system b's first trajectory: its bonds, not its reference (a's is shared).
    let mut t3 = trajectory(3);
    t3[0][4][0] += 0.2;
    f.write("t3.pdb", &pdb(&t3));
    assert_eq!(f.read(&options), ["t3.pdb"]);
    let mut t2 = trajectory(2);
    t2[0][1][2] -= 0.3;
    f.write("t2.pdb", &pdb(&t2));
    assert_eq!(f.read(&options), ["t2.pdb"], "t2 is not the first: it shapes itself only");

    // Any byte of the topology.
    f.write("top.psf", &psf(0.1));
    assert_eq!(f.read(&options), all);
    // A label shapes no window.
    f.write("m.toml", &manifest("all", 2, "z"));
    assert!(f.read(&options).is_empty(), "a new label is still a hit");
    // The selection and the windowing.
    f.write("m.toml", &manifest("not name C6", 2, "z"));
    assert_eq!(f.read(&options), all);
    f.write("m.toml", &manifest("not name C6", 3, "z"));
    assert_eq!(f.read(&options), all);
    // Each preprocessing option.
    let mut no_align = options.clone();
    no_align.prep.align = false;
    assert_eq!(f.read(&no_align), all);
    let bonds = BondOptions { tolerance: 0.3, ..BondOptions::default() };
    assert_eq!(f.read(&DatasetOptions { bonds, ..options.clone() }), all);
    // And back: the first entries are still there and still valid.
    assert!(f.read(&options).is_empty());
}
