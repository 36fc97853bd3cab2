"""Read the exact canvas pixels the page sent to Pyodide and recognise them in CPython.

    python tests/e2e/cpython_check.py RUN_DIR [--model weights/model.npz]

RUN_DIR/index.json lists the page's recognitions: {"items": [{"file", "width", "height",
"label", "set", "page_answer"}, ...]}, each file holding width*height*4 RGBA bytes and "set"
the character set the page read it within ("all" when missing). Each is read here within the
same set, by the same `Recognizer` the page's worker uses. Prints JSON:

    {"cpython_answer": [...], "page_correct": [...], "cpython_correct": [...]}

where an answer is what the page shows: the top label, or its leading look-alikes joined by
" or " ("0 or O", only in set "all"), null for an empty pad; "correct" means the top label is
the sample's true label (within a section's own set, the UNIPEN 1a/1b/1c task).
"""

import argparse
import json
import os
import sys

from pycnn.read.recognizer import Recognizer


def shown_answer(result):
    """The text the page shows for one recognition."""
    if result["empty"]:
        return None
    if result["lookalikes"]:
        return " or ".join(result["lookalikes"]["labels"])
    return result["top5"][0][0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--model", default=os.path.join("weights", "model.npz"))
    args = parser.parse_args(argv)
    with open(os.path.join(args.run_dir, "index.json"), encoding="utf-8") as f:
        items = json.load(f)["items"]
    recognizer = Recognizer(args.model)
    answers, page_correct, cpython_correct = [], [], []
    for item in items:
        with open(os.path.join(args.run_dir, item["file"]), "rb") as f:
            pixels = f.read()
        result = recognizer.recognise_rgba(pixels, item["width"], item["height"],
                                           charset=item.get("set", "all"))
        answers.append(shown_answer(result))
        cpython_correct.append(not result["empty"] and result["top5"][0][0] == item["label"])
        page_top = (item["page_answer"] or "").split(" or ")[0]
        page_correct.append(page_top == item["label"])
    json.dump({"cpython_answer": answers, "page_correct": page_correct,
               "cpython_correct": cpython_correct}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
