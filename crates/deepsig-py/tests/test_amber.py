"""Amber files from the MDAnalysis test suite (MDAnalysisTests, on the package registry):
deepsig's prmtop and NetCDF readers against MDAnalysis, attribute by attribute and frame by
frame, and a NetCDF file written by MDAnalysis from the shared AdK trajectory."""

import bz2
import os
import pathlib
import shutil
import sys
import warnings

import MDAnalysis as mda
from MDAnalysis.coordinates.memory import MemoryReader
import numpy as np
import pytest

import deepsig

# (topology, trajectory) pairs; a .bz2 topology is decompressed first (deepsig reads plain
# files). Together they cover float and double coordinates, files with and without time and
# cells, velocities and forces beside the positions, and a truncated octahedron.
SYSTEMS = [
    ("bala.prmtop", "bala.ncdf"),
    ("ace_mbondi3.parm7", "ace_mbondi3.nc"),
    ("ace_tip3p.parm7", "ace_tip3p.nc"),
    ("cpptraj_traj.prmtop", "cpptraj_traj.nc"),
    ("posfor.top", "posfor.ncdf"),
    ("tz2.truncoct.parm7.bz2", "tz2.truncoct.nc"),
]
TOPOLOGIES = [
    "ache.prmtop",
    "capped-ala.prmtop",
    "chitosan.prmtop",
    "parmed_ala2_solv.parm7",
    "ace_mbondi3.negative.parm7",
    "ache_chainid.prmtop.bz2",
    "ala.ff19SB.OPC.parm7.bz2",
]


@pytest.fixture(scope="session")
def amber_dir() -> pathlib.Path:
    try:
        from MDAnalysisTests import datafiles
    except ImportError:
        if os.environ.get("DEEPSIG_REQUIRE_DATA") == "1":
            pytest.fail("DEEPSIG_REQUIRE_DATA=1 but MDAnalysisTests is not installed")
        print("skipping: MDAnalysisTests (the Amber files) is not installed", file=sys.stderr)
        pytest.skip("MDAnalysisTests is not installed")
    return pathlib.Path(datafiles.PRMncdf).parent


@pytest.fixture
def fetch(amber_dir, tmp_path):
    def _fetch(name: str) -> str:
        source = amber_dir / name
        if name.endswith(".bz2"):
            target = tmp_path / name[: -len(".bz2")]
            target.write_bytes(bz2.decompress(source.read_bytes()))
        else:
            target = tmp_path / name
            shutil.copy(source, target)
        return str(target)

    return _fetch


def universe(*paths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mda.Universe(*paths)


def assert_same_atoms(ours, ag):
    assert ours.atoms.names == list(ag.names)
    assert ours.atoms.resnames == list(ag.resnames)
    assert ours.atoms.resids == [int(r) for r in ag.resids]
    np.testing.assert_allclose(ours.atoms.masses, ag.masses, rtol=1e-12)
    # MDAnalysis divides in float32, we in float64.
    np.testing.assert_allclose(ours.atoms.charges, ag.charges, rtol=1e-6, atol=1e-7)
    if hasattr(ag, "elements"):
        assert ours.atoms.elements == list(ag.elements)
    if hasattr(ag, "chainIDs"):
        assert ours.atoms.chains == list(ag.chainIDs)


@pytest.mark.parametrize("topology,trajectory", SYSTEMS)
def test_netcdf_and_prmtop_match_mdanalysis(fetch, topology, trajectory):
    top, traj = fetch(topology), fetch(trajectory)
    ours = deepsig.read(top, traj)
    u = universe(top, traj)
    assert_same_atoms(ours, u.atoms)
    theirs = np.stack([u.atoms.positions.copy() for _ in u.trajectory])
    assert ours.positions.dtype == np.float32
    np.testing.assert_array_equal(ours.positions, theirs)
    reader = u.trajectory
    if reader.has_time:
        np.testing.assert_allclose(ours.times, [ts.time for ts in reader], rtol=1e-6)
    else:
        assert np.isnan(ours.times).all()
    if reader.periodic:
        boxes = np.stack([ts.dimensions.copy() for ts in reader])
        np.testing.assert_allclose(ours.boxes, boxes, rtol=1e-5, atol=1e-4)
    else:
        assert ours.boxes is None
    bonds = {tuple(sorted(b)) for b in u.bonds.indices.tolist()}
    assert {tuple(b) for b in ours.bonds.tolist()} == bonds


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_prmtop_attributes_and_bonds_match_mdanalysis(fetch, topology):
    top = fetch(topology)
    u = universe(top)
    info = deepsig.info(top)
    assert info["atoms"] == len(u.atoms)
    assert info["residues"] == len(u.residues)
    assert info["bonds"] == len(u.bonds)
    # read() needs frames: give the topology's atoms one frame of MDAnalysis's own.
    frame = pathlib.Path(top).with_suffix(".pdb")
    u.load_new(np.zeros((1, len(u.atoms), 3), dtype=np.float32), format=MemoryReader)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u.atoms.write(str(frame))
    ours = deepsig.read(top, str(frame))
    assert_same_atoms(ours, u.atoms)
    assert {tuple(b) for b in ours.bonds.tolist()} == {
        tuple(sorted(b)) for b in u.bonds.indices.tolist()
    }


def test_netcdf_written_by_mdanalysis_reads_back(data, tmp_path):
    for name in ("adk.psf", "adk_dims.dcd"):
        shutil.copy(data / name, tmp_path / name)
    u = universe(str(tmp_path / "adk.psf"), str(tmp_path / "adk_dims.dcd"))
    out = tmp_path / "adk.ncdf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mda.Writer(str(out), n_atoms=len(u.atoms)) as w:
            for _ in u.trajectory:
                w.write(u.atoms)
    ours = deepsig.read(str(tmp_path / "adk.psf"), str(out), select="name CA")
    back = universe(str(tmp_path / "adk.psf"), str(out))
    ca = back.select_atoms("name CA")
    np.testing.assert_array_equal(ours.positions, np.stack([ca.positions.copy() for _ in back.trajectory]))
    np.testing.assert_allclose(ours.times, [ts.time for ts in back.trajectory], rtol=1e-6)


def test_cut_short_netcdf_is_refused_or_read_up_to_the_cut(fetch):
    top, traj = fetch("bala.prmtop"), fetch("bala.ncdf")
    size = os.path.getsize(traj)
    with open(traj, "r+b") as f:
        f.truncate(size - 1000)
    with pytest.raises(deepsig.ReadError, match=r"frame 29.*allow-truncated"):
        deepsig.read(top, traj)
    with pytest.warns(deepsig.DeepsigWarning, match="inside frame 29"):
        ours = deepsig.read(top, traj, allow_truncated=True)
    assert ours.positions.shape[0] == 29


@pytest.mark.parametrize("name", [f"ace_mbondi3.error{k}.parm7" for k in (1, 2, 3, 4)])
def test_malformed_prmtops_that_mdanalysis_refuses_are_errors_naming_the_file(fetch, name):
    top = fetch(name)
    with pytest.raises((ValueError, IndexError)):
        universe(top)
    with pytest.raises(deepsig.ReadError, match=name.replace(".", r"\.")):
        deepsig.info(top)


def test_chamber_prmtop_reads_its_atoms_and_bonds(fetch):
    # MDAnalysis refuses CHAMBER files; their atom and bond sections have the Amber layout.
    top = fetch("parmed_fad.prmtop")
    lines = pathlib.Path(top).read_text().splitlines()
    pointers = lines[lines.index(next(l for l in lines if l.startswith("%FLAG POINTERS"))) + 2]
    n_atoms, _, n_bonds_h, n_bonds = (int(v) for v in pointers.split()[:4])
    info = deepsig.info(top)
    assert info["atoms"] == n_atoms
    assert info["bonds"] == n_bonds_h + n_bonds
