"""python -m pycnn.train: train a character model on UNIPEN pen strokes (or, with
--task words, a word model: see pycnn/train_words.py).

Every epoch re-renders the training strokes with fresh, seeded augmentation (the way the
page draws a mouse drag), then runs them through the same `pycnn.read.preprocess` as the page.
Validation uses held-out writers, rendered once without augmentation. After every epoch
the full training state is checkpointed atomically, so a killed run loses at most one
epoch, and `--resume` continues to exactly the weights an uninterrupted run would reach:
all randomness in epoch e is seeded by (seed, e).

Every option and file is checked before the first epoch: the numbers (a finite learning
rate in (0, 1], no negative limits...), the output paths (before the data is even loaded),
and on --resume the checkpoint, which is refused before the data is loaded if it is damaged,
and after if it was made with other options, another class order or other data. A
checkpoint carries a fingerprint of the data it was made on (a SHA-256 of the labels, every
point and stroke boundary and the split, about 0.1 s for the shared file) and its labels.

Exit status (pycnn.cli): 0 on success, 2 for a bad option, data file, checkpoint or output
path, or a run that diverges (loss not a number), 130 when interrupted.
"""

import hashlib
import json
import math
import os
import sys
import threading
import time

import numpy as np

from .cli import (
    ArgumentParser,
    ProgressBar,
    UsageError,
    add_data_option,
    check_output_file,
    check_output_folder,
    run_cli,
)
from .data.dataset import render_batch
from .data.unipen import SYMBOLS_FILE_NAME, default_data_path, load_stroke_files, writer_split
from .measure.metrics import accuracy_report, confusion_matrix
from .nn import (
    Adam,
    Conv2D,
    CosineSchedule,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    Softmax,
    save_model,
)
from .nn.serialize import (
    ModelFileError,
    model_arrays,
    model_from_archive,
    model_meta,
    printable,
    read_archive,
    write_archive,
)
from .read.preprocess import PREPROCESS_VERSION

INPUT_SHAPE = (1, 28, 28)


def architecture(name, n_classes):
    """The layer stacks we train. `default` is what ships in weights/."""
    if name == "tiny":  # for tests: trains in seconds
        return [Conv2D(8, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(n_classes), Softmax()]
    if name == "small":
        return [Conv2D(32, 3, padding="same"), ReLU(), MaxPool2D(2),
                Conv2D(64, 3, padding="same"), ReLU(), MaxPool2D(2),
                Flatten(), Dense(128), ReLU(), Dropout(0.3), Dense(n_classes), Softmax()]
    if name == "default":
        return [Conv2D(32, 3, padding="same"), ReLU(), MaxPool2D(2),
                Conv2D(64, 3, padding="same"), ReLU(), MaxPool2D(2),
                Conv2D(128, 3, padding="same"), ReLU(), MaxPool2D(2),
                Flatten(), Dense(256), ReLU(), Dropout(0.4), Dense(n_classes), Softmax()]
    raise UsageError("unknown architecture %r (choose tiny, small or default)" % name)


ARCHITECTURES = ("tiny", "small", "default")
# The word networks of pycnn.train_words.architecture.
WORD_ARCHITECTURES = ("words", "words-rf", "words-wide", "words-tiny")
TASKS = ("characters", "words")
WORD_ONLY_OPTIONS = ("clip_norm", "augment", "synthetic")  # refused with --task characters

# Options whose default depends on --task (the characters' are what they always were).
TASK_DEFAULTS = {
    "characters": {"arch": "default", "out": "weights/model.npz", "epochs": 30,
                   "batch_size": 64, "lr": 2e-3},
    "words": {"arch": "words", "out": "weights/words.npz", "epochs": 20, "batch_size": 32,
              "lr": 1e-3, "clip_norm": 5.0, "augment": "standard",
              "synthetic": 0},
}


def parse_args(argv):
    p = ArgumentParser(prog="python -m pycnn.train", description=__doc__.split("\n")[0])
    p.add_argument("--task", default="characters", choices=TASKS,
                   help="characters (the default) or words (a CTC word model, "
                        "pycnn.train_words)")
    add_data_option(p, "data/unipen/unipen_alnum_strokes.npz ($PYCNN_UNIPEN if set) "
                       "and data/unipen/unipen_symbols_strokes.npz: 94 classes; for "
                       "--task words, data/unipen/unipen_words_strokes.npz")
    p.add_argument("--out", default=None,
                   help="where the best model goes (weights/model.npz; words: "
                        "weights/words.npz)")
    p.add_argument("--report-dir", default=None,
                   help="metrics.json, curves.png, confusion.png (default: next to --out)")
    p.add_argument("--checkpoint", default=None,
                   help="training state, written every epoch (default: <out dir>/checkpoint.npz)")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--arch", default=None, choices=ARCHITECTURES + WORD_ARCHITECTURES,
                   help="default (words: words)")
    p.add_argument("--epochs", type=int, default=None, help="30 (words: 20)")
    p.add_argument("--batch-size", type=int, default=None, help="64 (words: 32)")
    p.add_argument("--lr", type=float, default=None,
                   help="peak learning rate (Adam, cosine): 2e-3 (words: 1e-3)")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--patience", type=int, default=6,
                   help="stop after this many epochs without a better validation accuracy "
                        "(words: character error rate)")
    p.add_argument("--limit-train", type=int, default=0,
                   help="use only this many training samples (0: all); for quick runs")
    p.add_argument("--limit-val", type=int, default=0)
    p.add_argument("--stop-after", type=int, default=0,
                   help="stop after this many epochs in this run (continue later with --resume)")
    p.add_argument("--paper", type=float, default=0.0,
                   help="fraction of training images drawn as photos of ink on paper (0)")
    p.add_argument("--init", default=None, metavar="MODEL",
                   help="start from this model's weights (same architecture and classes) "
                        "instead of a random initialisation")
    p.add_argument("--clip-norm", type=float, default=None,
                   help="words only: scale each step's gradients down to this global norm "
                        "when larger (5; 0: off)")
    p.add_argument("--augment", default=None, choices=("standard", "strong"),
                   help="words only: how hard the training words are distorted (standard; "
                        "strong adds stretch along the line and a wavy baseline)")
    p.add_argument("--synthetic", type=int, default=None, metavar="N",
                   help="words only: add N synthetic words, spelled with the training "
                        "writers' isolated characters (pycnn.data.synthetic_words; 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    check_task_options(args)
    for name, value in TASK_DEFAULTS[args.task].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    ranges = OPTION_RANGES + (WORD_OPTION_RANGES if args.task == "words" else ())
    for name, low, high in ranges:
        value = getattr(args, name)
        if not low <= value <= high:  # also false for NaN
            raise UsageError("--%s must be between %s and %s, not %s"
                             % (name.replace("_", "-"), low, high, value))
    out_dir = os.path.dirname(os.path.abspath(args.out))
    args.report_dir = args.report_dir or out_dir
    args.checkpoint = args.checkpoint or os.path.join(out_dir, "checkpoint.npz")
    if args.task == "words":
        from .data.words import default_words_path

        args.data = args.data or [default_words_path()]
    else:
        # The shipped model reads every printable character: digits, letters and symbols.
        args.data = args.data or [default_data_path(), default_data_path(SYMBOLS_FILE_NAME)]
    return args


def check_task_options(args):
    """Refuse options that belong to the other task, before anything is filled in."""
    if args.task == "characters":
        if args.arch in WORD_ARCHITECTURES:
            raise UsageError("--arch %s is a word architecture: use it with --task words"
                             % args.arch)
        for name in WORD_ONLY_OPTIONS:
            if getattr(args, name) is not None:
                raise UsageError("--%s is for --task words only" % name.replace("_", "-"))
        return
    if args.arch is not None and args.arch not in WORD_ARCHITECTURES:
        raise UsageError("--arch %s is a character architecture; --task words trains %s"
                         % (args.arch, " or ".join(WORD_ARCHITECTURES)))
    if args.paper:
        raise UsageError("--paper is for --task characters only")
    if args.data is not None and len(args.data) != 1:
        raise UsageError("--task words reads one words file, not %d files" % len(args.data))


# Sane ranges of the numeric options: a NaN, infinite or absurd value is refused up front
# rather than discovered epochs later as a NaN loss or a crash.
# A batch of 1024 already holds about 230 MB in the default network's largest buffer.
OPTION_RANGES = (("epochs", 1, 10000), ("batch_size", 1, 1024), ("lr", 1e-8, 1.0),
                 ("weight_decay", 0.0, 1.0), ("seed", 0, 2 ** 31 - 1), ("patience", 1, 10000),
                 ("limit_train", 0, 10 ** 9), ("limit_val", 0, 10 ** 9),
                 ("stop_after", 0, 10000), ("paper", 0.0, 1.0))
# A batch of 256 words 512 px wide holds about 1.2 GB in the words network's largest buffer.
WORD_OPTION_RANGES = (("clip_norm", 0.0, 1e6), ("batch_size", 1, 256),
                      ("synthetic", 0, 10 ** 6))


def check_outputs(args):
    """Refuse output paths that cannot be written before any work is done."""
    check_output_file(args.out, "--out")
    check_output_file(args.checkpoint, "--checkpoint")
    if os.path.abspath(args.checkpoint) == os.path.abspath(args.out):
        raise UsageError("--checkpoint and --out are the same file, %s" % printable(args.out))
    if os.path.exists(args.report_dir) and not os.path.isdir(args.report_dir):
        raise UsageError("--report-dir %s: is not a folder" % printable(args.report_dir))
    check_output_folder(args.report_dir, "--report-dir")


# Options that must not change between a run and its --resume.
RUN_IDENTITY = ("arch", "epochs", "batch_size", "lr", "weight_decay", "seed", "limit_train",
                "limit_val", "patience", "paper", "init")


def start_from(model, path, sequence=False, version_key="preprocess_version",
               version=PREPROCESS_VERSION):
    """Copy a trained model's weights into `model` (--init): fine-tuning, not a new start.
    The file must hold the same architecture, classes and preprocessing (`version_key` in
    its metadata: the character or the word preprocessing's version)."""
    from .nn import load_model

    try:
        trained = load_model(path, sequence=sequence)
    except (OSError, ModelFileError) as error:
        raise UsageError("--init %s: %s" % (printable(path), error)) from None
    if list(trained.labels) != list(model.labels):
        raise UsageError("--init %s reads other classes than the training data"
                         % printable(path))
    mine, theirs = list(model.parameters()), list(trained.parameters())
    if [p.shape for _, p, _ in mine] != [p.shape for _, p, _ in theirs]:
        raise UsageError("--init %s has another architecture than --arch %s"
                         % (printable(path), model.metadata.get("arch", "")))
    found = (trained.metadata or {}).get(version_key)
    if found not in (None, version):
        raise UsageError("--init %s was trained with preprocessing version %s"
                         % (printable(path), found))
    for (_, target, _), (_, source, _) in zip(mine, theirs):
        target[...] = source
    if not sequence:  # a word model has no temperature or prior folded into it
        unfold_adjustments(model, trained.metadata or {})


def unfold_adjustments(model, metadata):
    """Undo what `pycnn.calibrate` (logits / T) and `pycnn.prior` (logits + shift) folded
    into the last Dense layer, so training goes on from the network's own logits and the
    later steps choose their adjustments afresh."""
    from .prior import final_dense, logit_shift, symbol_classes

    dense = final_dense(model)
    temperature = (metadata.get("calibration") or {}).get("temperature")
    if temperature:
        for name in ("weight", "bias"):
            dense.params[name] *= np.asarray(temperature, dtype=dense.params[name].dtype)
    prior = metadata.get("prior_adjustment") or {}
    if prior.get("tau"):
        shift = logit_shift(np.asarray(prior["train_class_prior"]), prior["tau"])
        dense.params["bias"] -= shift.astype(dense.params["bias"].dtype)
    if prior.get("symbol_bias"):
        is_symbol = symbol_classes(model.labels)
        dense.params["bias"] -= np.where(is_symbol, prior["symbol_bias"], 0.0).astype(
            dense.params["bias"].dtype)


def _subset(indices, limit, seed):
    if not limit or limit >= len(indices):
        return indices
    return np.sort(np.random.RandomState(seed).choice(indices, limit, replace=False))


class Prefetch:
    """Makes the next piece of data on a thread while the current one is used (NumPy
    releases the GIL in the heavy parts of rendering and training). A thread, not a
    process, so nothing is ever pickled. Subclasses say how a piece is made (`_render(key)`)
    and which comes next (`_next(key)`, None after the last)."""

    def __init__(self):
        self._pending = {}

    def _render(self, key):
        raise NotImplementedError

    def _next(self, key):
        return None

    def _start(self, key):
        box = {}

        def work():
            try:
                box["value"] = self._render(key)
            except BaseException as err:  # re-raised in the training thread
                box["error"] = err

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        self._pending[key] = (thread, box)

    def __call__(self, key):
        if key not in self._pending:
            self._start(key)
        thread, box = self._pending.pop(key)
        thread.join()
        if "error" in box:
            raise box["error"]
        following = self._next(key)
        if following is not None and following not in self._pending:
            self._start(following)
        return box["value"]


class EpochData(Prefetch):
    """Renders epoch e+1 on a thread while epoch e trains. With `epochs` it renders nothing
    past the last epoch."""

    def __init__(self, data, indices, seed, epochs=None, paper=0.0):
        super().__init__()
        self.data, self.indices, self.seed, self.epochs = data, indices, seed, epochs
        self.paper = paper

    def _render(self, epoch):
        rng = np.random.RandomState([self.seed, epoch, 1])
        return render_batch(self.data, self.indices, rng=rng, augment=True, paper=self.paper)

    def _next(self, epoch):
        return epoch + 1 if self.epochs is None or epoch + 1 < self.epochs else None


def data_fingerprint(data, train_idx, val_idx):
    """A SHA-256 of what training reads: the class labels, every sample's label, points and
    stroke boundaries, and the split. Exact, and cheap (about 0.1 s for the shared file)."""
    return fingerprint([str(c) for c in data.mapping],
                       (data.labels, data.point_start, data.point_stop, data.connects_next,
                        data.points, train_idx, val_idx))


def fingerprint(header, arrays):
    """A SHA-256 of a JSON-able header and of arrays, each with its dtype and shape."""
    digest = hashlib.sha256(json.dumps(header).encode("utf-8"))
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(("%s %s;" % (array.dtype.str, array.shape)).encode("ascii"))
        digest.update(array.tobytes())
    return digest.hexdigest()


def save_checkpoint(path, model, optimizer, history, state, args, data_identity=None,
                    run_identity=RUN_IDENTITY):
    """The whole training state, written atomically: the model, Adam's buffers, the history,
    the state, the options `run_identity` names and what identifies the data."""
    opt_meta, opt_arrays = optimizer.state_dict()
    meta = model_meta(model)
    meta["checkpoint"] = {"optimizer": opt_meta, "history": history, "state": state,
                          "run": {k: getattr(args, k) for k in run_identity},
                          "data": data_identity}
    arrays = model_arrays(model)
    arrays.update({"optim/" + k: v for k, v in opt_arrays.items()})
    write_archive(path, meta, arrays)


def character_network(args, n_labels):
    """The layer configs and input shape a character checkpoint must hold."""
    return ([{"class": layer.name, "config": layer.config()}
             for layer in architecture(args.arch, n_labels)], INPUT_SHAPE)


def _best_accuracy(value):
    return _number(value) and -1 <= value <= 1


class CheckpointKind:
    """What a task's checkpoints hold, for `load_checkpoint`: the options that define a run,
    the network (a function (args, number of labels) -> (layer configs, input shape)),
    whether it is a sequence model, and the state's best-so-far entry (its key, its check
    and its name in messages)."""

    def __init__(self, run_identity, network, sequence, best_key, best_ok, best_name):
        self.run_identity, self.network, self.sequence = run_identity, network, sequence
        self.best_key, self.best_ok, self.best_name = best_key, best_ok, best_name


CHARACTERS = CheckpointKind(RUN_IDENTITY, character_network, False, "best_val_acc",
                            _best_accuracy, "accuracy")


def load_checkpoint(path, optimizer, args, kind=CHARACTERS):
    """(model, history, state, data identity) from a checkpoint, all of it checked, without
    the data: a damaged or foreign checkpoint is refused before minutes of loading."""
    name = printable(path)
    if not os.path.lexists(path):
        raise UsageError("--resume: no checkpoint at %s (start without --resume)" % name)
    meta, arrays = read_archive(path)
    ckpt = meta.get("checkpoint")
    if not isinstance(ckpt, dict):
        raise ModelFileError("%s: a model file, not a training checkpoint" % name)
    run = ckpt.get("run")
    if not isinstance(run, dict):
        raise ModelFileError("%s: damaged checkpoint (no record of its options)" % name)
    changed = [k for k in kind.run_identity if run.get(k) != getattr(args, k)]
    if changed:
        raise UsageError("--resume: the checkpoint was made with different options (%s); "
                         "use the original ones" % printable(", ".join(
                             "--%s %s" % (k.replace("_", "-"), run.get(k)) for k in changed)))
    opt_arrays = {k[len("optim/"):]: arrays.pop(k) for k in list(arrays) if k.startswith("optim/")}
    model = model_from_archive(path, meta, arrays, sequence=kind.sequence)
    expected, input_shape = kind.network(args, len(model.labels))
    if model.config() != expected or model.input_shape != tuple(input_shape):
        raise ModelFileError("%s: damaged checkpoint (its network is not the %s architecture)"
                             % (name, args.arch))
    try:
        _check_optimizer_state(ckpt.get("optimizer"), opt_arrays, model)
        _check_progress(ckpt.get("history"), ckpt.get("state"), args, kind)
        identity = ckpt.get("data")
        if identity is not None and not (isinstance(identity, dict) and isinstance(
                identity.get("fingerprint"), str) and isinstance(identity.get("labels"), list)):
            raise ValueError("its data record is malformed")
    except ValueError as err:
        raise ModelFileError("%s: damaged checkpoint (%s)" % (name, err)) from None
    optimizer.load_state_dict(ckpt["optimizer"], opt_arrays)
    return model, ckpt["history"], ckpt["state"], ckpt.get("data")


def _number(value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _check_optimizer_state(meta, arrays, model):
    """Adam's step count and learning rate, and its m and v buffers: one per parameter, of
    its shape and dtype, finite (and v, a mean of squares, never negative)."""
    if not (isinstance(meta, dict) and isinstance(meta.get("steps"), int)
            and not isinstance(meta.get("steps"), bool) and meta["steps"] >= 0
            and _number(meta.get("lr"))):
        raise ValueError("its optimizer record is malformed")
    params = {key: p for key, p, _ in model.parameters()}
    expected = set()
    if meta["steps"]:  # Adam makes its buffers at the first step, for every parameter
        expected = {"%s/%s" % (buffer, key) for key in params for buffer in ("m", "v")}
    if set(arrays) != expected:
        raise ValueError("its optimizer buffers do not match the network's parameters")
    for key, value in arrays.items():
        buffer, param = key.split("/", 1)
        target = params[param]
        if value.shape != target.shape or value.dtype != target.dtype:
            raise ValueError("optimizer buffer %s has shape %s and dtype %s, expected %s %s"
                             % (key, value.shape, value.dtype, target.shape, target.dtype))
        if not np.all(np.isfinite(value)) or (buffer == "v" and np.any(value < 0)):
            raise ValueError("optimizer buffer %s holds impossible values" % key)


def _check_progress(history, state, args, kind=CHARACTERS):
    """The history and state the run continues from: the shapes TrainingMonitor and fit
    update in place."""
    if not isinstance(state, dict):
        raise ValueError("its training state is malformed")
    done = state.get("epochs_done")
    if isinstance(done, bool) or not isinstance(done, int) or not 0 <= done <= args.epochs:
        raise ValueError("its epoch count is malformed")
    for key in ("best_epoch", "bad_epochs"):
        value = state.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= done:
            raise ValueError("its %s is malformed" % key)
    if not kind.best_ok(state.get(kind.best_key)):
        raise ValueError("its best validation %s is malformed" % kind.best_name)
    if "train_seconds" in state and not _number(state["train_seconds"]):
        raise ValueError("its training time is malformed")
    if not isinstance(state.get("stopped_early", False), bool):
        raise ValueError("its early-stopping flag is malformed")
    if not isinstance(history, dict) or not all(
            isinstance(v, list) and len(v) == done and all(_number(x) for x in v)
            for v in history.values()):
        raise ValueError("its history is malformed")


def check_resumed_data(path, identity, model, labels, fingerprint):
    """Refuse to continue a run on other data: another class order, other samples or points,
    or another split. Checkpoints from before fingerprints only get the label check."""
    name = printable(path)
    if model.labels != labels or (identity is not None and identity["labels"] != labels):
        raise UsageError("--resume: %s was made with another class order (%s), not the data's "
                         "(%s); start without --resume" % (name, printable(" ".join(
                             model.labels[:12])), printable(" ".join(labels[:12]))))
    if identity is None:
        print("warning: %s predates data fingerprints; only its labels could be checked" % name,
              file=sys.stderr)
    elif identity["fingerprint"] != fingerprint:
        raise UsageError("--resume: %s was made on other data (%s, or another version of it); "
                         "use the same --data or start without --resume"
                         % (name, printable(identity.get("file", "unknown file"))))


class TrainingMonitor:
    """Progress bar, per-epoch summary, best-model saving, checkpoints, early stopping.

    The word trainer (pycnn.train_words) subclasses it: `is_better`, `record_best`,
    `metadata` and `epoch_line` are what a task says its own way."""

    run_identity = RUN_IDENTITY
    patience_measure = "accuracy"

    def __init__(self, args, optimizer, history, state, epochs_this_run, data_identity=None):
        self.args, self.optimizer, self.history, self.state = args, optimizer, history, state
        self.data_identity = data_identity
        self.bar = None if args.quiet else ProgressBar()
        self.epochs_this_run = epochs_this_run
        self.done_this_run = 0

    def is_better(self, logs):
        return logs["val_acc"] > self.state["best_val_acc"]

    def record_best(self, logs):
        self.state["best_val_acc"] = logs["val_acc"]

    def metadata(self):
        return training_metadata(self.args, self.state)

    def epoch_line(self, epoch, logs):
        return ("epoch %d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  lr %.2e  %.0fs"
                % (epoch + 1, self.args.epochs, logs["loss"], logs["acc"], logs["val_loss"],
                   logs["val_acc"], logs["lr"], logs["seconds"]))

    def on_batch_end(self, epoch, batch, n_batches, logs):
        if self.bar:
            self.bar.update(logs["seen"], logs["total"],
                            prefix="epoch %d/%d" % (epoch + 1, self.args.epochs),
                            suffix="loss %.4f acc %.4f  %.0fs" % (logs["loss"], logs["acc"],
                                                                 logs["seconds"]),
                            final=batch == n_batches - 1)

    def on_epoch_end(self, epoch, logs, model):
        state = self.state
        if not all(math.isfinite(v) for v in logs.values()):
            # Nothing is saved: the last checkpoint and best model stay the good ones.
            raise UsageError("training diverged in epoch %d (loss %s): start again with a "
                             "smaller --lr" % (epoch + 1, logs["loss"]))
        improved = self.is_better(logs)
        if improved:
            self.record_best(logs)
            state.update(best_epoch=epoch + 1, bad_epochs=0)
            model.metadata["training"] = self.metadata()
            save_model(model, self.args.out)
        else:
            state["bad_epochs"] += 1
        state["epochs_done"] = epoch + 1
        state["train_seconds"] = state.get("train_seconds", 0.0) + logs["seconds"]
        print(self.epoch_line(epoch, logs) + ("  *best" if improved else ""), flush=True)
        save_checkpoint(self.args.checkpoint, model, self.optimizer, self.history, state,
                        self.args, self.data_identity, self.run_identity)
        self.done_this_run += 1
        if state["bad_epochs"] >= self.args.patience:
            print("early stopping: no better validation %s for %d epochs"
                  % (self.patience_measure, self.args.patience))
            state["stopped_early"] = True
            return True
        return bool(self.epochs_this_run) and self.done_this_run >= self.epochs_this_run


def data_names(paths):
    """The stroke files' names, joined with " + " (as metadata and messages show them)."""
    return " + ".join(os.path.basename(str(path)) for path in paths)


def training_metadata(args, state):
    return {
        "data": data_names(args.data), "arch": args.arch, "epochs": args.epochs,
        "batch_size": args.batch_size, "lr": args.lr, "weight_decay": args.weight_decay,
        "seed": args.seed, "paper": args.paper, "init": args.init,
        "best_epoch": state["best_epoch"],
        "best_val_acc": state["best_val_acc"], "split": "writer-disjoint (pycnn.data.unipen)",
        "date": time.strftime("%Y-%m-%d"),
    }


def write_report(args, model, history, state, x_val, y_val, sections_val):
    from .measure.report import plot_confusion, plot_history

    os.makedirs(args.report_dir, exist_ok=True)
    probs = model.predict_proba(x_val)
    report = accuracy_report(probs, y_val, model.labels, sections_val)
    metrics = {"validation": report, "best_epoch": state["best_epoch"],
               "epochs_done": state["epochs_done"], "train_seconds": state.get("train_seconds"),
               "history": history, "command": "python -m pycnn.train " + " ".join(sys.argv[1:])}
    with open(os.path.join(args.report_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    plot_history(history, os.path.join(args.report_dir, "curves.png"))
    matrix = confusion_matrix(y_val, probs.argmax(axis=1), len(model.labels))
    plot_confusion(matrix, model.labels, os.path.join(args.report_dir, "confusion.png"))
    return report


def main(argv=None):
    args = parse_args(argv)
    check_outputs(args)
    if args.task == "words":
        from .train_words import train_words

        return train_words(args)
    optimizer = Adam(args.lr, weight_decay=args.weight_decay)
    if args.resume:  # a damaged checkpoint is refused before minutes of data loading
        model, history, state, identity = load_checkpoint(args.checkpoint, optimizer, args)
    data = load_stroke_files(args.data)
    splits = writer_split(data)
    train_idx = _subset(splits["train"], args.limit_train, args.seed)
    val_idx = _subset(splits["val"], args.limit_val, args.seed + 1)
    if len(train_idx) == 0 or len(val_idx) == 0:
        raise UsageError("%s has too few writers for a training and a validation split"
                         % printable(data_names(args.data)))
    labels = [str(c) for c in data.mapping]
    data_identity = {"fingerprint": data_fingerprint(data, train_idx, val_idx),
                     "labels": labels, "file": data_names(args.data)}
    if args.resume:
        check_resumed_data(args.checkpoint, identity, model, labels,
                           data_identity["fingerprint"])
    print("data: %s: %d training and %d validation samples (writer-disjoint)"
          % (printable(data_names(args.data)), len(train_idx), len(val_idx)), flush=True)
    x_val, y_val = render_batch(data, val_idx, augment=False)

    if args.resume:
        print("resuming after epoch %d" % state["epochs_done"])
    else:
        model = Sequential(architecture(args.arch, len(labels)), input_shape=INPUT_SHAPE,
                           labels=labels, seed=args.seed,
                           metadata={"preprocess_version": PREPROCESS_VERSION})
        if args.init:
            start_from(model, args.init)
        history, state = {}, {"best_val_acc": -1.0, "best_epoch": 0, "bad_epochs": 0,
                              "epochs_done": 0}
    model.summary()
    if state.get("stopped_early") or state["epochs_done"] >= args.epochs:
        print("training already finished at epoch %d" % state["epochs_done"])
    else:
        monitor = TrainingMonitor(args, optimizer, history, state, args.stop_after,
                                  data_identity)
        schedule = CosineSchedule(args.lr, args.epochs, min_lr=args.lr * 0.01, warmup=1)
        model.fit(EpochData(data, train_idx, args.seed, args.epochs, args.paper), optimizer,
                  args.epochs,
                  batch_size=args.batch_size, validation=(x_val, y_val), schedule=schedule,
                  initial_epoch=state["epochs_done"], history=history, callbacks=[monitor],
                  seed=args.seed)
        if args.stop_after and state["epochs_done"] < args.epochs and not state.get(
                "stopped_early"):
            print("stopped after %d epochs; continue with --resume" % state["epochs_done"])
            return 0
    from .nn import load_model

    best = load_model(args.out)
    report = write_report(args, best, history, state, x_val, y_val, data.section[val_idx])
    print("best epoch %d: validation top-1 %.4f, merged %.4f, top-3 %.4f"
          % (state["best_epoch"], report["top1"], report["top1_merged"], report["top3"]))
    print("model: %s   report: %s" % (printable(args.out), printable(args.report_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
