"""python -m pycnn.train: train a character model on UNIPEN pen strokes.

Every epoch re-renders the training strokes with fresh, seeded augmentation (the way the
page draws a mouse drag), then runs them through the same `pycnn.preprocess` as the page.
Validation uses held-out writers, rendered once without augmentation. After every epoch
the full training state is checkpointed atomically, so a killed run loses at most one
epoch, and `--resume` continues to exactly the weights an uninterrupted run would reach:
all randomness in epoch e is seeded by (seed, e).
"""

import argparse
import json
import os
import sys
import threading
import time

import numpy as np

from .cli import ProgressBar, UsageError, run_cli
from .data.dataset import render_batch
from .data.unipen import default_data_path, load_unipen, writer_split
from .metrics import accuracy_report, confusion_matrix
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
    read_archive,
    write_archive,
)
from .preprocess import PREPROCESS_VERSION

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


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m pycnn.train", description=__doc__.split("\n")[0])
    p.add_argument("--data", default=None, help="UNIPEN stroke file (default: %(default)s → "
                   "$PYCNN_UNIPEN or ../shared/data/unipen/unipen_alnum_strokes.npz)")
    p.add_argument("--out", default="weights/model.npz", help="where the best model goes")
    p.add_argument("--report-dir", default=None,
                   help="metrics.json, curves.png, confusion.png (default: next to --out)")
    p.add_argument("--checkpoint", default=None,
                   help="training state, written every epoch (default: <out dir>/checkpoint.npz)")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--arch", default="default", choices=ARCHITECTURES)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (Adam, cosine)")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--patience", type=int, default=6,
                   help="stop after this many epochs without a better validation accuracy")
    p.add_argument("--limit-train", type=int, default=0,
                   help="use only this many training samples (0: all); for quick runs")
    p.add_argument("--limit-val", type=int, default=0)
    p.add_argument("--stop-after", type=int, default=0,
                   help="stop after this many epochs in this run (continue later with --resume)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            raise UsageError("--%s must be at least 1" % name.replace("_", "-"))
    if args.lr <= 0:
        raise UsageError("--lr must be positive")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    args.report_dir = args.report_dir or out_dir
    args.checkpoint = args.checkpoint or os.path.join(out_dir, "checkpoint.npz")
    args.data = args.data or default_data_path()
    return args


# Options that must not change between a run and its --resume.
RUN_IDENTITY = ("arch", "epochs", "batch_size", "lr", "weight_decay", "seed", "limit_train",
                "limit_val", "patience")


def _subset(indices, limit, seed):
    if not limit or limit >= len(indices):
        return indices
    return np.sort(np.random.RandomState(seed).choice(indices, limit, replace=False))


class EpochData:
    """Renders epoch e+1 on a thread while epoch e trains (NumPy releases the GIL in the
    heavy parts of both). A thread, not a process, so nothing is ever pickled. With `epochs`
    it renders nothing past the last epoch."""

    def __init__(self, data, indices, seed, epochs=None):
        self.data, self.indices, self.seed, self.epochs = data, indices, seed, epochs
        self._pending = {}

    def _render(self, epoch):
        rng = np.random.RandomState([self.seed, epoch, 1])
        return render_batch(self.data, self.indices, rng=rng, augment=True)

    def _start(self, epoch):
        box = {}

        def work():
            try:
                box["value"] = self._render(epoch)
            except BaseException as err:  # re-raised in the training thread
                box["error"] = err

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        self._pending[epoch] = (thread, box)

    def __call__(self, epoch):
        if epoch not in self._pending:
            self._start(epoch)
        thread, box = self._pending.pop(epoch)
        thread.join()
        if "error" in box:
            raise box["error"]
        if self.epochs is None or epoch + 1 < self.epochs:
            self._start(epoch + 1)
        return box["value"]


def save_checkpoint(path, model, optimizer, history, state, args):
    opt_meta, opt_arrays = optimizer.state_dict()
    meta = model_meta(model)
    meta["checkpoint"] = {"optimizer": opt_meta, "history": history, "state": state,
                          "run": {k: getattr(args, k) for k in RUN_IDENTITY}}
    arrays = model_arrays(model)
    arrays.update({"optim/" + k: v for k, v in opt_arrays.items()})
    write_archive(path, meta, arrays)


def load_checkpoint(path, optimizer, args):
    if not os.path.exists(path):
        raise UsageError("--resume: no checkpoint at %s (start without --resume)" % path)
    meta, arrays = read_archive(path)
    ckpt = meta.get("checkpoint")
    if not isinstance(ckpt, dict):
        raise ModelFileError("%s: a model file, not a training checkpoint" % path)
    run = ckpt.get("run", {})
    changed = [k for k in RUN_IDENTITY if run.get(k) != getattr(args, k)]
    if changed:
        raise UsageError("--resume: the checkpoint was made with different options (%s); "
                         "use the original ones" % ", ".join(
                             "--%s %s" % (k.replace("_", "-"), run.get(k)) for k in changed))
    opt_arrays = {k[len("optim/"):]: arrays.pop(k) for k in list(arrays) if k.startswith("optim/")}
    model = model_from_archive(path, meta, arrays)
    optimizer.load_state_dict(ckpt["optimizer"], opt_arrays)
    return model, ckpt["history"], ckpt["state"]


class TrainingMonitor:
    """Progress bar, per-epoch summary, best-model saving, checkpoints, early stopping."""

    def __init__(self, args, optimizer, history, state, epochs_this_run):
        self.args, self.optimizer, self.history, self.state = args, optimizer, history, state
        self.bar = None if args.quiet else ProgressBar()
        self.epochs_this_run = epochs_this_run
        self.done_this_run = 0

    def on_batch_end(self, epoch, batch, n_batches, logs):
        if self.bar:
            self.bar.update(logs["seen"], logs["total"],
                            prefix="epoch %d/%d" % (epoch + 1, self.args.epochs),
                            suffix="loss %.4f acc %.4f  %.0fs" % (logs["loss"], logs["acc"],
                                                                 logs["seconds"]),
                            final=batch == n_batches - 1)

    def on_epoch_end(self, epoch, logs, model):
        state = self.state
        improved = logs["val_acc"] > state["best_val_acc"]
        if improved:
            state.update(best_val_acc=logs["val_acc"], best_epoch=epoch + 1, bad_epochs=0)
            model.metadata["training"] = training_metadata(self.args, state)
            save_model(model, self.args.out)
        else:
            state["bad_epochs"] += 1
        state["epochs_done"] = epoch + 1
        state["train_seconds"] = state.get("train_seconds", 0.0) + logs["seconds"]
        print("epoch %d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  lr %.2e  %.0fs%s"
              % (epoch + 1, self.args.epochs, logs["loss"], logs["acc"], logs["val_loss"],
                 logs["val_acc"], logs["lr"], logs["seconds"], "  *best" if improved else ""),
              flush=True)
        save_checkpoint(self.args.checkpoint, model, self.optimizer, self.history, state,
                        self.args)
        self.done_this_run += 1
        if state["bad_epochs"] >= self.args.patience:
            print("early stopping: no better validation accuracy for %d epochs"
                  % self.args.patience)
            state["stopped_early"] = True
            return True
        return bool(self.epochs_this_run) and self.done_this_run >= self.epochs_this_run


def training_metadata(args, state):
    return {
        "data": os.path.basename(args.data), "arch": args.arch, "epochs": args.epochs,
        "batch_size": args.batch_size, "lr": args.lr, "weight_decay": args.weight_decay,
        "seed": args.seed, "best_epoch": state["best_epoch"],
        "best_val_acc": state["best_val_acc"], "split": "writer-disjoint (pycnn.data.unipen)",
        "date": time.strftime("%Y-%m-%d"),
    }


def write_report(args, model, history, state, x_val, y_val, sections_val):
    from .report import plot_confusion, plot_history

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
    data = load_unipen(args.data)
    splits = writer_split(data)
    train_idx = _subset(splits["train"], args.limit_train, args.seed)
    val_idx = _subset(splits["val"], args.limit_val, args.seed + 1)
    labels = [str(c) for c in data.mapping]
    print("data: %s — %d training and %d validation samples (writer-disjoint)"
          % (args.data, len(train_idx), len(val_idx)), flush=True)
    x_val, y_val = render_batch(data, val_idx, augment=False)

    optimizer = Adam(args.lr, weight_decay=args.weight_decay)
    if args.resume:
        model, history, state = load_checkpoint(args.checkpoint, optimizer, args)
        print("resuming after epoch %d" % state["epochs_done"])
    else:
        model = Sequential(architecture(args.arch, len(labels)), input_shape=INPUT_SHAPE,
                           labels=labels, seed=args.seed,
                           metadata={"preprocess_version": PREPROCESS_VERSION})
        history, state = {}, {"best_val_acc": -1.0, "best_epoch": 0, "bad_epochs": 0,
                              "epochs_done": 0}
    model.summary()
    if state.get("stopped_early") or state["epochs_done"] >= args.epochs:
        print("training already finished at epoch %d" % state["epochs_done"])
    else:
        monitor = TrainingMonitor(args, optimizer, history, state, args.stop_after)
        schedule = CosineSchedule(args.lr, args.epochs, min_lr=args.lr * 0.01, warmup=1)
        model.fit(EpochData(data, train_idx, args.seed, args.epochs), optimizer, args.epochs,
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
    print("model: %s   report: %s" % (args.out, args.report_dir))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
