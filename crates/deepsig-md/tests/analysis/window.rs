//! Windows and sub-windows: counts, lengths, dropped frames, shared boundaries.

use deepsig_md::{SubWindowMode, WindowError, Windowing, sub_windows};

fn frames(w: &Windowing, n: usize) -> Vec<Vec<usize>> {
    w.split(n).unwrap_or_else(|e| panic!("{e}")).iter().map(|w| w.frames().collect()).collect()
}

#[test]
fn windows_are_equal_consecutive_and_drop_the_tail() {
    let w = Windowing::new(25, 1).unwrap_or_else(|e| panic!("{e}"));
    // GPCRmd-sized: 2500 frames, 25 windows of 100.
    let wins = w.split(2500).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(wins.len(), 25);
    assert!(wins.iter().enumerate().all(|(k, w)| w.len() == 100 && w.first() == 100 * k));
    // 98 frames into 25 windows of 3: 23 frames dropped at the end (the reference's
    // torch.split would have made 33 windows here).
    let f = frames(&w, 98);
    assert_eq!(f.len(), 25);
    assert_eq!(f[0], vec![0, 1, 2]);
    assert_eq!(f[24], vec![72, 73, 74]);
    assert_eq!(
        w.split(24),
        Err(WindowError::TooFewFrames { frames: 24, kept: 24, windows: 25, stride: 1 })
    );
    assert_eq!(w.split(25).map(|v| v.len()), Ok(25));
}

#[test]
fn stride_applies_before_windowing() {
    let w = Windowing::new(3, 4).unwrap_or_else(|e| panic!("{e}"));
    // 26 frames with stride 4 keep 0, 4, ..., 24 (7 frames): 3 windows of 2, frame 24 dropped.
    assert_eq!(frames(&w, 26), vec![vec![0, 4], vec![8, 12], vec![16, 20]]);
    assert!(Windowing::new(0, 1).is_err() && Windowing::new(1, 0).is_err());
    assert!(w.split(8).is_err(), "2 strided frames < 3 windows");
}

#[test]
fn shared_boundary_sub_windows_cover_every_increment_once() {
    // Divisible case: T = 101 frames, 4 sub-windows of 25 increments: [25j, 25(j+1)].
    let subs = sub_windows(101, 4, SubWindowMode::SharedBoundary).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(subs, vec![0..26, 25..51, 50..76, 75..101]);
    for t in 2..60 {
        for k in 1..t {
            let subs =
                sub_windows(t, k, SubWindowMode::SharedBoundary).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(subs.len(), k);
            assert_eq!((subs[0].start, subs[k - 1].end), (0, t), "whole window, T={t} K={k}");
            for pair in subs.windows(2) {
                assert_eq!(pair[0].end - 1, pair[1].start, "shared boundary frame");
            }
            let lens: Vec<usize> = subs.iter().map(|r| r.len()).collect();
            assert!(lens.iter().all(|&l| l >= 2), "every sub-window has an increment");
            let (lo, hi) = (lens.iter().min(), lens.iter().max());
            assert!(hi.zip(lo).is_some_and(|(h, l)| h - l <= 1), "T={t} K={k} {lens:?}");
            // Increments counted once: sum of (len - 1) is T - 1.
            assert_eq!(lens.iter().map(|l| l - 1).sum::<usize>(), t - 1);
        }
        assert!(sub_windows(t, t, SubWindowMode::SharedBoundary).is_err());
    }
}

#[test]
fn disjoint_sub_windows_reproduce_the_reference() {
    let subs = sub_windows(10, 4, SubWindowMode::Disjoint).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(subs, vec![0..2, 2..4, 4..6, 6..8]);
    assert!(sub_windows(3, 4, SubWindowMode::Disjoint).is_err());
    assert_eq!(
        sub_windows(10, 0, SubWindowMode::Disjoint),
        Err(WindowError::ZeroCount("sub-windows"))
    );
}
