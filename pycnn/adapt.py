"""Teach a trained model someone's handwriting: fine-tune it on their own examples.

    python -m pycnn.adapt --model weights/model.npz (--examples FILE.json | --images LIST.csv)
                          --out my-model.npz [--steps N] [--seed N] [--json] [--quiet]
    python -m pycnn.adapt --make-rehearsal [--model weights/model.npz] [--out FILE]

The command line of `pycnn.learn`, which does the learning: the personal examples file is
`pycnn.learn.examples`'s format, and the learning is `pycnn.learn.adaptation.Adaptation`,
the very same the page's worker runs in slices, run here to the end. What only the command
line does is here: reading the examples from a file or from a CSV list of images (Pillow,
through `pycnn.predict`), and remaking the rehearsal set from the training writers
(`make_rehearsal`, with the UNIPEN loader). The page never loads this module.
"""

import csv
import io
import json
import os
import sys
import time

import numpy as np

from .cli import (
    EXIT_OK,
    ArgumentParser,
    ProgressBar,
    UsageError,
    check_output_file,
    load_usable_model,
    run_cli,
    write_line,
)
from .learn.adaptation import (
    MAX_STEPS,
    MIN_NEW_CLASS_EXAMPLES,
    MIN_STEPS,
    TRAIN_CHOICES,
    Adaptation,
)
from .learn.errors import AdaptError
from .learn.examples import MAX_EXAMPLES, MAX_TEXT_BYTES, Example, check_label, load_examples
from .learn.rehearsal import REHEARSAL_PATH, load_rehearsal, load_rehearsal_features
from .nn import save_model
from .nn.serialize import UnreadableFile, open_regular_file, printable
from .predict import read_image
from .read.preprocess import EmptyImageError, preprocess

REHEARSAL_PER_CLASS = 10  # in the shipped rehearsal file
REHEARSAL_SEED = 20261129
MAX_CSV_BYTES = 16 * 2 ** 20


def read_examples_file(path):
    """[Example] of the examples file at `path`, read as hostile; UsageError otherwise."""
    try:
        handle, size = open_regular_file(path, "an examples file")
    except UnreadableFile as err:
        raise UsageError("%s: %s" % (printable(path), err)) from None
    with handle:
        if size > MAX_TEXT_BYTES:
            raise UsageError("%s: the examples file is %.1f MB; at most %d MB is allowed"
                             % (printable(path), size / 2 ** 20, MAX_TEXT_BYTES // 2 ** 20))
        text = handle.read(MAX_TEXT_BYTES + 1)
    try:
        return load_examples(text)
    except AdaptError as err:
        raise UsageError("%s: %s" % (printable(path), err)) from None


def read_image_list(path):
    """[Example] of LIST.csv: a header `path,label`, then one row per image. Relative image
    paths are taken from the CSV's folder. Images are read as `pycnn.predict` reads them
    and made into 28x28 inputs by `pycnn.read.preprocess`; any bad row is a UsageError."""
    name = printable(path)
    try:
        handle, size = open_regular_file(path, "an image list")
    except UnreadableFile as err:
        raise UsageError("%s: %s" % (name, err)) from None
    with handle:
        if size > MAX_CSV_BYTES:
            raise UsageError("%s: the list is %.1f MB; at most %d MB is allowed"
                             % (name, size / 2 ** 20, MAX_CSV_BYTES // 2 ** 20))
        raw = handle.read(MAX_CSV_BYTES + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError("%s: the list is not UTF-8 text" % name) from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise UsageError("%s: not a CSV file (%s)" % (name, printable(str(err)))) from None
    if not rows or [cell.strip() for cell in rows[0]] != ["path", "label"]:
        raise UsageError("%s: the first line must be the header path,label" % name)
    rows = [(n + 2, row) for n, row in enumerate(rows[1:]) if row]
    if not rows:
        raise UsageError("%s: the list has no images" % name)
    if len(rows) > MAX_EXAMPLES:
        raise UsageError("%s: the list holds %d images; at most %d are allowed"
                         % (name, len(rows), MAX_EXAMPLES))
    folder = os.path.dirname(os.path.abspath(path))
    examples = []
    for line, row in rows:
        where = "%s line %d" % (name, line)
        if len(row) != 2:
            raise UsageError("%s: expected path,label, got %d fields" % (where, len(row)))
        image_path, label = row[0], row[1]
        try:
            check_label(label)
        except AdaptError as err:
            raise UsageError("%s: %s" % (where, err)) from None
        full = os.path.join(folder, image_path)
        try:
            image = preprocess(read_image(full))
        except EmptyImageError:
            raise UsageError("%s: %s: the image has no ink" % (where, printable(image_path))) \
                from None
        except ValueError as err:  # ImageFileError and preprocess's own refusals
            raise UsageError("%s: %s: %s" % (where, printable(image_path), err)) from None
        examples.append(Example(label, image=image))
    return examples


def make_rehearsal(out=REHEARSAL_PATH, per_class=REHEARSAL_PER_CLASS, seed=REHEARSAL_SEED,
                   model=None):
    """Write the rehearsal file: `per_class` samples of every class of the alnum and symbols
    stroke files, from training-split writers only, each rendered once with training's
    augmentation (seeded), as uint8 28x28 images with their labels, and, given `model`, each
    image's features at the end of its trunk (float16) with the trunk's fingerprint, so that
    learning from that model (or one learnt from it: the trunk never learns) skips them.
    Returns its size."""
    from .data.dataset import render_batch
    from .data.unipen import SYMBOLS_FILE_NAME, default_data_path, load_unipen, writer_split

    rng = np.random.RandomState(seed)
    images, labels = [], []
    for name in (None, SYMBOLS_FILE_NAME):
        data = load_unipen(default_data_path(name) if name else None)
        train = writer_split(data)["train"]
        for c in range(len(data.mapping)):
            members = train[data.labels[train] == c]
            if len(members) == 0:
                continue
            chosen = np.sort(rng.choice(members, min(per_class, len(members)), replace=False))
            x, _ = render_batch(data, chosen, rng=np.random.default_rng(rng.randint(2 ** 31)),
                                augment=True)
            images.append(np.round(x[:, 0] * 255).astype(np.uint8))
            labels.extend([str(data.mapping[c])] * len(chosen))
    images = np.concatenate(images)
    folder = os.path.dirname(os.path.abspath(out))
    tmp = os.path.join(folder, ".tmp-rehearsal-%d.npz" % os.getpid())
    try:
        extra = {}
        if model is not None:
            from .learn.adaptation import trunk_fingerprint
            from .learn.head import head_start

            start = head_start(model)
            x = images[:, None].astype(model.dtype) / model.dtype.type(255)
            features = np.concatenate([model.forward(x[i:i + 256], upto=start)
                                       for i in range(0, len(x), 256)])
            extra = {"features": features.astype(np.float16),
                     "trunk": np.array([trunk_fingerprint(model, start)])}
        np.savez_compressed(tmp, images=images, labels=np.array(labels), **extra)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return len(images), os.path.getsize(out)


def main(argv=None):
    p = ArgumentParser(prog="python -m pycnn.adapt", description=__doc__.split("\n")[0])
    p.add_argument("--model", default="weights/model.npz")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--examples", metavar="FILE.json", help="a personal examples file")
    source.add_argument("--images", metavar="LIST.csv", help="a CSV of path,label rows")
    p.add_argument("--out", help="where the adapted model goes (.npz)")
    p.add_argument("--rehearsal", default=REHEARSAL_PATH, help="the rehearsal set (.npz)")
    p.add_argument("--steps", type=int, default=None, help="Adam steps (default: from the "
                   "number of examples, %d to %d)" % (MIN_STEPS, MAX_STEPS))
    p.add_argument("--train", choices=TRAIN_CHOICES, default="head",
                   help="which layers learn (default: head)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="end with one JSON line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--make-rehearsal", action="store_true",
                   help="remake the rehearsal set (--out, default %s) from the training "
                   "writers" % os.path.relpath(REHEARSAL_PATH))
    args = p.parse_args(argv)
    if args.make_rehearsal:
        out = args.out or REHEARSAL_PATH
        check_output_file(out, "--out")
        count, size = make_rehearsal(out, model=load_usable_model(args.model))
        write_line("%s: %d images, %d bytes" % (printable(out), count, size))
        return EXIT_OK
    if not (args.examples or args.images):
        raise UsageError("give --examples FILE.json or --images LIST.csv")
    if not args.out:
        raise UsageError("give --out, where the adapted model goes")
    if args.steps is not None and not 0 <= args.steps <= 100000:
        raise UsageError("--steps must be from 0 to 100000, not %d" % args.steps)
    check_output_file(args.out, "--out")
    started = time.time()
    model = load_usable_model(args.model)
    examples = read_examples_file(args.examples) if args.examples \
        else read_image_list(args.images)
    try:
        rehearsal = load_rehearsal(args.rehearsal)
        adaptation = Adaptation(model, examples, rehearsal=rehearsal, seed=args.seed,
                                steps=args.steps, train=args.train,
                                rehearsal_features=load_rehearsal_features(args.rehearsal))
    except AdaptError as err:
        raise UsageError(str(err)) from None
    bar = None if args.quiet or args.json else ProgressBar()

    def report(progress):
        if bar:
            loss = "" if progress["loss"] is None else "loss %.4f  " % progress["loss"]
            bar.update(progress["step"], progress["steps_total"], prefix="learning",
                       suffix="%s%.0fs left" % (loss, progress["seconds_left"]),
                       final=progress["done"])

    adapted = adaptation.run(report)
    save_model(adapted, args.out)
    summary = {"examples": len(adaptation.examples), "classes": len(adapted.labels),
               "classes_added": adaptation.classes_added,
               "seconds": round(time.time() - started, 2)}
    if adaptation.held_back:
        write_line("held back (fewer than %d examples): %s"
                   % (MIN_NEW_CLASS_EXAMPLES, " ".join(adaptation.held_back)))
    write_line("%s: %d classes (%d added: %s), learnt from %d examples in %.1f s"
               % (printable(args.out), summary["classes"], summary["classes_added"],
                  " ".join(adaptation.labels_added) or "none", summary["examples"],
                  summary["seconds"]))
    if args.json:
        write_line(json.dumps(summary, allow_nan=False))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(run_cli(main))
