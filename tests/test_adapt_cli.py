"""python -m pycnn.adapt end to end, and fed hostile input: every case runs in a child process
under test_hostile's memory cap, and must end in exit status 2 with one `error:` line, no
traceback, and no output file (nor a half-written one) left behind.
"""

import json
import os

import numpy as np
import pytest
from test_adapt import LABELS, examples, make_model, rehearsal_of
from test_hostile import assert_refused, png, run_tool

from pycnn.data.render import rasterize
from pycnn.learn.examples import MAX_TEXT_BYTES, examples_json
from pycnn.nn import load_model, save_model
from pycnn.read.preprocess import PREPROCESS_VERSION


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A model, a rehearsal set, an examples file and PNG drawings, in one folder."""
    folder = tmp_path_factory.mktemp("adapt")
    model = make_model()
    model.metadata["preprocess_version"] = PREPROCESS_VERSION
    save_model(model, folder / "model.npz")
    images, labels = rehearsal_of(LABELS)
    np.savez(folder / "rehearsal.npz", images=images, labels=np.array(labels))
    chosen = examples(["+", "0", "7"], 3)
    (folder / "examples.json").write_text(json.dumps(examples_json(chosen)))
    rows = ["path,label"]
    for k, example in enumerate(examples(["+", "1"], 3, seed=3)):
        name = "drawing%d.png" % k
        save_png(folder / name, example)
        rows.append("%s,%s" % (name, example.label))
    (folder / "list.csv").write_text("\n".join(rows) + "\n")
    return folder


def save_png(path, example, side=120):
    """A canvas export of the example: black ink, the ink in alpha."""
    from PIL import Image

    alpha = np.zeros((side, side), np.float32)
    for brush, xy in example.strokes:
        connects = np.arange(len(xy)) < len(xy) - 1
        alpha = np.maximum(alpha, rasterize(xy * side, connects, np.zeros(len(xy), np.int64),
                                            1, side, brush * side)[0])
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[..., 3] = np.round(alpha * 255).astype(np.uint8)
    Image.fromarray(rgba, "RGBA").save(path)


def adapt_tool(setup, *args):
    return run_tool("adapt", "--model", setup / "model.npz", "--rehearsal",
                    setup / "rehearsal.npz", *args, timeout=120)


def test_examples_end_to_end_with_a_json_last_line(setup, tmp_path):
    out = tmp_path / "mine.npz"
    status, stdout, stderr = adapt_tool(setup, "--examples", setup / "examples.json",
                                        "--out", out, "--json", "--steps", "20")
    assert status == 0, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert set(summary) == {"examples", "classes", "classes_added", "seconds"}
    assert summary["examples"] == 9 and summary["classes_added"] == 1
    assert summary["classes"] == len(LABELS) + 1 and summary["seconds"] > 0
    assert load_model(out).labels == LABELS + ["+"]
    assert sorted(os.listdir(tmp_path)) == ["mine.npz"]  # no temporary file left
    # The adapted model is an ordinary model file: predict reads with it.
    status, stdout, stderr = run_tool("predict", setup / "drawing0.png", "--model", out,
                                      "--json")
    assert status == 0, stderr
    assert len(json.loads(stdout.strip().splitlines()[-1])[0]["top5"]) == 5


def test_images_end_to_end(setup, tmp_path):
    out = tmp_path / "mine.npz"
    status, stdout, stderr = adapt_tool(setup, "--images", setup / "list.csv", "--out", out,
                                        "--json", "--steps", "10")
    assert status == 0, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["examples"] == 6 and summary["classes_added"] == 1
    assert "Traceback" not in stderr


def test_the_progress_bar_and_summary_without_json(setup, tmp_path):
    out = tmp_path / "mine.npz"
    status, stdout, stderr = adapt_tool(setup, "--examples", setup / "examples.json",
                                        "--out", out, "--steps", "5")
    assert status == 0, stderr
    # The bar goes to stderr only (a path in stdout may hold "5/", as in pytest-425/).
    assert "learning [" in stderr and "learning [" not in stdout
    assert "1 added: +" in stdout


def test_a_failed_adaptation_leaves_an_existing_output_as_it_was(setup, tmp_path):
    out = tmp_path / "mine.npz"
    out.write_bytes(b"the previous model")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "pycnn-examples", "version": 1, "examples": [{"label": ""}]}')
    assert_refused(adapt_tool(setup, "--examples", bad, "--out", out), 2, "is empty")
    assert out.read_bytes() == b"the previous model"
    assert sorted(os.listdir(tmp_path)) == ["bad.json", "mine.npz"]


def big_sparse(path):
    with open(path, "wb") as handle:
        handle.truncate(MAX_TEXT_BYTES + 1)


EXAMPLE = {"label": "g", "strokes": [{"brush": 0.045, "points": [[0.3, 0.4], [0.5, 0.6]]}]}


def file_of(entries, version=1):
    return json.dumps({"format": "pycnn-examples", "version": version, "examples": entries})


EXAMPLE_CASES = {
    "not JSON": ("{", "not valid JSON"),
    "binary": (b"\x00\xff" * 100, "not UTF-8"),
    "deep": ("[" * 100000 + "]" * 100000, "not valid JSON"),
    "huge integer": ('{"format": "pycnn-examples", "version": 1%s}' % ("0" * 5000),
                     "not valid JSON"),
    "NaN": ('{"format": "pycnn-examples", "version": 1, "examples": [NaN]}',
            "not valid JSON"),
    "newer": (file_of([EXAMPLE], version=2), "newer pycnn"),
    "other format": ('{"format": "pycnn-model"}', "not a pycnn examples file"),
    "empty label": (file_of([dict(EXAMPLE, label="")]), "is empty"),
    "long label": (file_of([dict(EXAMPLE, label="x" * 17)]), "at most 16"),
    "no ink": (file_of([dict(EXAMPLE, strokes=[])]), "no ink"),
    "ink off the pad": (file_of([dict(EXAMPLE, label="1", strokes=[
        {"brush": 0.045, "points": [[1.9, 1.9], [1.95, 1.95]]}])]), "no ink on the pad"),
    "too many examples": (file_of([EXAMPLE] * 2001), "at most 2000"),
    "too many points": (file_of([dict(EXAMPLE, strokes=[
        {"brush": 0.045, "points": [[0.5, 0.5]] * 2001}])]), "at most 2000"),
    "huge coordinates": (file_of([dict(EXAMPLE, strokes=[
        {"brush": 0.045, "points": [[1e308, 0.5]]}])]), "outside -1..2"),
    "too few of a new label": (file_of([EXAMPLE] * 2), "fewer than 3"),
    "too many new labels": (file_of([dict(EXAMPLE, label="s%d" % k) for k in range(65)
                                     for _ in range(3)]), "at most 64"),
}


@pytest.mark.parametrize("case", sorted(EXAMPLE_CASES))
def test_a_bad_examples_file_is_one_error_and_no_output(setup, tmp_path, case):
    content, words = EXAMPLE_CASES[case]
    path = tmp_path / "examples.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    out = tmp_path / "mine.npz"
    assert_refused(adapt_tool(setup, "--examples", path, "--out", out), 2, words)
    assert not out.exists()


def test_a_huge_fifo_or_missing_examples_file_is_refused(setup, tmp_path):
    out = tmp_path / "mine.npz"
    big = tmp_path / "big.json"
    big_sparse(big)
    assert_refused(adapt_tool(setup, "--examples", big, "--out", out), 2, "at most 16 MB")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert_refused(adapt_tool(setup, "--examples", fifo, "--out", out), 2, "fifo.json")
    assert_refused(adapt_tool(setup, "--examples", tmp_path / "nothing.json", "--out", out),
                   2, "nothing.json")
    assert_refused(adapt_tool(setup, "--examples", tmp_path, "--out", out), 2)
    assert not out.exists()


CSV_CASES = {
    "no header": ("drawing0.png,+\n", "header path,label"),
    "wrong header": ("file,class\ndrawing0.png,+\n", "header path,label"),
    "only a header": ("path,label\n", "no images"),
    "three fields": ("path,label\ndrawing0.png,+,extra\n", "line 2: expected path,label"),
    "missing image": ("path,label\nnowhere.png,+\n", "nowhere.png"),
    "not an image": ("path,label\nlist.csv,+\n", "not a PNG"),
    "empty label": ("path,label\ndrawing0.png,\n", "is empty"),
    "long label": ("path,label\ndrawing0.png,%s\n" % ("x" * 17), "at most 16"),
    "too many rows": ("path,label\n" + "drawing0.png,+\n" * 2001, "at most 2000"),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_a_bad_image_list_is_one_error_and_no_output(setup, tmp_path, case):
    content, words = CSV_CASES[case]
    path = setup / ("case-%s.csv" % case.replace(" ", "-"))
    path.write_text(content)
    out = tmp_path / "mine.npz"
    assert_refused(adapt_tool(setup, "--images", path, "--out", out), 2, words)
    assert not out.exists()


def test_a_decompression_bomb_in_the_list_is_refused_from_its_header(setup, tmp_path):
    (setup / "bomb.png").write_bytes(png(60000, 60000))
    path = setup / "bomb.csv"
    path.write_text("path,label\nbomb.png,+\n")
    out = tmp_path / "mine.npz"
    assert_refused(adapt_tool(setup, "--images", path, "--out", out), 2, "bomb.png")
    assert not out.exists()


def test_a_blank_image_in_the_list_has_no_ink(setup, tmp_path):
    from PIL import Image

    Image.new("RGBA", (50, 50)).save(setup / "blank.png")
    path = setup / "blank.csv"
    path.write_text("path,label\nblank.png,+\n")
    assert_refused(adapt_tool(setup, "--images", path, "--out", tmp_path / "m.npz"), 2,
                   "no ink")


@pytest.mark.parametrize("args, words", [
    ([], "give --examples FILE.json or --images LIST.csv"),
    (["--examples", "x.json", "--images", "y.csv", "--out", "m.npz"], "not allowed with"),
    (["--examples", "x.json"], "give --out"),
    (["--examples", "x.json", "--out", "/dev/null"], "not a regular file"),
    (["--examples", "x.json", "--out", "/"], "is a folder"),
    (["--examples", "x.json", "--out", "m.npz", "--steps", "-1"], "--steps must be"),
    (["--examples", "x.json", "--out", "m.npz", "--train", "all"], "invalid choice"),
])
def test_bad_options_are_one_error(setup, args, words):
    assert_refused(adapt_tool(setup, *args), 2, words)


def test_a_hostile_model_or_rehearsal_file_is_refused(setup, tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    out = tmp_path / "mine.npz"
    assert_refused(run_tool("adapt", "--model", junk, "--examples", setup / "examples.json",
                            "--out", out), 2, "junk.npz")
    assert_refused(adapt_tool(setup, "--examples", setup / "examples.json", "--out", out,
                              "--rehearsal", junk), 2, "junk.npz")
    fake = tmp_path / "fake.npz"
    np.savez(fake, images=np.zeros((3, 5, 5), np.float32), labels=np.array(["a"] * 3))
    assert_refused(adapt_tool(setup, "--examples", setup / "examples.json", "--out", out,
                              "--rehearsal", fake), 2, "not a rehearsal file")
    assert not out.exists()
