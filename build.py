"""Assemble the static drawing page into dist/, and optionally serve it.

    python build.py                      # build dist/
    python build.py --serve [--port N]   # build, then serve dist/ on 127.0.0.1

dist/ holds web/, the few Pyodide 0.17.1 files the page needs (core, standard library,
NumPy), the pycnn modules the page imports, the trained model, what learning needs
(pycnn.learn, the pycnn.data modules it imports, weights/rehearsal.npz), what Word mode needs
(the word model, the word list and its licence, the word modules) and files.json (size and
sha256 of every file, also the service worker's list of what to cache for offline use; not
manifest.json, which browsers would take for a web app manifest: that is
web/manifest.webmanifest).
Two builds from the same sources give the same bytes: files are written in sorted order and
nothing depends on the time or the machine.

Standard library only, so it runs before any dependency is installed.
"""

import argparse
import functools
import hashlib
import http.server
import json
import os
import shutil
import sys
from pathlib import Path

# The folder this file is in, without resolving symlinks, so a scratch tree of symlinks
# can build with stand-in modules.
ROOT = Path(os.path.abspath(__file__)).parent
DIST = ROOT / "dist"
WEB = ROOT / "web"
PYODIDE_DIR = ROOT / "node_modules" / "@pyodide" / "pyodide" / "dist"
MODEL = ROOT / "weights" / "model.npz"
# The rehearsal set pycnn.learn mixes into learning (beside the model, as pycnn.page.api expects).
REHEARSAL = ROOT / "weights" / "rehearsal.npz"

# Pyodide files the page loads. The core (loader, wasm, its JS glue), the standard library
# (pyodide.asm.data), the package index, and NumPy, which has no dependencies in 0.17.1
# (checked against packages.json at build time). Everything else in the 185 MB package
# stays out.
PYODIDE_PACKAGES = ["numpy"]
PYODIDE_CORE = ["pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "pyodide.asm.data",
                "packages.json"]

# The pycnn modules the worker imports: pycnn.page.api and everything it imports in turn
# (tests/test_build.py follows the imports to check this list), and the data files they
# open next to themselves (lookalikes.json). One list, used by the build and (through the
# files.json) by the worker, which writes every pycnn/ file into Pyodide's file system.
PYCNN_PACKAGES = ["pycnn/nn", "pycnn/read", "pycnn/page"]  # whole folders: every .py in them
PYCNN_FILES = ["pycnn/__init__.py", "pycnn/read/lookalikes.json"]
# What only learning needs (pycnn.page.api imports pycnn.learn on the first learn request):
# shipped and kept offline like the rest, but listed in files.json under "learning", so the
# worker fetches them when learning starts instead of at start-up. Not pycnn/adapt.py, the
# command line, which the page never imports.
LEARNING_FILES = ["pycnn/data/__init__.py", "pycnn/data/augment.py", "pycnn/data/render.py",
                  "pycnn/learn/__init__.py", "pycnn/learn/adaptation.py",
                  "pycnn/learn/errors.py", "pycnn/learn/examples.py", "pycnn/learn/head.py",
                  "pycnn/learn/rehearsal.py", "pycnn/learn/render.py"]
REHEARSAL_PATH = "weights/rehearsal.npz"
# What only Word mode needs: the word model, the word list and the modules that read words
# (pycnn.page.api imports pycnn.page.word_api on the first word request). Shipped and listed
# in files.json under "words": the worker fetches them on the first words_load, and the
# service worker keeps them offline only once fetched, so a visitor who never writes a word
# never downloads them. The word list's licence ships beside it.
WORD_MODULES = ["pycnn/nn/ctc.py", "pycnn/page/word_api.py", "pycnn/read/lexicon.py",
                "pycnn/read/word_decode.py", "pycnn/read/word_preprocess.py",
                "pycnn/read/word_reader.py"]
WORD_MODEL_PATH = "weights/words.npz"
LEXICON_PATH = "weights/lexicon-en.tsv.gz"
LEXICON_LICENSE_PATH = "weights/LEXICON-LICENSE.md"

# The build's list of files, with sizes and digests (read by the worker and the service worker).
FILE_LIST = "files.json"

# The service worker's cache name changes with the content; this placeholder in sw.js
# is replaced by a digest of everything else in the build.
BUILD_ID_PLACEHOLDER = "__PYCNN_BUILD_ID__"

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".data": "application/octet-stream",
    ".npz": "application/octet-stream",
    ".py": "text/x-python; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
}


class BuildError(Exception):
    """A missing input, explained in words a person can act on."""


def pycnn_sources():
    """Relative paths of the pycnn modules shipped to the page, sorted."""
    paths = []
    for name in PYCNN_FILES + LEARNING_FILES + WORD_MODULES:
        if not (ROOT / name).is_file():
            raise BuildError("%s is missing: the page imports it." % name)
        paths.append(name)
    for folder in PYCNN_PACKAGES:
        found = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / folder).glob("*.py"))
        if not found:
            raise BuildError("%s/ has no Python modules: the page imports them." % folder)
        paths.extend(found)
    return sorted(paths)


def pyodide_files():
    """File names (inside the Pyodide dist folder) of the core and the packages we load."""
    if not (PYODIDE_DIR / "pyodide.js").is_file():
        raise BuildError(
            "Pyodide is not installed (%s is missing). Run `make build`, or `npm ci` "
            "in %s, then try again." % (PYODIDE_DIR.relative_to(ROOT), ROOT))
    index = json.loads((PYODIDE_DIR / "packages.json").read_text())
    needed, todo = set(), list(PYODIDE_PACKAGES)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        todo.extend(index["dependencies"][name])
    names = list(PYODIDE_CORE)
    for name in sorted(needed):
        names += [name + ".js", name + ".data"]
    for name in names:
        if not (PYODIDE_DIR / name).is_file():
            raise BuildError("Pyodide file %s is missing; reinstall with `npm ci`." % name)
    return names


# Files in web/ that make other files there (web/icons/make_icons.py) and are not the site.
WEB_SOURCE_ONLY = {".py"}


def web_files():
    return sorted(p.relative_to(WEB).as_posix() for p in WEB.rglob("*")
                  if p.is_file() and p.suffix not in WEB_SOURCE_ONLY
                  and "__pycache__" not in p.parts)


def plan():
    """Map each path in dist/ to the file it comes from."""
    if not MODEL.is_file():
        raise BuildError(
            "weights/model.npz is missing: the page needs a trained model. Train one "
            "(see the README), or check out the shipped weights/model.npz.")
    sources = {name: WEB / name for name in web_files()}
    sources.update({"pyodide/" + n: PYODIDE_DIR / n for n in pyodide_files()})
    sources.update({name: ROOT / name for name in pycnn_sources()})
    sources["weights/model.npz"] = MODEL
    if not REHEARSAL.is_file():
        raise BuildError(
            "weights/rehearsal.npz is missing: learning in the page needs it. Make it with "
            "`python -m pycnn.adapt --make-rehearsal`, or check out the shipped one.")
    sources[REHEARSAL_PATH] = REHEARSAL
    for path, what in ((WORD_MODEL_PATH, "the word model, which Word mode reads words with. "
                        "Train one with `python -m pycnn.train --task words`"),
                       (LEXICON_PATH, "the word list Word mode reads words with. Make it "
                        "with `python tools/make_lexicon.py`"),
                       (LEXICON_LICENSE_PATH, "the word list's licence, which must ship "
                        "beside it")):
        if not (ROOT / path).is_file():
            raise BuildError("%s is missing: it is %s, or check out the shipped one."
                             % (path, what))
        sources[path] = ROOT / path
    return dict(sorted(sources.items()))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def build():
    """Write dist/ from scratch; return the file list (what files.json holds)."""
    sources = plan()
    contents = {dest: src.read_bytes() for dest, src in sources.items()}
    digests = {dest: sha256(data) for dest, data in contents.items()}
    if "sw.js" in contents:
        others = hashlib.sha256()
        for dest, digest in digests.items():
            if dest != "sw.js":
                others.update(dest.encode() + b"\0" + digest.encode() + b"\n")
        build_id = others.hexdigest()[:16]
        contents["sw.js"] = contents["sw.js"].replace(BUILD_ID_PLACEHOLDER.encode(),
                                                      build_id.encode())
        digests["sw.js"] = sha256(contents["sw.js"])
    else:
        build_id = None

    if DIST.exists():
        shutil.rmtree(DIST)
    files = []
    for dest, data in contents.items():
        target = DIST / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files.append({"path": dest, "size": len(data), "sha256": digests[dest]})

    manifest = {
        "name": "pycnn",
        "build": build_id,
        "pyodide_packages": PYODIDE_PACKAGES,
        "learning": sorted(LEARNING_FILES + [REHEARSAL_PATH]),
        "words": sorted(WORD_MODULES + [WORD_MODEL_PATH, LEXICON_PATH]),
        "total_size": sum(f["size"] for f in files),
        "files": files,
    }
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    (DIST / FILE_LIST).write_text(text, encoding="utf-8")
    return manifest


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Serves dist/ with the MIME types the page needs (application/wasm for streaming
    compilation) and no caching, so a rebuild shows up on the next reload."""

    def guess_type(self, path):
        return MIME_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format, *args):
        if os.environ.get("PYCNN_SERVE_LOG"):
            super().log_message(format, *args)


class QuietServer(http.server.ThreadingHTTPServer):
    """A browser that closes a tab mid-download is normal, not an error worth a traceback."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def serve(port):
    handler = functools.partial(StaticHandler, directory=str(DIST))
    try:
        server = QuietServer(("127.0.0.1", port), handler)
    except OSError as error:
        raise BuildError("Cannot listen on 127.0.0.1:%d (%s). Choose another port with "
                         "--port N." % (port, error.strerror)) from None
    print("Serving the pycnn page at http://127.0.0.1:%d/  (Ctrl+C stops)" % port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.server_close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the pycnn page into dist/.")
    parser.add_argument("--serve", action="store_true", help="serve dist/ after building")
    parser.add_argument("--port", type=int, default=8000, help="port for --serve (8000)")
    args = parser.parse_args(argv)
    try:
        manifest = build()
        sizes = {f["path"]: f["size"] for f in manifest["files"]}
        print("Built %s: %d files, %.1f MB, of which Word mode's %d files, %.2f MB "
              "(%d bytes), are fetched when it is first used" % (
                  DIST.relative_to(ROOT), len(manifest["files"]),
                  manifest["total_size"] / 1e6, len(manifest["words"]),
                  sum(sizes[p] for p in manifest["words"]) / 1e6,
                  sum(sizes[p] for p in manifest["words"])), flush=True)
        if args.serve:
            serve(args.port)
    except BuildError as error:
        print("build.py: %s" % error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
