//! `deepsig explain`: a trained run's atom clusters as PDB (hard cluster in the B-factor
//! column, membership in the occupancy column) and, as JSON, the clusters' residues and the
//! log-signature terms with the largest gradient × input attribution.

use std::path::Path;

use anyhow::{Context, Result, bail};
use deepsig_md::{PdbRecord, Trajectory, open_topology, write_pdb};
use deepsig_model::config::PathKind;
use deepsig_model::explain::{Explanation, explain};
use deepsig_model::{SystemInput, TrainedRun};
use serde_json::json;

use crate::args::ExplainArgs;
use crate::commands::predict::{load_run, prepare};
use crate::npy::write_atomic;

const AXES: [&str; 3] = ["x", "y", "z"];

/// Path channel `a` of a cluster: x, y, z for coordinate paths; with `path=learned` a
/// read-out output, which has no spatial meaning.
fn axis_name(run: &TrainedRun, a: usize) -> String {
    match (run.config.model.path, AXES.get(a)) {
        (PathKind::Learned, _) | (_, None) => format!("channel {a}"),
        (_, Some(axis)) => (*axis).to_string(),
    }
}

pub(crate) fn run(args: &ExplainArgs) -> Result<()> {
    let json_path = args.output.with_extension("json");
    for path in [&args.output, &json_path] {
        if path.exists() && !args.force {
            bail!("{} already exists; pass --force to overwrite it", path.display());
        }
    }
    let run = load_run(&args.input, true)?;
    if run.selection.is_none() {
        bail!(
            "{}: the run was trained on graph systems (node time series), which have no atoms \
             to write as PDB; use `deepsig predict` or `deepsig embed`",
            args.input.run.display()
        );
    }
    let data = prepare(&run, &args.input, &args.trajectories)?;
    if data.static_topology {
        eprintln!(
            "deepsig: note: no trajectory given; the topology's coordinates are repeated into a motionless path, so the clusters are meaningful but every attribution is zero"
        );
    }
    let explanation = explain(&run, &data, args.top)?;
    let positions = coordinates(&args.input.topology, &args.trajectories)?;
    let topology = open_topology(&args.input.topology)?;
    let records = data.system.topology_indices.iter().enumerate().map(|(i, &t)| PdbRecord {
        atom: &topology.atoms[t as usize],
        position: positions[t as usize],
        occupancy: explanation.top_membership[i],
        b_factor: explanation.hard[i] as f64,
    });
    let remarks = [
        format!("deepsig explain: run {}", args.input.run.display()),
        "B-factor: hard cluster (0..K-1); occupancy: membership in it".to_string(),
    ];
    write_atomic(&args.output, args.force, |w| Ok(write_pdb(w, &remarks, records)?))
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let report = report(&run, &data, &explanation);
    write_atomic(&json_path, args.force, |w| Ok(serde_json::to_writer_pretty(w, &report)?))
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    eprintln!(
        "wrote {} ({} atoms in {} clusters) and {}",
        args.output.display(),
        explanation.hard.len(),
        explanation.clusters,
        json_path.display()
    );
    Ok(())
}

/// The whole topology's coordinates: its own, or the first trajectory's first frame (PSF).
fn coordinates(topology: &Path, trajectories: &[std::path::PathBuf]) -> Result<Vec<[f32; 3]>> {
    let top = open_topology(topology)?;
    if let Some(p) = top.positions {
        return Ok(p);
    }
    let first = trajectories.first().context("the topology has no coordinates")?;
    let mut reader = Trajectory::open(std::slice::from_ref(first))?;
    let mut frame = deepsig_md::Frame::default();
    reader.read_next(&mut frame)?.with_context(|| format!("{} has no frame", first.display()))?;
    Ok(frame.positions)
}

/// Sorted residue numbers as inclusive ranges.
fn ranges(mut ids: Vec<i32>) -> Vec<[i32; 2]> {
    ids.sort_unstable();
    ids.dedup();
    let mut out: Vec<[i32; 2]> = Vec::new();
    for id in ids {
        match out.last_mut() {
            Some(r) if r[1] + 1 == id => r[1] = id,
            _ => out.push([id, id]),
        }
    }
    out
}

fn report(run: &TrainedRun, data: &SystemInput, e: &Explanation) -> serde_json::Value {
    let clusters: Vec<_> = (0..e.clusters)
        .map(|c| {
            let members: Vec<usize> = (0..e.hard.len()).filter(|&i| e.hard[i] == c).collect();
            let ids = members.iter().map(|&i| data.system.residue_ids[i]).collect();
            json!({ "cluster": c, "atoms": members.len(), "residues": ranges(ids) })
        })
        .collect();
    let terms = e.terms.as_ref().map(|terms| {
        terms
            .iter()
            .map(|t| {
                let letters: Vec<_> = t
                    .letters
                    .iter()
                    .map(|&(c, a)| json!({ "cluster": c, "axis": axis_name(run, a) }))
                    .collect();
                let kind = match t.letters.len() {
                    1 => "increment".to_string(),
                    2 => "Lévy area".to_string(),
                    n => format!("depth-{n} bracket"),
                };
                json!({
                    "channel": t.channel, "kind": kind, "letters": letters,
                    "attribution": t.attribution, "per_sub_window": t.per_sub_window,
                })
            })
            .collect::<Vec<_>>()
    });
    let predicted = run.task.class_of(&e.prediction).and_then(|c| run.task.classes().get(c));
    json!({
        "method": run.config.model.method.name(),
        "trajectories": data.trajectories.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        "static_topology": data.static_topology,
        "windows": e.windows,
        "prediction": { "outputs": e.prediction, "predicted": predicted },
        "explained_output": { "unit": e.output.0, "sign": e.output.1 },
        "clusters": clusters,
        "attributions": terms,
        "attribution_note": "gradient × input of the explained output with respect to each log-signature channel, summed over sub-windows and averaged over windows; channel letters are path channels cluster·3 + axis",
    })
}
