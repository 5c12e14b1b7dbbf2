//! MD files to numpy: `_core.read` (the `deepsig extract` pipeline) and `_core.info` (the
//! `deepsig info --json` dictionary).

use std::path::{Path, PathBuf};

use deepsig_md::{
    AtomSelection, DescribeError, ExtractError, ExtractOptions, FrameIndexPlace, FrameRange, Graph,
    ReadOptions, Selection, Topology,
};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::{read_error, value_error};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(info, m)?)?;
    Ok(())
}

fn topology_and_selection(
    py: Python<'_>,
    path: &Path,
    select: &str,
) -> PyResult<(Topology, AtomSelection)> {
    let selection =
        Selection::parse(select).map_err(|e| PyValueError::new_err(format!("select: {e}")))?;
    let topology = py.detach(|| deepsig_md::open_topology(path)).map_err(|e| read_error(py, &e))?;
    let selected = selection.evaluate(&topology).map_err(|e| {
        PyValueError::new_err(format!("select: {select:?} on {}: {e}", path.display()))
    })?;
    Ok((topology, selected))
}

fn extract_error(py: Python<'_>, e: &ExtractError) -> PyErr {
    match e {
        ExtractError::Read(e) => read_error(py, e),
        other => value_error(other),
    }
}

/// The frames' data as the extract pipeline hands it over.
#[derive(Default)]
struct Frames {
    points: Vec<f64>,
    times: Vec<f64>,
    boxes: Vec<f64>,
    any_box: bool,
}

fn edges_array<'py>(
    py: Python<'py>,
    edges: impl Iterator<Item = (u32, u32)>,
) -> PyResult<Py<PyAny>> {
    let flat: Vec<i64> = edges.flat_map(|(i, j)| [i64::from(i), i64::from(j)]).collect();
    let n = flat.len() / 2;
    Ok(PyArray1::from_vec(py, flat).reshape([n, 2])?.into_any().unbind())
}

/// `_core.read(...)`: a dict with `positions` (F, A, 3), `times` (F,), `boxes` (F, 6) or None,
/// `atoms` (per selected atom), `indices`, `bonds`, `graph`, `warnings`.
#[pyfunction]
#[pyo3(signature = (topology, trajectories, select, start, stop, stride, unwrap, align, center, dtype, allow_truncated, frame_index))]
#[allow(clippy::too_many_arguments)]
fn read<'py>(
    py: Python<'py>,
    topology: PathBuf,
    trajectories: Vec<PathBuf>,
    select: &str,
    start: usize,
    stop: Option<usize>,
    stride: usize,
    unwrap: bool,
    align: bool,
    center: bool,
    dtype: &str,
    allow_truncated: bool,
    frame_index: &str,
) -> PyResult<Bound<'py, PyDict>> {
    if stride == 0 {
        return Err(PyValueError::new_err("stride: must be at least 1"));
    }
    let (top, selected) = topology_and_selection(py, &topology, select)?;
    let paths = deepsig_md::frame_sources(&topology, &trajectories);
    if paths.is_empty() {
        return Err(PyValueError::new_err(format!(
            "trajectories: none given, and {} holds no coordinates of its own",
            topology.display()
        )));
    }
    let read_options =
        ReadOptions { allow_truncated, frame_index: FrameIndexPlace::from_name(frame_index) };
    let options = ExtractOptions {
        range: FrameRange { start, stop, stride },
        read: read_options.clone(),
        unwrap,
        align,
        center,
    };
    let (frames, summary, bonds, graph) = py
        .detach(|| -> Result<_, ExtractError> {
            let mut frames = Frames::default();
            let summary =
                deepsig_md::extract(&top, &topology, &selected, &paths, &options, |frame| {
                    frames.points.extend(frame.points.iter().flatten());
                    frames.times.push(frame.time_ps.unwrap_or(f64::NAN));
                    match frame.unit_cell {
                        Some(cell) => {
                            frames.any_box = true;
                            frames.boxes.extend(deepsig_md::cell_dimensions(&cell));
                        }
                        None => frames.boxes.extend([f64::NAN; 6]),
                    }
                })?;
            let bonds_error = |source| ExtractError::Bonds { path: topology.clone(), source };
            let first = deepsig_md::first_frame_if_needed(&top, &paths, read_options)?;
            let bonds = deepsig_md::system_bonds(&top, first.as_ref()).map_err(bonds_error)?;
            let graph = match &bonds {
                None => None,
                Some(b) => {
                    let all = Graph::from_edges(top.atoms.len(), &b.pairs).map_err(bonds_error)?;
                    let induced = all.induced_subgraph(&selected).map_err(bonds_error)?;
                    let model = deepsig_md::model_graph(&top, b, &selected, first.as_ref())
                        .map_err(bonds_error)?;
                    Some((induced, model.graph))
                }
            };
            Ok((frames, summary, bonds, graph))
        })
        .map_err(|e| extract_error(py, &e))?;
    let n_atoms = selected.len();
    let n_frames = summary.frames;
    let out = PyDict::new(py);
    let positions = match dtype {
        "float64" => {
            PyArray1::from_vec(py, frames.points).reshape([n_frames, n_atoms, 3])?.into_any()
        }
        _ => {
            let single: Vec<f32> = frames.points.iter().map(|&x| x as f32).collect();
            PyArray1::from_vec(py, single).reshape([n_frames, n_atoms, 3])?.into_any()
        }
    };
    out.set_item("positions", positions)?;
    out.set_item("times", PyArray1::from_vec(py, frames.times))?;
    if frames.any_box {
        out.set_item("boxes", PyArray1::from_vec(py, frames.boxes).reshape([n_frames, 6])?)?;
    } else {
        out.set_item("boxes", py.None())?;
    }
    let atoms = PyDict::new(py);
    let picked: Vec<&deepsig_md::Atom> =
        selected.indices().iter().map(|&i| &top.atoms[i as usize]).collect();
    atoms.set_item("names", picked.iter().map(|a| a.name.as_str()).collect::<Vec<_>>())?;
    atoms.set_item("resnames", picked.iter().map(|a| a.resname.as_str()).collect::<Vec<_>>())?;
    atoms.set_item("resids", picked.iter().map(|a| a.resid).collect::<Vec<_>>())?;
    atoms.set_item("segids", picked.iter().map(|a| a.segid.as_str()).collect::<Vec<_>>())?;
    atoms.set_item("chains", picked.iter().map(|a| a.chain.as_str()).collect::<Vec<_>>())?;
    atoms.set_item("elements", picked.iter().map(|a| a.element.as_str()).collect::<Vec<_>>())?;
    let or_nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
    let masses = picked.iter().map(|a| or_nan(a.mass)).collect();
    atoms.set_item("masses", PyArray1::from_vec(py, masses))?;
    let charges = picked.iter().map(|a| or_nan(a.charge)).collect();
    atoms.set_item("charges", PyArray1::from_vec(py, charges))?;
    out.set_item("atoms", atoms)?;
    let indices: Vec<i64> = selected.indices().iter().map(|&i| i64::from(i)).collect();
    out.set_item("indices", PyArray1::from_vec(py, indices))?;
    match &graph {
        Some((induced, model)) => {
            out.set_item("bonds", edges_array(py, induced.edges())?)?;
            out.set_item("graph", edges_array(py, model.edges())?)?;
        }
        None => {
            out.set_item("bonds", py.None())?;
            out.set_item("graph", py.None())?;
        }
    }
    out.set_item("bond_source", bonds.as_ref().map(|b| b.origin.name()))?;
    let mut warnings: Vec<String> = summary.warnings.iter().map(|w| w.to_string()).collect();
    if summary.frames_without_box > 0 && unwrap {
        warnings.push(format!(
            "{} frames have no periodic box; unwrap leaves them as stored",
            summary.frames_without_box
        ));
    }
    out.set_item("warnings", warnings)?;
    Ok(out)
}

/// `_core.info(topology, trajectories, select, allow_truncated, frame_index)`: the keys and values of
/// `deepsig info --json`, plus `warnings`.
#[pyfunction]
#[pyo3(signature = (topology, trajectories, select, allow_truncated, frame_index))]
fn info<'py>(
    py: Python<'py>,
    topology: PathBuf,
    trajectories: Vec<PathBuf>,
    select: &str,
    allow_truncated: bool,
    frame_index: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let (top, selected) = topology_and_selection(py, &topology, select)?;
    let options =
        ReadOptions { allow_truncated, frame_index: FrameIndexPlace::from_name(frame_index) };
    let info = py
        .detach(|| deepsig_md::describe(&top, &topology, &selected, &trajectories, options))
        .map_err(|e| match &e {
            DescribeError::Read(r) => read_error(py, r),
            other => value_error(other),
        })?;
    let display = |p: &Path| p.display().to_string();
    let out = PyDict::new(py);
    out.set_item("topology", display(&topology))?;
    out.set_item("trajectories", info.trajectories.iter().map(|p| display(p)).collect::<Vec<_>>())?;
    out.set_item("atoms", info.atoms)?;
    out.set_item("residues", info.residues)?;
    let segments = PyList::empty(py);
    for s in &info.segments {
        let d = PyDict::new(py);
        d.set_item("id", &s.id)?;
        d.set_item("atoms", s.atoms)?;
        d.set_item("residues", s.residues)?;
        segments.append(d)?;
    }
    out.set_item("segments", segments)?;
    out.set_item("bonds", info.bonds.as_ref().map(|b| b.pairs.len()))?;
    out.set_item("bond_source", info.bonds.as_ref().map(|b| b.origin.name()))?;
    out.set_item("frames", info.frames)?;
    out.set_item("time_step_ps", info.time_step_ps)?;
    match info.box_dimensions {
        Some(d) => {
            let b = PyDict::new(py);
            for (key, value) in ["a", "b", "c", "alpha", "beta", "gamma"].iter().zip(d) {
                b.set_item(key, value)?;
            }
            out.set_item("box", b)?;
        }
        None => out.set_item("box", py.None())?,
    }
    let selection = PyDict::new(py);
    selection.set_item("expression", select)?;
    selection.set_item("atoms", info.selected_atoms)?;
    out.set_item("selection", selection)?;
    match &info.graph {
        Some((g, s)) => {
            let d = PyDict::new(py);
            d.set_item("nodes", s.nodes)?;
            d.set_item("edges", s.edges)?;
            d.set_item("bond_path_edges", g.bonded_edges)?;
            d.set_item("trace_edges", g.trace_edges)?;
            d.set_item("components", s.components)?;
            d.set_item("isolated", s.isolated)?;
            out.set_item("graph", d)?;
        }
        None => out.set_item("graph", py.None())?,
    }
    out.set_item("warnings", info.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>())?;
    Ok(out)
}
