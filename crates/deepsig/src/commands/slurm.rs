//! `deepsig slurm`: the sbatch scripts of a benchmark on a Slurm cluster. An array job
//! preprocesses the manifest's trajectories into the shared cache (`prepare --shard auto`),
//! a second trains its share of the (method, seed) runs (`benchmark --shard auto`) once the
//! first has succeeded, and a merge job writes the table (`benchmark --merge`). The runs are
//! the ones a single `deepsig benchmark` makes: same seeds, same splits, same folders.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::args::SlurmArgs;

/// `text` as one single-quoted shell word.
fn quote(text: &str) -> String {
    if !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-=:,+".contains(&b))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot make {} absolute", path.display()))
}

/// The `#SBATCH` header of one job.
fn header(args: &SlurmArgs, name: &str, array: Option<usize>, logs: &Path) -> String {
    let mut lines = vec!["#!/bin/bash".to_string(), format!("#SBATCH --job-name=deepsig-{name}")];
    match array {
        Some(n) => {
            lines.push(format!("#SBATCH --array=0-{}", n - 1));
            lines.push(format!("#SBATCH --output={}/{name}-%a.out", logs.display()));
        }
        None => lines.push(format!("#SBATCH --output={}/{name}.out", logs.display())),
    }
    lines.push("#SBATCH --ntasks=1".into());
    lines.push(format!("#SBATCH --cpus-per-task={}", args.cpus));
    if let Some(p) = &args.partition {
        lines.push(format!("#SBATCH --partition={p}"));
    }
    if let Some(t) = &args.time {
        lines.push(format!("#SBATCH --time={t}"));
    }
    if let Some(m) = &args.mem {
        lines.push(format!("#SBATCH --mem={m}"));
    }
    lines.push("set -euo pipefail".into());
    lines.push(format!("export RAYON_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-{}}}\"", args.cpus));
    lines.join("\n")
}

/// The scripts' contents: (file name, text).
fn scripts(args: &SlurmArgs, exe: &Path) -> Result<Vec<(&'static str, String)>> {
    if args.array == 0 {
        bail!("--array must be at least 1");
    }
    args.model.config()?;
    if let Some(list) = &args.methods {
        crate::commands::benchmark::parse_methods(list)?;
    }
    let out = absolute(&args.out)?;
    let manifest = absolute(&args.manifest)?;
    if !manifest.is_file() {
        bail!("{}: no such manifest", manifest.display());
    }
    let logs = out.join("slurm").join("logs");
    let deepsig = quote(&exe.display().to_string());
    let model: String = std::iter::once(format!("--preset {}", quote(&args.model.preset)))
        .chain(args.model.overrides.iter().map(|o| format!("--set {}", quote(o))))
        .collect::<Vec<_>>()
        .join(" ");
    let (m, o) = (quote(&manifest.display().to_string()), quote(&out.display().to_string()));
    let cache = quote(&deepsig_model::seeds::cache_dir_in(&out).display().to_string());
    let methods =
        args.methods.as_ref().map(|l| format!(" --methods {}", quote(l))).unwrap_or_default();
    let benchmark = format!(
        "{deepsig} benchmark --manifest {m} --out {o}{methods} --seeds {} --seed {} {model}",
        args.seeds, args.seed
    );
    let prepare = format!(
        "{}\nexec {deepsig} prepare --manifest {m} --cache {cache} --shard auto {model}\n",
        header(args, "prepare", Some(args.array), &logs)
    );
    let train = format!(
        "{}\nexec {benchmark} --shard auto\n",
        header(args, "benchmark", Some(args.array), &logs)
    );
    let merge = format!("{}\nexec {benchmark} --merge\n", header(args, "merge", None, &logs));
    let submit = "#!/bin/bash\n\
        # Submits the three jobs, each after the previous one succeeded.\n\
        set -euo pipefail\n\
        cd \"$(dirname \"$0\")\"\n\
        mkdir -p logs\n\
        prepare=$(sbatch --parsable prepare.sbatch)\n\
        benchmark=$(sbatch --parsable --dependency=afterok:\"${prepare%%;*}\" benchmark.sbatch)\n\
        merge=$(sbatch --parsable --dependency=afterok:\"${benchmark%%;*}\" merge.sbatch)\n\
        echo \"prepare ${prepare%%;*}, benchmark ${benchmark%%;*}, merge ${merge%%;*}\"\n"
        .to_string();
    Ok(vec![
        ("prepare.sbatch", prepare),
        ("benchmark.sbatch", train),
        ("merge.sbatch", merge),
        ("submit.sh", submit),
    ])
}

pub(crate) fn run(args: &SlurmArgs) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the deepsig executable")?;
    let files = scripts(args, &exe)?;
    let dir = args.out.join("slurm");
    for (name, _) in &files {
        let path = dir.join(name);
        if path.exists() && !args.force {
            bail!("{} already exists; pass --force to replace the scripts", path.display());
        }
    }
    std::fs::create_dir_all(dir.join("logs"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in &files {
        let path = dir.join(name);
        crate::npy::write_atomic(&path, true, |w| Ok(w.write_all(text.as_bytes())?))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("cannot make {} executable", path.display()))?;
        }
    }
    let d = dir.display();
    println!("wrote {d}/{{prepare,benchmark,merge}}.sbatch and {d}/submit.sh; submit with");
    println!("  {d}/submit.sh");
    println!("which runs");
    println!("  jid=$(sbatch --parsable {d}/prepare.sbatch)");
    println!("  jid=$(sbatch --parsable --dependency=afterok:$jid {d}/benchmark.sbatch)");
    println!("  sbatch --dependency=afterok:$jid {d}/merge.sbatch");
    println!("The table appears in {}/benchmark.md when the merge job ends.", args.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(quote("/data/m.toml"), "/data/m.toml");
        assert_eq!(quote("lr=1e-3"), "lr=1e-3");
        assert_eq!(quote("my runs"), "'my runs'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
