"""How models read by default ("All") and within sets, on canvas drawings and on photos of ink.

    python bench/default_reading.py --models bench/models/model62.npz weights/model.npz \
        [--split test] [--paper-per-section 1000] [--json FILE]

For each model, on one split's writers (test by default; choose on val):
- canvas: every character of the split drawn as the page draws a mouse drag (a 280 px pad,
  the default brush, `pycnn.data.dataset.render_batch`) and read like the page reads its
  canvas; the page and CPython agree on these (tests/e2e/drawings.spec.js);
- paper: the same characters (the first --paper-per-section of each of 1a-1c, chosen with a
  fixed seed) as photos of ink on paper (`bench/paper_standin.py`, a degradation training
  never uses in this form) read through `pycnn.read.preprocess.preprocess`, as
  `pycnn.predict` reads a photo.

Reported, in percent:
- All, 1a-1c: the page's default reading (argmax over every class the model has) of digits,
  capitals and small letters: exact, and case merged (a letter read in the other case
  counts as right: 'o' for 'O');
- All, per section, and symbols (1d) read in All;
- within set: each section read within its own set (what "Read as" gives);
- paper, 1a-1c, case merged.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from paper_standin import photo_of  # noqa: E402

from pycnn.cli import ProgressBar  # noqa: E402
from pycnn.data.dataset import render_batch  # noqa: E402
from pycnn.data.unipen import default_data_path, load_stroke_files, writer_split  # noqa: E402
from pycnn.measure.metrics import within_set_predictions  # noqa: E402
from pycnn.nn import load_model  # noqa: E402
from pycnn.read.preprocess import EmptyImageError, preprocess  # noqa: E402

CANVAS_PAD = 280
ALNUM = ("1a", "1b", "1c")


def model_scores(model, images, data_labels):
    """(N, K) probabilities, and the data's label of each sample as a class index of the model
    (-1 where the model lacks it)."""
    probabilities = model.predict_proba(images)
    index = {str(label): i for i, label in enumerate(model.labels)}
    return probabilities, np.array([index.get(label, -1) for label in data_labels])


def reading_report(model, probabilities, truth, labels, sections):
    """The figures above for one model on one set of images."""
    predicted = np.asarray(model.labels)[probabilities.argmax(axis=1)]
    exact = predicted == labels
    caseless = np.char.lower(predicted.astype(str)) == np.char.lower(labels.astype(str))
    report = {}
    alnum = np.isin(sections, ALNUM)
    if alnum.any():
        report["all_alnum_exact"] = 100 * float(exact[alnum].mean())
        report["all_alnum_case_merged"] = 100 * float(caseless[alnum].mean())
    for section in sorted(set(sections.tolist())):
        rows = sections == section
        report["all_" + section] = 100 * float(exact[rows].mean())
        report["all_%s_case_merged" % section] = 100 * float(caseless[rows].mean())
    within = within_set_predictions(probabilities, model.labels, sections)
    for section in sorted(set(sections.tolist())):
        rows = (sections == section) & (within >= 0)
        if rows.any():
            report["within_" + section] = 100 * float((within[rows] == truth[rows]).mean())
    return report


def paper_images(data, indices, progress=None, without=()):
    """(N, 1, 28, 28) network inputs from photos of the samples (`paper_standin.photo_of`,
    leaving out the parts named in `without`), read through `preprocess`."""
    images = np.zeros((len(indices), 1, 28, 28), np.float32)
    for k, i in enumerate(indices):
        try:
            images[k, 0] = preprocess(photo_of(data.strokes(int(i)), int(i), without))
        except EmptyImageError:
            pass
        if progress and (k % 50 == 0 or k == len(indices) - 1):
            progress.update(k + 1, len(indices), prefix="paper photos")
    return images


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--split", default="test", choices=("val", "test"))
    parser.add_argument("--paper-per-section", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the figures here")
    parser.add_argument("--cache", default=None, metavar="DIR",
                        help="keep the rendered canvas images and photos here, and reuse them "
                             "when the split, seed and count match (another model, same inputs)")
    args = parser.parse_args(argv)

    data = load_stroke_files([default_data_path(), default_data_path("unipen_symbols_strokes.npz")])
    chosen = writer_split(data)[args.split]
    labels = np.array([data.label_char(int(i)) for i in chosen])
    sections = data.section[chosen]
    print("%s split: %d characters (%s)" % (args.split, len(chosen), ", ".join(
        "%s %d" % (s, int((sections == s).sum())) for s in sorted(set(sections.tolist())))))
    rng = np.random.RandomState(args.seed)
    paper_rows = np.concatenate([
        np.sort(rng.choice(np.flatnonzero(sections == s),
                           min(args.paper_per_section, int((sections == s).sum())),
                           replace=False))
        for s in ALNUM])
    cached = args.cache and os.path.join(args.cache, "reading-%s-%d-%d.npz" % (
        args.split, args.seed, args.paper_per_section))
    if cached and os.path.exists(cached):
        with np.load(cached, allow_pickle=False) as saved:
            canvas, photos = saved["canvas"], saved["photos"]
    else:
        canvas, _ = render_batch(data, chosen, pad_size=CANVAS_PAD)
        photos = paper_images(data, chosen[paper_rows], ProgressBar())
        if cached:
            os.makedirs(args.cache, exist_ok=True)
            np.savez(cached, canvas=canvas, photos=photos)

    results = {"split": args.split, "n": int(len(chosen)), "paper_n": int(len(paper_rows)),
               "models": {}}
    for path in args.models:
        model = load_model(path)
        probabilities, truth = model_scores(model, canvas, labels)
        known = truth >= 0
        report = reading_report(model, probabilities[known], truth[known], labels[known],
                                sections[known])
        paper_p, paper_truth = model_scores(model, photos, labels[paper_rows])
        paper = reading_report(model, paper_p, paper_truth, labels[paper_rows],
                               sections[paper_rows])
        report["paper_alnum_case_merged"] = paper["all_alnum_case_merged"]
        report["paper_alnum_exact"] = paper["all_alnum_exact"]
        results["models"][path] = report

    keys = ["all_alnum_case_merged", "all_alnum_exact", "all_1a", "all_1b_case_merged",
            "all_1c_case_merged", "all_1d", "within_1a", "within_1b", "within_1c", "within_1d",
            "paper_alnum_case_merged", "paper_alnum_exact"]
    print("\n%-28s" % "figure (%)" + "".join("%16s" % os.path.basename(p)[:15]
                                            for p in args.models))
    for key in keys:
        row = [results["models"][p].get(key) for p in args.models]
        print("%-28s" % key + "".join("%16s" % ("-" if v is None else "%.2f" % v) for v in row))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
