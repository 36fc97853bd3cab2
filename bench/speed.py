"""Speed of pycnn against PyTorch on the CPU, same architecture, same thread count, one run.

Usage: .venv/bin/python bench/speed.py [--repeats 5] [--seconds 0.6] [--model weights/model.npz]
       (or `make bench`)

Measures, interleaving pycnn and PyTorch and repeating every measurement (medians reported):
- training throughput, images/s, of forward + backward + Adam update at batch 64 and 256;
- single-image inference latency (predict_proba on one 28x28 image), median ms;
- the float32 matmul peak of this machine (2048 x 2048 np.matmul, best of several), and the
  GFLOP/s pycnn reaches in training at batch 64 (conv + dense FLOPs: 2 per multiply-add
  forward, training counted as 3x forward).
The architecture is read from the shipped model file when it exists, else a stand-in of the
default model's size. The last line printed is one JSON object with every figure.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from pycnn.nn import (  # noqa: E402
    Adam,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ModelFileError,
    ReLU,
    Sequential,
    Softmax,
    SoftmaxCrossEntropy,
)
from pycnn.nn.serialize import read_archive  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = os.path.join(ROOT, "weights", "model.npz")
STAND_IN_INPUT = (1, 28, 28)


def stand_in_layers():
    return [Conv2D(32, 3, padding="same"), ReLU(), MaxPool2D(2),
            Conv2D(64, 3, padding="same"), ReLU(), MaxPool2D(2),
            Flatten(), Dense(128), ReLU(), Dropout(0.3), Dense(62), Softmax()]


def build_model(path):
    """(fresh pycnn model, where its architecture came from). Weights are freshly
    initialised either way: speed does not depend on their values."""
    if os.path.exists(path):
        try:
            meta, _ = read_archive(path)
            model = Sequential.from_config(meta["architecture"], seed=0)
            model.build(meta["input_shape"])
            return model, os.path.relpath(path, ROOT)
        except (ModelFileError, KeyError, TypeError, ValueError) as err:
            print("note: %s unusable (%s); using the stand-in architecture" % (path, err))
    return Sequential(stand_in_layers(), input_shape=STAND_IN_INPUT, seed=0), \
        "stand-in (no weights/model.npz yet)"


def blas_threads():
    """Threads NumPy's BLAS uses: threadpoolctl knows; otherwise OpenBLAS's own rule."""
    try:
        from threadpoolctl import threadpool_info
        counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
        if counts:
            return max(counts), "threadpoolctl"
    except ImportError:
        pass
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), var
    return os.cpu_count() or 1, "os.cpu_count()"


# --- PyTorch twin -----------------------------------------------------------------------

def torch_twin(model, torch):
    """The same layers in torch.nn, with pycnn's weights copied in."""
    nn = torch.nn
    modules = []
    shape = model.input_shape
    for layer in model.layers:
        if isinstance(layer, Conv2D):
            conv = nn.Conv2d(shape[0], layer.filters, layer.kernel_size, stride=layer.stride)
            pads = (layer.pad_w[0], layer.pad_w[1], layer.pad_h[0], layer.pad_h[1])
            if pads[0] == pads[1] == pads[2] == pads[3]:
                conv.padding = (pads[0], pads[0])
            elif any(pads):
                modules.append(nn.ZeroPad2d(pads))
            conv.weight.data = torch.from_numpy(layer.params["weight"].copy())
            conv.bias.data = torch.from_numpy(layer.params["bias"].copy())
            modules.append(conv)
        elif isinstance(layer, Dense):
            linear = nn.Linear(shape[0], layer.units)
            linear.weight.data = torch.from_numpy(layer.params["weight"].T.copy())
            linear.bias.data = torch.from_numpy(layer.params["bias"].copy())
            modules.append(linear)
        elif isinstance(layer, ReLU):
            modules.append(nn.ReLU())
        elif isinstance(layer, MaxPool2D):
            modules.append(nn.MaxPool2d(layer.pool_size, layer.stride))
        elif isinstance(layer, Dropout):
            modules.append(nn.Dropout(layer.rate))
        elif isinstance(layer, Flatten):
            modules.append(nn.Flatten())
        elif isinstance(layer, Softmax):
            pass  # both sides train on logits with a fused softmax cross-entropy
        else:
            raise ValueError("no torch equivalent for %s" % layer.name)
        shape = layer.output_shape
    return nn.Sequential(*modules)


def training_flops_per_image(model):
    """Conv and dense FLOPs for one image: forward 2 per multiply-add, training 3x that."""
    macs = 0
    shape = model.input_shape
    for layer in model.layers:
        if isinstance(layer, Conv2D):
            f, out_h, out_w = layer.output_shape
            macs += f * out_h * out_w * shape[0] * layer.kernel_size[0] * layer.kernel_size[1]
        elif isinstance(layer, Dense):
            macs += shape[0] * layer.units
        shape = layer.output_shape
    return 3 * 2 * macs


# --- timing -----------------------------------------------------------------------------

def rate(step, items, seconds, warmup=1):
    """Items per second of step(), run until at least `seconds` have passed."""
    for _ in range(warmup):
        step()
    count, start = 0, time.perf_counter()
    while True:
        step()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and count >= 3:
            return count * items / elapsed


def latency_ms(call, seconds, warmup=5):
    """Median milliseconds of call() over as many runs as fit in `seconds`."""
    for _ in range(warmup):
        call()
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 20:
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def matmul_peak_gflops(n=2048, tries=5):
    a = np.random.RandomState(0).standard_normal((n, n)).astype(np.float32)
    b = np.random.RandomState(1).standard_normal((n, n)).astype(np.float32)
    np.matmul(a, b)
    best = float("inf")
    for _ in range(tries):
        t0 = time.perf_counter()
        np.matmul(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--seconds", type=float, default=0.6, help="per measurement")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model file to take the "
                        "architecture from (default: weights/model.npz, if present)")
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        sys.exit("bench/speed.py compares against PyTorch, which is not installed: "
                 "run `make bench`, or .venv/bin/pip install torch==2.13.0")

    threads, threads_from = blas_threads()
    torch.set_num_threads(threads)
    model, source = build_model(args.model)
    twin = torch_twin(model, torch)
    x_check = np.random.RandomState(0).uniform(0, 1, (4,) + model.input_shape).astype(np.float32)
    with torch.no_grad():
        twin.eval()
        twin_p = torch.softmax(twin(torch.from_numpy(x_check)), dim=1).numpy()
    agreement = float(np.abs(model.predict_proba(x_check) - twin_p).max())
    if agreement > 1e-4:
        sys.exit("the torch twin disagrees with pycnn (max |dp| = %.2e): not the same network"
                 % agreement)

    n_classes = model.output_shape[0]
    data_rng = np.random.RandomState(1)
    batches = {}
    for b in (64, 256):
        x = data_rng.uniform(0, 1, (b,) + model.input_shape).astype(np.float32)
        y = data_rng.randint(0, n_classes, b)
        batches[b] = (x, y, torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64)))
    one, one_t = x_check[:1].copy(), torch.from_numpy(x_check[:1].copy())

    optimizer, loss_fn = Adam(1e-3), SoftmaxCrossEntropy()
    twin_optimizer = torch.optim.Adam(twin.parameters(), lr=1e-3)

    def pycnn_train(b):
        x, y = batches[b][:2]
        return lambda: model.train_step(x, y, optimizer, loss_fn)

    def torch_train(b):
        x, y = batches[b][2:]

        def step():
            twin_optimizer.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(twin(x), y).backward()
            twin_optimizer.step()
        return step

    def torch_infer():
        with torch.inference_mode():
            return torch.softmax(twin(one_t), dim=1)

    results = {key: [] for key in ("train_b64", "torch_train_b64", "train_b256",
                                   "torch_train_b256", "infer", "torch_infer", "peak")}
    started = time.perf_counter()
    for r in range(args.repeats):
        # Interleaved, alternating who goes first, so drift and neighbours' load hit both.
        pairs = [("train_b64", pycnn_train(64), "torch_train_b64", torch_train(64), 64),
                 ("train_b256", pycnn_train(256), "torch_train_b256", torch_train(256), 256)]
        for ours_key, ours, theirs_key, theirs, b in pairs:
            order = [(ours_key, ours), (theirs_key, theirs)]
            twin.train()
            for key, step in order if r % 2 == 0 else order[::-1]:
                results[key].append(rate(step, b, args.seconds))
        twin.eval()
        infer = [("infer", lambda: model.predict_proba(one)), ("torch_infer", torch_infer)]
        for key, call in infer if r % 2 == 0 else infer[::-1]:
            results[key].append(latency_ms(call, args.seconds / 2))
        results["peak"].append(matmul_peak_gflops(tries=3))
        print("round %d/%d done (%.0f s)" % (r + 1, args.repeats, time.perf_counter() - started),
              file=sys.stderr, flush=True)

    med = {key: statistics.median(values) for key, values in results.items()}
    peak = max(results["peak"])
    flops = training_flops_per_image(model)
    figures = {
        "train_img_per_s_b64": round(med["train_b64"], 1),
        "torch_train_img_per_s_b64": round(med["torch_train_b64"], 1),
        "ratio_train_b64": round(med["train_b64"] / med["torch_train_b64"], 3),
        "train_img_per_s_b256": round(med["train_b256"], 1),
        "torch_train_img_per_s_b256": round(med["torch_train_b256"], 1),
        "ratio_train_b256": round(med["train_b256"] / med["torch_train_b256"], 3),
        "infer_ms_b1": round(med["infer"], 3),
        "torch_infer_ms_b1": round(med["torch_infer"], 3),
        "ratio_infer_b1": round(med["infer"] / med["torch_infer"], 3),
        "matmul_peak_gflops": round(peak, 1),
        "train_gflops_b64": round(med["train_b64"] * flops / 1e9, 2),
        "torch_train_gflops_b64": round(med["torch_train_b64"] * flops / 1e9, 2),
        "train_mflop_per_image": round(flops / 1e6, 2),
        "threads": threads,
        "repeats": args.repeats,
    }

    env = ["%s=%s" % (var, os.environ[var]) for var in
           ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")
           if var in os.environ]
    command = " ".join(env + [os.path.relpath(sys.executable, ROOT)
                        if sys.executable.startswith(ROOT) else sys.executable]
                       + [os.path.relpath(os.path.abspath(__file__), ROOT)] + sys.argv[1:])
    spread = {key: (min(v), max(v)) for key, v in results.items()}
    rows = [
        ("training b64 (img/s)", "train_b64", "torch_train_b64", "%.0f"),
        ("training b256 (img/s)", "train_b256", "torch_train_b256", "%.0f"),
        ("inference b1 (ms)", "infer", "torch_infer", "%.2f"),
    ]
    print()
    print("pycnn vs PyTorch %s, CPU, %d thread(s) each (%s); numpy %s"
          % (torch.__version__, threads, threads_from, np.__version__))
    print("architecture: %s, input %s, %s params, %.1f MFLOP/image to train"
          % (source, model.input_shape, "{:,}".format(model.parameter_count()), flops / 1e6))
    print("machine: %s, %s; OPENBLAS_CORETYPE=%s" % (platform.machine(), platform.processor()
                                                    or platform.platform(),
                                                    os.environ.get("OPENBLAS_CORETYPE", "(unset)")))
    print("median of %d interleaved rounds, [min..max] in brackets; load average %s "
          "(other work on the machine slows both sides)"
          % (args.repeats, " ".join("%.1f" % v for v in os.getloadavg())))
    print("-" * 78)
    print("%-24s %22s %22s %7s" % ("", "pycnn", "PyTorch", "ratio"))
    for label, ours, theirs, fmt in rows:
        cell = fmt + " [" + fmt + ".." + fmt + "]"
        print("%-24s %22s %22s %6.2fx" % (label, cell % ((med[ours],) + spread[ours]),
                                          cell % ((med[theirs],) + spread[theirs]),
                                          med[ours] / med[theirs]))
    print("-" * 78)
    print("float32 matmul peak (2048^2): %.1f GFLOP/s" % peak)
    print("training GFLOP/s at b64: pycnn %.2f (%.0f%% of peak), PyTorch %.2f (%.0f%%)"
          % (figures["train_gflops_b64"], 100 * figures["train_gflops_b64"] / peak,
             figures["torch_train_gflops_b64"], 100 * figures["torch_train_gflops_b64"] / peak))
    print("ratio = pycnn / PyTorch: above 1 is better for img/s, below 1 is better for ms")
    print("command: %s" % command)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
