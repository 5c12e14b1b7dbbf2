//! `deepsig prepare`: a manifest's trajectories, or one share of them, preprocessed into the
//! content-keyed cache that `train` and `benchmark` read (one Slurm array task per share).

use anyhow::{Context, Result, bail};
use deepsig_model::dataset::Shard;

use crate::args::PrepareArgs;

/// `I/N` with `0 <= I < N`.
fn parse_fraction(text: &str) -> Result<Shard> {
    let parsed = text.split_once('/').and_then(|(i, n)| {
        Some(Shard { index: i.trim().parse().ok()?, count: n.trim().parse().ok()? })
    });
    match parsed {
        Some(s) if s.count > 0 && s.index < s.count => Ok(s),
        _ => bail!("--shard {text:?}: expected I/N with 0 <= I < N, or auto"),
    }
}

/// The share of this Slurm array task: task ID minus the array's first ID, of the task count.
fn from_slurm(var: impl Fn(&str) -> Option<String>) -> Result<Shard> {
    let read = |name: &str| -> Result<usize> {
        let value = var(name).with_context(|| {
            format!("--shard auto: {name} is not set (not inside a Slurm array job?)")
        })?;
        value.trim().parse().with_context(|| format!("--shard auto: {name}={value:?}"))
    };
    let id = read("SLURM_ARRAY_TASK_ID")?;
    let count = read("SLURM_ARRAY_TASK_COUNT")?;
    let min = if var("SLURM_ARRAY_TASK_MIN").is_some() { read("SLURM_ARRAY_TASK_MIN")? } else { 0 };
    let index = id.checked_sub(min).filter(|&i| i < count);
    match index {
        Some(index) => Ok(Shard { index, count }),
        None => bail!(
            "--shard auto: task {id} of an array starting at {min} with {count} tasks is out of \
             range (use a contiguous array, --array=0-{})",
            count.saturating_sub(1)
        ),
    }
}

/// `--shard` as given: `I/N`, or `auto` from the Slurm environment.
pub(crate) fn parse_shard(text: &str) -> Result<Shard> {
    if text == "auto" { from_slurm(|name| std::env::var(name).ok()) } else { parse_fraction(text) }
}

pub(crate) fn run(args: &PrepareArgs) -> Result<()> {
    let shard = parse_shard(&args.shard)?;
    let config = args.model.config()?;
    let stats = deepsig_model::prepare::prepare_shard(&args.manifest, &config, &args.cache, shard)
        .with_context(|| format!("preparing {}", args.manifest.display()))?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "shard": format!("{}/{}", shard.index, shard.count),
                "read": stats.misses, "cached": stats.hits,
                "cache": args.cache.display().to_string(),
            })
        );
    } else {
        println!(
            "shard {}/{}: {} trajectories preprocessed, {} already in {}",
            shard.index,
            shard.count,
            stats.misses,
            stats.hits,
            args.cache.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_fraction("2/5").unwrap(), Shard { index: 2, count: 5 });
        for bad in ["5/5", "1/0", "a/2", "3", "-1/2"] {
            assert!(parse_fraction(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slurm_array_ids_become_shards() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        let shard =
            from_slurm(env(&[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "4")]));
        assert_eq!(shard.unwrap(), Shard { index: 3, count: 4 });
        let shifted = from_slurm(env(&[
            ("SLURM_ARRAY_TASK_ID", "11"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
        ]));
        assert_eq!(shifted.unwrap(), Shard { index: 1, count: 4 });
        let missing = from_slurm(env(&[("SLURM_ARRAY_TASK_COUNT", "4")])).unwrap_err();
        assert!(format!("{missing:#}").contains("SLURM_ARRAY_TASK_ID is not set"));
        let out = from_slurm(env(&[("SLURM_ARRAY_TASK_ID", "9"), ("SLURM_ARRAY_TASK_COUNT", "4")]));
        assert!(out.is_err());
    }
}
