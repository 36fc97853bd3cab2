"""Learning from photos of ink on paper: K photos per class taught, the other photos read.

    OPENBLAS_NUM_THREADS=1 nice .venv/bin/python bench/adapt_paper.py [--model weights/model.npz]
        [--split val | test] [--k 3] [--per-class 30] [--seed 0] [options of Adaptation]

There are no photographed UNIPEN characters, so bench/paper_standin.py makes them: each
digit, capital and small letter of the --split writers (at most --per-class of each class,
seeded) becomes a photo of ink on paper, read through `pycnn.read.preprocess.preprocess` as
`pycnn.predict` and `python -m pycnn.adapt --images` read a photo. The split's writers are
shuffled (seeded) and halved: K photos per class from the first half are taught as
image examples (no strokes, so no augmented copies), exactly as `--images` does; the second
half's photos are read before and after over all the model's classes (the page's default
reading, "All") with a letter in either case counting as right (case merged). Reported: the
share of those errors removed; forgetting: the second half's canvas drawings (not photos),
top-1 over all classes per section, before and after.

Floor: >= 25% of the case-merged errors removed on the photos at K = 3.

--diagnose also prints why so little is removed: the second half's photos against the same
characters drawn on the canvas (case merged), how many photo errors are canvas errors too
(no photo-specific cure removes those), and, on the frozen trunk with nothing fine-tuned,
the K photos per class as class means of the normalised penultimate features: alone
(nearest class mean), and imprinted on the logits, z_k + g cos(h, p_k), for a few gains g.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from adapt_common import command_line, head_logits, scores, trunk_features  # noqa: E402
from paper_standin import photo_of  # noqa: E402

from pycnn.data.unipen import load_unipen, writer_split  # noqa: E402
from pycnn.learn.adaptation import Adaptation  # noqa: E402
from pycnn.learn.examples import Example  # noqa: E402
from pycnn.learn.head import head_start, last_dense, prototype  # noqa: E402
from pycnn.learn.rehearsal import load_rehearsal  # noqa: E402
from pycnn.nn import load_model  # noqa: E402
from pycnn.read.preprocess import EmptyImageError, preprocess  # noqa: E402


def strokes_of(data, i):
    xy, connects, _ = data.gather_points([i])
    ends = np.flatnonzero(~connects) + 1
    return [s for s in np.split(xy, ends[:-1]) if len(s)]


def caseless_right(model, logits, labels):
    read = np.char.lower(np.array(model.labels)[logits.argmax(axis=1)].astype(str))
    return read == np.char.lower(np.asarray(labels).astype(str))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="weights/model.npz")
    p.add_argument("--split", default="test", choices=("val", "test"))
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--per-class", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--old-prototypes", choices=("all", "misread", "none"), default=None)
    p.add_argument("--cache", help="an .npz keeping the photos between runs (made if absent)")
    p.add_argument("--rehearsal-used", type=int, default=None)
    p.add_argument("--diagnose", action="store_true",
                   help="also: photo against canvas errors, class means and imprinting")
    args = p.parse_args()
    options = {"steps": args.steps}
    if args.lr is not None:
        options["learning_rate"] = args.lr
    if args.old_prototypes:
        options["old_prototypes"] = {"all": True, "none": False}.get(args.old_prototypes,
                                                                     args.old_prototypes)
    if args.rehearsal_used is not None:
        options["rehearsal_used"] = args.rehearsal_used

    model = load_model(args.model)
    data = load_unipen()
    split = writer_split(data)[args.split]
    split = split[np.isin(data.mapping[data.labels[split]], model.labels)]
    rng = np.random.RandomState(args.seed)
    chosen = np.concatenate([rng.permutation(split[data.labels[split] == c])[:args.per_class]
                             for c in np.unique(data.labels[split])])
    writers = sorted(set(data.writers[chosen].tolist()))
    rng.shuffle(writers)
    teaching = np.isin(data.writers[chosen], writers[:len(writers) // 2])
    started = time.time()
    images, kept = [], []
    if args.cache and os.path.exists(args.cache):
        cached = np.load(args.cache)
        images, kept = list(cached["images"]), [int(i) for i in cached["kept"]]
    else:
        for i in chosen:
            try:
                images.append(preprocess(photo_of(strokes_of(data, int(i)), seed=int(i))))
                kept.append(int(i))
            except EmptyImageError:
                pass  # a photo with no ink left: skipped
        if args.cache:
            np.savez(args.cache, images=np.stack(images), kept=np.array(kept))
    keep = np.isin(chosen, kept)
    chosen, teaching = chosen[keep], teaching[keep]
    x = np.stack(images)[:, None].astype(model.dtype)
    labels = np.array([data.label_char(int(i)) for i in chosen])
    print("%d photos of %s-split characters made and preprocessed in %.0f s"
          % (len(chosen), args.split, time.time() - started))
    features = model.forward(x, upto=head_start(model))
    read = ~teaching
    examples = []
    for c in sorted(set(labels[teaching].tolist())):
        rows = np.flatnonzero(teaching & (labels == c))
        pick = np.random.RandomState([args.seed, ord(c)]).permutation(rows)[:args.k]
        examples.extend(Example(c, image=np.asarray(x[r, 0], np.float32)) for r in pick)
    canvas = chosen[read]
    canvas_features = trunk_features(model, data, canvas)
    before = caseless_right(model, head_logits(model, features[read]), labels[read])
    before_canvas = scores(model, canvas_features, data, canvas)
    begin = time.time()
    adapted = Adaptation(model, examples, rehearsal=load_rehearsal(), seed=args.seed,
                         **options).run()
    seconds = time.time() - begin
    after = caseless_right(adapted, head_logits(adapted, features[read]), labels[read])
    after_canvas = scores(adapted, canvas_features, data, canvas)
    cut = 100 * (after.mean() - before.mean()) / max(1 - before.mean(), 1e-9)
    print("%d photos taught (K=%d), %d other writers' photos read: case merged %.2f%% -> "
          "%.2f%%, errors removed %+.1f%%; %.1f s" % (
              len(examples), args.k, int(read.sum()), 100 * before.mean(), 100 * after.mean(),
              cut, seconds))
    print("the same writers' canvas drawings, top-1 over all classes: digits %.2f -> %.2f, "
          "capitals %.2f -> %.2f, small letters %.2f -> %.2f" % tuple(
              v for s in ("1a", "1b", "1c") for v in (before_canvas[s], after_canvas[s])))
    if args.diagnose:
        diagnose(model, features[read], canvas_features, labels[read], examples)
    print("command: " + command_line())


def diagnose(model, photo_features, canvas_features, labels, examples):
    """The photo stand-in's errors against the canvas's, and class means on the frozen trunk."""
    photo_right = caseless_right(model, head_logits(model, photo_features), labels)
    canvas_right = caseless_right(model, head_logits(model, canvas_features), labels)
    errors = int((~photo_right).sum())
    print("diagnosis: the same characters read case merged: photos %.2f%%, canvas %.2f%%; "
          "%d photo errors, %d of them canvas errors too (%.0f%%): a cure for photos alone "
          "removes at most %.0f%% of the errors" % (
              100 * photo_right.mean(), 100 * canvas_right.mean(), errors,
              int((~photo_right & ~canvas_right).sum()),
              100 * (~photo_right & ~canvas_right).sum() / max(errors, 1),
              100 * (~photo_right & canvas_right).sum() / max(errors, 1)))
    out = last_dense(model)

    def penultimate(x):
        for layer in model.layers[head_start(model):out]:
            x = layer.forward(x, training=False)
        x = x.astype(np.float64)
        return x / np.maximum(np.sqrt((x ** 2).sum(axis=1, keepdims=True)), 1e-12)

    taught = np.stack([e.image for e in examples])[:, None].astype(model.dtype)
    h_taught = penultimate(model.forward(taught, upto=head_start(model)))
    which = np.array([model.labels.index(e.label) for e in examples])
    means = np.zeros((len(model.labels), h_taught.shape[1]))
    for k in set(which.tolist()):
        means[k] = prototype(h_taught[which == k])
    has = means.any(axis=1)
    cos = penultimate(photo_features) @ means.T
    logits = head_logits(model, photo_features).astype(np.float64)
    base = photo_right.mean()

    def removed(z):
        return 100 * (caseless_right(model, z, labels).mean() - base) / max(1 - base, 1e-9)

    print("diagnosis: the taught photos' class means alone (nearest mean): %+.1f%% of the "
          "errors removed" % removed(np.where(has, cos, -9.0)))
    print("diagnosis: imprinted, z + g cos(h, p_k): " + ", ".join(
        "g %g %+.1f%%" % (g, removed(logits + g * np.where(has, cos, 0.0)))
        for g in (1, 2, 4, 8, 16)))


if __name__ == "__main__":
    main()
