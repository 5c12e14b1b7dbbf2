"""Shared fixtures: the MD files of ../shared/data (skipped, saying why, when absent)."""

import os
import pathlib
import shutil
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
DATA = pathlib.Path(os.environ.get("DEEPSIG_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data() -> pathlib.Path:
    if not DATA.is_dir():
        if os.environ.get("DEEPSIG_REQUIRE_DATA") == "1":
            pytest.fail(f"DEEPSIG_REQUIRE_DATA=1 but {DATA} is absent")
        print(f"skipping: the shared MD data {DATA} is absent", file=sys.stderr)
        pytest.skip(f"the shared MD data {DATA} is absent")
    return DATA


@pytest.fixture(scope="session")
def cli() -> str:
    """The deepsig binary: $DEEPSIG_BIN, else target/{release,debug}/deepsig, else PATH."""
    candidates = [os.environ.get("DEEPSIG_BIN")]
    candidates += [str(REPO / "target" / p / "deepsig") for p in ("debug", "release")]
    candidates.append(shutil.which("deepsig"))
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    if os.environ.get("DEEPSIG_REQUIRE_DATA") == "1":
        pytest.fail("no deepsig binary (set DEEPSIG_BIN or cargo build -p deepsig)")
    pytest.skip("no deepsig binary (set DEEPSIG_BIN or cargo build -p deepsig)")


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """Frame indexes go to the user's cache folder by default: the tests keep theirs apart."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = old
