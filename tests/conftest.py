"""Test-wide setup."""

import os

# The Excel functions are tested through xlwings' Office.js call path (xlwings Server / Lite).
# xlwings picks its decorators when it is first imported, so this must come before any import
# of xlwings. The "noncommercial" key is xlwings' key for noncommercial use, which these tests are.
os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_invariants.py  for a long search
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(params=["scalar", "list", "ndarray", "series"])
def kind(request):
    """Turn a list of values into each input kind the core accepts (scalar: first value)."""
    import pandas as pd

    def make(values):
        if request.param == "scalar":
            return values[0]
        if request.param == "list":
            return list(values)
        if request.param == "ndarray":
            return np.array(values)
        return pd.Series(values, index=[f"p{i}" for i in range(len(values))])

    make.name = request.param
    return make


@pytest.fixture(scope="session")
def sample_review():
    """The review of the built-in sample book, computed once for the run; tests only read it."""
    from xlmargin.review import sample_book
    from xlmargin.review import evaluate

    return evaluate(sample_book())


# ------------------------------------------------------------------ the command line
def _completed(args, exit_code, stdout, stderr):
    return subprocess.CompletedProcess(["xlmargin", *args], exit_code, stdout, stderr)


@pytest.fixture
def cli():
    """Run an ``xlmargin`` command in this process; returns a ``CompletedProcess``.

    It calls the console script's own object, ``xlmargin.cli.main``, so click parses the
    arguments and ``_Group.invoke`` turns xlmargin's errors into the one-line message and the
    exit status a user sees. An exception that escapes that handling fails the test with its
    traceback instead of being turned into an exit status.
    """
    from click.testing import CliRunner

    from xlmargin.cli import main

    def run(*args):
        result = CliRunner().invoke(main, list(args), prog_name="xlmargin", catch_exceptions=False)
        return _completed(args, result.exit_code, result.stdout, result.stderr)

    return run


def child_env():
    """The environment for a new interpreter that must run the code under test.

    PYTHONPATH starts with the folder holding the ``xlmargin`` this process imported, so a
    checkout or worktree tests its own code, not an installed copy.
    """
    import xlmargin

    here = str(Path(xlmargin.__file__).parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}


class Started:
    """A program started in the background; :meth:`result` waits for it."""

    def __init__(self, argv, folder):
        self.argv, self.folder = [str(a) for a in argv], folder
        self._out, self._err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        self._process = subprocess.Popen(self.argv, stdout=self._out, stderr=self._err, text=True, env=child_env())

    def result(self) -> subprocess.CompletedProcess:
        code = self._process.wait()
        self._out.seek(0)
        self._err.seek(0)
        return subprocess.CompletedProcess(self.argv, code, self._out.read(), self._err.read())

    def stop(self) -> None:
        if self._process.poll() is None:  # its test failed or was interrupted before waiting
            self._process.kill()
            self._process.wait()
        self._out.close()
        self._err.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "started(name): the test checks the real run called name in its module's STARTED")


@pytest.fixture(scope="module")
def _started_runs(request, tmp_path_factory):
    """Start at once every real run that this module's selected tests check, so they share the cores.

    A module defines ``STARTED = {name: prepare}``; ``prepare(folder)`` writes any input into the
    empty ``folder`` and returns the command line. Each test marked ``started(name)`` waits for
    its own run (the ``started`` fixture): runs that would queue one after another overlap.
    """
    wanted = {marker.args[0] for item in request.session.items if getattr(item, "module", None) is request.module
              for marker in item.iter_markers("started")}
    runs = {}
    try:
        for name in sorted(wanted):
            folder = tmp_path_factory.mktemp(name)
            runs[name] = Started(request.module.STARTED[name](folder), folder)
        yield runs
    finally:
        for run in runs.values():
            run.stop()


@pytest.fixture
def started(request, _started_runs) -> Started:
    """This test's real run (see ``_started_runs``): ``.result()`` is its ``CompletedProcess``, ``.folder`` its folder."""
    return _started_runs[request.node.get_closest_marker("started").args[0]]


# ------------------------------------------------------------------ Dask
@pytest.fixture(scope="session")
def dask_client():
    """One local Dask cluster for the whole run, and its client.

    Two worker processes with one thread each, as ``xlmargin report`` starts for a Parquet
    folder: work and results really cross process boundaries. Starting the workers and warming
    them up (imports, compiled kernels) costs several seconds, so every Dask test shares them.
    """
    distributed = pytest.importorskip("dask.distributed", reason="the dask extra is in dev; CI installs it")
    from xlmargin.review.distributed import local_cluster  # the workers' environment of `xlmargin report <folder>`

    with local_cluster(n_workers=2, threads_per_worker=1) as cluster:
        with distributed.Client(cluster) as client:
            yield client
