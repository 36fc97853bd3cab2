"""build.py: only the needed files, a manifest that matches, the same bytes twice, and
plain-words errors when an input is missing."""

import ast
import hashlib
import importlib.util
import json
import re

import pytest

import build


@pytest.fixture()
def tree(tmp_path, monkeypatch):
    """A small stand-in project: web/, a fake Pyodide package, pycnn modules, a model."""
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<!doctype html>")
    (tmp_path / "web" / "sw.js").write_text('const CACHE = "pycnn-__PYCNN_BUILD_ID__";')
    pyodide = tmp_path / "node_modules" / "@pyodide" / "pyodide" / "dist"
    pyodide.mkdir(parents=True)
    index = {"dependencies": {"numpy": [], "scipy": ["numpy"], "matplotlib": []}}
    (pyodide / "packages.json").write_text(json.dumps(index))
    for name in ["pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "pyodide.asm.data",
                 "numpy.js", "numpy.data", "scipy.js", "scipy.data", "matplotlib.data"]:
        (pyodide / name).write_bytes(name.encode())
    for folder in ("nn", "data", "read", "page", "learn"):
        (tmp_path / "pycnn" / folder).mkdir(parents=True)
    for name in build.PYCNN_FILES + build.LEARNING_FILES + build.WORD_MODULES + [
            "pycnn/train.py", "pycnn/nn/__init__.py", "pycnn/nn/layers.py",
            "pycnn/read/__init__.py", "pycnn/read/charsets.py", "pycnn/read/lookalikes.py",
            "pycnn/read/preprocess.py", "pycnn/read/recognizer.py", "pycnn/page/__init__.py",
            "pycnn/page/api.py", "pycnn/data/unipen.py", "pycnn/adapt.py"]:
        (tmp_path / name).write_text("# " + name)
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "model.npz").write_bytes(b"model")
    (tmp_path / "weights" / "rehearsal.npz").write_bytes(b"rehearsal")
    (tmp_path / "weights" / "words.npz").write_bytes(b"words")
    (tmp_path / "weights" / "lexicon-en.tsv.gz").write_bytes(b"lexicon")
    (tmp_path / "weights" / "LEXICON-LICENSE.md").write_text("CC BY-SA 4.0")
    monkeypatch.setattr(build, "ROOT", tmp_path)
    monkeypatch.setattr(build, "DIST", tmp_path / "dist")
    monkeypatch.setattr(build, "WEB", tmp_path / "web")
    monkeypatch.setattr(build, "PYODIDE_DIR", pyodide)
    monkeypatch.setattr(build, "MODEL", tmp_path / "weights" / "model.npz")
    monkeypatch.setattr(build, "REHEARSAL", tmp_path / "weights" / "rehearsal.npz")
    return tmp_path


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_ships_only_what_the_page_needs(tree):
    build.build()
    files = set(snapshot(tree / "dist"))
    assert files == {
        "index.html", "sw.js", "files.json", "weights/model.npz",
        "pyodide/pyodide.js", "pyodide/pyodide.asm.js", "pyodide/pyodide.asm.wasm",
        "pyodide/pyodide.asm.data", "pyodide/packages.json", "pyodide/numpy.js",
        "pyodide/numpy.data",
        "pycnn/__init__.py", "pycnn/read/charsets.py", "pycnn/read/lookalikes.py",
        "pycnn/read/lookalikes.json", "pycnn/page/api.py", "pycnn/read/preprocess.py",
        "pycnn/read/recognizer.py", "pycnn/read/__init__.py", "pycnn/page/__init__.py",
        "pycnn/nn/__init__.py", "pycnn/nn/layers.py",
        # what learning needs, fetched by the worker when learning starts
        "pycnn/data/__init__.py", "pycnn/data/augment.py", "pycnn/data/render.py",
        "pycnn/learn/__init__.py", "pycnn/learn/adaptation.py", "pycnn/learn/errors.py",
        "pycnn/learn/examples.py", "pycnn/learn/head.py", "pycnn/learn/rehearsal.py",
        "pycnn/learn/render.py", "weights/rehearsal.npz",
        # what Word mode needs, fetched by the worker when it is first used
        "pycnn/nn/ctc.py", "pycnn/page/word_api.py", "pycnn/read/lexicon.py",
        "pycnn/read/word_decode.py", "pycnn/read/word_preprocess.py",
        "pycnn/read/word_reader.py", "weights/words.npz", "weights/lexicon-en.tsv.gz",
        "weights/LEXICON-LICENSE.md",
    }


def test_what_only_learning_needs_is_listed_for_the_worker_to_fetch_later(tree):
    manifest = build.build()
    assert manifest["learning"] == [
        "pycnn/data/__init__.py", "pycnn/data/augment.py", "pycnn/data/render.py",
        "pycnn/learn/__init__.py", "pycnn/learn/adaptation.py", "pycnn/learn/errors.py",
        "pycnn/learn/examples.py", "pycnn/learn/head.py", "pycnn/learn/rehearsal.py",
        "pycnn/learn/render.py", "weights/rehearsal.npz"]
    assert set(manifest["learning"]) <= {f["path"] for f in manifest["files"]}


def test_what_only_word_mode_needs_is_listed_for_the_worker_to_fetch_later(tree):
    manifest = build.build()
    assert manifest["words"] == [
        "pycnn/nn/ctc.py", "pycnn/page/word_api.py", "pycnn/read/lexicon.py",
        "pycnn/read/word_decode.py", "pycnn/read/word_preprocess.py",
        "pycnn/read/word_reader.py", "weights/lexicon-en.tsv.gz", "weights/words.npz"]
    assert set(manifest["words"]) <= {f["path"] for f in manifest["files"]}
    assert not set(manifest["words"]) & set(manifest["learning"])
    # The licence ships beside the word list (the service worker keeps it with the site).
    assert "weights/LEXICON-LICENSE.md" in {f["path"] for f in manifest["files"]}


def test_the_build_reports_what_word_mode_adds(tree, capsys):
    assert build.main([]) == 0
    out = capsys.readouterr().out
    words = len(b"words") + len(b"lexicon") + sum(
        len(("# " + name).encode()) for name in build.WORD_MODULES)
    assert "Word mode's 8 files" in out and "(%d bytes)" % words in out


@pytest.mark.parametrize("missing", ["words.npz", "lexicon-en.tsv.gz", "LEXICON-LICENSE.md"])
def test_missing_word_files_are_explained(tree, capsys, missing):
    (tree / "weights" / missing).unlink()
    assert build.main([]) == 1
    err = capsys.readouterr().err
    assert "weights/%s is missing" % missing in err and "Traceback" not in err


def test_scripts_that_make_web_files_are_not_shipped(tree):
    (tree / "web" / "icons").mkdir()
    (tree / "web" / "icons" / "make_icons.py").write_text("# draws the icons")
    (tree / "web" / "icons" / "icon-192.png").write_bytes(b"png")
    build.build()
    files = set(snapshot(tree / "dist"))
    assert "icons/icon-192.png" in files
    assert "icons/make_icons.py" not in files


def test_manifest_lists_every_file_with_size_and_sha256(tree):
    manifest = build.build()
    on_disk = snapshot(tree / "dist")
    del on_disk["files.json"]
    assert [f["path"] for f in manifest["files"]] == sorted(on_disk)
    for entry in manifest["files"]:
        data = on_disk[entry["path"]]
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert json.loads((tree / "dist" / "files.json").read_text()) == manifest
    # The service worker's cache name follows the content.
    assert manifest["build"] in on_disk["sw.js"].decode()


def test_two_builds_give_the_same_bytes(tree):
    build.build()
    first = snapshot(tree / "dist")
    build.build()
    assert snapshot(tree / "dist") == first


def test_changed_content_changes_the_cache_name(tree):
    first = build.build()["build"]
    (tree / "pycnn" / "nn" / "layers.py").write_text("# changed")
    assert build.build()["build"] != first


def test_missing_pyodide_is_explained(tree, capsys):
    (tree / "node_modules" / "@pyodide" / "pyodide" / "dist" / "pyodide.js").unlink()
    assert build.main([]) == 1
    err = capsys.readouterr().err
    assert "npm ci" in err and "make build" in err and "Traceback" not in err


def test_missing_rehearsal_set_is_explained(tree, capsys):
    (tree / "weights" / "rehearsal.npz").unlink()
    assert build.main([]) == 1
    assert "weights/rehearsal.npz is missing" in capsys.readouterr().err


def test_missing_model_is_explained(tree, capsys):
    (tree / "weights" / "model.npz").unlink()
    assert build.main([]) == 1
    assert "weights/model.npz is missing" in capsys.readouterr().err


def test_mime_types_for_the_page():
    handler = build.StaticHandler.__new__(build.StaticHandler)
    assert handler.guess_type("x/pyodide.asm.wasm") == "application/wasm"
    assert handler.guess_type("app.js").startswith("text/javascript")
    assert handler.guess_type("a.mjs").startswith("text/javascript")
    assert handler.guess_type("files.json") == "application/json"
    assert handler.guess_type("manifest.webmanifest") == "application/manifest+json"
    assert handler.guess_type("icon-192.png") == "image/png"
    assert handler.guess_type("numpy.data") == "application/octet-stream"
    assert handler.guess_type("model.npz") == "application/octet-stream"


def module_path(name):
    """pycnn.nn -> pycnn/nn/__init__.py; pycnn.page.api -> pycnn/page/api.py."""
    path = build.ROOT / name.replace(".", "/")
    return (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")) \
        .relative_to(build.ROOT).as_posix()


def pycnn_imports(path):
    """The pycnn modules one file imports, relative imports resolved."""
    package = path.rsplit("/", 1)[0].replace("/", ".")
    found = set()
    for node in ast.walk(ast.parse((build.ROOT / path).read_text())):
        if isinstance(node, ast.ImportFrom):
            module = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                 package)
            candidates = [module] + [module + "." + alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for name in candidates:
            parts = name.split(".")
            if parts[0] != "pycnn":
                continue
            # Importing pycnn.nn.layers runs pycnn/__init__.py and pycnn/nn/__init__.py too.
            for end in range(1, len(parts) + 1):
                path = module_path(".".join(parts[:end]))
                if (build.ROOT / path).is_file():
                    found.add(path)
    return found


def test_the_real_build_ships_every_pycnn_module_the_worker_imports():
    """The worker's Python imports pycnn.page.api. It, and every pycnn module it imports in
    turn, must be shipped, or the page fails only in a browser."""
    shipped = set(build.pycnn_sources())
    worker = (build.WEB / "worker.js").read_text()
    todo = {module_path(name) for name in re.findall(r"from (pycnn[\w.]*) import", worker)}
    assert "pycnn/page/api.py" in todo
    seen = set()
    while todo:
        path = todo.pop()
        seen.add(path)
        assert path in shipped, "%s is imported by the page but not shipped" % path
        todo |= pycnn_imports(path) - seen
    assert {"pycnn/read/recognizer.py", "pycnn/read/preprocess.py", "pycnn/nn/layers.py"} <= seen


def start_up_imports(path):
    """The pycnn modules one file imports when it is imported: its imports outside
    functions (a function's own imports wait for its first call)."""
    tree_ = ast.parse((build.ROOT / path).read_text())
    lazy = set()
    for node in ast.walk(tree_):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lazy |= {id(inner) for inner in ast.walk(node) if inner is not node}
    package = path.rsplit("/", 1)[0].replace("/", ".")
    found = set()
    for node in ast.walk(tree_):
        if id(node) in lazy:
            continue
        if isinstance(node, ast.ImportFrom):
            module = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                 package)
            names = [module] + [module + "." + alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] != "pycnn":
                continue
            for end in range(1, len(parts) + 1):
                module_file = module_path(".".join(parts[:end]))
                if (build.ROOT / module_file).is_file():
                    found.add(module_file)
    return found


def closure(start, imports):
    seen, todo = set(), set(start)
    while todo:
        path = todo.pop()
        seen.add(path)
        todo |= imports(path) - seen
    return seen


def test_the_real_build_defers_exactly_what_only_word_mode_imports():
    """Start-up (pycnn.page.api and what it imports at once) needs nothing from files.json's
    "words", which the worker fetches only on the first word request; and everything the
    word requests import beyond start-up is in that list, or Word mode fails in a browser."""
    start_up = closure({"pycnn/page/api.py"}, start_up_imports)
    words = closure({"pycnn/page/word_api.py"}, pycnn_imports)
    assert not start_up & set(build.WORD_MODULES)
    assert words - start_up == set(build.WORD_MODULES)


def test_the_real_build_ships_the_data_files_its_modules_open():
    """A shipped module that opens a file beside itself (lookalikes.py reads lookalikes.json)
    finds it in the page only if the build ships it: any string in a shipped module that
    names a file in the module's own folder must be shipped too."""
    shipped = set(build.pycnn_sources())
    opened = set()
    for path in shipped:
        if not path.endswith(".py"):
            continue
        folder = path.rsplit("/", 1)[0]
        for node in ast.walk(ast.parse((build.ROOT / path).read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and re.fullmatch(r"[\w.-]+\.(json|npz|txt)", node.value) \
                    and (build.ROOT / folder / node.value).is_file():
                opened.add(folder + "/" + node.value)
    assert "pycnn/read/lookalikes.json" in opened
    assert opened <= shipped, "opened but not shipped: %s" % sorted(opened - shipped)


def test_every_script_the_page_loads_is_in_web():
    """Modules imported by the page's scripts, and the worker they start, are files in
    web/ (which the build ships whole), with relative URLs so any sub-path works."""
    for script in build.WEB.glob("*.js"):
        text = script.read_text()
        for url in re.findall(r"""(?:import .*? from|new URL\()\s*["']([^"']+)["']""", text):
            assert url.startswith("./"), "%s: %s is not relative" % (script.name, url)
            assert (build.WEB / url[2:]).is_file(), "%s loads %s, missing" % (script.name, url)
