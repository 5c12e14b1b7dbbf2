//! The `deepsig` binary end to end: files in, files out, errors on stderr.

use std::path::Path;

use crate::{deepsig, stderr};

fn write_npy(path: &Path, data: &[f64], shape: &[u64]) {
    use npyz::WriterBuilder;
    let file = std::fs::File::create(path).unwrap();
    let mut w =
        npyz::WriteOptions::new().default_dtype().shape(shape).writer(file).begin_nd().unwrap();
    w.extend(data.iter().copied()).unwrap();
    w.finish().unwrap();
}

fn read_npy(path: &Path) -> (Vec<f64>, Vec<u64>) {
    let npy = npyz::NpyFile::new(std::fs::File::open(path).unwrap()).unwrap();
    let shape = npy.shape().to_vec();
    (npy.into_vec().unwrap(), shape)
}

#[test]
fn signature_and_its_backward_through_files() {
    let dir = tempfile::tempdir().unwrap();
    // Two 2-D paths of 3 points.
    let x = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
    write_npy(&dir.path().join("x.npy"), &x, &[2, 3, 2]);
    let out = deepsig(
        &["signature", "x.npy", "-o", "s.npy", "--depth", "2", "--log", "words"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (s, shape) = read_npy(&dir.path().join("s.npy"));
    assert_eq!(shape, [2, 3]);
    // Right-then-up encloses +1/2 of area; up-then-right -1/2.
    assert_eq!(s, [1.0, 1.0, 0.5, 1.0, 1.0, -0.5]);

    write_npy(&dir.path().join("g.npy"), &[0.0, 0.0, 1.0, 0.0, 0.0, 1.0], &[2, 3]);
    let out = deepsig(
        &[
            "signature",
            "x.npy",
            "--grad",
            "g.npy",
            "-o",
            "dx.npy",
            "--depth",
            "2",
            "--log",
            "words",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (dx, shape) = read_npy(&dir.path().join("dx.npy"));
    assert_eq!(shape, [2, 3, 2]);
    let lib = deepsig_signature_backward(&x);
    for (a, b) in dx.iter().zip(&lib) {
        assert!((a - b).abs() < 1e-12, "{dx:?} vs {lib:?}");
    }
}

/// The expected backward from the library itself, to check the file plumbing.
fn deepsig_signature_backward(x: &[f64]) -> Vec<f64> {
    // d(area)/dx for the shoelace area ½ Σ (x_{k-1}-x_0) ∧ Δx_k, computed by hand for the
    // 3-point paths: area = ½ (x1 - x0) ∧ (x2 - x1).
    let mut out = Vec::new();
    for p in x.chunks(6) {
        let (a, b, c) = ([p[0], p[1]], [p[2], p[3]], [p[4], p[5]]);
        let u = [b[0] - a[0], b[1] - a[1]];
        let v = [c[0] - b[0], c[1] - b[1]];
        // area = ½ (u0 v1 - u1 v0); du = ½ (v1, -v0), dv = ½ (-u1, u0).
        let du = [0.5 * v[1], -0.5 * v[0]];
        let dv = [-0.5 * u[1], 0.5 * u[0]];
        out.extend([-du[0], -du[1], du[0] - dv[0], du[1] - dv[1], dv[0], dv[1]]);
    }
    out
}

#[test]
fn errors_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = deepsig(&["signature", "missing.npy", "-o", "s.npy", "--depth", "2"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("deepsig: missing.npy: cannot read"), "{}", stderr(&out));

    std::fs::write(dir.path().join("junk.npy"), b"not an array").unwrap();
    let out = deepsig(&["signature", "junk.npy", "-o", "s.npy", "--depth", "2"], dir.path());
    assert!(stderr(&out).contains("junk.npy: not a valid .npy array"), "{}", stderr(&out));

    write_npy(&dir.path().join("nan.npy"), &[0.0, 1.0, f64::NAN, 2.0], &[2, 2]);
    let out = deepsig(&["signature", "nan.npy", "-o", "s.npy", "--depth", "2"], dir.path());
    assert!(
        stderr(&out).contains("path 0, point 1, channel 0 is not a finite number"),
        "{}",
        stderr(&out)
    );

    write_npy(&dir.path().join("x.npy"), &[0.0, 1.0, 2.0, 3.0], &[2, 2]);
    write_npy(&dir.path().join("g.npy"), &[1.0; 5], &[5]);
    let out = deepsig(
        &["signature", "x.npy", "--grad", "g.npy", "-o", "d.npy", "--depth", "2"],
        dir.path(),
    );
    assert!(
        stderr(&out).contains("g.npy has shape [5] but the output for x.npy"),
        "{}",
        stderr(&out)
    );

    let out = deepsig(&["signature", "x.npy", "-o", "s.npy", "--depth", "0"], dir.path());
    assert!(stderr(&out).contains("depth 0 is out of range"), "{}", stderr(&out));
}

#[test]
fn an_existing_output_is_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    write_npy(&dir.path().join("x.npy"), &[0.0, 1.0, 2.0, 3.0], &[2, 2]);
    std::fs::write(dir.path().join("mine.npy"), b"precious").unwrap();
    let out = deepsig(&["signature", "x.npy", "-o", "mine.npy", "--depth", "1"], dir.path());
    assert!(stderr(&out).contains("mine.npy already exists; pass --force"), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.path().join("mine.npy")).unwrap(), b"precious");
    let out =
        deepsig(&["signature", "x.npy", "-o", "mine.npy", "--depth", "1", "--force"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read_npy(&dir.path().join("mine.npy")).0, [2.0, 2.0]);
}

#[test]
fn bench_prints_the_json_keys_the_issue_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = deepsig(
        &[
            "bench",
            "signature",
            "--batch",
            "2",
            "--length",
            "10",
            "--channels",
            "3",
            "--depth",
            "2",
            "--json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["fwd_ms_min", "fwd_ms_median", "bwd_ms_min", "bwd_ms_median", "gmadds_per_s"] {
        assert!(
            json[key].as_f64().is_some_and(|v| v > 0.0),
            "{key} missing or not positive in {json}"
        );
    }
    let kernels = json["kernels"].as_str();
    assert!(
        matches!(kernels, Some("avx512" | "avx2" | "baseline")),
        "the kernels' build is not named in {json}"
    );
}

#[test]
fn bench_train_measures_each_thread_count_and_the_speed_up() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["bench", "train", "--atoms", "24", "--frames", "12", "--windows", "8"];
    let rest = ["--eval-windows", "4", "--preset", "small", "--set", "clusters=3"];
    let json =
        deepsig(&[&args[..], &rest[..], &["--threads", "1,2", "--json"]].concat(), dir.path());
    assert!(json.status.success(), "{}", stderr(&json));
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let threads: Vec<_> = rows.as_array().unwrap().iter().map(|r| r["threads"].clone()).collect();
    assert_eq!(threads, [1, 2]);
    for row in rows.as_array().unwrap() {
        assert!(row["result"]["epoch_seconds"].as_f64().is_some_and(|s| s > 0.0), "{row}");
    }
    let table = deepsig(&[&args[..], &rest[..], &["--threads", "1,2"]].concat(), dir.path());
    assert!(table.status.success(), "{}", stderr(&table));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("speed-up") && text.lines().any(|l| l.trim_start().starts_with("2 ")),
        "{text}"
    );
}
