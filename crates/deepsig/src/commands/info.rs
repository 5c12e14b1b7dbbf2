//! `deepsig info`: a short description of an MD system (topology plus trajectories).

use std::path::{Path, PathBuf};

use anyhow::Result;
use deepsig_md::{Format, Frame, FrameRange, ReadOptions, Topology, Trajectory};
use serde_json::{Value, json};

use crate::args::InfoArgs;
use crate::commands::md::{self, BondOrigin};

/// Atoms and residues of one segment (atoms sharing a segid), in order of first appearance.
struct Segment {
    id: String,
    atoms: usize,
    residues: usize,
}

fn segments(topology: &Topology) -> Vec<Segment> {
    fn find(id: &str, out: &mut Vec<Segment>) -> usize {
        out.iter().position(|s| s.id == id).unwrap_or_else(|| {
            out.push(Segment { id: id.to_string(), atoms: 0, residues: 0 });
            out.len() - 1
        })
    }
    let mut out = Vec::new();
    for atom in &topology.atoms {
        let k = find(&atom.segid, &mut out);
        out[k].atoms += 1;
    }
    for residue in deepsig_md::residues(topology) {
        let k = find(&topology.atoms[residue.start].segid, &mut out);
        out[k].residues += 1;
    }
    out
}

/// What the trajectory files say: frame count, the first two frames, and reader warnings.
struct Frames {
    count: usize,
    first: Option<Frame>,
    time_step_ps: Option<f64>,
}

fn read_frames(
    paths: &[PathBuf],
    (topology, top_path): (&Topology, &Path),
    options: ReadOptions,
) -> Result<Frames> {
    if paths.is_empty() {
        return Ok(Frames { count: 0, first: None, time_step_ps: None });
    }
    let range = FrameRange { start: 0, stop: Some(2), stride: 1 };
    let mut traj = Trajectory::open_with(paths, range, options)?;
    deepsig_md::check_atom_count(topology, top_path, &traj)?;
    let mut frames = [Frame::default(), Frame::default()];
    let mut read = 0;
    while read < 2 && traj.read_next(&mut frames[read])?.is_some() {
        read += 1;
    }
    md::print_warnings(traj.warnings());
    let count = match Trajectory::open_with(paths, FrameRange::default(), options)?.n_frames() {
        Some(n) => n,
        None => paths.iter().map(deepsig_md::count_frames).sum::<Result<usize, _>>()?,
    };
    let time_step_ps = match (read, frames[0].time_ps, frames[1].time_ps) {
        (2, Some(t0), Some(t1)) => Some(t1 - t0),
        _ => None,
    };
    let [first, _] = frames;
    Ok(Frames { count, first: (read > 0).then_some(first), time_step_ps })
}

/// The files to take frames from: those given, else a PDB or GRO topology itself.
fn trajectory_paths(args: &InfoArgs) -> Vec<PathBuf> {
    if !args.trajectories.is_empty() {
        return args.trajectories.clone();
    }
    let ext = args.topology.extension().and_then(|e| e.to_str()).unwrap_or("");
    match Format::from_extension(ext) {
        Some(Format::Pdb | Format::Gro) => vec![args.topology.clone()],
        _ => Vec::new(),
    }
}

pub(crate) fn run(args: &InfoArgs) -> Result<()> {
    let selection = md::parse_selection(&args.select)?;
    let topology = md::read_topology(&args.topology)?;
    let selected = md::select_atoms(&selection, &topology, &args.topology)?;
    let paths = trajectory_paths(args);
    let options = ReadOptions { allow_truncated: args.allow_truncated };
    let frames = read_frames(&paths, (&topology, &args.topology), options)?;
    let bonds = md::system_bonds(&topology, &args.topology, frames.first.as_ref())?;
    let graph = model_graph(&topology, &selected, bonds.as_ref(), frames.first.as_ref())?;
    let residues = deepsig_md::residues(&topology).len();
    let segments = segments(&topology);
    let dims =
        frames.first.as_ref().and_then(|f| f.unit_cell).map(|c| deepsig_md::cell_dimensions(&c));
    let display = |p: &Path| p.display().to_string();
    if args.json {
        let json = json!({
            "topology": display(&args.topology),
            "trajectories": paths.iter().map(|p| display(p)).collect::<Vec<_>>(),
            "atoms": topology.atoms.len(),
            "residues": residues,
            "segments": segments
                .iter()
                .map(|s| json!({"id": s.id, "atoms": s.atoms, "residues": s.residues}))
                .collect::<Vec<_>>(),
            "bonds": bonds.as_ref().map(|b| b.pairs.len()),
            "bond_source": bonds.as_ref().map(|b| b.origin.name()),
            "frames": frames.count,
            "time_step_ps": frames.time_step_ps,
            "box": dims.map_or(Value::Null, |d| json!({
                "a": d[0], "b": d[1], "c": d[2], "alpha": d[3], "beta": d[4], "gamma": d[5],
            })),
            "selection": {"expression": args.select, "atoms": selected.len()},
            "graph": graph.as_ref().map(|(g, s)| json!({
                "nodes": s.nodes, "edges": s.edges, "bond_path_edges": g.bonded_edges,
                "trace_edges": g.trace_edges, "components": s.components, "isolated": s.isolated,
            })),
        });
        println!("{json}");
        return Ok(());
    }
    let row = |key: &str, value: String| println!("{key:<12} {value}");
    row("topology", display(&args.topology));
    let names: Vec<String> = paths.iter().map(|p| display(p)).collect();
    row("trajectory", if names.is_empty() { "none".into() } else { names.join(", ") });
    row("atoms", topology.atoms.len().to_string());
    row("residues", residues.to_string());
    let segs: Vec<String> = segments
        .iter()
        .map(|s| {
            let id = if s.id.is_empty() { "(no id)" } else { &s.id };
            format!("{id} ({} atoms, {} residues)", s.atoms, s.residues)
        })
        .collect();
    row("segments", format!("{}: {}", segments.len(), segs.join(", ")));
    row(
        "bonds",
        match &bonds {
            Some(b) => format!("{} ({})", b.pairs.len(), origin_words(b.origin)),
            None => {
                "unknown (the file lists none and there are no coordinates to guess from)".into()
            }
        },
    );
    row("frames", frames.count.to_string());
    let dt = frames.time_step_ps.map(significant);
    row("time step", dt.map_or("unknown".into(), |dt| format!("{dt} ps")));
    row(
        "box",
        dims.map_or("none".into(), |d| {
            format!(
                "a b c = {:.3} {:.3} {:.3} Å, α β γ = {:.2} {:.2} {:.2}°",
                d[0], d[1], d[2], d[3], d[4], d[5]
            )
        }),
    );
    row("selection", format!("{:?}: {} atoms", args.select, selected.len()));
    row(
        "graph",
        match &graph {
            Some((g, s)) => {
                let mut from = vec![format!("{} from bond paths", g.bonded_edges)];
                if g.trace_edges > 0 {
                    from.push(format!("{} from the chain trace", g.trace_edges));
                }
                format!(
                    "{} edges ({}), {} components, {} isolated atoms",
                    s.edges,
                    from.join(", "),
                    s.components,
                    s.isolated
                )
            }
            None => "unknown (no bonds)".into(),
        },
    );
    if let Some((_, s)) = &graph {
        if s.edges == 0 {
            eprintln!(
                "deepsig: warning: the selection's graph has no edge; training refuses it \
                 (try edges=contacts)"
            );
        } else if s.isolated as f64 > 0.1 * s.nodes as f64 {
            eprintln!(
                "deepsig: warning: {} of {} selected atoms have no edge in the model's graph",
                s.isolated, s.nodes
            );
        }
    }
    Ok(())
}

/// The graph the model uses over the selected atoms (deepsig_md::selection_graph), with
/// the topology's coordinates or else the first frame as the reference structure.
fn model_graph(
    topology: &Topology,
    selected: &deepsig_md::AtomSelection,
    bonds: Option<&md::SystemBonds>,
    first: Option<&Frame>,
) -> Result<Option<(deepsig_md::SelectionGraph, deepsig_md::GraphSummary)>> {
    let Some(bonds) = bonds else { return Ok(None) };
    let all = deepsig_md::Graph::from_edges(topology.atoms.len(), &bonds.pairs)?;
    let positions = topology.positions.as_deref().or(first.map(|f| f.positions.as_slice()));
    let graph = deepsig_md::selection_graph(topology, &all, selected, positions)?;
    let summary = graph.graph.summary();
    Ok(Some((graph, summary)))
}

fn origin_words(origin: BondOrigin) -> &'static str {
    match origin {
        BondOrigin::File => "from the file",
        BondOrigin::FileAndGuessed => "from the file, completed by guessing from distances",
        BondOrigin::Guessed => "guessed from distances",
    }
}

/// `x` to 6 significant digits without trailing zeros: file times are float32 sums, so a
/// 1 ps step may be stored as 0.99999991 ps.
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let decimals = (5 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}
