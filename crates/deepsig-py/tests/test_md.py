"""deepsig.read and deepsig.info against MDAnalysis and the CLI, and every error path."""

import json
import os
import pathlib
import shutil
import subprocess
import warnings

import MDAnalysis as mda
import numpy as np
import pytest

import deepsig

# (topology, trajectory) pairs of the shared data, one per trajectory format.
SYSTEMS = [
    ("adk.psf", "adk_dims.dcd"),
    ("adk_oplsaa.gro", "adk_oplsaa.xtc"),
    ("adk_oplsaa.gro", "adk_oplsaa.trr"),
]


@pytest.fixture
def copy(data, tmp_path):
    """Copies shared files into a temporary folder (MDAnalysis writes offset caches beside
    XTC/TRR files, and the shared data must stay as it is)."""

    def _copy(*names):
        out = []
        for name in names:
            shutil.copy(data / name, tmp_path / name)
            out.append(str(tmp_path / name))
        return out

    return _copy


@pytest.mark.parametrize("topology,trajectory", SYSTEMS)
@pytest.mark.parametrize("select", ["all", "name CA", "backbone"])
def test_read_matches_mdanalysis_bit_for_bit(copy, topology, trajectory, select):
    top, traj = copy(topology, trajectory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = deepsig.read(top, traj, select=select)
        u = mda.Universe(top, traj)
    ag = u.select_atoms(select)
    theirs = np.stack([ag.positions.copy() for _ in u.trajectory])
    assert ours.positions.dtype == np.float32
    np.testing.assert_array_equal(ours.positions, theirs)
    np.testing.assert_allclose(ours.times, [ts.time for ts in u.trajectory], rtol=1e-6)
    assert ours.atoms.names == list(ag.names)
    assert ours.atoms.resids == [int(r) for r in ag.resids]
    np.testing.assert_array_equal(ours.indices, ag.indices)
    if ours.boxes is not None:
        boxes = np.stack([ts.dimensions.copy() for ts in u.trajectory])
        np.testing.assert_allclose(ours.boxes, boxes, rtol=1e-5, atol=1e-3)


def test_read_frame_ranges_and_float64(copy):
    top, traj = copy("adk.psf", "adk_dims.dcd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = deepsig.read(top, traj, select="name CA")
        part = deepsig.read(top, traj, select="name CA", start=3, stop=40, stride=4)
        wide = deepsig.read(top, traj, select="name CA", dtype="float64")
    np.testing.assert_array_equal(part.positions, whole.positions[3:40:4])
    assert wide.positions.dtype == np.float64
    np.testing.assert_array_equal(wide.positions.astype(np.float32), whole.positions)


def test_a_stored_frame_index_serves_the_next_read(copy, tmp_path):
    top, traj = copy("adk_oplsaa.gro", "adk_oplsaa.xtc")
    index = tmp_path / "index"
    whole = deepsig.read(top, traj, select="name CA", frame_index=index)
    (stored,) = index.iterdir()
    assert stored.name.endswith("-adk_oplsaa.xtc.frames")
    again = deepsig.read(top, traj, select="name CA", start=5, stop=9, frame_index=index)
    np.testing.assert_array_equal(again.positions, whole.positions[5:9])
    assert deepsig.info(top, traj, frame_index=index)["frames"] == len(whole.positions)
    # Beside the file only when asked; the default cache folder is the user's.
    deepsig.read(top, traj, select="name CA", frame_index="beside")
    assert (tmp_path / ".adk_oplsaa.xtc.deepsig-frames").is_file()
    deepsig.read(top, traj, select="name CA")
    cache = pathlib.Path(os.environ["XDG_CACHE_HOME"]) / "deepsig" / "frame-index"
    assert any(p.name.endswith("-adk_oplsaa.xtc.frames") for p in cache.iterdir())


def test_align_and_center(copy):
    top, traj = copy("adk.psf", "adk_dims.dcd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = deepsig.read(top, traj, select="name CA", dtype="float64")
        aligned = deepsig.read(top, traj, select="name CA", align=True, center=True,
                               dtype="float64")
    np.testing.assert_allclose(aligned.positions.mean(axis=1), 0, atol=1e-9)
    # Rigid motions only: every frame's internal distances are kept.
    for f in (0, 50, 97):
        d_raw = np.linalg.norm(raw.positions[f, :, None] - raw.positions[f, None], axis=-1)
        x = aligned.positions[f]
        np.testing.assert_allclose(np.linalg.norm(x[:, None] - x[None], axis=-1), d_raw,
                                   atol=1e-6)
    # Aligned to the topology... no coordinates in a PSF: the first frame read is the target.
    first = raw.positions[0] - raw.positions[0].mean(axis=0)
    np.testing.assert_allclose(aligned.positions[0], first, atol=1e-6)
    spread = np.sqrt(((aligned.positions - first) ** 2).sum(-1).mean(-1))
    raw_centred = raw.positions - raw.positions.mean(axis=1, keepdims=True)
    raw_spread = np.sqrt(((raw_centred - first) ** 2).sum(-1).mean(-1))
    assert np.all(spread <= raw_spread + 1e-9)


def test_graph_of_a_ca_selection_is_the_chain_trace(copy):
    top, traj = copy("adk.psf", "adk_dims.dcd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ca = deepsig.read(top, traj, select="name CA", stop=1)
    assert ca.bonds.shape == (0, 2)  # no two CA atoms are bonded
    assert ca.graph.shape == (213, 2)  # but bond paths join consecutive residues
    assert ca.graph.dtype == np.int64
    assert np.all(ca.graph[:, 1] - ca.graph[:, 0] == 1)
    assert ca.bond_source == "file"


def test_info_equals_the_cli_json(copy, cli):
    top, traj = copy("adk.psf", "adk_dims.dcd")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = deepsig.info(top, traj, select="name CA")
    assert any(issubclass(w.category, deepsig.DeepsigWarning) for w in caught)
    out = subprocess.run([cli, "info", top, traj, "--select", "name CA", "--json"],
                         check=True, capture_output=True, text=True)
    theirs = json.loads(out.stdout)
    assert ours.pop("warnings")
    assert ours == theirs


def test_info_of_a_pdb_reads_its_own_frames(copy):
    (top,) = copy("adk_oplsaa.pdb")
    info = deepsig.info(top)
    assert info["atoms"] == 47681 and info["frames"] >= 1 and info["trajectories"] == [top]


def test_missing_file_is_a_read_error(tmp_path):
    with pytest.raises(deepsig.ReadError) as e:
        deepsig.read(tmp_path / "nope.psf", [tmp_path / "nope.dcd"])
    assert isinstance(e.value, OSError)
    assert e.value.path == str(tmp_path / "nope.psf")
    assert "file not found" in str(e.value) and str(tmp_path / "nope.psf") in str(e.value)


def test_truncated_dcd_names_frame_and_offset_unless_allowed(copy, tmp_path):
    top, traj = copy("adk.psf", "adk_dims.dcd")
    cut = tmp_path / "cut.dcd"
    cut.write_bytes(open(traj, "rb").read()[:-100])
    with pytest.raises(deepsig.ReadError) as e:
        deepsig.read(top, cut)
    assert e.value.path == str(cut)
    assert e.value.frame == 97
    assert e.value.offset == 3891608
    assert "--allow-truncated" in str(e.value)
    with pytest.warns(deepsig.DeepsigWarning, match="cut short"):
        short = deepsig.read(top, cut, allow_truncated=True)
    assert short.positions.shape[0] == 97


def test_atom_count_mismatch_names_both_files(copy):
    top, traj = copy("adk_oplsaa.gro", "adk_dims.dcd")
    with pytest.raises(deepsig.ReadError) as e:
        deepsig.read(top, traj)
    message = str(e.value)
    assert "adk_dims.dcd" in message and "adk_oplsaa.gro" in message
    assert "3341" in message and "47681" in message


def test_bad_arguments_are_value_errors(copy):
    top, traj = copy("adk.psf", "adk_dims.dcd")
    with pytest.raises(ValueError, match="select: "):
        deepsig.read(top, traj, select="name CA and (")
    with pytest.raises(ValueError, match="select: .*matches no atom|select: "):
        deepsig.read(top, traj, select="name XYZ")
    with pytest.raises(ValueError, match="select no frame"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            deepsig.read(top, traj, start=500)
    with pytest.raises(ValueError, match="stride"):
        deepsig.read(top, traj, stride=0)
    with pytest.raises(ValueError, match="dtype"):
        deepsig.read(top, traj, dtype="float16")
    with pytest.raises(ValueError, match="trajectories: none given"):
        deepsig.read(top)
