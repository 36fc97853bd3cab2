"""python -m pycnn.derive_lookalikes: make pycnn/read/lookalikes.json from the validation writers.

Reads every validation sample of the stroke file (the writer split's "val" part, never the
test split) with the model, builds the confusion matrix and keeps as look-alikes the pairs
that `pycnn.read.lookalikes` defines, then chooses the runner-up's least share for "0 or O". The
table is checked in: it is data the page ships, and a reviewer can read each group's
evidence in its "pairs".

Last, it chooses when the page says "I'm not sure", on the same drawings: what is shown
("0 or O", or one answer) and its summed probability (`lookalikes.shown_answer`), and the
largest threshold under which what is shown is right at most half the time
(`lookalikes.choose_unsure_below`). That threshold belongs to the model, so it is written
into the model's metadata (`unsure`), in place unless --model-out says otherwise; run this
after `pycnn.calibrate`, whose probabilities it judges.

Exit status (pycnn.cli): 0 on success, 2 for a bad option, model, stroke file or --out,
130 when interrupted.
"""

import json
import os
import sys

from .cli import (
    ArgumentParser,
    ProgressBar,
    add_data_option,
    check_output_file,
    data_for_model,
    load_usable_model,
    run_cli,
)
from .data.unipen import load_stroke_files, writer_split
from .evaluate import model_targets, predict_strokes
from .measure.metrics import confusion_matrix
from .nn import save_model
from .nn.serialize import printable
from .read.lookalikes import (
    MAX_LEADER_ACCURACY,
    TABLE_PATH,
    THRESHOLD,
    choose_min_share,
    choose_unsure_below,
    shown_answer,
    table_from_confusion,
)


def parse_args(argv):
    p = ArgumentParser(prog="python -m pycnn.derive_lookalikes",
                       description=__doc__.split("\n")[0])
    p.add_argument("--model", default="weights/model.npz")
    add_data_option(p)
    p.add_argument("--out", default=TABLE_PATH, help="the look-alike table to write")
    p.add_argument("--model-out", default=None,
                   help="where the model with its \"I'm not sure\" threshold goes "
                        "(default: --model, in place)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    check_output_file(args.out, "--out")
    model_out = args.model if args.model_out is None else args.model_out
    check_output_file(model_out, "--model-out")
    model = load_usable_model(args.model)
    data = load_stroke_files(data_for_model(args.data, model.labels))
    val = writer_split(data)["val"]
    targets = model_targets(model, data, val)
    probabilities = predict_strokes(model, data, val, None if args.quiet else ProgressBar())
    confusion = confusion_matrix(targets, probabilities.argmax(axis=1), len(model.labels))
    table = {
        "about": "Look-alike groups: see pycnn/read/lookalikes.py. Made by python -m "
                 "pycnn.derive_lookalikes from the validation writers.",
        "model": os.path.basename(args.model),
        "data": os.path.basename(data.path),
        "split": "val",
        "samples": int(len(val)),
    }
    table.update(table_from_confusion(confusion, model.labels, THRESHOLD))
    order = (-probabilities).argsort(axis=1, kind="stable")[:, :5]
    tops = [[[model.labels[k], float(row[k])] for k in ks] for row, ks in zip(probabilities, order)]
    truths = [model.labels[t] for t in targets]
    share, tried = choose_min_share(tops, truths, table["groups"])
    table["min_share"] = share
    table["min_share_trials"] = [
        {"min_share": s, "shown": round(shown, 4),
         "leader_right_when_shown": None if acc is None else round(acc, 4)}
        for s, shown, acc in tried]
    answers = [shown_answer(top, table["groups"], share) for top in tops]
    unsure_below, unsure_tried = choose_unsure_below(
        [confidence for _, confidence in answers],
        [truth in labels for (labels, _), truth in zip(answers, truths)])
    table["unsure_below"] = unsure_below
    model.metadata["unsure"] = {
        "below": unsure_below,
        "chosen_on": "validation writers: the largest summed probability of what is shown "
                     "(look-alikes together) under which it is right at most half the time",
        "trials": [[c, round(below, 4), None if acc is None else round(acc, 4)]
                   for c, below, acc in unsure_tried],
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(table, handle, indent=1)
        handle.write("\n")
    os.replace(tmp, args.out)
    print("%d validation samples, %d look-alike groups (pairs read as each other >= %d%%):"
          % (len(val), len(table["groups"]), round(100 * THRESHOLD)))
    for group in table["groups"]:
        print("  " + " ".join(group))
    print("'X or Y' is shown when the runner-up has at least the share below; chosen as the "
          "smallest whose leader is right at most %.0f%% of the time it is shown:"
          % (100 * MAX_LEADER_ACCURACY))
    for s, shown, acc in tried:
        print("  share %.2f: shown for %5.1f%% of drawings, leader right %s%s" % (
            s, 100 * shown, "-" if acc is None else "%.1f%%" % (100 * acc),
            "  <- chosen" if s == share else ""))
    print("\"I'm not sure\" below a summed probability of %.2f; what is shown below each:"
          % unsure_below)
    for c, below, accuracy in unsure_tried:
        print("  < %.2f: %5.1f%% of drawings, right %s%s" % (
            c, 100 * below, "-" if accuracy is None else "%.1f%%" % (100 * accuracy),
            "  <- chosen" if c == unsure_below else ""))
    save_model(model, model_out)
    print("wrote %s and %s" % (printable(args.out), printable(model_out)))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
