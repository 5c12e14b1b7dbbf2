//! A `deepsig train` child killed with SIGKILL at random moments, again and again, then
//! resumed each time, ends with exactly the metrics of an uninterrupted run of the same seed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{deepsig, stderr};

const EPOCHS: &str = "epochs=16";

fn train_args(out: &str) -> Vec<&str> {
    let args = ["train", "--manifest", "data/manifest.toml", "--out", out, "--preset", "small"];
    let mut args = args.to_vec();
    args.extend(["--set", EPOCHS, "--set", "patience=0", "--seed", "3", "--json"]);
    args
}

/// What must match between the two runs: every metric, not the timings.
fn outcome(dir: &Path, run: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(run).join("metrics.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::json!([m["loss"], m["per_window"], m["per_trajectory"], m["best_epoch"]])
}

/// A small deterministic generator for the kill times (the test must be reproducible).
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *state >> 33
}

#[test]
fn training_killed_at_random_moments_and_resumed_matches_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let generate = ["generate", "motion", "-o", "data", "--per-class", "4", "--frames", "48"];
    let out = deepsig(&[&generate[..], &["--residues", "16"]].concat(), d);
    assert!(out.status.success(), "{}", stderr(&out));

    let started = Instant::now();
    let out = deepsig(&train_args("straight"), d);
    assert!(out.status.success(), "{}", stderr(&out));
    let whole = started.elapsed();

    // Kill times of 5-40 % of a whole run, so that several kills land in preprocessing,
    // in epochs and in checkpoint writes; each restart resumes with --resume.
    let mut rng = 0x5eed_u64;
    let (mut kills, mut mid_write) = (0, 0);
    let mut resume = train_args("killed");
    resume.push("--resume");
    loop {
        assert!(kills < 40, "the run never finished after {kills} kills");
        let mut child = Command::new(env!("CARGO_BIN_EXE_deepsig"))
            .args(&resume)
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let wait = whole.mul_f64(0.05 + 0.35 * (next(&mut rng) % 1000) as f64 / 1000.0);
        let deadline = Instant::now() + wait;
        let mut finished = None;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                finished = Some(status);
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if let Some(status) = finished {
            let err = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
            assert!(status.success(), "a resumed run failed: {err}");
            break;
        }
        child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush, no cleanup.
        child.wait().unwrap();
        kills += 1;
        // A temporary file left behind means the kill landed inside an atomic write.
        let leftovers = std::fs::read_dir(d.join("killed"))
            .map(|r| r.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(".tmp")))
            .map_or(0, |f| f.count());
        mid_write += usize::from(leftovers > 0);
    }
    eprintln!("killed {kills} times ({mid_write} times with an atomic write in flight)");
    assert!(kills >= 3, "only {kills} kills: the kill times are too late to test anything");
    assert_eq!(outcome(d, "straight"), outcome(d, "killed"));
    let curves = |run: &str| {
        let text = std::fs::read_to_string(d.join(run).join("curves.csv")).unwrap();
        // Every column but the last (seconds) must agree, epoch by epoch.
        let rows: Vec<String> = text
            .lines()
            .map(|l| l.rsplit_once(',').map_or(l, |(head, _)| head).to_string())
            .collect();
        rows
    };
    assert_eq!(curves("straight"), curves("killed"));
}
