//! `deepsig predict` and `deepsig embed`: a trained run applied to new trajectories.

use anyhow::{Context, Result};
use deepsig_model::reference::ReferenceOrigin;
use deepsig_model::task::Task;
use deepsig_model::{SystemInput, TrainedRun};

use crate::args::{EmbedArgs, PredictArgs, RunInput};
use crate::npy;

/// The run and the windows of the given files, with the file names in every error.
pub(crate) fn load(
    input: &RunInput,
    trajectories: &[std::path::PathBuf],
    autodiff: bool,
) -> Result<(TrainedRun, SystemInput)> {
    let run = load_run(input, autodiff)?;
    let data = prepare(&run, input, trajectories)?;
    Ok((run, data))
}

/// The windows of `input`'s topology with `trajectories` for `run`, the error naming the
/// topology.
pub(crate) fn prepare(
    run: &TrainedRun,
    input: &RunInput,
    trajectories: &[std::path::PathBuf],
) -> Result<SystemInput> {
    let data = run
        .input(&input.topology, trajectories)
        .with_context(|| format!("preparing {}", input.topology.display()))?;
    if data.reference == Some(ReferenceOrigin::Own) {
        eprintln!(
            "deepsig: note: the run keeps no reference structure for the atoms of {} (other \
             atoms than in training{}), so frames are aligned to its own coordinates",
            input.topology.display(),
            if run.references.list().is_empty() {
                ", or a run saved before references"
            } else {
                ""
            }
        );
    }
    Ok(data)
}

/// The run of `input`, its error naming the run folder.
pub(crate) fn load_run(input: &RunInput, autodiff: bool) -> Result<TrainedRun> {
    TrainedRun::load(&input.run, input.manifest.as_deref(), &input.device, autodiff)
        .with_context(|| format!("loading the run {}", input.run.display()))
}

/// What to print for one prediction: the numbers and the class name.
fn class_name(task: &Task, prediction: &[f64]) -> Option<String> {
    task.class_of(prediction).and_then(|c| task.classes().get(c).cloned())
}

pub(crate) fn run(args: &PredictArgs) -> Result<()> {
    let (run, data) = load(&args.input, &args.trajectories, false)?;
    let task = &run.task;
    let trajectories: Vec<_> =
        run.predict(&data).into_iter().map(|t| (t.path, t.windows, t.mean)).collect();
    // Column names: P(class) for classification, the value for regression.
    let columns: Vec<String> = match task {
        Task::Binary { classes } => vec![format!("P({})", classes[1])],
        Task::MultiClass { classes } => classes.iter().map(|c| format!("P({c})")).collect(),
        Task::Regression => vec!["value".into()],
    };
    if args.json {
        let entry =
            |p: &[f64]| serde_json::json!({ "outputs": p, "predicted": class_name(task, p) });
        let json: Vec<_> = trajectories
            .iter()
            .map(|(path, windows, mean)| {
                serde_json::json!({
                    "trajectory": path,
                    "windows": windows.iter().map(|p| entry(p)).collect::<Vec<_>>(),
                    "mean": entry(mean),
                })
            })
            .collect();
        let out = serde_json::json!({
            "task": task, "columns": columns, "trajectories": json,
            "static_topology": data.static_topology,
            "reference": match data.reference {
                Some(ReferenceOrigin::Shared) => Some("run"),
                Some(ReferenceOrigin::Own) => Some("topology"),
                None => None,
            },
        });
        println!("{out}");
        return Ok(());
    }
    let header: String = columns.iter().map(|c| format!("{c:>14}")).collect();
    for (path, windows, mean) in &trajectories {
        println!("{}", path.display());
        println!("  {:<8}{header}  predicted", "window");
        let row = |label: &str, p: &[f64]| {
            let values: String = p.iter().map(|v| format!("{v:>14.4}")).collect();
            let class = class_name(task, p).unwrap_or_default();
            println!("  {label:<8}{values}  {class}");
        };
        for (w, p) in windows.iter().enumerate() {
            row(&w.to_string(), p);
        }
        row("mean", mean);
    }
    Ok(())
}

pub(crate) fn embed(args: &EmbedArgs) -> Result<()> {
    if args.output.exists() && !args.force {
        // Checked before any work, so that a refusal is immediate.
        anyhow::bail!("{} already exists; pass --force to overwrite it", args.output.display());
    }
    let (run, data) = load(&args.input, &args.trajectories, false)?;
    let mut values: Vec<f32> = Vec::new();
    let mut shape = [0usize; 3];
    for t in run.embed(&data)? {
        values.extend(t.values);
        shape = [shape[0] + t.shape[0], t.shape[1], t.shape[2]];
        eprintln!("{}: {} windows", t.path.display(), t.shape[0]);
    }
    npy::write(&args.output, args.force, &values, &shape)?;
    eprintln!("wrote {} of shape {shape:?}", args.output.display());
    Ok(())
}
