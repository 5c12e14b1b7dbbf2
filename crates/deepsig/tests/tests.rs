//! Integration tests of the `deepsig` binary and repo-wide tidy checks, one test binary.
//!
//! - `apply`: `predict`, `embed` and `explain` on a tiny trained run.
//! - `cli`: runs the built binary on files in a temporary folder.
//! - `kill_resume`: training killed with SIGKILL at random moments and resumed ends exactly
//!   as an uninterrupted run.
//! - `md`, `md_real`: the MD subcommands on generated fixtures and on `../shared/data`.
//! - `prepare`: sharded preprocessing into the cache.
//! - `reference`: predictions independent of the topology's frame and atom order.
//! - `slurm`: the generated Slurm scripts run task by task, merged, equal one benchmark.
//! - `tidy`: house rules checked on the source tree (module docs, file size, crate graph).

mod apply;
mod benchmark;
mod cli;
mod kill_resume;
mod md;
mod md_real;
mod model;
mod prepare;
mod reference;
mod slurm;
mod tidy;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `deepsig` binary with `args` in `dir`.
fn deepsig(args: &[&str], dir: &Path) -> Output {
    // Frame indexes go to the user's cache folder by default: the tests keep theirs apart.
    let cache = std::env::temp_dir().join(format!("deepsig-test-cache-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_deepsig"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .unwrap()
}

/// A finished command's standard error as text.
fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
