"""Read the exact canvas pixels the page sent to Pyodide and recognise them in CPython.

    python tests/e2e/cpython_check.py RUN_DIR [--model weights/model.npz]

RUN_DIR/index.json lists the page's recognitions: {"items": [{"file", "width", "height",
"label", "page_top"}, ...]}, each file holding width*height*4 RGBA bytes. Prints JSON:
{"cpython_top": [...], "page_correct_merged": [...], "cpython_correct_merged": [...]},
where "correct" compares with the sample's true label under the 47-class merge.
"""

import argparse
import json
import os
import sys

from pycnn.metrics import merge_label
from pycnn.recognizer import Recognizer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--model", default=os.path.join("weights", "model.npz"))
    args = parser.parse_args(argv)
    with open(os.path.join(args.run_dir, "index.json"), encoding="utf-8") as f:
        items = json.load(f)["items"]
    recognizer = Recognizer(args.model)
    cpython_top, page_correct, cpython_correct = [], [], []
    for item in items:
        with open(os.path.join(args.run_dir, item["file"]), "rb") as f:
            pixels = f.read()
        result = recognizer.recognise_rgba(pixels, item["width"], item["height"])
        top = None if result["empty"] else result["top5"][0][0]
        truth = merge_label(item["label"])
        cpython_top.append(top)
        cpython_correct.append(top is not None and merge_label(top) == truth)
        page = item["page_top"]
        page_correct.append(bool(page) and merge_label(page) == truth)
    json.dump({"cpython_top": cpython_top, "page_correct_merged": page_correct,
               "cpython_correct_merged": cpython_correct}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
