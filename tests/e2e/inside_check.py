"""CPython's side of the Look inside e2e test: the served model's architecture, and its
activations for the exact canvas pixels the page sent.

    python tests/e2e/inside_check.py layers --model MODEL
        -> {"input_shape": [...], "layers": Sequential.layer_table()}
    python tests/e2e/inside_check.py compare RUN_DIR --model MODEL
        RUN_DIR/index.json: {"items": [{"pixels", "width", "height", "index", "activations"}]},
        "pixels" a file of width*height*4 RGBA bytes, "activations" a file of the page's
        float32 output of trace entry "index". Prints, per item, the shapes and the largest
        difference: {"items": [{"shape", "page_shape", "max_abs_diff", "max_abs"}, ...]}.
"""

import argparse
import json
import os
import sys

import numpy as np

from pycnn.nn.serialize import load_model
from pycnn.read.recognizer import Recognizer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["layers", "compare"])
    parser.add_argument("run_dir", nargs="?")
    parser.add_argument("--model", default=os.path.join("weights", "model.npz"))
    args = parser.parse_args(argv)
    if args.command == "layers":
        model = load_model(args.model)
        json.dump({"input_shape": list(model.input_shape), "layers": model.layer_table()},
                  sys.stdout)
        return 0
    with open(os.path.join(args.run_dir, "index.json"), encoding="utf-8") as f:
        items = json.load(f)["items"]
    recognizer = Recognizer(args.model)
    out = []
    for item in items:
        with open(os.path.join(args.run_dir, item["pixels"]), "rb") as f:
            pixels = f.read()
        with open(os.path.join(args.run_dir, item["activations"]), "rb") as f:
            page = np.frombuffer(f.read(), dtype="<f4")
        recognizer.recognise_rgba(pixels, item["width"], item["height"], trace=True)
        mine = recognizer.last_trace[item["index"]][1][0]
        same_size = page.size == mine.size
        diff = float(np.abs(page - mine.reshape(-1)).max()) if same_size else None
        out.append({"shape": list(mine.shape), "page_size": int(page.size),
                    "max_abs_diff": diff, "max_abs": float(np.abs(mine).max())})
    json.dump({"items": out}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
