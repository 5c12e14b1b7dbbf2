//! Integration tests of the `deepsig` binary and repo-wide tidy checks, one test binary.
//!
//! - `cli`: runs the built binary on files in a temporary folder.
//! - `tidy`: house rules checked on the source tree (module docs, file size, crate graph).

mod cli;
mod tidy;
