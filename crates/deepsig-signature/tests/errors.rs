//! Bad input is refused with an error that says what and where, never a panic.

use deepsig_signature::{
    Depth, Error, PathShape, SigOptions, combine, signature, signature_backward,
};

fn opts(depth: usize) -> SigOptions {
    SigOptions::signature(Depth::new(depth).unwrap())
}

#[test]
fn depth_zero_and_too_deep_are_refused() {
    assert_eq!(Depth::new(0), Err(Error::InvalidDepth { depth: 0 }));
    assert!(matches!(
        Depth::new(deepsig_signature::MAX_DEPTH + 1),
        Err(Error::InvalidDepth { .. })
    ));
    assert_eq!(
        Depth::new(0).unwrap_err().to_string(),
        "depth 0 is out of range: it must be 1 to 16"
    );
}

#[test]
fn a_single_point_has_no_signature_unless_basepointed() {
    let shape = PathShape { batch: 1, length: 1, channels: 2 };
    assert_eq!(signature(&[1.0, 2.0], shape, &opts(2)), Err(Error::TooShort { points: 1 }));
    let with_base = SigOptions { basepoint: true, ..opts(2) };
    assert_eq!(
        signature(&[1.0, 2.0], shape, &with_base).unwrap(),
        vec![1.0, 2.0, 0.5, 1.0, 1.0, 2.0]
    );
}

#[test]
fn shape_mismatch_names_the_argument() {
    let shape = PathShape { batch: 2, length: 3, channels: 2 };
    let err = signature(&[0.0_f64; 11], shape, &opts(2)).unwrap_err();
    assert_eq!(err, Error::ShapeMismatch { what: "the path batch", expected: 12, got: 11 });
    let err = signature_backward(&[0.0_f64; 12], shape, &[0.0; 5], &opts(2)).unwrap_err();
    assert_eq!(err, Error::ShapeMismatch { what: "the output gradient", expected: 12, got: 5 });
    assert_eq!(
        signature(&[0.0_f64; 0], PathShape { channels: 0, ..shape }, &opts(2)),
        Err(Error::NoChannels)
    );
}

#[test]
fn non_finite_values_name_path_point_and_channel() {
    let shape = PathShape { batch: 2, length: 3, channels: 2 };
    let mut x = vec![0.5_f32; 12];
    x[9] = f32::NAN; // path 1, point 1, channel 1
    let err = signature(&x, shape, &opts(3)).unwrap_err();
    assert_eq!(err, Error::NonFinite { path: 1, point: 1, channel: 1 });
    assert_eq!(
        err.to_string(),
        "path 1, point 1, channel 1 is not a finite number (NaN or infinity)"
    );
    let mut g = vec![0.0_f64; 2 * 14];
    g[3] = f64::INFINITY;
    let err = signature_backward(&[0.0_f64; 12], shape, &g, &opts(3)).unwrap_err();
    assert_eq!(err, Error::NonFiniteGradient { index: 3 });
}

#[test]
fn combine_checks_lengths_and_values() {
    let depth = Depth::new(2).unwrap();
    assert!(matches!(
        combine(&[0.0_f64; 6], &[0.0; 5], 2, depth),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        combine(&[0.0_f64; 5], &[0.0; 5], 2, depth),
        Err(Error::ShapeMismatch { .. })
    ));
    let err = combine(&[0.0_f64; 6], &[0.0, f64::NAN, 0.0, 0.0, 0.0, 0.0], 2, depth).unwrap_err();
    assert_eq!(err, Error::NonFiniteInput { what: "the second signature batch", index: 1 });
}

#[test]
fn absurd_sizes_are_refused_not_allocated() {
    let shape = PathShape { batch: 1, length: 2, channels: 1000 };
    let x = vec![0.0_f64; 2000];
    assert!(matches!(signature(&x, shape, &opts(16)), Err(Error::TooLarge { .. })));
}
