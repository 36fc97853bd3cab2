"""The word task of the trainer: `python -m pycnn.train --task words` (not a tool of its own).

It trains a network that reads a whole handwritten word: a convolutional stack over the
word's (1, 32, W) image (`pycnn.read.word_preprocess`), `Collapse` into one frame per
column group, dilated `Conv1D` layers along the frames, and a `TimeDense` giving each frame
scores over the blank and the 94 printable ASCII characters. It learns with pycnn's own
forward and backward passes (`Sequential.forward_sequence` / `backward_sequence`), the CTC
loss (`pycnn.nn.ctc`, blank 0) and Adam, in float32.

Every epoch, the training words are drawn afresh with seeded augmentation
(`pycnn.data.word_render.render_words`) on a background thread, a chunk of
`CHUNK_BATCHES` batches at a time, one chunk ahead of training. Within a chunk the words
are sorted by width and cut into batches, which are then taken in a random order: little
padding, and still a random order of words (the words were shuffled before they were
dealt into chunks). A word whose label cannot be aligned with the network's frames (more
characters, counting the blank a doubled letter needs, than frames) adds nothing to the
loss or the gradient (`CTCLoss(zero_infinity=True)`) and is counted. Gradients are scaled
down to `--clip-norm` when their global norm is larger; the learning rate warms up over
the first epoch and then follows a cosine.

After every epoch the held-out writers' words (rendered once, without augmentation) are
read greedily (best path); the character error rate (edit distance over reference length,
summed over the words) decides the best epoch, whose model goes to `--out`. Checkpoints,
`--resume`, `--stop-after`, the option checks and the data fingerprint are the character
trainer's (`pycnn.train`); everything random in epoch e is seeded by (seed, e), so a
resumed run reaches exactly the weights of an uninterrupted one.
"""

import math
import os
import sys
import time

import numpy as np

from .cli import UsageError
from .nn import Adam, Conv2D, CosineSchedule, Dropout, MaxPool2D, ReLU, Sequential, load_model
from .nn.ctc import CTCLoss, ctc_greedy_decode
from .nn.sequence import Collapse, Conv1D, MaxPoolHeight, TimeDense, min_width, pad_batch
from .nn.serialize import architecture_cost, printable
from .read.charsets import edit_distance
from .read.word_preprocess import HEIGHT, MAX_WIDTH, MIN_WIDTH, WORD_PREPROCESS_VERSION
from .read.word_reader import BLANK, BLANK_LABEL
from .train import (
    WORD_ARCHITECTURES,
    CheckpointKind,
    Prefetch,
    TrainingMonitor,
    _number,
    _subset,
    check_resumed_data,
    data_names,
    fingerprint,
    load_checkpoint,
    start_from,
)

CHARACTERS = [chr(code) for code in range(33, 127)]  # printable ASCII, "!" to "~"
LABELS = [BLANK_LABEL] + CHARACTERS
INPUT_SHAPE = (1, HEIGHT, MAX_WIDTH)

# Options that must not change between a run and its --resume.
RUN_IDENTITY = ("task", "arch", "epochs", "batch_size", "lr", "weight_decay", "clip_norm",
                "seed", "limit_train", "limit_val", "patience", "init", "augment", "synthetic")
CHUNK_BATCHES = 32  # batches rendered together, and sorted by width together
VALIDATION_BATCH = 64
COST_BUDGET = 60e6  # multiply-adds the page may spend on an average word


def _word_network(n_classes, dilations, filters=(32, 64, 96), frame_filters=192):
    """Three 3x3 convolutions (they see 18 px of width), the height collapsed into frames, then
    one Conv1D of kernel 3 per dilation, dropout after the first and the last."""
    layers = [Conv2D(filters[0], 3, padding="same"), ReLU(), MaxPool2D(2),
              Conv2D(filters[1], 3, padding="same"), ReLU(), MaxPool2D(2),
              Conv2D(filters[2], 3, padding="same"), ReLU(), MaxPoolHeight(2),
              Collapse()]
    for i, dilation in enumerate(dilations):
        layers += [Conv1D(frame_filters, 3, dilation=dilation), ReLU()]
        if i in (0, len(dilations) - 1):
            layers.append(Dropout(0.2))
    return layers + [TimeDense(n_classes)]


def architecture(name, n_classes):
    """The word networks: (1, 32, W) -> (W/4 frames, n_classes). All pool the width by 4,
    so a word of W px gives W // 4 frames (8 for the narrowest image, 32 px)."""
    if name == "words-tiny":  # for tests: trains in seconds
        return [Conv2D(8, 3, padding="same"), ReLU(), MaxPool2D(2),
                Conv2D(16, 3, padding="same"), ReLU(), MaxPool2D(2), MaxPoolHeight(2),
                Collapse(), Conv1D(32, 3), ReLU(), TimeDense(n_classes)]
    if name == "words":
        # Dilations 1, 2, 4 widen the 18 px to 74 px: about three characters at the
        # preprocessing's 28 px ink height.
        return _word_network(n_classes, (1, 2, 4))
    if name == "words-rf":
        # A fourth Conv1D (dilation 8): each frame sees 138 px, about five characters, for 7%
        # more multiply-adds (33 M for the mean validation word).
        return _word_network(n_classes, (1, 2, 4, 8))
    if name == "words-wide":
        # More capacity at the same view: 1.13-1.17 times the filters in every layer, for 1.3
        # times the multiply-adds (40 M a word), as much as a model file may spend on the
        # widest word (MAX_MULTIPLY_ADDS, 256 M at 512 px).
        return _word_network(n_classes, (1, 2, 4), filters=(36, 72, 112), frame_filters=224)
    raise UsageError("unknown word architecture %r (choose %s)"
                     % (name, ", ".join(WORD_ARCHITECTURES)))


def network(args, n_labels):
    """The layer configs and input shape a word checkpoint must hold."""
    return ([{"class": layer.name, "config": layer.config()}
             for layer in architecture(args.arch, n_labels)], INPUT_SHAPE)


def _best_cer(value):
    return value is None or (_number(value) and value >= 0)


CHECKPOINTS = CheckpointKind(RUN_IDENTITY, network, True, "best_val_cer", _best_cer,
                             "character error rate")


def multiply_adds(model, width):
    """Multiply-adds the model spends on one word image `width` px wide (its reading cost:
    about 1 ms per million in the page)."""
    config = model.config() if hasattr(model, "config") else model
    return architecture_cost(config, [1, HEIGHT, int(width)])["multiply_adds"]


def mean_multiply_adds(model, widths):
    """The mean of `multiply_adds` over words of these widths."""
    widths, counts = np.unique(np.asarray(widths, dtype=np.int64), return_counts=True)
    costs = np.array([multiply_adds(model, w) for w in widths], dtype=np.float64)
    return float((costs * counts).sum() / max(counts.sum(), 1))


# --- labels and scores -----------------------------------------------------------------------

def encode(text):
    """A word's text -> class indices (1..94)."""
    return [ord(ch) - 32 for ch in text]


def decode(indices):
    return "".join(LABELS[k] for k in indices)


def readable(text):
    """True when every character of `text` is one of the model's classes."""
    return bool(text) and all(33 <= ord(ch) <= 126 for ch in text)


def reading_scores(readings, truths):
    """{"cer": summed edit distance / summed reference length, "word_acc": exact readings
    / words, "errors", "characters", "words"}."""
    errors = sum(edit_distance(r, t) for r, t in zip(readings, truths))
    characters = sum(len(t) for t in truths)
    right = sum(r == t for r, t in zip(readings, truths))
    return {"cer": errors / max(characters, 1), "word_acc": right / max(len(truths), 1),
            "errors": errors, "characters": characters, "words": len(truths)}


def label_batch(texts):
    """(labels (N, S) int64 padded with the blank, lengths (N,) int64) for CTCLoss."""
    codes = [encode(t) for t in texts]
    lengths = np.array([len(c) for c in codes], dtype=np.int64)
    labels = np.full((len(codes), max(int(lengths.max(initial=0)), 1)), BLANK, np.int64)
    for n, c in enumerate(codes):
        labels[n, :len(c)] = c
    return labels, lengths


# --- rendering -------------------------------------------------------------------------------

def render(data, indices, rng, augment, strength="standard"):
    """(images, texts) of words `indices`: each drawn like the page's word pad, then
    preprocessed (`word_render.render_words`), a float32 (HEIGHT, W) image. A word that
    gives no image (no ink, or too long to read as one word) is left out."""
    from .data.word_render import render_words

    images, texts, _ = render_words(data, indices, rng=rng, augment=augment,
                                    strength=strength)
    return [_checked_image(im) for im in images], [str(t) for t in texts]


def _checked_image(image):
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2 or image.shape[0] != HEIGHT or not 1 <= image.shape[1] <= MAX_WIDTH:
        raise ValueError("render_words gave an image of shape %s, not (%d, 1..%d)"
                         % (image.shape, HEIGHT, MAX_WIDTH))
    return image


class WordChunks(Prefetch):
    """The training words of epoch e, chunk k: (images, texts, how many words gave no
    image), rendered with augmentation
    on a thread one chunk ahead of training (across the end of an epoch too, never past
    the last). The words are shuffled by (seed, e) and dealt into chunks of chunk_size;
    chunk k is drawn with the generator seeded by (seed, e, k)."""

    def __init__(self, data, indices, seed, chunk_size, epochs, strength="standard"):
        super().__init__()
        self.strength = strength
        self.data, self.indices, self.seed = data, np.asarray(indices), seed
        self.chunk_size, self.epochs = chunk_size, epochs
        self.n_chunks = -(-len(self.indices) // chunk_size)

    def words(self, epoch, chunk):
        order = np.random.RandomState([self.seed, epoch]).permutation(len(self.indices))
        return self.indices[order[chunk * self.chunk_size:(chunk + 1) * self.chunk_size]]

    def _render(self, key):
        epoch, chunk = key
        words = self.words(epoch, chunk)
        rng = np.random.RandomState([self.seed, epoch, chunk, 1])
        images, texts = render(self.data, words, rng, augment=True, strength=self.strength)
        return images, texts, len(words) - len(images)

    def _next(self, key):
        epoch, chunk = key
        if chunk + 1 < self.n_chunks:
            return epoch, chunk + 1
        return (epoch + 1, 0) if epoch + 1 < self.epochs else None


def by_width(images):
    """Indices of `images` from the narrowest to the widest (ties in their order)."""
    widths = np.array([im.shape[-1] for im in images], dtype=np.int64)
    return np.argsort(widths, kind="stable")


def width_batches(images, batch_size, rng):
    """Batches (arrays of indices into images) of words of similar width, in random
    order."""
    order = by_width(images)
    batches = [order[b:b + batch_size] for b in range(0, len(order), batch_size)]
    return [batches[b] for b in rng.permutation(len(batches))]


# --- one step, one epoch, validation ----------------------------------------------------------

def clip_gradients(model, max_norm):
    """Scale every gradient by max_norm / (global norm) when that norm is larger; returns
    the norm before clipping. max_norm 0: no clipping."""
    grads = [g for _, _, g in model.parameters() if g is not None]
    norm = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))
    if max_norm and norm > max_norm:
        scale = np.float32(max_norm / norm)
        for g in grads:
            g *= scale
    return norm


def train_step(model, optimizer, ctc, images, texts, clip_norm):
    """One Adam step on a batch of word images and their texts: (mean loss per character
    over the batch, how many of its words could not be aligned, gradient norm)."""
    x, widths = pad_batch(images)
    labels, label_lengths = label_batch(texts)
    logits, lengths = model.forward_sequence(x, widths, training=True)
    loss = ctc.forward(logits, lengths, labels, label_lengths)
    model.backward_sequence(ctc.backward())
    norm = clip_gradients(model, clip_norm)
    optimizer.step(model.parameters())
    return loss, int(ctc.impossible.sum()), norm


def train_epoch(model, optimizer, chunks, epoch, args, schedule, on_batch=None):
    """One epoch over every chunk of `chunks`; returns its logs: mean loss per character,
    learning rate, seconds, words per second, words skipped as impossible to align or as
    giving no image, and the seconds spent waiting for the rendering thread."""
    ctc = CTCLoss(blank=BLANK, reduction="mean", zero_infinity=True)
    model.reseed(epoch)
    total = len(chunks.indices)
    n_batches = -(-total // args.batch_size)  # for the schedule; chunks may end short
    seen = done_batches = impossible = unusable = 0
    loss_sum = waited = 0.0
    start = time.time()
    for k in range(chunks.n_chunks):
        asked = time.time()
        images, texts, dropped = chunks((epoch, k))
        waited += time.time() - asked
        unusable += dropped
        rng = np.random.RandomState([args.seed, epoch, k, 2])
        for batch in width_batches(images, args.batch_size, rng):
            optimizer.lr = schedule(epoch + min(done_batches / n_batches, 1.0))
            loss, bad, _ = train_step(model, optimizer, ctc, [images[i] for i in batch],
                                      [texts[i] for i in batch], args.clip_norm)
            done_batches += 1
            seen += len(batch)
            impossible += bad
            loss_sum += loss * len(batch)
            if on_batch is not None:
                seconds = time.time() - start
                on_batch(epoch, seen + unusable, total,
                         {"loss": loss_sum / seen, "seconds": seconds,
                          "words_per_second": seen / max(seconds, 1e-9)})
    seconds = time.time() - start
    return {"epoch": epoch + 1, "loss": loss_sum / max(seen, 1), "lr": optimizer.lr,
            "seconds": seconds, "words_per_second": seen / max(seconds, 1e-9),
            "impossible": impossible, "unusable": unusable, "render_wait_seconds": waited}


def read_words(model, images, texts=None, batch_size=VALIDATION_BATCH):
    """Greedy readings of word images, in batches of similar width; with `texts`, also the
    mean CTC loss per character. Returns (readings, loss)."""
    ctc = CTCLoss(blank=BLANK, reduction="mean", zero_infinity=True)
    readings = [""] * len(images)
    loss_sum, counted = 0.0, 0
    order = by_width(images)
    for b in range(0, len(order), batch_size):
        batch = order[b:b + batch_size]
        x, w = pad_batch([images[i] for i in batch])
        logits, lengths = model.forward_sequence(x, w)
        for i, path in zip(batch, ctc_greedy_decode(logits, lengths, blank=BLANK)):
            readings[i] = decode(path)
        if texts is not None:
            labels, label_lengths = label_batch([texts[i] for i in batch])
            loss_sum += ctc.forward(logits, lengths, labels, label_lengths) * len(batch)
            counted += len(batch)
    return readings, (loss_sum / max(counted, 1) if texts is not None else None)


def validate(model, images, texts):
    """The figures of an epoch: validation loss, CER and word accuracy."""
    readings, loss = read_words(model, images, texts)
    scores = reading_scores(readings, texts)
    return {"val_loss": loss, "val_cer": scores["cer"], "val_word_acc": scores["word_acc"]}


# --- the run ---------------------------------------------------------------------------------

class WordMonitor(TrainingMonitor):
    """The character trainer's monitor, judging epochs by the validation CER."""

    run_identity = RUN_IDENTITY
    patience_measure = "character error rate"

    def __init__(self, args, optimizer, history, state, epochs_this_run, data_identity,
                 summary):
        super().__init__(args, optimizer, history, state, epochs_this_run, data_identity)
        self.summary = summary

    def is_better(self, logs):
        best = self.state["best_val_cer"]
        return best is None or logs["val_cer"] < best

    def record_best(self, logs):
        self.state["best_val_cer"] = logs["val_cer"]

    def metadata(self):
        return dict(training_metadata(self.args, self.state), **self.summary,
                    data_fingerprint=self.data_identity["fingerprint"])

    def progress(self, epoch, seen, total, logs):
        if self.bar:
            self.bar.update(seen, total, prefix="epoch %d/%d" % (epoch + 1, self.args.epochs),
                            suffix="loss %.4f  %.0f words/s  %.0fs" % (
                                logs["loss"], logs["words_per_second"], logs["seconds"]),
                            final=seen >= total)

    def epoch_line(self, epoch, logs):
        skipped = ""
        if logs["impossible"] or logs["unusable"]:
            skipped = "  skipped %d (%d too short for their label, %d unusable)" % (
                logs["impossible"] + logs["unusable"], logs["impossible"], logs["unusable"])
        return ("epoch %d/%d  loss %.4f  val_loss %.4f  val CER %.4f  val word acc %.4f  "
                "lr %.2e  %.0fs (%.1f words/s, %.0fs waiting for rendering) + %.0fs "
                "validating%s"
                % (epoch + 1, self.args.epochs, logs["loss"], logs["val_loss"], logs["val_cer"],
                   logs["val_word_acc"], logs["lr"], logs["seconds"], logs["words_per_second"],
                   logs["render_wait_seconds"], logs["val_seconds"], skipped))


def training_metadata(args, state):
    return {
        "task": "words", "data": data_names(args.data), "arch": args.arch,
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
        "weight_decay": args.weight_decay, "clip_norm": args.clip_norm, "seed": args.seed,
        "limit_train": args.limit_train, "limit_val": args.limit_val,
        "patience": args.patience, "init": args.init, "augment": args.augment,
        "synthetic": args.synthetic,
        "best_epoch": state["best_epoch"],
        "best_val_cer": state["best_val_cer"], "split": "writer-disjoint (pycnn.data.unipen)",
        "date": time.strftime("%Y-%m-%d"),
    }


def load_data(args):
    """(words, train indices, validation indices, data identity, words dropped for a
    character the model cannot read)."""
    from .data.unipen import writer_split
    from .data.words import load_words

    data = load_words(args.data[0])
    readable_words = np.array([readable(t) for t in data.text.tolist()], dtype=bool)
    splits = writer_split(data)
    train_idx = splits["train"][readable_words[splits["train"]]]
    val_idx = splits["val"][readable_words[splits["val"]]]
    train_idx = _subset(train_idx, args.limit_train, args.seed)
    val_idx = _subset(val_idx, args.limit_val, args.seed + 1)
    if args.synthetic:
        data, train_idx = add_synthetic_words(data, train_idx, args.synthetic, args.seed)
    if len(train_idx) == 0 or len(val_idx) == 0:
        raise UsageError("%s has too few writers for a training and a validation split"
                         % printable(data_names(args.data)))
    identity = {"fingerprint": fingerprint(LABELS, (data.text, data.point_start,
                                                    data.point_stop, data.connects_next,
                                                    data.points, train_idx, val_idx)),
                "labels": LABELS, "file": data_names(args.data)}
    return data, train_idx, val_idx, identity, int((~readable_words).sum())


def add_synthetic_words(data, train_idx, count, seed):
    """(data and the synthetic words, training indices and theirs): `count` words spelled
    with the isolated characters of the character files' training writers (the split's
    training side, so no validation or test writer lends a letter), taking the training
    words' texts that are letters and digits only."""
    from .data.synthetic_words import join_words, spellable, synthetic_words
    from .data.unipen import default_data_path, load_unipen, writer_split

    chars = load_unipen(default_data_path())
    alphabet = set(chars.mapping.tolist())
    texts = spellable(data.text[train_idx].tolist(), alphabet)
    made = synthetic_words(chars, writer_split(chars)["train"], texts, count, seed)
    print("synthetic words: %d, from the isolated characters of %d training writers"
          % (len(made), len(set(zip(made.source.tolist(), made.writers.tolist())))),
          flush=True)
    joined = join_words(data, made)
    return joined, np.concatenate([train_idx, len(data) + np.arange(len(made))])


def new_model(args):
    return Sequential(architecture(args.arch, len(LABELS)), input_shape=INPUT_SHAPE,
                      labels=LABELS, seed=args.seed,
                      metadata={"task": "words", "word_preprocess_version":
                                WORD_PREPROCESS_VERSION, "blank": BLANK})


def cost_summary(model, widths):
    """What reading costs, for the summary and the model file: the validation words' mean
    width and the mean multiply-adds per word."""
    mean_width = float(np.mean(widths)) if len(widths) else 0.0
    macs = mean_multiply_adds(model, widths)
    return {"val_mean_width": round(mean_width, 1),
            "multiply_adds_per_word": int(round(macs)),
            "multiply_adds_per_px": int(round(multiply_adds(model, MAX_WIDTH) / MAX_WIDTH))}


def train_words(args):
    """The word task of `pycnn.train.main`, after its option and output checks."""
    optimizer = Adam(args.lr, weight_decay=args.weight_decay)
    if args.resume:  # a damaged checkpoint is refused before the data is loaded
        model, history, state, identity = load_checkpoint(args.checkpoint, optimizer, args,
                                                          CHECKPOINTS)
    data, train_idx, val_idx, data_identity, unreadable = load_data(args)
    if args.resume:
        check_resumed_data(args.checkpoint, identity, model, LABELS,
                           data_identity["fingerprint"])
    print("data: %s: %d training and %d validation words (writer-disjoint)%s"
          % (printable(data_names(args.data)), len(train_idx), len(val_idx),
             "; %d dropped for characters outside printable ASCII" % unreadable
             if unreadable else ""), flush=True)
    val_images, val_texts = render(data, val_idx, None, augment=False)
    if not val_images:
        raise UsageError("none of the %d validation words gives an image" % len(val_idx))
    if len(val_images) < len(val_idx):
        print("validation: %d of the %d words give no image (too long for one, or no ink) "
              "and are not counted" % (len(val_idx) - len(val_images), len(val_idx)))

    if args.resume:
        print("resuming after epoch %d" % state["epochs_done"])
    else:
        model = new_model(args)
        if args.init:  # fine-tuning a trained word model on a schedule of its own
            start_from(model, args.init, sequence=True, version_key="word_preprocess_version",
                       version=WORD_PREPROCESS_VERSION)
        history, state = {}, {"best_val_cer": None, "best_epoch": 0, "bad_epochs": 0,
                              "epochs_done": 0}
    if min_width(model.layers) > MIN_WIDTH:
        raise UsageError("--arch %s needs images at least %d px wide; the preprocessing "
                         "makes them %d px or more" % (args.arch, min_width(model.layers),
                                                       MIN_WIDTH))
    model.summary()
    widths = [im.shape[-1] for im in val_images]
    summary = cost_summary(model, widths)
    print("reading cost: %.1f M multiply-adds for the validation words' mean width of "
          "%.1f px (%s per px of width; budget %.0f M)%s"
          % (summary["multiply_adds_per_word"] / 1e6, summary["val_mean_width"],
             "{:,}".format(summary["multiply_adds_per_px"]), COST_BUDGET / 1e6,
             "  OVER BUDGET" if summary["multiply_adds_per_word"] > COST_BUDGET else ""),
          flush=True)

    if state.get("stopped_early") or state["epochs_done"] >= args.epochs:
        print("training already finished at epoch %d" % state["epochs_done"])
    else:
        monitor = WordMonitor(args, optimizer, history, state, args.stop_after, data_identity,
                              summary)
        schedule = CosineSchedule(args.lr, args.epochs, min_lr=args.lr * 0.01, warmup=1)
        chunks = WordChunks(data, train_idx, args.seed, args.batch_size * CHUNK_BATCHES,
                            args.epochs, args.augment)
        for epoch in range(state["epochs_done"], args.epochs):
            logs = train_epoch(model, optimizer, chunks, epoch, args, schedule,
                               monitor.progress)
            started = time.time()
            logs.update(validate(model, val_images, val_texts))
            logs["val_seconds"] = time.time() - started
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            if monitor.on_epoch_end(epoch, logs, model):
                break
        if args.stop_after and state["epochs_done"] < args.epochs and not state.get(
                "stopped_early"):
            print("stopped after %d epochs; continue with --resume" % state["epochs_done"])
            return 0

    best = load_model(args.out, sequence=True)
    report = write_report(args, best, history, state, val_images, val_texts, summary)
    print("best epoch %d: validation CER %.4f, word accuracy %.4f (%d words)"
          % (state["best_epoch"], report["cer"], report["word_acc"], report["words"]))
    print("model: %s   report: %s" % (printable(args.out), printable(args.report_dir)))
    return 0


def write_report(args, model, history, state, images, texts, summary):
    import json

    from .measure.report import plot_history

    os.makedirs(args.report_dir, exist_ok=True)
    readings, loss = read_words(model, images, texts)
    report = reading_scores(readings, texts)
    report["loss"] = loss
    examples = [{"truth": t, "read": r} for t, r in zip(texts[:40], readings[:40])]
    metrics = {"task": "words", "validation": report, "cost": summary,
               "best_epoch": state["best_epoch"], "epochs_done": state["epochs_done"],
               "train_seconds": state.get("train_seconds"), "history": history,
               "examples": examples,
               "command": "python -m pycnn.train " + " ".join(sys.argv[1:])}
    with open(os.path.join(args.report_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    plot_history(history, os.path.join(args.report_dir, "curves.png"),
                 loss_label="CTC loss per character",
                 scores=[("val_cer", "character error rate"),
                         ("val_word_acc", "word accuracy")],
                 score_label="validation (held-out writers)", score_title="Reading")
    return report
