//! `deepsig info`: a short description of an MD system (topology plus trajectories).

use std::path::Path;

use anyhow::Result;
use deepsig_md::BondOrigin;
use serde_json::{Value, json};

use crate::args::InfoArgs;
use crate::commands::md;

pub(crate) fn run(args: &InfoArgs) -> Result<()> {
    let selection = md::parse_selection(&args.select)?;
    let topology = md::read_topology(&args.topology)?;
    let selected = md::select_atoms(&selection, &topology, &args.topology)?;
    let options = md::read_options(&args.read);
    let info =
        deepsig_md::describe(&topology, &args.topology, &selected, &args.trajectories, options)?;
    md::print_warnings(&info.warnings);
    let (paths, bonds, graph, segments) =
        (&info.trajectories, &info.bonds, &info.graph, &info.segments);
    let (residues, dims) = (info.residues, info.box_dimensions);
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
            "frames": info.frames,
            "time_step_ps": info.time_step_ps,
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
    row("frames", info.frames.to_string());
    let dt = info.time_step_ps.map(significant);
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
