"""Model files: one `.npz` of parameter arrays plus one JSON string, never a pickle.

Layout of the archive:
    ``__meta__``            0-d unicode array holding the JSON metadata
    ``param/<i>.<name>``    parameter `name` of layer `i` (e.g. ``param/0.weight``)
Other groups (for instance ``optim/...`` in a training checkpoint) may be added by the
caller through `write_archive`; `load_model` refuses any array it does not expect.

The JSON carries the architecture, input shape, labels, preprocessing version and training
metadata. Every file is treated as hostile: loading raises `ModelFileError` with a sentence
that names the file and the problem, and nothing in a file is ever executed or unpickled.

`read_npz` (shared with the stroke loader) reads the zip archive itself rather than through
`numpy.load`, so that sizes are checked before anything is decompressed or allocated:
- only regular files are opened (a FIFO would block forever, a device never ends);
- members must be plain ``.npy`` arrays, stored or deflated, not encrypted; a zip64 or
  oversized directory is refused before the directory is parsed;
- the sum of the members' uncompressed sizes is bounded, and each ``.npy`` header (at most
  MAX_NPY_HEADER bytes, parsed without `eval`) must describe exactly the bytes the member
  holds, with a plain numeric or string dtype: no objects, no structured or pickled data.

Model limits, checked on the JSON alone, before any layer is built:
    MAX_META_CHARS          1,000,000 characters of JSON, nested at most MAX_JSON_DEPTH (32)
    MAX_LAYERS              64 layers; filters and units 1..MAX_UNITS (4,096); kernel,
                            stride and pool sides 1..64; padding 0..64; Conv1D dilation
                            1..64
    input shape             (C, H, W) with C 1..64 and H, W 1..1,024 (for a sequence
                            model W is the widest word it reads; costs are for that width)
    MAX_PARAMETERS          10 million (the shipped model has about 0.4 million)
    MAX_MULTIPLY_ADDS       256 million per image (the shipped character model: 7.8 million;
                            the word model at its widest word, 512 px: 197 million)
    MAX_VALUES_PER_IMAGE    4 million values in any one layer output or work buffer
    labels                  distinct printable strings of 1..64 characters, one per output
                            class (per frame, for a sequence model)
So a model that loads can always make its first prediction in bounded time and memory.

A file holds either a classifier (outputs (classes,)) or a sequence model (one Collapse
layer, outputs (frames, classes), see sequence.py); `load_model` says which it wants and
refuses the other, so a tool never runs a model of the wrong kind. A sequence model's
layer order (sequence.check_sequence_layers) is checked once the layers are built, before
any parameter is copied in.

This module runs in the browser too (Pyodide 0.17: Python 3.8, NumPy 1.17): stdlib and NumPy
only.
"""

import ast
import json
import math
import os
import stat
import struct
import tempfile
import zipfile

import numpy as np

from .conv import PADDING_MODES, conv_padding, output_size
from .init import INITIALISERS
from .layers import Conv2D
from .model import Sequential
from .sequence import CONV1D_PADDING, check_sequence_layers

FORMAT = "pycnn-model"
FORMAT_VERSION = 1
META_KEY = "__meta__"
PARAM_PREFIX = "param/"

MiB = 2 ** 20
MAX_MODEL_FILE_BYTES = 512 * MiB  # on disk
MAX_MODEL_ARRAY_BYTES = 256 * MiB  # uncompressed: 10 M float64 parameters and Adam's 2 buffers
MAX_MEMBERS = 1024
MAX_ZIP_DIRECTORY_BYTES = 1 * MiB
MAX_NPY_HEADER = 10000  # numpy's own default limit
MAX_META_CHARS = 1000000
MAX_JSON_DEPTH = 32
MAX_JSON_INT_DIGITS = 20  # any 64-bit integer; longer ones only cost time to parse
MAX_LAYERS = 64
MAX_UNITS = 4096
MAX_WINDOW = 64  # kernel, stride, pool size and padding
MAX_INPUT_CHANNELS = 64
MAX_INPUT_SIDE = 1024
MAX_LABEL_CHARS = 64
MAX_PARAMETERS = 10000000
MAX_MULTIPLY_ADDS = 256000000
MAX_VALUES_PER_IMAGE = 4000000
DTYPES = ("float32", "float64")
NPY_MAGIC = b"\x93NUMPY"
READ_CHUNK = MiB


class ModelFileError(ValueError):
    """The file is not a usable pycnn model; the message says why."""


# --- names and messages -------------------------------------------------------------------

def printable(text):
    """`text` (a str, bytes or path) as one printable line, whatever it holds.

    A file name need not be valid UTF-8: it arrives as bytes or with surrogate escapes, and
    printing it as is raises UnicodeEncodeError. Undecodable bytes become ``\\xff``, and
    line breaks or other control characters are escaped, so an error stays on one line.
    """
    if isinstance(text, os.PathLike):
        text = os.fspath(text)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    text = str(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            text = os.fsencode(text).decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # lone surrogates that no file name produced
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def _show(value, limit=40):
    """A short repr of a value from a file, for a message."""
    text = repr(value)
    return printable(text if len(text) <= limit else text[:limit] + "...")


def _size(n):
    return "%.1f MB" % (n / 1e6) if n >= 1e5 else "%d bytes" % n


def _reason(err):
    text = str(err).strip()
    return printable(text.splitlines()[0] if text else type(err).__name__)


# --- opening files ------------------------------------------------------------------------

def _file_kind(mode):
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


class UnreadableFile(ValueError):
    """Why a path cannot be read as a regular file; the message leaves out the name."""


def open_regular_file(path, what="a file"):
    """Open `path` for binary reading, only if it is a regular file.

    Returns (file object, size in bytes); anything else raises UnreadableFile. The type is
    checked with os.stat before opening, because opening a FIFO blocks until a writer comes
    and a device never ends; the open itself is non-blocking and re-checked with fstat, in
    case the path was swapped in between.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UnreadableFile("no such file") from None
    except NotADirectoryError:
        raise UnreadableFile("no such file (part of the path is not a folder)") from None
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the name
        raise UnreadableFile("cannot open it (%s)" % _os_reason(err)) from None
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableFile("is a folder, not %s" % what)
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile("is %s, not %s" % (_file_kind(info.st_mode), what))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as err:
        raise UnreadableFile("cannot open it (%s)" % _os_reason(err)) from None
    handle = os.fdopen(fd, "rb")
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        handle.close()
        raise UnreadableFile("is %s, not %s" % (_file_kind(info.st_mode), what))
    return handle, info.st_size


def _os_reason(err):
    return printable(getattr(err, "strerror", None) or _reason(err))


# --- .npz archives --------------------------------------------------------------------------

def read_npz(path, error, max_file_bytes, max_array_bytes, what="an .npz archive",
             allow_lzma=False):
    """{name: array} from an .npz archive, refusing anything suspicious with `error`.

    Sizes are checked before anything is decompressed or allocated: the file, the zip
    directory, the members' uncompressed sizes (at most `max_array_bytes` together) and
    each .npy header against its member's size. Arrays come back writable, in native byte
    order, with a bool, integer, float or string dtype. Members are stored or deflated;
    `allow_lzma` also reads LZMA members (the UNIPEN words file), each read cut small
    (`_SmallReads`), since zipfile bounds what one read unpacks only for deflate.
    """
    name = printable(path)
    try:
        handle, size = open_regular_file(path, what)
    except UnreadableFile as err:
        raise error("%s: %s" % (name, err)) from None
    with handle:
        if size > max_file_bytes:
            raise error("%s: is %s; files over %s are refused"
                        % (name, _size(size), _size(max_file_bytes)))
        if handle.read(len(NPY_MAGIC)) == NPY_MAGIC:
            raise error("%s: holds a single .npy array, not an .npz archive of arrays" % name)
        _check_zip_directory(handle, size, name, error)
        handle.seek(0)
        try:
            with zipfile.ZipFile(handle) as archive:
                members = _list_members(archive, name, error, max_array_bytes, allow_lzma)
                source = _SmallReads(archive) if allow_lzma else archive
                return {key: _read_member(source, info, key, name, error)
                        for key, info in members}
        except error:
            raise
        except MemoryError:
            raise
        except Exception as err:  # zipfile, zlib, lzma and struct report damage in many ways
            raise error("%s: damaged .npz archive (%s: %s)"
                        % (name, type(err).__name__, _reason(err))) from None


def _check_zip_directory(handle, size, name, error):
    """Find the zip's end record ourselves and bound its directory before zipfile parses it:
    zipfile keeps an object per entry, so a huge directory is a memory bomb of its own."""
    tail_size = min(size, 22 + 65535)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise error("%s: not an .npz archive (no zip directory: another kind of file, or "
                    "truncated or corrupt)" % name)
    entries, directory_bytes = struct.unpack("<xxxxxxxxxxHI", tail[at:at + 16])
    if at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        raise error("%s: a zip64 archive, far larger than any pycnn file: refused" % name)
    if entries > MAX_MEMBERS or directory_bytes > MAX_ZIP_DIRECTORY_BYTES:
        raise error("%s: the archive lists %d entries in %s of directory; the limit is %d "
                    "entries" % (name, entries, _size(directory_bytes), MAX_MEMBERS))


def _list_members(archive, name, error, max_array_bytes, allow_lzma=False):
    """[(key, ZipInfo)] once every member is known to be a plain, affordable .npy array."""
    members, seen, total = [], set(), 0
    for info in archive.infolist():
        member = printable(info.filename)
        if not info.filename.endswith(".npy"):
            raise error("%s: member %s is not a .npy array" % (name, member))
        key = info.filename[:-len(".npy")]
        if key in seen:
            raise error("%s: member %s appears twice" % (name, member))
        seen.add(key)
        if info.flag_bits & 0x1:
            raise error("%s: member %s is encrypted" % (name, member))
        if info.compress_type == zipfile.ZIP_LZMA and allow_lzma:
            if not _have_lzma():
                raise error("%s: member %s is LZMA-compressed, and this Python has no lzma "
                            "module to unpack it" % (name, member))
        elif info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise error("%s: member %s uses zip compression method %d; only %s members are read"
                        % (name, member, info.compress_type, "stored, deflated and LZMA"
                           if allow_lzma else "stored and deflated"))
        total += info.file_size
        if total > max_array_bytes:
            raise error("%s: its arrays take more than %s uncompressed; the limit is %s"
                        % (name, _size(total), _size(max_array_bytes)))
        members.append((key, info))
    return members


def _have_lzma():
    """Whether this Python can unpack LZMA (some builds leave the module out); asked only
    when an archive holds LZMA, so the page never imports it."""
    try:
        import lzma  # noqa: F401
    except ImportError:
        return False
    return True


class _SmallReads:
    """The archive, for `_read_member`, with every read cut to 4 KiB.

    zipfile gives the LZMA decoder all the compressed bytes one read asks for, and takes
    whatever comes out (it bounds the output only for deflate). LZMA unpacks to up to about
    7,000 times its size, so the megabyte reads of _read_member could briefly take gigabytes
    whatever the member's declared size. A read of at most 4 KiB (zipfile's smallest) passes
    at most 4 KiB to the decoder: about 30 MB at worst.
    """

    READ = zipfile.ZipExtFile.MIN_READ_SIZE

    def __init__(self, archive):
        self._archive = archive

    def open(self, info):
        return _SmallReader(self._archive.open(info), self.READ)


class _SmallReader:
    def __init__(self, stream, most):
        self._stream, self._most = stream, most

    def read(self, n):
        return self._stream.read(max(0, min(n, self._most)))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._stream.close()


def _read_exactly(stream, n):
    parts, left = [], n
    while left > 0:
        part = stream.read(min(left, READ_CHUNK))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _read_npy_header(stream, where, error):
    """(dtype, shape, fortran_order, header bytes) of a .npy stream, without eval."""
    start = _read_exactly(stream, 8)
    if len(start) < 8 or start[:6] != NPY_MAGIC:
        raise error("%s: not a .npy array" % where)
    major = start[6]
    if major == 1:
        length_bytes, length_format = 2, "<H"
    elif major in (2, 3):
        length_bytes, length_format = 4, "<I"
    else:
        raise error("%s: .npy format version %d is not supported" % (where, major))
    raw = _read_exactly(stream, length_bytes)
    if len(raw) < length_bytes:
        raise error("%s: truncated .npy header" % where)
    (length,) = struct.unpack(length_format, raw)
    if length > MAX_NPY_HEADER:
        raise error("%s: .npy header of %d bytes; the limit is %d" % (where, length,
                                                                        MAX_NPY_HEADER))
    raw = _read_exactly(stream, length)
    if len(raw) < length:
        raise error("%s: truncated .npy header" % where)
    text = raw.decode("utf-8" if major == 3 else "latin-1", "replace")
    # literal_eval parses nested brackets recursively; a plain header has two of them.
    if sum(text.count(c) for c in "([{") > 8:
        raise error("%s: malformed .npy header" % where)
    try:
        header = ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        raise error("%s: malformed .npy header" % where) from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise error("%s: malformed .npy header" % where)
    descr, shape, fortran = header["descr"], header["shape"], header["fortran_order"]
    if not isinstance(descr, str):
        raise error("%s: structured arrays are not supported" % where)
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError):
        raise error("%s: unknown dtype %s" % (where, _show(descr))) from None
    if dtype.hasobject:
        raise error("%s: holds Python objects, which would need pickle: refused" % where)
    if dtype.kind not in "biufUS" or dtype.fields is not None or dtype.subdtype is not None:
        raise error("%s: unsupported dtype %s" % (where, _show(descr)))
    if (not isinstance(shape, tuple) or len(shape) > 32
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                       for d in shape)):
        raise error("%s: malformed shape %s in the .npy header" % (where, _show(shape)))
    if not isinstance(fortran, bool):
        raise error("%s: malformed .npy header" % where)
    return dtype, shape, fortran, 6 + 2 + length_bytes + length


def _read_member(archive, info, key, name, error):
    where = "%s: array %s" % (name, printable(repr(key)))
    with archive.open(info) as stream:
        dtype, shape, fortran, header_bytes = _read_npy_header(stream, where, error)
        count = 1
        for d in shape:
            count *= d
        nbytes = count * dtype.itemsize
        # Exactly the bytes the header claims: nothing is allocated on the header's word,
        # and reading to the member's end makes zipfile check its CRC.
        if header_bytes + nbytes != info.file_size:
            raise error("%s: the header claims shape %s of %s (%s) but the member holds %s"
                        % (where, shape, dtype, _size(nbytes),
                           _size(max(info.file_size - header_bytes, 0))))
        if nbytes == 0:
            return np.zeros(shape, dtype=dtype.newbyteorder("="))
        data = bytearray(nbytes)
        view, filled = memoryview(data), 0
        while filled < nbytes:
            part = stream.read(min(nbytes - filled, READ_CHUNK))
            if not part:
                raise error("%s: damaged or truncated" % where)
            view[filled:filled + len(part)] = part
            filled += len(part)
        del view
        if stream.read(1):
            raise error("%s: damaged (longer than its header says)" % where)
    array = np.frombuffer(data, dtype=dtype)
    array = array.reshape(shape[::-1]).T if fortran else array.reshape(shape)
    if not dtype.isnative:
        array = array.astype(dtype.newbyteorder("="))
    return array


# --- JSON ---------------------------------------------------------------------------------

def _refuse_constant(word):
    raise ValueError("%s is not a number JSON allows" % word)


def _parse_int(text):
    if len(text.lstrip("-")) > MAX_JSON_INT_DIGITS:
        raise ValueError("an integer of %d digits" % len(text))
    return int(text)


def _parse_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("the number %s is out of range" % text[:20])
    return value


def parse_json(text, max_depth=MAX_JSON_DEPTH):
    """json.loads for untrusted text: only finite numbers, no NaN or Infinity, integers of at
    most 20 digits, nesting at most `max_depth` deep. Raises ValueError."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_int=_parse_int,
                           parse_float=_parse_float)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            raise ValueError("nested more than %d deep" % max_depth)
        if isinstance(item, dict):
            pending.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            pending.extend((v, depth + 1) for v in item)
    return value


# --- writing ------------------------------------------------------------------------------

def write_archive(path, meta, arrays):
    """Write meta + arrays atomically: a killed process leaves the old file intact."""
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isfile(path):
        # os.replace would put the archive in place of a device or FIFO (even /dev/null).
        raise ModelFileError("%s: exists and is not a regular file; refusing to replace it"
                             % printable(path))
    # allow_nan=False: never write a file that read_archive would refuse.
    payload = {META_KEY: np.array(json.dumps(meta, sort_keys=True, allow_nan=False))}
    for key, value in arrays.items():
        payload[key] = np.ascontiguousarray(value)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- reading ------------------------------------------------------------------------------

def read_archive(path):
    """Return (meta dict, {key: array}) from an archive, refusing anything suspicious."""
    name = printable(path)
    arrays = read_npz(path, ModelFileError, MAX_MODEL_FILE_BYTES, MAX_MODEL_ARRAY_BYTES,
                      what="a pycnn model file")
    meta_array = arrays.pop(META_KEY, None)
    if meta_array is None:
        raise ModelFileError("%s: not a pycnn model file (no %s entry)" % (name, META_KEY))
    if meta_array.dtype.kind != "U" or meta_array.ndim != 0:
        raise ModelFileError("%s: %s must be a JSON string" % (name, META_KEY))
    if meta_array.dtype.itemsize // 4 > MAX_META_CHARS:
        raise ModelFileError("%s: metadata of %d characters; the limit is %d"
                             % (name, meta_array.dtype.itemsize // 4, MAX_META_CHARS))
    try:
        meta = parse_json(str(meta_array))
    except ValueError as err:
        raise ModelFileError("%s: metadata is not valid JSON (%s)" % (name, _reason(err))) \
            from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("%s: not a pycnn model file (format is %s)" % (
            name, _show(meta.get("format") if isinstance(meta, dict) else meta)))
    for key, value in arrays.items():
        if value.dtype.kind not in "fiub":
            raise ModelFileError("%s: array %s has unsupported dtype %s"
                                 % (name, printable(repr(key)), value.dtype))
    return meta, arrays


def model_meta(model, training=None):
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": model.config(),
        "input_shape": list(model.input_shape),
        "labels": model.labels,
        "dtype": model.dtype.name,
        "seed": model.seed,
        "preprocess_version": model.metadata.get("preprocess_version"),
        "metadata": model.metadata,
        "training": training if training is not None else model.metadata.get("training", {}),
    }


def model_arrays(model):
    return {PARAM_PREFIX + key: p for key, p, _ in model.parameters()}


# --- checking an architecture before building it ------------------------------------------

def _int(value, what, low, high):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("%s must be an integer, not %s" % (what, _show(value)))
    if not low <= value <= high:
        raise ValueError("%s must be between %d and %d, not %d" % (what, low, high, value))
    return value


def _side_pair(value, what, low, high):
    """An int or a JSON list of two ints (as Conv2D.config writes a pair)."""
    if isinstance(value, list):
        if len(value) != 2:
            raise ValueError("%s must be an integer or a list of two, not %s"
                             % (what, _show(value)))
        return _int(value[0], what, low, high), _int(value[1], what, low, high)
    value = _int(value, what, low, high)
    return value, value


def _choice(value, what, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError("%s must be one of %s, not %s" % (what, ", ".join(choices),
                                                           _show(value)))
    return value


def _product(shape):
    n = 1
    for d in shape:
        n *= d
    return n


# class -> (required config keys, optional config keys)
LAYER_OPTIONS = {
    "Conv2D": ({"filters", "kernel_size"}, {"stride", "padding", "method", "init"}),
    "MaxPool2D": (set(), {"pool_size", "stride"}),
    "Dropout": (set(), {"rate", "seed"}),
    "Dense": ({"units"}, {"init"}),
    "ReLU": (set(), set()),
    "Flatten": (set(), set()),
    "Softmax": (set(), set()),
    "Collapse": (set(), set()),
    "MaxPoolHeight": (set(), {"pool_size"}),
    "Conv1D": ({"filters", "kernel_size"}, {"padding", "dilation", "init"}),
    "TimeDense": ({"units"}, {"init"}),
}


def _conv_cost(config, shape, where):
    """(output shape, parameters, multiply-adds, largest buffer) of a Conv2D per image."""
    if len(shape) != 3:
        raise ValueError("%s: Conv2D needs (C, H, W) input, gets %s" % (where, shape))
    c, h, w = shape
    filters = _int(config["filters"], where + " filters", 1, MAX_UNITS)
    kh, kw = _side_pair(config["kernel_size"], where + " kernel_size", 1, MAX_WINDOW)
    stride = _int(config.get("stride", 1), where + " stride", 1, MAX_WINDOW)
    padding = config.get("padding", "valid")
    if isinstance(padding, str):
        padding = _choice(padding, where + " padding", PADDING_MODES)
    else:
        padding = _side_pair(padding, where + " padding", 0, MAX_WINDOW)
    method = _choice(config.get("method", "im2col"), where + " method", Conv2D.METHODS)
    _choice(config.get("init", "he"), where + " init", tuple(INITIALISERS))
    pad_h, pad_w = conv_padding(padding, kh, stride, h), conv_padding(padding, kw, stride, w)
    out_h, out_w = output_size(h, kh, stride, pad_h), output_size(w, kw, stride, pad_w)
    if out_h < 1 or out_w < 1:
        raise ValueError("%s: Conv2D kernel %dx%d does not fit input %s" % (where, kh, kw,
                                                                             shape))
    padded = c * (h + sum(pad_h)) * (w + sum(pad_w))
    out = (filters, out_h, out_w)
    params = filters * c * kh * kw + filters
    if method == "im2col":
        macs = filters * c * kh * kw * out_h * out_w
        buffers = (c * kh * kw * out_h * out_w, padded)
    else:  # spectra are complex128: 4 float32-sized values per element
        spectrum = (h + sum(pad_h)) * ((w + sum(pad_w)) // 2 + 1)
        macs = 4 * filters * c * spectrum
        buffers = (4 * filters * c * spectrum, 4 * c * spectrum, 4 * filters * spectrum,
                   padded)
    return out, params, macs, max(buffers)


def _dense_cost(config, features, where):
    """(units, parameters) of a Dense layer, or of a TimeDense at each frame, on `features`
    inputs; its units and initialiser are checked."""
    units = _int(config["units"], where + " units", 1, MAX_UNITS)
    _choice(config.get("init", "glorot"), where + " init", tuple(INITIALISERS))
    return units, features * units + units


def _conv1d_cost(config, shape, where):
    """(output shape, parameters, multiply-adds, largest buffer) of a Conv1D per word."""
    if len(shape) != 2:
        raise ValueError("%s: Conv1D needs (T, F) input (after Collapse), gets %s"
                         % (where, shape))
    t, c = shape
    filters = _int(config["filters"], where + " filters", 1, MAX_UNITS)
    k = _int(config["kernel_size"], where + " kernel_size", 1, MAX_WINDOW)
    dilation = _int(config.get("dilation", 1), where + " dilation", 1, MAX_WINDOW)
    padding = _choice(config.get("padding", "same"), where + " padding", CONV1D_PADDING)
    _choice(config.get("init", "he"), where + " init", tuple(INITIALISERS))
    span = dilation * (k - 1) + 1
    pad = span - 1 if padding == "same" else 0
    out_t = t + pad - span + 1
    if out_t < 1:
        raise ValueError("%s: Conv1D kernel %d with dilation %d does not fit %d frames"
                         % (where, k, dilation, t))
    return ((out_t, filters), filters * c * k + filters, filters * c * k * out_t,
            max(c * k * out_t, c * (t + pad)))


def architecture_cost(layers, input_shape):
    """Check a layer list and input shape as the JSON gives them, without building
    anything, and return what one image costs: {"output_shape", "parameters",
    "multiply_adds", "largest_buffer"}. Raises ValueError naming the first problem."""
    if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_LAYERS:
        raise ValueError("the architecture must be a list of 1 to %d layers" % MAX_LAYERS)
    if not isinstance(input_shape, list) or len(input_shape) != 3:
        raise ValueError("input_shape must be a list (C, H, W), not %s" % _show(input_shape))
    shape = (_int(input_shape[0], "input channels", 1, MAX_INPUT_CHANNELS),
             _int(input_shape[1], "input height", 1, MAX_INPUT_SIDE),
             _int(input_shape[2], "input width", 1, MAX_INPUT_SIDE))
    params = macs = 0
    largest = _product(shape)
    for i, entry in enumerate(layers):
        where = "layer %d" % i
        if not isinstance(entry, dict) or "class" not in entry or set(entry) - {"class",
                                                                                "config"}:
            raise ValueError("%s must be {\"class\": ..., \"config\": {...}}, not %s"
                             % (where, _show(entry)))
        kind = entry["class"]
        if not isinstance(kind, str) or kind not in LAYER_OPTIONS:
            raise ValueError("%s: unknown layer class %s" % (where, _show(kind)))
        config = entry.get("config", {})
        if not isinstance(config, dict):
            raise ValueError("%s: config must be an object, not %s" % (where, _show(config)))
        required, optional = LAYER_OPTIONS[kind]
        missing, unknown = required - set(config), set(config) - required - optional
        if missing or unknown:
            raise ValueError("%s: %s config %s %s" % (
                where, kind, "lacks" if missing else "has unknown option",
                ", ".join(sorted(printable(k) for k in (missing or unknown)))))
        buffer = 0
        if kind == "Conv2D":
            shape, p, m, buffer = _conv_cost(config, shape, where)
            params, macs = params + p, macs + m
        elif kind == "MaxPool2D":
            k = _int(config.get("pool_size", 2), where + " pool_size", 1, MAX_WINDOW)
            stride = config.get("stride")
            s = k if stride is None else _int(stride, where + " stride", 1, MAX_WINDOW)
            if len(shape) != 3 or shape[1] < k or shape[2] < k:
                raise ValueError("%s: MaxPool2D(%d) does not fit input %s" % (where, k, shape))
            shape = (shape[0], (shape[1] - k) // s + 1, (shape[2] - k) // s + 1)
            macs += _product(shape) * k * k
        elif kind == "Dropout":
            rate = config.get("rate", 0.5)
            if (isinstance(rate, bool) or not isinstance(rate, (int, float))
                    or not 0.0 <= rate < 1.0):
                raise ValueError("%s: Dropout rate must be a number in [0, 1), not %s"
                                 % (where, _show(rate)))
            _int(config.get("seed", 0), where + " seed", 0, 2 ** 32 - 1)
        elif kind == "Flatten":
            shape = (_product(shape),)
        elif kind == "Collapse":
            if len(shape) != 3:
                raise ValueError("%s: Collapse needs (C, H, W) input, gets %s" % (where, shape))
            shape = (shape[2], shape[0] * shape[1])
        elif kind == "MaxPoolHeight":
            k = _int(config.get("pool_size", 2), where + " pool_size", 1, MAX_WINDOW)
            if len(shape) != 3 or shape[1] < k:
                raise ValueError("%s: MaxPoolHeight(%d) does not fit input %s"
                                 % (where, k, shape))
            shape = (shape[0], shape[1] // k, shape[2])
            macs += _product(shape) * k
        elif kind == "Conv1D":
            shape, p, m, buffer = _conv1d_cost(config, shape, where)
            params, macs = params + p, macs + m
        elif kind == "TimeDense":
            if len(shape) != 2:
                raise ValueError("%s: TimeDense needs (T, F) input (after Collapse), gets %s"
                                 % (where, shape))
            units, p = _dense_cost(config, shape[1], where)
            params, macs = params + p, macs + shape[0] * shape[1] * units
            shape = (shape[0], units)
        elif kind == "Dense":
            if len(shape) != 1:
                raise ValueError("%s: Dense needs flat input, gets %s (add Flatten)"
                                 % (where, shape))
            units, p = _dense_cost(config, shape[0], where)
            params, macs = params + p, macs + shape[0] * units
            shape = (units,)
        largest = max(largest, buffer, _product(shape))
        if params > MAX_PARAMETERS:
            raise ValueError("over %s parameters by %s; the limit is %s"
                             % ("{:,}".format(params), where, "{:,}".format(MAX_PARAMETERS)))
    if macs > MAX_MULTIPLY_ADDS:
        raise ValueError("%s multiply-adds per image; the limit is %s"
                         % ("{:,}".format(macs), "{:,}".format(MAX_MULTIPLY_ADDS)))
    if largest > MAX_VALUES_PER_IMAGE:
        raise ValueError("a layer needs %s values per image; the limit is %s"
                         % ("{:,}".format(largest), "{:,}".format(MAX_VALUES_PER_IMAGE)))
    return {"output_shape": shape, "parameters": params, "multiply_adds": macs,
            "largest_buffer": largest}


def inference_cost(model):
    """`architecture_cost` of a built model: what one image costs it."""
    return architecture_cost(model.config(), list(model.input_shape))


def check_labels(labels, n_outputs):
    """Labels must name each output once: distinct, short, printable strings."""
    if not isinstance(labels, list):
        raise ValueError("labels must be a list of strings, not %s" % _show(labels))
    if len(labels) != n_outputs:
        raise ValueError("the model has %d outputs but %d labels" % (n_outputs, len(labels)))
    for label in labels:
        if (not isinstance(label, str) or not 1 <= len(label) <= MAX_LABEL_CHARS
                or not label.isprintable()):
            raise ValueError("label %s is not a printable string of 1 to %d characters"
                             % (_show(label), MAX_LABEL_CHARS))
    if len(set(labels)) != len(labels):
        repeated = sorted(set(label for label in labels if labels.count(label) > 1))
        raise ValueError("labels repeat: %s" % _show(repeated))


def _check_meta(meta, sequence=False):
    """Everything in the metadata that building a model relies on; ValueError if not.
    `sequence`: the model must be a sequence model (outputs (frames, classes)) rather than
    a classifier (outputs (classes,))."""
    version = meta.get("format_version")
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise ValueError("format version %s is not supported (expected %d)"
                         % (_show(version), FORMAT_VERSION))
    dtype = meta.get("dtype", "float32")
    if dtype not in DTYPES:
        raise ValueError("dtype must be one of %s, not %s" % (", ".join(DTYPES), _show(dtype)))
    _int(meta.get("seed", 0), "seed", 0, 2 ** 32 - 1)
    metadata = meta.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError("metadata must be an object, not %s" % _show(metadata))
    version = (metadata or {}).get("preprocess_version")
    if version is not None:
        _int(version, "preprocess_version", 0, 2 ** 31)
    if "architecture" not in meta or "input_shape" not in meta:
        raise ValueError("the architecture or input_shape is missing")
    cost = architecture_cost(meta["architecture"], meta["input_shape"])
    shape = cost["output_shape"]
    if sequence and len(shape) != 2:
        raise ValueError("the model outputs shape %s, not scores per frame: it is not a "
                         "sequence (word) model" % (shape,))
    if not sequence and len(shape) != 1:
        raise ValueError("the model outputs shape %s, not one score per class%s" % (
            shape, ": it is a sequence (word) model" if len(shape) == 2 else ""))
    check_labels(meta.get("labels"), shape[-1])


def model_from_archive(path, meta, arrays, sequence=False):
    """Rebuild a Sequential from read_archive's output; `arrays` must hold exactly the
    parameters the architecture needs, with the right shapes and dtype. The metadata is
    checked completely before anything is built. `sequence`: as in `load_model`."""
    name = printable(path)
    try:
        _check_meta(meta, sequence)
    except ValueError as err:
        raise ModelFileError("%s: the architecture in the metadata is invalid (%s)"
                             % (name, _reason(err))) from None
    try:
        model = Sequential.from_config(
            meta["architecture"], labels=meta["labels"], metadata=meta.get("metadata"),
            seed=meta.get("seed", 0), dtype=np.dtype(meta.get("dtype", "float32")))
        model.build(meta["input_shape"])
        if sequence:
            check_sequence_layers(model.layers)
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError("%s: the architecture in the metadata is invalid (%s: %s)"
                             % (name, type(err).__name__, _reason(err))) from None
    expected = model_arrays(model)
    given = {k: v for k, v in arrays.items() if k.startswith(PARAM_PREFIX)}
    missing = sorted(set(expected) - set(given))
    extra = sorted(set(arrays) - set(expected))
    if missing:
        raise ModelFileError("%s: missing parameter arrays: %s" % (name, ", ".join(missing)))
    if extra:
        raise ModelFileError("%s: unexpected arrays: %s"
                             % (name, printable(", ".join(extra[:10]))))
    for key, target in expected.items():
        value = given[key]
        if value.shape != target.shape:
            raise ModelFileError("%s: array %s has shape %s, expected %s"
                                 % (name, key, value.shape, target.shape))
        if value.dtype != target.dtype:
            raise ModelFileError("%s: array %s has dtype %s, expected %s"
                                 % (name, key, value.dtype, target.dtype))
        if not np.all(np.isfinite(value)):
            raise ModelFileError("%s: array %s holds NaN or infinite values" % (name, key))
        target[...] = value
    return model


def save_model(model, path, training=None):
    """Write `model` to `path` (.npz) atomically."""
    write_archive(path, model_meta(model, training), model_arrays(model))


def load_model(path, sequence=False):
    """Read a model written by `save_model`. Raises ModelFileError for anything else.

    sequence=False wants a classifier (one score per class), True a sequence model (scores
    per frame, run with `Sequential.forward_sequence`); a file holding the other kind is
    refused, with a message that says which kind it holds.
    """
    meta, arrays = read_archive(path)
    return model_from_archive(path, meta, arrays, sequence)
