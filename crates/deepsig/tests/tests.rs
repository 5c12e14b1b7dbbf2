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

/// The built `deepsig` binary run in a folder, and its standard error as text (one copy, in
/// `md.rs`).
use md::{deepsig, stderr};
