"""python -m pycnn.predict: read the character in one or more images.

    python -m pycnn.predict drawing.png photo.jpg [--model weights/model.npz] [--set SET] [--json]

Each image holds one character: a canvas export (ink in the alpha channel), a photo or
scan of dark ink on paper, or light ink on a dark background. Prints the top 5 labels with
their probabilities; --set reads within a character set (a name of `pycnn.read.charsets` such as
digits, or the characters themselves), so the top 5 holds only its characters. In the set
"all", leading answers that look alike (`pycnn.read.lookalikes`) are named together ("0 or O").
An answer whose shown labels (the look-alikes together, or the first) sum below the model's
unsure threshold (chosen on validation by `pycnn.derive_lookalikes`) is marked "(not sure)".
With --json the last line is a JSON list with one entry per image: {"file", "top5",
"lookalikes", "unsure"} (lookalikes: a list of labels, or null), or {"file", "error"}.

Images read: PNG, JPEG, GIF (first frame), BMP, WebP and TIFF (first page). The formats are
named rather than "whatever Pillow opens", so only these decoders ever see a file. An image
is refused, with an `error:` line of its own, when it is
- not a regular file (a folder, FIFO or device; checked with os.stat before opening, so
  nothing blocks), empty, or over MAX_FILE_BYTES (256 MB) on disk;
- over MAX_PIXELS, 16,777,216 pixels (4096 x 4096; a drawing, a scan or a phone photo of one
  character fits), or over MAX_SIDE (16,384) pixels on a side, checked from the header
  before decoding, so a decompression bomb never reaches memory (and the preprocessing's
  resampling matrices, 28 x the ink's side, stay small for a 1-pixel-high strip too);
- anything its decoder rejects.
EXIF orientation is applied (phones store photos sideways and say so in EXIF). 16-bit images
(mode I;16) are scaled from 0..65535 to 0..1; 32-bit integer and float images (modes I and
F), which have no fixed full scale, are stretched from their own minimum..maximum to 0..1.

With --words, each image holds one handwritten word, read by a word model (default
weights/words.npz) with a lexicon (--lexicon, default weights/lexicon-en.tsv.gz) through
`pycnn.read.word_reader.WordReader`, the page's path. It prints the best word, up to two
more and the raw reading (what the frames spell, dictionary or not); with --json an entry
is {"file", "words": [[word, score], ...], "raw", "unsure"} or {"file", "error"}. An image
without ink, or writing too long to read as one word, is an error of its own.

Exit status (pycnn.cli): 0 when every image was read, 1 when any image failed, 2 for a bad
option, set, model or lexicon file, 130 when interrupted.
"""

import json
import sys
import warnings

import numpy as np

from .cli import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    WORD_MODEL,
    ArgumentParser,
    add_set_option,
    add_word_options,
    check_word_options,
    load_usable_model,
    print_error,
    run_cli,
    set_mask_of,
    write_line,
)
from .nn.serialize import UnreadableFile, open_regular_file, printable
from .read.charsets import restrict
from .read.lookalikes import GROUPS, MIN_SHARE
from .read.preprocess import EmptyImageError, preprocess
from .read.recognizer import shown, top_labels, unsure_below

TOP = 5
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
FORMAT_NAMES = "PNG, JPEG, GIF, BMP, WebP or TIFF"
MAX_PIXELS = 4096 * 4096
MAX_SIDE = 16384
MAX_FILE_BYTES = 256 * 2 ** 20
SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


class ImageFileError(ValueError):
    """This image cannot be read; the message says why (without the file name)."""


def read_image(path):
    """The pixels of the image at `path`, for `preprocess`: uint8 (H, W, 4) when it has
    transparency, uint8 (H, W, 3) for other 8-bit images, float32 (H, W) in 0..1 for 16-bit,
    32-bit and float images. Raises ImageFileError (see the module docstring)."""
    from PIL import Image, UnidentifiedImageError

    try:
        handle, size = open_regular_file(path, "an image file")
    except UnreadableFile as err:
        raise ImageFileError(str(err)) from None
    with handle, warnings.catch_warnings():
        # Pillow only warns below 2 x its own limit; ours (MAX_PIXELS) is lower and refuses.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        if size == 0:
            raise ImageFileError("the file is empty")
        if size > MAX_FILE_BYTES:
            raise ImageFileError("the file is %.0f MB; images over %d MB are refused"
                                 % (size / 1e6, MAX_FILE_BYTES // 2 ** 20))
        try:
            image = Image.open(handle, formats=FORMATS)
        except UnidentifiedImageError:
            raise ImageFileError("not a %s image (or damaged)" % FORMAT_NAMES) from None
        except Image.DecompressionBombError:
            raise ImageFileError("the image claims over %d pixels; images over %d are refused"
                                 % (Image.MAX_IMAGE_PIXELS, MAX_PIXELS)) from None
        except Exception as err:  # a decoder can fail in many ways on a hostile header
            raise ImageFileError("cannot decode the image (%s)" % _reason(err)) from None
        with image:
            width, height = image.size
            if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                raise ImageFileError("the image is %dx%d pixels; images over %d pixels "
                                     "(4096x4096) or %d on a side are refused: scale it down"
                                     % (width, height, MAX_PIXELS, MAX_SIDE))
            try:
                image.load()
                return _pixels(_upright(image))
            except (ImageFileError, MemoryError):
                raise
            except Exception as err:  # a decoder can fail in many ways on hostile data
                raise ImageFileError("cannot decode the image (%s)" % _reason(err)) from None


def _reason(err):
    text = str(err).strip().splitlines()
    return printable("%s: %s" % (type(err).__name__, text[0]) if text else type(err).__name__)


def _upright(image):
    """The image turned as its EXIF orientation says it was taken."""
    from PIL import ImageOps

    return ImageOps.exif_transpose(image)


def _pixels(image):
    if image.mode in SIXTEEN_BIT_MODES:
        return np.asarray(image).astype(np.float32) / np.float32(65535.0)
    if image.mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise ImageFileError("the image holds NaN or infinite pixel values")
        low, high = float(values.min()), float(values.max())
        if high <= low:  # one flat value: no ink, and no scale to find
            return np.zeros(values.shape, dtype=np.float32)
        return ((values - low) / (high - low)).astype(np.float32)
    has_alpha = image.mode in ALPHA_MODES or "transparency" in image.info
    return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))


def predict_file(model, path, mask, groups):
    """{"file", "top5", "lookalikes", "unsure"} for a readable image (presented as the page
    presents it, `recognizer.shown`), {"file", "error"} otherwise.
    groups: the look-alike groups to name, or [] when reading within a set."""
    name = printable(path)
    try:
        x = preprocess(read_image(path))
    except EmptyImageError:
        return {"file": name, "error": "the image is empty: no character found"}
    except ValueError as err:
        return {"file": name, "error": printable(str(err))}
    logits = model.predict_logits(x[None, None])[0]
    if not np.all(np.isfinite(logits)):
        return {"file": name, "error": "the model's output for this image is not a number "
                                       "(NaN or infinite): the model is broken"}
    top5 = top_labels(model.labels, restrict(logits, mask), mask, TOP)
    answer = shown(top5, groups, MIN_SHARE, unsure_below(model.metadata))
    answer["top5"] = [[label, round(p, 6)] for label, p in top5]
    return dict({"file": name}, **answer)


def describe(result):
    """One line for a person: 'file: 0 or O (look alike)  0 48.0%  O 41.0% ...'."""
    answers = "  ".join("%s %.1f%%" % (label, 100 * p) for label, p in result["top5"])
    if result.get("unsure"):
        answers = "(not sure)  " + answers
    if result["lookalikes"]:
        return "%s: %s (these look alike)  %s" % (
            result["file"], " or ".join(result["lookalikes"]), answers)
    return "%s: %s" % (result["file"], answers)


def predict_word_file(reader, path, charset):
    """{"file", "words": [[word, score], ...] best first (at most 3), "raw", "unsure"} for a
    readable image of one handwritten word (read by `pycnn.read.word_reader`), {"file",
    "error"} otherwise: an image `read_image` refuses, no ink, writing too long for one
    word."""
    name = printable(path)
    try:  # ImageFileError, WordTooLongError, a broken model's output: all ValueErrors
        reading = reader.read_image(read_image(path), charset)
    except ValueError as err:
        return {"file": name, "error": printable(str(err))}
    if reading["empty"]:
        return {"file": name, "error": "the image is empty: no handwriting found"}
    return {"file": name, "words": [[w, round(score, 4)] for w, score in reading["words"]],
            "raw": reading["raw"], "unsure": reading["unsure"]}


def describe_word(result):
    """One line for a person: 'file: hello  (or: hells, hallo)  raw: hels'."""
    words = [w for w, _ in result["words"]]
    line = "%s: %s" % (result["file"], words[0] if words else "(no word)")
    if result.get("unsure"):
        line += " (not sure)"
    if len(words) > 1:
        line += "  (or: %s)" % ", ".join(words[1:])
    return line + "  raw: %s" % (result["raw"] or "(nothing)")


def main(argv=None):
    p = ArgumentParser(prog="python -m pycnn.predict", description=__doc__.split("\n")[0])
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--model", default=None,
                   help="the model file (default: weights/model.npz, or %s with --words)"
                   % WORD_MODEL)
    add_set_option(p)
    add_word_options(p)
    p.add_argument("--json", action="store_true", help="end with one JSON line")
    args = p.parse_args(argv)
    check_word_options(args, "weights/model.npz")
    if args.words:
        return main_words(args)
    model = load_usable_model(args.model)
    mask = set_mask_of(args.set, model.labels)
    groups = GROUPS if args.set == "all" else ()
    results = [predict_file(model, path, mask, groups) for path in args.images]
    return show_results(results, describe, args.json)


def show_results(results, describe_one, as_json):
    """Print a line per image (an `error:` line for one that failed) and with --json the
    list; the exit status: 1 when any image failed."""
    for r in results:
        if "error" in r:
            print_error("%s: %s" % (r["file"], r["error"]))
        else:
            write_line(describe_one(r))
    if as_json:
        write_line(json.dumps(results, allow_nan=False))
    return EXIT_SOME_FAILED if any("error" in r for r in results) else EXIT_OK


def main_words(args):
    """--words: each image holds one handwritten word."""
    from .cli import load_word_reader

    reader = load_word_reader(args.model, args.lexicon, args.set)
    results = [predict_word_file(reader, path, args.set) for path in args.images]
    return show_results(results, describe_word, args.json)


if __name__ == "__main__":
    sys.exit(run_cli(main))
