"""Python's side of `make compat`, run inside Pyodide 0.17.1 by page.js.

Installs the pytest wheels page.js copied in (pure Python, unzipped onto sys.path: the
browser has no network and no pip), sends everything pytest prints to the terminal that
started the run (window.compatWrite, exposed by run.js), and runs pytest in the copy of the
repository. Standard library only, and Python 3.8.
"""

import io
import json
import os
import sys
import zipfile

SITE = "/home/pyodide/compat-site"
# Pyodide before 0.19 dies on any numpy.fft call ("Pyodide has suffered a fatal error ...
# Cannot convert ... to a BigInt"; pyodide/pyodide#1693, fixed in 0.19), which would end the
# whole run. Only Conv2D(method="fft") calls numpy.fft, and the page's model uses im2col, so
# a test that reaches numpy.fft is skipped with this reason instead.
FFT_REASON = ("numpy.fft is a fatal error in Pyodide %s (pyodide/pyodide#1693, fixed in 0.19): "
              "Conv2D(method='fft') cannot run in the page")


class JsStream:
    """A text stream whose writes go straight to run.js, in order, as pytest makes them."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, write):
        self._write = write

    def write(self, text):
        if text:
            self._write(text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        raise io.UnsupportedOperation("JsStream has no file descriptor")


def install_wheels(folder):
    """Unzip every wheel in folder into SITE, ahead of Pyodide's own packages on sys.path."""
    os.makedirs(SITE, exist_ok=True)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".whl"):
            with zipfile.ZipFile(os.path.join(folder, name)) as wheel:
                wheel.extractall(SITE)
    sys.path.insert(0, SITE)


def guard_numpy_fft(pyodide_version):
    """Make numpy.fft skip the calling test instead of killing Pyodide, where it would."""
    if tuple(int(part) for part in pyodide_version.split(".")[:2]) >= (0, 19):
        return
    import pytest
    from numpy.fft import _pocketfft

    class NoFFT:
        """Stands in for numpy's C module _pocketfft_internal, through which every numpy.fft
        function runs."""

        @staticmethod
        def execute(*args):
            pytest.skip(FFT_REASON % pyodide_version)

    _pocketfft.pfi = NoFFT


def main(config_path):
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    from js import compatWrite  # Pyodide's bridge to the page's globals

    sys.stdout = sys.stderr = JsStream(compatWrite)
    install_wheels(config["wheels"])
    import numpy
    import pytest

    print("compat: Pyodide %s, Python %s, NumPy %s, pytest %s" % (
        config["pyodide"], sys.version.split()[0], numpy.__version__, pytest.__version__))
    # As `python -m pytest` in the repository: its folder first on sys.path, for pycnn.
    os.chdir(config["repo"])
    sys.path.insert(0, config["repo"])
    guard_numpy_fft(config["pyodide"])
    return int(pytest.main(config["args"]))
