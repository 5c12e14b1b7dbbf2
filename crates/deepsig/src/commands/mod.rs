//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod benchmark;
pub(crate) mod demo;
pub(crate) mod explain;
pub(crate) mod extract;
pub(crate) mod generate;
pub(crate) mod info;
mod md;
pub(crate) mod predict;
pub(crate) mod prepare;
pub(crate) mod signature;
pub(crate) mod slurm;
pub(crate) mod train;
