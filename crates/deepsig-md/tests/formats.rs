//! File-reader tests: real MDAnalysis test files against reference arrays, generated fixtures,
//! and seeded corruptions that must give errors, never panics.

mod amber;
mod common;
mod frame_index;
mod generated;
mod generated_text;
mod mutate;
mod real;
mod real_topology;
