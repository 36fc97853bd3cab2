"""Small helpers shared by the command-line tools: clean errors and a progress bar."""

import sys
import time


class UsageError(Exception):
    """A problem the user can fix (bad path, bad file, bad option): printed, no traceback."""


def run_cli(main, argv=None):
    """Run `main(argv)`; turn expected failures into one clear line and exit status 2."""
    from .data.unipen import DataFileError
    from .nn.serialize import ModelFileError

    try:
        return main(argv)
    except (UsageError, DataFileError, ModelFileError) as err:
        print("error: %s" % err, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


def load_usable_model(path):
    """The model at `path`, refused with a UsageError if it was trained on another version of
    the preprocessing (a bad file raises ModelFileError, which run_cli reports too)."""
    from .nn import load_model
    from .preprocess import check_model_compatible

    model = load_model(path)
    try:
        check_model_compatible(model)
    except ValueError as err:
        raise UsageError("%s: %s" % (path, err)) from None
    return model


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
