"""Small helpers shared by the command-line tools: one exit-code convention, clean errors,
output checks and a progress bar.

Exit status of every tool (`run_cli`):
    0    success
    1    some inputs failed: `predict` could not read one or more of its images (each has its
         own ``error:`` line, and an ``error`` entry in --json), the others were read
    2    a usage error or a bad file: bad option, missing, unreadable or hostile model,
         stroke file or checkpoint, output that cannot be written; one ``error:`` line
    130  interrupted (Ctrl-C)
No input, however hostile, produces a traceback: a traceback is a bug in pycnn.
"""

import argparse
import os
import stat
import sys
import tempfile
import time

from .nn.serialize import printable

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A problem the user can fix (bad path, bad file, bad option): printed, no traceback."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad option is a UsageError: one `error:` line and exit status 2,
    like every other bad input, instead of argparse's usage block."""

    def error(self, message):
        raise UsageError("%s (see %s --help)" % (message, self.prog))


DATA_FOR_MODEL_HELP = ("the carried files holding the model's classes: "
                      "data/unipen/unipen_alnum_strokes.npz, plus unipen_symbols_strokes.npz "
                      "for a model that reads symbols")


def add_data_option(parser, default_help=DATA_FOR_MODEL_HELP):
    """--data FILE [FILE ...]: one stroke file, or several to combine (the alnum and symbols
    files give 94 classes); None when not given (see `data_for_model`)."""
    parser.add_argument("--data", nargs="+", default=None, metavar="FILE",
                        help="stroke file(s), combined when several (default: %s)"
                        % default_help)


def data_for_model(paths, labels):
    """--data as given; else the stroke files the repository carries that hold the model's
    classes: the alnum file ($PYCNN_UNIPEN if set), and the symbols file too when the model
    reads any symbol, so a 94-class model is scored on its symbols without being told."""
    from .data.unipen import SYMBOLS_FILE_NAME, default_data_path
    from .read.charsets import SYMBOLS

    if paths is not None:
        return paths
    files = [default_data_path()]
    if any(str(label) in SYMBOLS for label in labels):
        files.append(default_data_path(SYMBOLS_FILE_NAME))
    return files


def parse_model_step_args(prog, description, what, argv):
    """The options of a step that rewrites a trained model (prior, calibrate): --model,
    --out (default: --model itself), --data and --quiet."""
    p = ArgumentParser(prog=prog, description=description)
    p.add_argument("--model", default="weights/model.npz")
    p.add_argument("--out", default=None,
                   help="where the %s model goes (default: --model)" % what)
    add_data_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    args.out = args.out or args.model
    return args


def add_set_option(parser):
    """--set NAME_OR_CHARS: the character set to read within (`pycnn.read.charsets`)."""
    parser.add_argument("--set", default="all", metavar="NAME_OR_CHARS",
                        help="read within this character set: all, digits, upper, lower, "
                        "letters, symbols, alnum, or the characters themselves (default: all)")


def set_mask_of(spec, labels):
    """The set's mask over the model's labels; a set it can't read is a UsageError."""
    from .read.charsets import CharsetError, set_mask

    try:
        return set_mask(spec, labels)
    except CharsetError as err:
        raise UsageError("--set: %s" % err) from None


def write_line(text, stream=None):
    """Print one line that cannot fail on encoding: file names need not be valid UTF-8, and
    the stream may be ASCII-only (PYTHONIOENCODING, a C locale)."""
    stream = stream or sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    text = text.encode(encoding, "backslashreplace").decode(encoding)
    stream.write(text + "\n")


def print_error(message):
    """The one line an error gets: `error: ...`, on stderr, printable whatever it holds."""
    write_line("error: " + printable(message), sys.stderr)
    sys.stderr.flush()


def run_cli(main, argv=None):
    """Run `main(argv)` and return its exit status; bad input gives one `error:` line and
    status 2, Ctrl-C status 130 (see the module docstring)."""
    from .data.unipen import DataFileError
    from .nn.serialize import ModelFileError

    try:
        return main(argv)
    except (UsageError, DataFileError, ModelFileError) as err:
        print_error(str(err))
        return EXIT_USAGE
    except OSError as err:  # a disk that fills up, a file that vanishes while we work
        where = err.filename if err.filename is not None else ""
        print_error("%s%s" % (printable(where) + ": " if where != "" else "",
                              err.strerror or err))
        return EXIT_USAGE
    except KeyboardInterrupt:
        write_line("\ninterrupted", sys.stderr)
        return EXIT_INTERRUPTED


def load_usable_model(path, check_input=True):
    """The model at `path`, refused with a UsageError if it was trained on another version of
    the preprocessing or (unless check_input=False) does not take its 28x28 images. A bad
    file raises ModelFileError, which run_cli reports too."""
    from .nn import load_model
    from .read.preprocess import check_model_compatible

    model = load_model(path)
    try:
        check_model_compatible(model)
    except ValueError as err:
        raise UsageError("%s: %s" % (printable(path), err)) from None
    if check_input:
        check_model_input(model, path)
    return model


WORD_MODEL = "weights/words.npz"
LEXICON = "weights/lexicon-en.tsv.gz"


def add_word_options(parser):
    """--words, and --lexicon FILE for it: the tools' switch to handwritten words."""
    parser.add_argument("--words", action="store_true",
                        help="read handwritten words with a word model (default model: %s)"
                        % WORD_MODEL)
    parser.add_argument("--lexicon", default=None, metavar="FILE",
                        help="with --words: the word list to choose words from (default: %s)"
                        % LEXICON)


def check_word_options(args, model_default):
    """Fill in --model for the task (`model_default` for characters, WORD_MODEL for
    --words) and refuse --lexicon without --words."""
    if args.lexicon is not None and not args.words:
        raise UsageError("--lexicon is for reading words: add --words")
    if args.model is None:
        args.model = WORD_MODEL if args.words else model_default


def load_word_reader(model_path, lexicon_path=None, charset="all"):
    """A `pycnn.read.word_reader.WordReader` for the tools: the word model at model_path
    with the lexicon at lexicon_path (LEXICON when None). A bad model file raises
    ModelFileError (a character model included), a model that is no usable word model, a
    bad lexicon or a set the model can't read a UsageError."""
    from .read.charsets import CharsetError
    from .read.lexicon import LexiconError
    from .read.word_reader import WordModelError, WordReader

    if model_path == WORD_MODEL and not os.path.lexists(model_path):
        raise UsageError("%s: no such file: there is no word model yet; train one with "
                         "python -m pycnn.train --task words" % WORD_MODEL)
    try:
        reader = WordReader(model_path)
    except WordModelError as err:
        raise UsageError("%s: %s" % (printable(model_path), err)) from None
    try:
        reader.lexicon = load_lexicon_file(LEXICON if lexicon_path is None else lexicon_path)
    except LexiconError as err:
        raise UsageError(str(err)) from None
    try:
        reader.charset_mask(charset)
    except CharsetError as err:
        raise UsageError("--set: %s" % err) from None
    return reader


def load_lexicon_file(path):
    """The lexicon at `path` (`pycnn.read.lexicon`, which opens only a regular file: a FIFO
    would block, a device never end); LexiconError otherwise."""
    from .read.lexicon import load_lexicon

    return load_lexicon(path, name="lexicon %s" % printable(repr(os.fsdecode(path))))


def check_model_input(model, path):
    """Refuse a model that does not take the (1, 28, 28) images `preprocess` makes: it loads
    fine, and would fail at its first prediction."""
    from .read.preprocess import OUTPUT_SIZE

    expected = (1, OUTPUT_SIZE, OUTPUT_SIZE)
    if tuple(model.input_shape) != expected:
        raise UsageError("%s: the model takes input of shape %s, but the preprocessing makes "
                         "%s" % (printable(path), tuple(model.input_shape), expected))


def _nearest_existing(folder):
    while not os.path.lexists(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder


def check_output_folder(folder, what):
    """Refuse, before any work, a folder that cannot hold our output. Nothing is created:
    the nearest existing ancestor must be a folder we can write a file in."""
    folder = os.path.abspath(folder)
    existing = _nearest_existing(folder)
    try:
        info = os.stat(existing)
    except OSError as err:
        raise UsageError("%s %s: cannot use %s (%s)" % (what, printable(folder),
                                                        printable(existing),
                                                        err.strerror or err)) from None
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError("%s %s: %s is not a folder" % (what, printable(folder),
                                                        printable(existing)))
    try:  # os.access says yes to root everywhere; writing is the honest test
        fd, probe = tempfile.mkstemp(prefix=".pycnn-write-test-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise UsageError("%s %s: cannot write in %s (%s)" % (what, printable(folder),
                                                             printable(existing),
                                                             err.strerror or err)) from None


def check_output_file(path, what):
    """Refuse, before any work, an output file that cannot be written: an empty name, a
    folder, a FIFO or device (replacing /dev/null with a model would be a bad day), or a
    place we cannot write in."""
    if not path:
        raise UsageError("%s is an empty path" % what)
    full = os.path.abspath(path)
    if os.path.lexists(full):
        try:
            info = os.stat(full)
        except OSError as err:
            raise UsageError("%s %s: cannot use it (%s)" % (what, printable(path),
                                                           err.strerror or err)) from None
        if stat.S_ISDIR(info.st_mode):
            raise UsageError("%s %s: is a folder, not a file name" % (what, printable(path)))
        if not stat.S_ISREG(info.st_mode):
            raise UsageError("%s %s: exists and is not a regular file; refusing to replace it"
                             % (what, printable(path)))
    check_output_folder(os.path.dirname(full), what)


class ProgressBar:
    """A one-line progress bar on a terminal; a line every `every` seconds otherwise."""

    def __init__(self, stream=None, width=28, every=10.0):
        self.stream = stream or sys.stderr
        self.width = width
        self.every = every
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0

    def update(self, done, total, prefix="", suffix="", final=False):
        now = time.time()
        if not final and now - self._last < (0.1 if self.tty else self.every):
            return
        self._last = now
        frac = done / total if total else 1.0
        filled = int(round(self.width * frac))
        bar = "=" * filled + (">" if filled < self.width else "") + " " * (self.width - filled - 1)
        line = "%s [%s] %d/%d %s" % (prefix, bar[: self.width], done, total, suffix)
        if self.tty:
            self.stream.write("\r\033[K" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
