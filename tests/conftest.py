"""Fixtures for the tests that need the UNIPEN stroke file the repository carries.

Only os and pytest at import time: the Python 3.8 compatibility run loads this file too.
"""

import os

import pytest


@pytest.fixture(scope="session")
def unipen_path():
    """The UNIPEN stroke file. The repository carries it, so its absence is a failure."""
    from pycnn.data.unipen import default_data_path

    path = default_data_path()
    assert os.path.exists(path), "UNIPEN stroke file not found at %s (data/unipen/)" % path
    return path


@pytest.fixture(scope="session")
def small_model(tmp_path_factory, unipen_path):
    """A tiny model trained briefly on real strokes: it reads far above chance."""
    from pycnn import train

    out = tmp_path_factory.mktemp("model") / "model.npz"
    assert train.main(["--data", unipen_path, "--arch", "tiny", "--epochs", "3",
                       "--limit-train", "3000", "--limit-val", "200", "--quiet",
                       "--out", str(out)]) == 0
    return out
