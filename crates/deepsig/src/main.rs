//! The `deepsig` command-line tool: the only crate that knows clap, terminals and exit codes.

mod allocator;
mod args;
mod commands;
mod npy;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use args::{BenchCommand, Cli, Command, GenerateCommand};

fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Signature(a) => commands::signature::run(a),
        Command::Info(a) => commands::info::run(a),
        Command::Extract(a) => commands::extract::run(a),
        Command::Bench(BenchCommand::Signature(a)) => commands::bench::run(a),
        Command::Bench(BenchCommand::Read(a)) => commands::bench::read::run(a),
        Command::Bench(BenchCommand::Train(a)) => commands::bench::train::run(a),
        Command::Demo(a) => commands::demo::run(a),
        Command::Generate(GenerateCommand::Motion(a)) => commands::generate::run(a),
        Command::Generate(GenerateCommand::Grn(a)) => commands::generate::grn::run(a),
        Command::Generate(GenerateCommand::Circulation(a)) => {
            commands::generate::circulation::run(a)
        }
        Command::Prepare(a) => commands::prepare::run(a),
        Command::Train(a) => commands::train::run(a),
        Command::Eval(a) => commands::train::eval(a),
        Command::Predict(a) => commands::predict::run(a),
        Command::Embed(a) => commands::predict::embed(a),
        Command::Explain(a) => commands::explain::run(a),
        Command::Benchmark(a) => commands::benchmark::run(a),
        Command::Slurm(a) => commands::slurm::run(a),
    }
}

fn main() -> ExitCode {
    allocator::keep_freed_memory();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A closed pipe (`deepsig ... | head`) is not a failure.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("deepsig: {err:#}");
            ExitCode::FAILURE
        }
    }
}
