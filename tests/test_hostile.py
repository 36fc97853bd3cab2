"""Hostile input for every tool and loader: no bad file or argument crashes anything.

Every command-line case runs in a child process under a memory cap (RLIMIT_AS, MEMORY_CAP)
and a timeout, and must exit with the convention's status (pycnn.cli: 1 when some images
failed, 2 for a bad option or file) after printing exactly one `error:` line and no
traceback. Most cases run in children forked from one warm interpreter (`tools`), which
saves the half second of imports per case; a few run `python -m pycnn.<tool>` itself.
Property tests (Hypothesis) feed random and corrupted bytes and arrays to the two loaders:
each must return a usable object or raise its own error class, never anything else.
Every hostile file is made here, in a temporary folder.
"""

import contextlib
import io
import json
import os
import resource
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pycnn import cli, predict, train
from pycnn.data.dataset import render_batch
from pycnn.data.unipen import DataFileError, load_unipen, writer_split
from pycnn.nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Softmax, save_model
from pycnn.nn.serialize import (
    MAX_MULTIPLY_ADDS,
    ModelFileError,
    architecture_cost,
    inference_cost,
    load_model,
    model_arrays,
    model_meta,
    read_archive,
    write_archive,
)
from pycnn.read.preprocess import PREPROCESS_VERSION, preprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEMORY_CAP = 1536 * 2 ** 20
DIGITS = list("0123456789")
ALNUM = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# HOSTILE_EXAMPLES=5000 for a longer hunt; 120 keeps the file quick.
PROPERTY = settings(max_examples=int(os.environ.get("HOSTILE_EXAMPLES", 120)), deadline=None,
                    database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


# --- running the tools ----------------------------------------------------------------------

def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_tool(tool, *args, timeout=60):
    """(exit status, stdout, stderr) of `python -m pycnn.<tool> args`, under the memory cap.
    Arguments may be bytes (file names that are not UTF-8). stdout and stderr are strict
    UTF-8, so printing an undecodable name would be a crash, not a silent replacement."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=REPO,
               PYTHONIOENCODING="utf-8:strict")
    argv = [sys.executable, "-m", "pycnn." + tool] + [os.fspath(a) for a in args]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, timeout=timeout,
                          preexec_fn=_cap_memory)
    return (proc.returncode, proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"))


# A warm interpreter that forks one child per case: the child caps its memory, sets an alarm,
# points fds 1 and 2 at files, runs the tool's main through run_cli exactly as `python -m`
# does, and exits with its status; a traceback goes to stderr with status 1, as in Python.
FORK_SERVER = r"""
import io, json, os, resource, signal, sys, traceback
from pycnn import cli, evaluate, predict, prior, train
import PIL.Image, PIL.ImageOps  # imported before forking, like everything else
TOOLS = {"predict": predict.main, "evaluate": evaluate.main, "prior": prior.main,
         "train": train.main}
cap = int(sys.argv[1])
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        signal.alarm(request["timeout"])
        for fd, path in ((1, request["out"]), (2, request["err"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8",
                                      errors="strict")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                      errors="backslashreplace")
        argv = [os.fsdecode(bytes.fromhex(a)) for a in request["args"]]
        try:
            code = cli.run_cli(TOOLS[request["tool"]], argv)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    sys.stdout.write("%d\n" % status)
    sys.stdout.flush()
"""


class ToolRunner:
    """tools("predict", *args) -> (status, stdout, stderr), like run_tool, but forked."""

    def __init__(self, folder):
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=REPO)
        self.folder = folder
        self.server = subprocess.Popen([sys.executable, "-c", FORK_SERVER, str(MEMORY_CAP)],
                                       cwd=REPO, env=env, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE)

    def __call__(self, tool, *args, timeout=60):
        out, err = self.folder / "stdout", self.folder / "stderr"
        request = {"tool": tool, "args": [os.fsencode(os.fspath(a)).hex() for a in args],
                   "out": str(out), "err": str(err), "timeout": timeout}
        self.server.stdin.write(json.dumps(request).encode("ascii") + b"\n")
        self.server.stdin.flush()
        status = int(self.server.stdout.readline())
        return (status, out.read_bytes().decode("utf-8", "replace"),
                err.read_bytes().decode("utf-8", "replace"))

    def close(self):
        self.server.stdin.close()
        self.server.wait(timeout=30)


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    runner = ToolRunner(tmp_path_factory.mktemp("tool_output"))
    yield runner
    runner.close()


def error_lines(result):
    _, out, err = result
    return [line for line in (out + err).splitlines() if "error:" in line]


def assert_refused(result, code, *words):
    """Exit status `code`, exactly one `error:` line (naming `words`), no traceback."""
    status, out, err = result
    assert "Traceback" not in out + err, err
    lines = error_lines(result)
    assert len(lines) == 1, out + err
    assert lines[0].startswith("error: "), lines
    for word in words:
        assert word in lines[0], lines[0]
    assert status == code, (status, out + err)
    return lines[0]


# --- files ------------------------------------------------------------------------------------

def small_model(labels=DIGITS, input_shape=(1, 28, 28)):
    return Sequential([Conv2D(4, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(len(labels)),
                       Softmax()], input_shape=input_shape, labels=labels,
                      metadata={"preprocess_version": PREPROCESS_VERSION})


def stroke_arrays(n_writers=12, per_writer=5, seed=0):
    """A small stroke file in the shared format, with a `writer` array for the split."""
    rng = np.random.RandomState(seed)
    labels, sections, writers = [], [], []
    points, stroke_offsets, sample_offsets = [], [0], [0]
    for writer in range(n_writers):
        for section, first_label in (("1a", 0), ("1b", 10), ("1c", 36)):
            for _ in range(per_writer):
                for _stroke in range(rng.randint(1, 3)):
                    n_points = rng.randint(2, 8)
                    points.append(rng.randint(0, 1000, size=(n_points, 2)))
                    stroke_offsets.append(stroke_offsets[-1] + n_points)
                sample_offsets.append(len(stroke_offsets) - 1)
                labels.append(first_label + rng.randint(0, 10))
                sections.append(section)
                writers.append("w%d" % writer)
    return {
        "labels": np.array(labels, dtype=np.uint8),
        "mapping": np.array(ALNUM),
        "section": np.array(sections),
        "writer": np.array(writers),
        "points": np.concatenate(points).astype(np.int16),
        "stroke_offsets": np.array(stroke_offsets, dtype=np.int64),
        "sample_stroke_offsets": np.array(sample_offsets, dtype=np.int64),
    }


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_with_header(header, payload=b""):
    """A .npy member whose header says whatever we like."""
    text = header + " " * (-(len(header) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin-1") + payload


def raw_deflate(data):
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    return squeeze.compress(data) + squeeze.flush()


def zip_bytes(entries, zip64_locator=False):
    """A zip archive built byte by byte, so that every field can lie. entries: a list of
    (name, payload, overrides) with optional overrides method, data (the stored bytes),
    crc, size (claimed uncompressed size) and flags."""
    local, central = b"", b""
    for name, payload, fields in entries:
        method = fields.get("method", 0)
        data = fields.get("data", payload if method == 0 else raw_deflate(payload))
        crc = fields.get("crc", zlib.crc32(payload))
        size = fields.get("size", len(payload))
        flags = fields.get("flags", 0)
        name = name.encode("utf-8")
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0, crc,
                             len(data), size, len(name), 0) + name + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0,
                               crc, len(data), size, len(name), 0, 0, 0, 0, 0, offset) + name
    tail = b""
    if zip64_locator:
        tail = struct.pack("<IIQI", 0x07064B50, 0, len(local) + len(central), 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central),
                      len(local), 0)
    return local + central + tail + end


def model_entries(model=None):
    """(name, payload, {}) for every member of a good model file."""
    model = model or small_model()
    entries = [("__meta__.npy", npy_bytes(np.array(json.dumps(model_meta(model)))), {})]
    entries += [(key + ".npy", npy_bytes(value), {}) for key, value in model_arrays(model).items()]
    return entries


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A good model, a good image and a good stroke file for the hostile cases to lean on."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("good")
    model = folder / "model.npz"
    save_model(small_model(), model)
    image = folder / "seven.png"
    canvas = np.full((64, 64), 255, np.uint8)
    canvas[10:14, 12:50] = 0
    canvas[14:54, 40:44] = 0
    Image.fromarray(canvas).save(image)
    strokes = folder / "strokes.npz"
    np.savez(strokes, **stroke_arrays())
    return {"model": model, "image": image, "strokes": strokes, "folder": folder}


def variant_model(tmp_path, change):
    """A model file whose metadata `change(meta)` altered (written as JSON would be)."""
    model = small_model()
    meta = model_meta(model)
    change(meta)
    path = tmp_path / "hostile.npz"
    write_archive(path, meta, model_arrays(model))
    return path


def meta_text_model(tmp_path, text):
    """A model file whose metadata is exactly `text`, valid JSON or not."""
    path = tmp_path / "hostile.npz"
    entries = model_entries()
    entries[0] = ("__meta__.npy", npy_bytes(np.array(text)), {})
    return write(path, zip_bytes(entries))


def variant_strokes(tmp_path, change):
    arrays = stroke_arrays()
    change(arrays)
    path = tmp_path / "hostile_strokes.npz"
    np.savez(path, **arrays)
    return path


# --- images -----------------------------------------------------------------------------------

def png(width, height, idat=b"\0" * 16, depth=8, colour=0):
    def chunk(kind, payload):
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(idat))
            + chunk(b"IEND", b""))


def _truncated(fmt):
    def make(tmp_path, files):
        from PIL import Image

        buffer = io.BytesIO()
        Image.open(files["image"]).save(buffer, format=fmt)
        data = buffer.getvalue()
        return write(tmp_path / ("cut." + fmt.lower()), data[:len(data) // 2])
    return make


def _sparse(tmp_path, files):
    path = tmp_path / "huge.png"
    with open(path, "wb") as f:
        f.write(png(8, 8))
        f.truncate(300 * 2 ** 20)  # sparse: no disk used
    return path


def _ppm(tmp_path, files):
    from PIL import Image

    path = tmp_path / "image.ppm"
    Image.open(files["image"]).save(path)
    return path


def _fifo(tmp_path, files):
    os.mkfifo(tmp_path / "pipe.png")
    return tmp_path / "pipe.png"


def _blank(tmp_path, files):
    from PIL import Image

    Image.new("L", (32, 32), 255).save(tmp_path / "white.png")
    return tmp_path / "white.png"


def _bad_name(tmp_path, files):
    return write(os.path.join(os.fsencode(tmp_path), b"ink\xff\nline.png"), b"not an image")


BAD_IMAGES = {
    # a decompression bomb: the header claims 10 billion pixels (Pillow's own error)
    "bomb": (lambda t, f: write(t / "bomb.png", png(100000, 100000)), "pixels"),
    # far larger than any drawing, and under Pillow's limit: refused from the header
    "too_many_pixels": (lambda t, f: write(t / "big.png", png(6000, 6000)), "6000x6000"),
    # few pixels, but the resampling to 28x28 would take 28 x 4e6 float64 (900 MB)
    "too_long_a_side": (lambda t, f: write(t / "strip.png", png(4000000, 2)), "4000000x2"),
    "file_too_large": (_sparse, "MB"),
    "empty_file": (lambda t, f: write(t / "empty.png", b""), "empty"),
    "garbage": (lambda t, f: write(t / "noise.jpg", b"\x00\x01junk" * 40), "not a PNG, JPEG"),
    "text_renamed": (lambda t, f: write(t / "notes.png", b"hello\n" * 50), "not a PNG, JPEG"),
    "format_not_accepted": (_ppm, "not a PNG, JPEG, GIF, BMP, WebP or TIFF"),
    "bad_bit_depth": (lambda t, f: write(t / "depth.png", png(4, 4, depth=3)), "PNG"),
    "zero_width": (lambda t, f: write(t / "zero.png", png(0, 5)), "PNG"),
    "truncated_png": (_truncated("PNG"), "cannot decode"),
    "truncated_jpeg": (_truncated("JPEG"), "cannot decode"),
    "truncated_gif": (_truncated("GIF"), "cannot decode"),
    "truncated_bmp": (_truncated("BMP"), "cannot decode"),
    "truncated_webp": (_truncated("WEBP"), "cannot decode"),
    "truncated_tiff": (_truncated("TIFF"), "cannot decode"),
    "missing": (lambda t, f: t / "absent.png", "no such file"),
    "folder": (lambda t, f: t, "is a folder"),
    "fifo": (_fifo, "FIFO"),
    "device": (lambda t, f: "/dev/zero", "character device"),
    "not_utf8_name": (_bad_name, "ink\\xff\\nline.png"),
    "blank": (_blank, "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_IMAGES))
def test_a_bad_image_is_one_error_line_and_status_1(tmp_path, files, tools, case):
    make, words = BAD_IMAGES[case]
    path = make(tmp_path, files)
    assert_refused(tools("predict", path, "--model", files["model"]), 1, words)


def test_good_and_bad_images_together_status_1_and_valid_json(tmp_path, files):
    bad = write(tmp_path / "bad.png", b"junk")
    result = run_tool("predict", files["image"], bad, "--model", files["model"], "--json")
    assert_refused(result, 1, "bad.png")
    entries = json.loads(result[1].splitlines()[-1])
    assert "top5" in entries[0] and "error" in entries[1]


def test_an_image_with_an_undecodable_name_is_read_and_printed(tmp_path, files):
    path = os.path.join(os.fsencode(tmp_path), b"seven\xff.png")
    write(path, files["image"].read_bytes())
    status, out, err = run_tool("predict", path, "--model", files["model"], "--json")
    assert status == 0 and not error_lines((status, out, err)) and "Traceback" not in err
    assert "seven\\xff.png: " in out
    assert json.loads(out.splitlines()[-1])[0]["file"].endswith("seven\\xff.png")


def test_an_image_at_the_pixel_limit_is_read_within_the_memory_cap(tmp_path, files):
    from PIL import Image

    side = int(predict.MAX_PIXELS ** 0.5)
    image = np.full((side, side), 255, np.uint8)
    image[side // 4:3 * side // 4, side // 2 - 100:side // 2 + 100] = 0
    path = tmp_path / "limit.png"
    Image.fromarray(image).save(path, compress_level=1)
    status, out, err = run_tool("predict", path, "--model", files["model"])
    assert status == 0 and "Traceback" not in err and "%: " not in err, err
    assert "%" in out


def _stroke_image(dtype_scale, mode, tmp_path, name):
    from PIL import Image

    ink = np.zeros((60, 40))
    ink[8:52, 18:23] = 1.0
    ink[8:13, 8:30] = 1.0
    paper = 1.0 - ink  # dark ink on light paper
    if mode == "I;16":
        image = Image.fromarray((paper * 65535).astype(np.uint16))
    elif mode == "I":
        image = Image.fromarray((paper * dtype_scale).astype(np.int32), "I")
    else:
        image = Image.fromarray((paper * dtype_scale - 3).astype(np.float32), "F")
    path = tmp_path / name
    image.save(path)
    return path, Image.fromarray((paper * 255).astype(np.uint8))


@pytest.mark.parametrize("mode, scale, name", [("I;16", 65535, "deep.png"),
                                               ("I;16", 65535, "deep.tiff"),
                                               ("I", 4000000, "wide.tiff"),
                                               ("F", 17.5, "float.tiff")])
def test_16_bit_and_float_images_are_scaled_not_clipped(tmp_path, mode, scale, name):
    path, eight_bit = _stroke_image(scale, mode, tmp_path, name)
    pixels = predict.read_image(path)
    assert pixels.dtype == np.float32 and pixels.min() == 0.0 and pixels.max() == 1.0
    expected = preprocess(np.asarray(eight_bit))
    np.testing.assert_allclose(preprocess(pixels), expected, atol=0.02)


def test_a_float_image_with_nan_pixels_is_an_error(tmp_path):
    from PIL import Image

    values = np.ones((20, 20), np.float32)
    values[3, 3] = np.nan
    path = tmp_path / "nan.tiff"
    Image.fromarray(values, "F").save(path)
    with pytest.raises(predict.ImageFileError, match="NaN"):
        predict.read_image(path)


@pytest.mark.parametrize("orientation, turn", [(3, 2), (6, -1), (8, 1)])
def test_exif_orientation_is_applied(tmp_path, orientation, turn):
    from PIL import Image

    stored = np.full((40, 30), 255, np.uint8)
    stored[5:35, 10:14] = 0
    stored[30:35, 10:25] = 0  # an "L": every turn looks different
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "turned.png"
    Image.fromarray(stored).save(path, exif=exif)
    np.testing.assert_array_equal(predict.read_image(path)[..., 0], np.rot90(stored, turn))


@pytest.mark.parametrize("fmt", predict.FORMATS)
def test_each_named_format_is_read(tmp_path, files, fmt):
    from PIL import Image

    path = tmp_path / ("image." + fmt.lower())
    Image.open(files["image"]).save(path, format=fmt)
    pixels = predict.read_image(path)
    assert pixels.shape[:2] == (64, 64) and pixels.dtype == np.uint8


# --- model files ------------------------------------------------------------------------------

def _bomb(claim_honestly):
    """64 MB of zeros deflated to about 64 KB, as an array: a zip bomb. Five of them claimed
    honestly (320 MB), or one that claims to be 1000 bytes, with a CRC to match."""
    def make(tmp_path, files):
        zeros = b"\0" * (64 * 2 ** 20)
        payload = npy_with_header("{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': (%d,), }" % (len(zeros) // 4)) + zeros
        entries = model_entries()
        data = raw_deflate(payload)
        claim = len(payload) if claim_honestly else 1000
        for i in range(5 if claim_honestly else 1):
            entries.append(("bomb%d.npy" % i, payload[:0],
                            {"method": 8, "data": data, "size": claim,
                             "crc": zlib.crc32(payload[:claim])}))
        return write(tmp_path / "bomb.npz", zip_bytes(entries))
    return make


def _member(name, payload, **fields):
    def make(tmp_path, files):
        return write(tmp_path / "m.npz", zip_bytes(model_entries() + [(name, payload, fields)]))
    return make


def _corrupt_deflate(tmp_path, files):
    entries = [(name, payload, {"method": 8}) for name, payload, _ in model_entries()]
    data = bytearray(raw_deflate(entries[1][1]))
    data[len(data) // 2:len(data) // 2 + 16] = b"\xff" * 16
    entries[1] = (entries[1][0], entries[1][1], {"method": 8, "data": bytes(data)})
    return write(tmp_path / "deflate.npz", zip_bytes(entries))


def _many_members(tmp_path, files):
    entries = model_entries() + [("x%d.npy" % i, b"", {}) for i in range(1100)]
    return write(tmp_path / "many.npz", zip_bytes(entries))


def _model_fifo(tmp_path, files):
    os.mkfifo(tmp_path / "model.npz")
    return tmp_path / "model.npz"


def _layers(*layers):
    return lambda m: m.update(architecture=list(layers))


def _conv(**config):
    return {"class": "Conv2D", "config": dict({"filters": 4, "kernel_size": 3}, **config)}


def _arch_change(index, **config):
    return lambda m: m["architecture"][index]["config"].update(config)


TAIL = [{"class": "Flatten"}, {"class": "Dense", "config": {"units": 10}}, {"class": "Softmax"}]

BAD_MODELS = {
    # the archive
    "not_npy_member": (_member("notes.txt", b"hello"), "not a .npy array"),
    "npy_member_without_magic": (_member("extra.npy", b"hello"), "not a .npy array"),
    "bzip2_member": (_member("extra.npy", npy_bytes(np.zeros(3)), method=12), "method 12"),
    "unknown_method": (_member("extra.npy", npy_bytes(np.zeros(3)), method=99), "method 99"),
    "encrypted_member": (_member("extra.npy", npy_bytes(np.zeros(3)), flags=1), "encrypted"),
    "duplicate_member": (_member("param/0.bias.npy", npy_bytes(np.zeros(4, np.float32))),
                         "appears twice"),
    "corrupt_deflate": (_corrupt_deflate, "damaged"),
    "huge_shape_header": (_member("extra.npy", npy_with_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000,), }")),
        "header claims"),
    "negative_shape": (_member("extra.npy", npy_with_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }")), "malformed shape"),
    "object_dtype": (_member("extra.npy", npy_with_header(
        "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8)), "pickle"),
    "structured_dtype": (_member("extra.npy", npy_with_header(
        "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", b"\0" * 4)),
        "structured"),
    "header_too_long": (_member("extra.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 10 ** 6)),
                        "header of 1000000 bytes"),
    "nested_header": (_member("extra.npy", npy_with_header("(" * 500 + ")" * 500)),
                      "malformed"),
    "zip_bomb_claimed": (_bomb(True), "uncompressed"),
    "zip_bomb_hidden": (_bomb(False), "header claims"),
    "too_many_members": (_many_members, "entries"),
    "zip64": (lambda t, f: write(t / "z.npz", zip_bytes(model_entries(), zip64_locator=True)),
              "zip64"),
    "bare_npy": (lambda t, f: write(t / "a.npz", npy_bytes(np.zeros(3))), "single .npy array"),
    "truncated": (lambda t, f: write(t / "t.npz", f["model"].read_bytes()[:500]),
                  "not an .npz archive"),
    "fifo": (_model_fifo, "FIFO"),
    "folder": (lambda t, f: t, "is a folder"),
    "device": (lambda t, f: "/dev/zero", "character device"),
    "missing_not_utf8": (lambda t, f: os.path.join(os.fsencode(t), b"m\xfe.npz"),
                         "m\\xfe.npz: no such file"),
    # the JSON
    "deep_json": (lambda t, f: meta_text_model(t, "[" * 100000 + "]" * 100000), "nested"),
    "deep_json_within_recursion": (lambda t, f: meta_text_model(
        t, '{"format": "pycnn-model", "x": ' + "[" * 100 + "]" * 100 + "}"), "nested"),
    "nan_in_json": (lambda t, f: meta_text_model(
        t, json.dumps(model_meta(small_model())).replace('"seed": 0', '"seed": NaN')), "NaN"),
    "infinite_number": (lambda t, f: meta_text_model(
        t, json.dumps(model_meta(small_model())).replace('"seed": 0', '"seed": 1e999')),
        "out of range"),
    "meta_too_large": (lambda t, f: meta_text_model(t, " " * 1100000), "1100000 characters"),
    "huge_integer": (lambda t, f: meta_text_model(
        t, json.dumps(model_meta(small_model())).replace('"seed": 0', '"seed": ' + "9" * 5000)),
        "digits"),
    "meta_not_text": (lambda t, f: write(t / "m.npz", zip_bytes(
        [("__meta__.npy", npy_bytes(np.zeros(3)), {})] + model_entries()[1:])),
        "must be a JSON string"),
    # the architecture
    "architecture_of_ints": (lambda t, f: variant_model(t, _layers(1, 2)), "layer 0"),
    "architecture_a_string": (lambda t, f: variant_model(
        t, lambda m: m.update(architecture="Conv2D")), "list of 1 to 64 layers"),
    "unknown_layer": (lambda t, f: variant_model(
        t, _layers({"class": "Evil", "config": {}})), "unknown layer class"),
    "unknown_option": (lambda t, f: variant_model(t, _arch_change(0, shell="rm -rf /")),
                       "unknown option"),
    "huge_dense": (lambda t, f: variant_model(t, _arch_change(4, units=10 ** 9)), "units"),
    "huge_conv": (lambda t, f: variant_model(t, _arch_change(0, filters=10 ** 6)), "filters"),
    "stride_zero": (lambda t, f: variant_model(t, _arch_change(0, stride=0)), "stride"),
    "kernel_zero": (lambda t, f: variant_model(t, _arch_change(0, kernel_size=0)),
                    "kernel_size"),
    "pool_zero": (lambda t, f: variant_model(t, _arch_change(2, pool_size=0)), "pool_size"),
    "float_filters": (lambda t, f: variant_model(t, _arch_change(0, filters=4.5)),
                      "must be an integer"),
    "bool_units": (lambda t, f: variant_model(t, _arch_change(4, units=True)),
                   "must be an integer"),
    "negative_padding": (lambda t, f: variant_model(t, _arch_change(0, padding=-3)),
                         "padding"),
    "dropout_rate_one": (lambda t, f: variant_model(t, _layers(
        _conv(), {"class": "Dropout", "config": {"rate": 1.0}}, *TAIL)), "rate"),
    "too_many_parameters": (lambda t, f: variant_model(t, _layers(
        _conv(filters=64, padding="same"), {"class": "Flatten"},
        {"class": "Dense", "config": {"units": 4096}}, *TAIL[1:])), "parameters"),
    "too_many_multiply_adds": (lambda t, f: variant_model(t, _layers(
        _conv(filters=512, padding="same"), _conv(filters=512, padding="same"),
        {"class": "MaxPool2D", "config": {"pool_size": 28}}, *TAIL)), "multiply-adds"),
    "too_large_a_layer": (lambda t, f: variant_model(t, _layers(
        _conv(filters=1, kernel_size=64, padding="full"),
        {"class": "MaxPool2D", "config": {"pool_size": 64}}, *TAIL)), "values per image"),
    "kernel_larger_than_input": (lambda t, f: variant_model(t, _arch_change(0, kernel_size=40)),
                                 "does not fit"),
    "dense_before_flatten": (lambda t, f: variant_model(t, _layers(
        {"class": "Dense", "config": {"units": 10}})), "flat input"),
    "output_not_per_class": (lambda t, f: variant_model(t, _layers(_conv(filters=10))),
                             "not one score per class"),
    "input_shape_huge": (lambda t, f: variant_model(
        t, lambda m: m.update(input_shape=[1, 10 ** 6, 10 ** 6])), "input height"),
    "input_shape_missing": (lambda t, f: variant_model(t, lambda m: m.pop("input_shape")),
                            "missing"),
    "dtype_not_float": (lambda t, f: variant_model(t, lambda m: m.update(dtype="V100")),
                        "dtype"),
    "seed_negative": (lambda t, f: variant_model(t, lambda m: m.update(seed=-1)), "seed"),
    "metadata_a_list": (lambda t, f: variant_model(t, lambda m: m.update(metadata=[1])),
                        "metadata"),
    "format_version_true": (lambda t, f: variant_model(
        t, lambda m: m.update(format_version=True)), "format version"),
    # the labels
    "labels_not_strings": (lambda t, f: variant_model(t, lambda m: m.update(
        labels=list(range(10)))), "label 0"),
    "labels_repeat": (lambda t, f: variant_model(t, lambda m: m.update(labels=["a"] * 10)),
                      "repeat"),
    "label_with_newline": (lambda t, f: variant_model(t, lambda m: m.update(
        labels=["a\nerror: fake"] + DIGITS[1:])), "printable"),
    "label_empty": (lambda t, f: variant_model(t, lambda m: m.update(labels=[""] + DIGITS[1:])),
                    "printable"),
    "labels_too_few": (lambda t, f: variant_model(t, lambda m: m.update(labels=["a", "b"])),
                       "10 outputs but 2 labels"),
    "labels_missing": (lambda t, f: variant_model(t, lambda m: m.pop("labels")), "labels"),
    # loads, but cannot take the tools' 28x28 images
    "input_not_28x28": (lambda t, f: save_model(small_model(input_shape=(1, 12, 12)),
                                                t / "m.npz") or t / "m.npz", "(1, 12, 12)"),
}


@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_a_bad_model_file_is_one_error_line_and_status_2(tmp_path, files, tools, case):
    make, words = BAD_MODELS[case]
    path = make(tmp_path, files)
    assert_refused(tools("predict", files["image"], "--model", path), 2, words)


@pytest.mark.parametrize("tool, extra", [("evaluate", ["--strokes", "STROKES"]),
                                         ("prior", ["--data", "STROKES"])])
def test_the_other_tools_refuse_a_bad_model_the_same_way(tmp_path, files, tool, extra):
    path = _member("notes.txt", b"hello")(tmp_path, files)
    extra = [str(files["strokes"]) if a == "STROKES" else a for a in extra]
    assert_refused(run_tool(tool, "--model", path, *extra), 2, "not a .npy array")


def test_nothing_is_unpickled_or_executed(tmp_path):
    target = tmp_path / "pwned"
    payload = npy_with_header("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
                              b"cos\nsystem\n(S'touch %s'\ntR." % os.fsencode(target))
    path = write(tmp_path / "m.npz", zip_bytes(model_entries() + [("x.npy", payload, {})]))
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(path)
    assert not target.exists()


def test_writing_never_replaces_a_device_or_fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe.npz")
    with pytest.raises(ModelFileError, match="not a regular file"):
        save_model(small_model(), tmp_path / "pipe.npz")


# --- inference --------------------------------------------------------------------------------

def test_the_cost_of_the_shipped_model_is_what_the_readme_says():
    cost = inference_cost(load_model(os.path.join(REPO, "weights", "model.npz")))
    assert 7.7e6 < cost["multiply_adds"] < 7.9e6  # README: 7.8 M multiply-adds
    assert cost["multiply_adds"] * 25 < MAX_MULTIPLY_ADDS


def test_the_costliest_allowed_model_predicts_within_the_memory_cap(tmp_path, files):
    model = Sequential([Conv2D(96, 3, padding="same"), ReLU(), Conv2D(96, 3, padding="same"),
                        ReLU(), Flatten(), Dense(120), ReLU(), Dense(62), Softmax()],
                       input_shape=(1, 28, 28), labels=ALNUM,
                       metadata={"preprocess_version": PREPROCESS_VERSION})
    cost = architecture_cost(model.config(), [1, 28, 28])
    assert cost["parameters"] > 9e6 and cost["multiply_adds"] > 7e7
    path = tmp_path / "heavy.npz"
    save_model(model, path)
    status, out, err = run_tool("predict", files["image"], "--model", path)
    assert status == 0 and "Traceback" not in err, err
    status, out, err = run_tool("evaluate", "--model", path, "--strokes", files["strokes"],
                                "--quiet", "--json")
    assert status == 0 and "Traceback" not in err, err
    assert json.loads(out.splitlines()[-1])["n"] == len(stroke_arrays()["labels"])


def test_non_finite_output_is_an_error_never_nan_percent(tmp_path, files, tools):
    model = small_model()
    for _, p, _ in model.parameters():
        p[...] = 3e38  # finite weights whose products overflow
    path = tmp_path / "overflow.npz"
    save_model(model, path)
    result = tools("predict", files["image"], "--model", path, "--json")
    assert_refused(result, 1, "not a number")
    assert "nan%" not in result[1].lower()
    json.loads(result[1].splitlines()[-1], parse_constant=lambda word: pytest.fail(word))


def test_evaluate_refuses_non_finite_output(tmp_path, files, tools):
    model = small_model(labels=ALNUM)
    for _, p, _ in model.parameters():
        p[...] = 3e38
    path = tmp_path / "overflow.npz"
    save_model(model, path)
    assert_refused(tools("evaluate", "--model", path, "--strokes", files["strokes"],
                         "--quiet", "--json"), 2, "not a number")


# --- stroke files -----------------------------------------------------------------------------

def _set(name, value):
    return lambda a: a.update({name: value})


def _one_long_sample(n_points, zigzag=False):
    def change(a):
        if zigzag:
            points = np.zeros((n_points, 2), np.int16)
            points[1::2] = 1000  # corner to corner, back and forth
        else:
            points = np.random.RandomState(0).randint(0, 1000, (n_points, 2)).astype(np.int16)
        a["points"] = np.concatenate([points, a["points"]])
        a["stroke_offsets"] = np.concatenate([[0], a["stroke_offsets"] + n_points])
        a["sample_stroke_offsets"] = np.concatenate([[0], a["sample_stroke_offsets"] + 1])
        for key in ("labels", "section", "writer"):
            a[key] = np.concatenate([a[key][:1], a[key]])
    return change


def _uint64_wrap(a):
    offsets = a["stroke_offsets"].astype(np.uint64)
    offsets[3] = np.uint64(2 ** 64 - 1)  # int64 -1 once cast: used to slip through
    a["stroke_offsets"] = offsets


def _uint64_decreasing(a):
    offsets = a["stroke_offsets"].astype(np.uint64)
    offsets[3], offsets[4] = offsets[4], offsets[3]  # uint64 differences never look < 0
    a["stroke_offsets"] = offsets


def _float_points(value):
    def change(a):
        points = a["points"].astype(np.float64)
        points[7, 1] = value
        a["points"] = points
    return change


def _many_strokes(a):
    n = 500  # one sample of 500 one-point strokes
    a["points"] = np.concatenate([np.zeros((n, 2), np.int16), a["points"]])
    a["stroke_offsets"] = np.concatenate([np.arange(n), a["stroke_offsets"] + n])
    a["sample_stroke_offsets"] = np.concatenate([[0], a["sample_stroke_offsets"] + n])
    for key in ("labels", "section", "writer"):
        a[key] = np.concatenate([a[key][:1], a[key]])


def _no_samples(a):
    a.update(labels=a["labels"][:0], section=a["section"][:0], writer=a["writer"][:0],
             sample_stroke_offsets=np.array([0]), stroke_offsets=np.array([0]),
             points=a["points"][:0])


BAD_STROKES = {
    "uint64_offset_wraparound": (_uint64_wrap, "beyond 2**63"),
    "uint64_offsets_decreasing": (_uint64_decreasing, "decreases"),
    "offsets_beyond_the_points": (lambda a: a["stroke_offsets"].__setitem__(-1, 10 ** 6),
                                  "must run from 0"),
    "sample_offsets_beyond_the_strokes": (
        lambda a: a["sample_stroke_offsets"].__setitem__(-1, 10 ** 6), "must run from 0"),
    "nan_point": (_float_points(np.nan), "NaN or infinite"),
    "infinite_point": (_float_points(np.inf), "NaN or infinite"),
    "huge_coordinates": (_float_points(1e300), "beyond"),
    "million_point_sample": (_one_long_sample(3 * 10 ** 6), "3000000 points"),
    "zigzag_sample": (_one_long_sample(1999, zigzag=True), "times as long"),
    "many_strokes_sample": (_many_strokes, "500 strokes"),
    "points_3_columns": (_set("points", np.zeros((10, 3), np.int16)), "(P, 2)"),
    "points_of_strings": (_set("points", np.array([["a", "b"]])), "(P, 2)"),
    "labels_2d": (lambda a: a.update(labels=a["labels"].reshape(-1, 1)), "1-D"),
    "labels_float": (lambda a: a.update(labels=a["labels"].astype(float)), "integers"),
    "labels_out_of_range": (lambda a: a["labels"].__setitem__(0, 200), "out of range"),
    "mapping_0d": (_set("mapping", np.array("abc")), "mapping"),
    "mapping_2d": (_set("mapping", np.array([ALNUM])), "mapping"),
    "mapping_ints": (_set("mapping", np.arange(62)), "mapping"),
    "mapping_repeats": (_set("mapping", np.array(["a"] * 62)), "distinct"),
    "mapping_newline": (_set("mapping", np.array(ALNUM[:-1] + ["z\nerror:"])), "printable"),
    "section_wrong_length": (lambda a: a.update(section=a["section"][:5]), "section"),
    "section_numbers": (lambda a: a.update(section=np.zeros(len(a["labels"]))), "section"),
    "datfile_names_0d": (lambda a: a.update(datfile=np.zeros(len(a["labels"]), np.int32),
                                            datfile_names=np.array("x")), "datfile_names"),
    "no_samples": (_no_samples, "no samples"),
    "all_suspect": (lambda a: a.update(suspect=np.ones(len(a["labels"]), bool)),
                    "marked suspect"),
    "missing_arrays": (lambda a: a.pop("points"), "missing array"),
}


@pytest.mark.parametrize("case", sorted(BAD_STROKES))
def test_a_bad_stroke_file_is_one_error_line_and_status_2(tmp_path, files, tools, case):
    change, words = BAD_STROKES[case]
    path = variant_strokes(tmp_path, change)
    assert_refused(tools("evaluate", "--model", files["model"], "--strokes", path, "--quiet"),
                   2, words)


@pytest.mark.parametrize("make, words", [
    (lambda t: write(t / "s.npz", zip_bytes([("labels.npy", b"", {"flags": 1})])), "encrypted"),
    (lambda t: (os.mkfifo(t / "s.npz"), t / "s.npz")[1], "FIFO"),
    (lambda t: write(t / "s.npz", b"PK\x03\x04" + b"\x00" * 100), "not an .npz archive"),
])
def test_stroke_files_are_read_as_hostile_archives_too(tmp_path, files, make, words):
    assert_refused(run_tool("train", "--data", make(tmp_path), "--out", tmp_path / "o" / "m.npz"),
                   2, words)


# --- training ---------------------------------------------------------------------------------

BAD_OPTIONS = {
    "lr_nan": (["--lr", "nan"], "--lr"),
    "lr_infinite": (["--lr", "inf"], "--lr"),
    "lr_negative": (["--lr", "-0.1"], "--lr"),
    "lr_zero": (["--lr", "0"], "--lr"),
    "lr_absurd": (["--lr", "1e9"], "--lr"),
    "lr_not_a_number": (["--lr", "fast"], "invalid float value"),
    "weight_decay_nan": (["--weight-decay", "nan"], "--weight-decay"),
    "limit_train_negative": (["--limit-train", "-5"], "--limit-train"),
    "limit_val_negative": (["--limit-val", "-1"], "--limit-val"),
    "stop_after_negative": (["--stop-after", "-1"], "--stop-after"),
    "patience_zero": (["--patience", "0"], "--patience"),
    "seed_negative": (["--seed", "-1"], "--seed"),
    "epochs_zero": (["--epochs", "0"], "--epochs"),
    "batch_size_huge": (["--batch-size", "100000"], "--batch-size"),
    "unknown_option": (["--learning-rate", "0.1"], "unrecognized arguments"),
    "unknown_arch": (["--arch", "huge"], "invalid choice"),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_a_bad_training_option_is_one_error_line_and_status_2(tmp_path, tools, case):
    options, words = BAD_OPTIONS[case]
    assert_refused(tools("train", "--out", tmp_path / "m.npz", *options), 2, words)


def _out_under_a_file(tmp_path):
    write(tmp_path / "plain", b"x")
    return ["--out", tmp_path / "plain" / "model.npz"]


def _out_is_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "model.npz")
    return ["--out", tmp_path / "model.npz"]


BAD_OUTPUTS = {
    "out_under_a_file": (_out_under_a_file, "--out"),
    "out_is_a_folder": (lambda t: ["--out", t], "is a folder"),
    "out_is_a_fifo": (_out_is_a_fifo, "not a regular file"),
    "out_empty": (lambda t: ["--out", ""], "empty path"),
    "out_unwritable": (lambda t: ["--out", "/proc/pycnn/model.npz"], "cannot write"),
    "report_dir_is_a_file": (lambda t: ["--out", t / "m.npz", "--report-dir",
                                        write(t / "r", b"")], "--report-dir"),
    "checkpoint_is_the_model": (lambda t: ["--out", t / "m.npz", "--checkpoint", t / "m.npz"],
                                "same file"),
    "checkpoint_is_a_folder": (lambda t: ["--out", t / "m.npz", "--checkpoint", t],
                               "--checkpoint"),
}


@pytest.mark.parametrize("case", sorted(BAD_OUTPUTS))
def test_an_unwritable_output_is_refused_before_the_data_is_read(tmp_path, tools, case):
    make, words = BAD_OUTPUTS[case]
    # The data file does not exist: the output must be refused first, before any loading.
    result = tools("train", "--data", tmp_path / "absent.npz", *make(tmp_path))
    assert "absent.npz" not in assert_refused(result, 2, words)


RESUME = ["--arch", "tiny", "--epochs", "2", "--batch-size", "32", "--seed", "1", "--quiet"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, files):
    """A real checkpoint after one of two epochs, on the small stroke file."""
    out = tmp_path_factory.mktemp("run") / "model.npz"
    assert train.main(RESUME + ["--data", str(files["strokes"]), "--out", str(out),
                                "--stop-after", "1"]) == 0
    return out.parent / "checkpoint.npz", out


def _resume(run, tmp_path, checkpoint_path, data, out=None):
    return run("train", *RESUME, "--data", data, "--out", out or tmp_path / "m.npz",
                    "--checkpoint", checkpoint_path, "--resume")


def test_resuming_on_other_data_is_refused(tmp_path, checkpoint, tools):
    arrays = stroke_arrays()
    arrays["points"][5, 0] += 1  # one coordinate of one point
    np.savez(tmp_path / "other.npz", **arrays)
    assert_refused(_resume(tools, tmp_path, checkpoint[0], tmp_path / "other.npz"), 2,
                   "other data")


def test_resuming_with_another_class_order_is_refused(tmp_path, checkpoint, tools):
    arrays = stroke_arrays()
    order = np.random.RandomState(0).permutation(len(ALNUM))  # same characters, other order
    arrays["mapping"] = np.array(ALNUM)[order]
    arrays["labels"] = np.argsort(order)[arrays["labels"]].astype(np.uint8)
    np.savez(tmp_path / "reordered.npz", **arrays)
    assert_refused(_resume(tools, tmp_path, checkpoint[0], tmp_path / "reordered.npz"), 2,
                   "another class order")


def test_resuming_on_the_same_data_works(tmp_path, checkpoint, files):
    copy = write(tmp_path / "checkpoint.npz", checkpoint[0].read_bytes())
    model = write(tmp_path / "m.npz", checkpoint[1].read_bytes())  # the best so far
    status, out, err = _resume(run_tool, tmp_path, copy, files["strokes"], out=model)
    assert status == 0 and "Traceback" not in err, err
    assert "resuming after epoch 1" in out


def _rewrite_checkpoint(source, target, change_meta=None, change_arrays=None):
    meta, arrays = read_archive(source)
    if change_meta:
        change_meta(meta)
    if change_arrays:
        change_arrays(arrays)
    write_archive(target, meta, arrays)
    return target


BAD_CHECKPOINTS = {
    "truncated": (lambda src, dst: write(dst, src.read_bytes()[:2000]), "not an .npz archive"),
    "a_model_not_a_checkpoint": (lambda src, dst: _rewrite_checkpoint(
        src, dst, lambda m: m.pop("checkpoint"), lambda a: [a.pop(k) for k in list(a)
                                                            if k.startswith("optim/")]),
        "not a training checkpoint"),
    "history_a_string": (lambda src, dst: _rewrite_checkpoint(
        src, dst, lambda m: m["checkpoint"].update(history="lots")), "history"),
    "state_without_epochs": (lambda src, dst: _rewrite_checkpoint(
        src, dst, lambda m: m["checkpoint"]["state"].pop("epochs_done")), "epoch count"),
    "run_a_list": (lambda src, dst: _rewrite_checkpoint(
        src, dst, lambda m: m["checkpoint"].update(run=[1])), "options"),
    "negative_adam_v": (lambda src, dst: _rewrite_checkpoint(
        src, dst, change_arrays=lambda a: a["optim/v/0.weight"].__setitem__(0, -1.0)),
        "impossible values"),
    "missing_adam_buffer": (lambda src, dst: _rewrite_checkpoint(
        src, dst, change_arrays=lambda a: a.pop("optim/m/0.bias")), "optimizer buffers"),
    "other_network": (lambda src, dst: _rewrite_checkpoint(
        src, dst, lambda m: m["architecture"][0]["config"].update(method="fft")),
        "not the tiny architecture"),
}


@pytest.mark.parametrize("case", sorted(BAD_CHECKPOINTS))
def test_a_bad_checkpoint_is_refused_before_the_data_is_loaded(tmp_path, checkpoint, tools,
                                                              case):
    make, words = BAD_CHECKPOINTS[case]
    path = make(checkpoint[0], tmp_path / "checkpoint.npz")
    line = assert_refused(_resume(tools, tmp_path, path, tmp_path / "absent.npz"), 2, words)
    assert "absent.npz" not in line  # the data was never read


def test_a_diverging_run_stops_with_an_error(tmp_path, files, monkeypatch, capsys):
    def diverge(self, *args, **kwargs):
        return float("nan"), 0

    monkeypatch.setattr(Sequential, "train_step", diverge)
    out = tmp_path / "m.npz"
    code = cli.run_cli(train.main, RESUME + ["--data", str(files["strokes"]), "--out", str(out)])
    assert code == 2 and "training diverged in epoch 1" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "checkpoint.npz").exists()


# --- the word tools (--words) -----------------------------------------------------------------

@pytest.fixture(scope="module")
def word_files(tmp_path_factory):
    """A small word model (`tests/test_word_reader.py`) for the word cases to lean on."""
    from test_word_reader import saved, word_model

    folder = tmp_path_factory.mktemp("words")
    return {"model": saved(folder, word_model(favour="a"), "words.npz"), "folder": folder}


def _word_pad(tmp_path, name, width, height, ink=None):
    from PIL import Image

    pixels = np.zeros((height, width, 4), np.uint8)
    if ink is not None:
        pixels[ink[0], ink[1], 3] = 255
    Image.fromarray(pixels, "RGBA").save(tmp_path / name)
    return tmp_path / name


BAD_WORD_IMAGES = {
    "wider_than_a_side_may_be": (lambda t: write(t / "wide.png", png(20000, 40)), "20000x40"),
    "empty_pad": (lambda t: _word_pad(t, "pad.png", 300, 96), "empty"),
    "a_line_not_a_word": (lambda t: _word_pad(t, "line.png", 4000, 40,
                                              (slice(10, 30), slice(5, 3995))), "too long"),
}


@pytest.mark.parametrize("case", sorted(BAD_WORD_IMAGES))
def test_a_bad_word_image_is_one_error_line_and_status_1(tmp_path, word_files, tools, case):
    make, words = BAD_WORD_IMAGES[case]
    assert_refused(tools("predict", "--words", make(tmp_path), "--model", word_files["model"]),
                   1, words)


def test_a_word_picture_at_the_pixel_limit_is_read_within_the_memory_cap(tmp_path, word_files,
                                                                        tools):
    from PIL import Image

    image = np.full((1024, 16384), 255, np.uint8)  # MAX_PIXELS, and MAX_SIDE wide
    image[400:600, 100:16000] = 0
    path = tmp_path / "banner.png"
    Image.fromarray(image).save(path, compress_level=1)
    assert_refused(tools("predict", "--words", path, "--model", word_files["model"]), 1,
                   "too long to read as one word")
    image[:] = 255
    image[400:600, 8000:8600] = 0
    Image.fromarray(image).save(path, compress_level=1)
    status, out, err = tools("predict", "--words", path, "--model", word_files["model"])
    assert status == 0 and "Traceback" not in err and "raw: a" in out, err


def _gzip_bomb(tmp_path, files):
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = squeeze.compress(b"a\t1\n" * (8 * 2 ** 20)) + squeeze.flush()  # 32 MB of text
    return ["--lexicon", write(tmp_path / "bomb.tsv.gz", data)]


WORD_TOOL_REFUSALS = {
    "a_character_model": (lambda t, f: ["--model", f["model"]], "not a sequence (word) model"),
    "a_lexicon_gzip_bomb": (_gzip_bomb, "inflates to more than"),
    "a_lexicon_of_binary": (lambda t, f: ["--lexicon", write(t / "lex.tsv", b"ab\x00\t1\n")],
                            "NUL"),
    "a_lexicon_that_is_a_fifo": (lambda t, f: ["--lexicon", _fifo(t, f)], "lexicon"),
}


@pytest.mark.parametrize("tool", ["predict", "evaluate"])
@pytest.mark.parametrize("case", sorted(WORD_TOOL_REFUSALS))
def test_the_word_tools_refuse_a_bad_model_or_lexicon(tmp_path, files, word_files, tools,
                                                      case, tool):
    make, words = WORD_TOOL_REFUSALS[case]
    target = [files["image"]] if tool == "predict" else ["--strokes", files["strokes"]]
    args = ["--words"] + target + ["--model", word_files["model"]] + make(tmp_path, files)
    assert_refused(tools(tool, *args, timeout=30), 2, words)


# --- the exit-code convention -----------------------------------------------------------------

@pytest.mark.parametrize("raise_, code, line", [
    (lambda: 0, 0, None),
    (lambda: 1, 1, None),
    (lambda: (_ for _ in ()).throw(cli.UsageError("bad option")), 2, "error: bad option"),
    (lambda: (_ for _ in ()).throw(DataFileError("x.npz: bad")), 2, "error: x.npz: bad"),
    (lambda: (_ for _ in ()).throw(ModelFileError("m.npz: bad")), 2, "error: m.npz: bad"),
    (lambda: (_ for _ in ()).throw(OSError(28, "No space left on device", "out.npz")), 2,
     "error: out.npz: No space left on device"),
    (lambda: (_ for _ in ()).throw(cli.UsageError("two\nlines \udcff")), 2,
     "error: two\\nlines \\xff"),
    (lambda: (_ for _ in ()).throw(KeyboardInterrupt()), 130, None),
])
def test_run_cli_exit_codes(capsys, raise_, code, line):
    assert cli.run_cli(lambda argv: raise_()) == code
    err = capsys.readouterr().err.splitlines()
    assert [e for e in err if e.startswith("error:")] == ([line] if line else [])


def test_help_is_status_0_and_a_bad_option_status_2(capsys):
    with pytest.raises(SystemExit) as info:
        predict.main(["--help"])
    assert info.value.code == 0
    assert cli.run_cli(predict.main, ["--nonsense"]) == 2
    assert capsys.readouterr().err.count("error:") == 1


def test_predict_status_0_only_when_every_image_was_read(files):
    status, out, err = run_tool("predict", files["image"], files["image"], "--model",
                                files["model"])
    assert status == 0 and not error_lines((status, out, err))


# --- properties of the loaders ----------------------------------------------------------------

def _vm_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def memory_cap(extra=2 ** 30):
    """Cap this process's address space at its current size plus `extra` for the block: a
    loader that allocates on a file's word fails the test with MemoryError instead of
    taking the machine down."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _vm_bytes() + extra
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("properties")


def _good_model_bytes():
    buffer = io.BytesIO()
    model = small_model(input_shape=(1, 12, 12))
    np.savez(buffer, __meta__=np.array(json.dumps(model_meta(model))), **model_arrays(model))
    return buffer.getvalue()


GOOD_MODEL = _good_model_bytes()


def _use_model(path):
    """load_model gives a model that predicts, or ModelFileError."""
    with memory_cap():
        try:
            model = load_model(path)
        except ModelFileError as err:
            event("refused: %s" % str(err).split(": ", 1)[-1][:30])
            return
        event("loaded")
        probs = model.predict_proba(np.zeros((1,) + model.input_shape, np.float32))
    assert probs.shape == (1, len(model.labels))


def _mutate(data, draw):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "overwrite"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif data:
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[at:at + len(chunk)] = chunk
    return bytes(data)


@PROPERTY
@given(st.binary(max_size=3000))
def test_property_random_bytes_are_never_a_model(scratch, data):
    path = write(scratch / "random.npz", data)
    with pytest.raises(ModelFileError):
        load_model(path)


@PROPERTY
@given(st.data())
def test_property_a_corrupted_model_file_loads_or_is_refused(scratch, data):
    _use_model(write(scratch / "corrupted.npz", _mutate(GOOD_MODEL, data.draw)))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
    | st.sampled_from([0, 1, 2, 3, 28, 64, 65, 4096, 10 ** 9, "same", "full", "fft", "he"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=8)


def _paths(value, prefix=()):
    """Every place in a JSON value that a mutation can replace."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, prefix + (i,))


def _get(value, place):
    for key in place:
        value = value[key]
    return json.loads(json.dumps(value))  # a copy


@PROPERTY
@given(st.data())
def test_property_hostile_metadata_loads_or_is_refused(scratch, data):
    model = small_model(input_shape=(1, 12, 12))
    meta = model_meta(model)
    for _ in range(data.draw(st.integers(1, 3))):
        places = list(_paths(meta))[1:]
        where = data.draw(st.sampled_from(places))
        parent = meta
        for key in where[:-1]:
            parent = parent[key]
        # Random JSON, or a value from elsewhere in the file (more of these still load).
        others = [_get(meta, place) for place in places]
        parent[where[-1]] = data.draw(JSON_VALUES | st.sampled_from(others))
    path = scratch / "metadata.npz"
    np.savez(path, __meta__=np.array(json.dumps(meta)), **model_arrays(model))
    _use_model(path)


def _use_strokes(path):
    """load_unipen gives data that gathers, splits and renders, or DataFileError."""
    with memory_cap():
        try:
            data = load_unipen(path)
        except DataFileError as err:
            event("refused: %s" % str(err).split(": ", 1)[-1][:30])
            return
        event("loaded")
        for i in range(len(data)):
            data.strokes(i)
        data.gather_points(np.arange(len(data)))
        split = writer_split(data, table={})
        assert sum(len(v) for v in split.values()) == len(data)
        images, _ = render_batch(data, np.arange(min(len(data), 4)))
        assert np.all(np.isfinite(images))


@PROPERTY
@given(st.binary(max_size=3000))
def test_property_random_bytes_are_never_strokes(scratch, data):
    path = write(scratch / "random_strokes.npz", data)
    with pytest.raises(DataFileError):
        load_unipen(path)


GOOD_STROKES = stroke_arrays(n_writers=2, per_writer=2)
DTYPES = st.sampled_from([np.bool_, np.int8, np.uint8, np.int16, np.int64, np.uint64,
                          np.float16, np.float32, np.float64, "<U3"])


def _array(draw):
    return draw(hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                    max_side=5)))


@PROPERTY
@given(st.data())
def test_property_random_arrays_load_or_are_refused(scratch, data):
    arrays = {name: _array(data.draw) for name in data.draw(st.sets(st.sampled_from(
        sorted(GOOD_STROKES) + ["suspect", "datfile", "datfile_names", "source"])))}
    path = scratch / "arrays.npz"
    np.savez(path, **arrays)
    _use_strokes(path)


@PROPERTY
@given(st.data())
def test_property_a_perturbed_stroke_file_loads_or_is_refused(scratch, data):
    arrays = {k: v.copy() for k, v in GOOD_STROKES.items()}
    for _ in range(data.draw(st.integers(1, 3))):
        name = data.draw(st.sampled_from(sorted(arrays)))
        how = data.draw(st.sampled_from(["replace", "retype", "poke"]))
        if how == "replace":
            arrays[name] = _array(data.draw)
        elif how == "retype":
            try:
                with np.errstate(all="ignore"):
                    arrays[name] = arrays[name].astype(data.draw(DTYPES))
            except (ValueError, OverflowError):
                pass
        elif arrays[name].size:
            flat = arrays[name].reshape(-1)
            at = data.draw(st.integers(0, flat.size - 1))
            value = data.draw(st.sampled_from([-1, 0, 1, 7, 255, 2 ** 31, 2 ** 63, -2 ** 63,
                                               float("nan"), float("inf"), 1e300, "x"]))
            try:
                flat[at] = value
            except (ValueError, OverflowError, TypeError):
                pass
    path = scratch / "perturbed.npz"
    np.savez(path, **arrays)
    _use_strokes(path)


@PROPERTY
@given(st.data())
def test_property_a_corrupted_stroke_file_loads_or_is_refused(scratch, data):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **GOOD_STROKES)
    _use_strokes(write(scratch / "corrupted_strokes.npz", _mutate(buffer.getvalue(), data.draw)))
