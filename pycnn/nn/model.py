"""`Sequential`: a stack of layers with Keras-like `summary()` and `fit()`."""

import time

import numpy as np

from . import sequence
from .layers import LAYERS, Dropout, Softmax, classify, softmax
from .losses import SoftmaxCrossEntropy

# Every layer class a model file may name, by class name.
LAYER_CLASSES = dict(LAYERS, **sequence.SEQUENCE_LAYERS)


class Sequential:
    """Layers applied in order to NCHW input.

    A classifier ends in one score per class, (N, classes). A sequence model (one with a
    `Collapse` layer, see sequence.py) reads images of any width up to input_shape's and
    ends in scores per frame, (N, T, classes): run it with `forward_sequence` and
    `backward_sequence`, which keep a padded word's frames equal to the word's own.

    `labels` names the output classes; `metadata` is free JSON that travels in the model
    file (preprocessing version, training details). Call `build(input_shape)` before use,
    or pass `input_shape` here.
    """

    def __init__(self, layers, input_shape=None, labels=None, metadata=None, seed=0,
                 dtype=np.float32):
        self.layers = list(layers)
        self.labels = list(labels) if labels is not None else None
        self.metadata = dict(metadata or {})
        self.seed = int(seed)
        self.dtype = np.dtype(dtype)
        self.input_shape = None
        if input_shape is not None:
            self.build(input_shape)

    # --- structure ------------------------------------------------------------------
    def build(self, input_shape):
        rng = np.random.RandomState(self.seed)
        shape = tuple(int(d) for d in input_shape)
        self.input_shape = shape
        for layer in self.layers:
            shape = layer.build(shape, rng, self.dtype)
        if self.layers:
            self.layers[0].needs_input_grad = False
        n_labels = None if self.labels is None else len(self.labels)
        if n_labels is not None and shape != (n_labels,) and not (
                len(shape) == 2 and shape[1] == n_labels and self.is_sequence_model):
            raise ValueError("the model outputs %s but has %d labels" % (shape, len(self.labels)))
        return self

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.layers else self.input_shape

    def parameters(self):
        """(key, array, gradient) for every parameter; key is "<layer index>.<name>"."""
        for i, layer in enumerate(self.layers):
            for name, p in layer.params.items():
                yield "%d.%s" % (i, name), p, layer.grads.get(name)

    def parameter_count(self):
        return sum(layer.parameter_count() for layer in self.layers)

    def layer_table(self):
        """One dict per layer (name, output shape, parameter count): the single source for
        `summary()` and for the page's network diagram. A sequence model's shapes are for
        input_shape, whatever width it last ran on."""
        if self.is_sequence_model and self.input_shape is not None:
            sequence.set_input_shape(self.layers, self.input_shape)
        return [{"index": i, "name": layer.name, "config": layer.config(),
                 "output_shape": list(layer.output_shape), "params": layer.parameter_count()}
                for i, layer in enumerate(self.layers)]

    def summary(self, print_fn=print):
        rows = [("Layer", "Output shape", "Params")]
        rows.append(("Input", str(self.input_shape), ""))
        for row in self.layer_table():
            rows.append(("%d %s" % (row["index"], row["name"]), str(tuple(row["output_shape"])),
                         "{:,}".format(row["params"])))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        line = "-" * (sum(widths) + 4)
        out = [line]
        for k, r in enumerate(rows):
            out.append("%s  %s  %s" % (r[0].ljust(widths[0]), r[1].ljust(widths[1]),
                                       r[2].rjust(widths[2])))
            if k == 0:
                out.append(line)
        out.append(line)
        out.append("Total params: {:,}".format(self.parameter_count()))
        out.append("Trainable params: {:,}".format(self.parameter_count()))
        text = "\n".join(out)
        if print_fn is not None:
            print_fn(text)
        return text

    def config(self):
        return [{"class": layer.name, "config": layer.config()} for layer in self.layers]

    @classmethod
    def from_config(cls, layer_configs, **kwargs):
        layers = []
        for entry in layer_configs:
            layer_cls = LAYER_CLASSES.get(entry.get("class"))
            if layer_cls is None:
                raise ValueError("unknown layer class %r" % (entry.get("class"),))
            layers.append(layer_cls(**entry.get("config", {})))
        return cls(layers, **kwargs)

    # --- inference --------------------------------------------------------------------
    def _check_input(self, x):
        if self.is_sequence_model:  # its outputs are per frame: no softmax over axis 1
            raise ValueError("this is a sequence (word) model: run it with forward_sequence")
        x = np.asarray(x)
        if x.ndim == len(self.input_shape):
            x = x[None]
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError("expected input of shape (N, %s), got %s"
                             % (", ".join(map(str, self.input_shape)), x.shape))
        return x.astype(self.dtype, copy=False)

    def forward(self, x, training=False, upto=None):
        """Run the layers; `upto` stops before that index (used to get logits)."""
        for layer in self.layers[:upto]:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dy, upto=None):
        """Backpropagate dL/d(output of layer upto-1) to the input; returns dL/dx, or None
        when the first layer skips it."""
        for layer in reversed(self.layers[:upto]):
            dy = layer.backward(dy)
            if dy is None:
                break
        return dy

    def _logits_end(self):
        """Training stops before a final Softmax: the loss takes the logits directly."""
        return len(self.layers) - 1 if isinstance(self.layers[-1], Softmax) else None

    def predict_logits(self, x, batch_size=256):
        """The scores before the final Softmax (N, classes): what a character set masks."""
        x = self._check_input(x)
        outs = []
        end = self._logits_end()
        for i in range(0, len(x), batch_size):
            outs.append(self.forward(x[i:i + batch_size], upto=end))
        return np.concatenate(outs) if outs else np.zeros((0,) + self.output_shape, self.dtype)

    def predict_proba(self, x, batch_size=256):
        return softmax(self.predict_logits(x, batch_size))

    def predict(self, x, batch_size=256):
        return classify(self.predict_proba(x, batch_size))

    def forward_trace(self, x):
        """Every layer's output for `x` in inference mode: [(name, array), ...].

        The last entry is the class probabilities, exactly what `predict_proba` returns.
        """
        x = self._check_input(x)
        trace = []
        for layer in self.layers:
            x = layer.forward(x, training=False)
            trace.append((layer.name, x))
        if not isinstance(self.layers[-1], Softmax):
            trace.append(("Softmax", softmax(x)))
        return trace

    # --- sequences: words of any width ------------------------------------------------
    @property
    def is_sequence_model(self):
        return sequence.is_sequence_model(self.layers)

    def output_lengths(self, widths):
        """How many output frames words of these input widths (pixels) give: int64 (N,).
        Frames from there on in `forward_sequence`'s output are padding (zeros)."""
        sequence.check_sequence_layers(self.layers)
        return sequence.frame_lengths(self.layers, widths)[-1]

    def forward_sequence(self, x, widths=None, training=False):
        """Run a sequence model on a batch of words right-padded to one width.

        x: (N, C, H, W) with (C, H) the model's and W at most input_shape's width (the
        widest input the model reads, which its model file's cost check covers), or one
        word (C, H, W). widths: each word's own width in pixels, W for all if None.
        Returns (logits (N, T, classes), lengths (N,)): word n's frames are
        logits[n, :lengths[n]], equal (to rounding) to what the word alone gives; the
        frames after are zeros. After every layer the columns beyond each word's own
        length at that depth are set to zero (`sequence.zero_frames`; not needed after
        the layers in `sequence.KEEP_ZEROS`), so what a word's frames see past its right
        edge is zeros, as for the word alone.
        """
        sequence.check_sequence_layers(self.layers)
        x = np.asarray(x)
        if x.ndim == 3:
            x = x[None]
        c, h, max_w = self.input_shape
        if x.ndim != 4 or x.shape[1:3] != (c, h) or not 1 <= x.shape[3] <= max_w:
            raise ValueError("expected input of shape (N, %d, %d, W) with W at most %d, got %s"
                             % (c, h, max_w, x.shape))
        n, width = x.shape[0], x.shape[3]
        widths = (np.full(n, width, np.int64) if widths is None
                  else np.asarray(widths, dtype=np.int64).reshape(-1))
        if widths.shape != (n,) or (n and not 1 <= widths.min() <= widths.max() <= width):
            raise ValueError("widths must be %d numbers in 1..%d, not %s" % (n, width, widths))
        lengths = sequence.frame_lengths(self.layers, widths)
        sequence.set_input_shape(self.layers, (c, h, width))
        padded = bool(n) and widths.min() < width
        if padded:  # a copy, whose padding is cleared whatever it holds
            x = sequence.clear_frames(np.array(x, dtype=self.dtype, order="C"), widths)
        else:
            x = x.astype(self.dtype, copy=False)
        masked = [padded and not isinstance(layer, sequence.KEEP_ZEROS) for layer in self.layers]
        for layer, valid, mask in zip(self.layers, lengths, masked):
            x = layer.forward(x, training=training)
            if mask:
                sequence.zero_frames(x, valid)
        self._sequence_masks = (widths, lengths, masked) if padded else None
        return x, lengths[-1]

    def backward_sequence(self, dy):
        """Backpropagate dL/dlogits (N, T, classes) of the last `forward_sequence`; returns
        dL/dx, or None when the first layer skips it. The gradient is zeroed beyond each
        word's frames wherever the forward pass zeroed the values (it is the exact
        gradient of that pass), so padding never reaches a parameter gradient, and
        dL/dlogits on padding frames (even NaN) is ignored."""
        masks = self._sequence_masks
        if masks is not None:
            widths, lengths, masked = masks
            dy = sequence.clear_frames(np.array(dy, dtype=self.dtype, order="C"), lengths[-1])
        for i in range(len(self.layers) - 1, -1, -1):
            dy = self.layers[i].backward(dy)
            if dy is None:
                break
            if masks is not None and i == 0:
                sequence.zero_frames(dy, widths)
            elif masks is not None and masked[i - 1]:
                sequence.zero_frames(dy, lengths[i - 1])
        return dy

    # --- training ---------------------------------------------------------------------
    def reseed(self, epoch):
        """Dropout masks for an epoch depend only on (model seed, epoch, layer), so a run
        resumed from a checkpoint draws the same masks as an uninterrupted one."""
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Dropout):
                layer.rng = np.random.RandomState([self.seed, epoch, i, layer.seed])

    def train_step(self, x, y, optimizer, loss_fn):
        end = self._logits_end()
        logits = self.forward(x, training=True, upto=end)
        loss = loss_fn.forward(logits, y)
        self.backward(loss_fn.backward(), upto=end)
        optimizer.step(self.parameters())
        correct = int((logits.argmax(axis=1) == y).sum())
        return loss, correct

    def evaluate(self, x, y, batch_size=256):
        """Mean loss and accuracy on (x, y), in inference mode."""
        x = self._check_input(x)
        y = np.asarray(y)
        loss_fn = SoftmaxCrossEntropy()
        total_loss, correct = 0.0, 0
        end = self._logits_end()
        for i in range(0, len(x), batch_size):
            logits = self.forward(x[i:i + batch_size], upto=end)
            total_loss += loss_fn.forward(logits, y[i:i + batch_size]) * len(logits)
            correct += int((logits.argmax(axis=1) == y[i:i + batch_size]).sum())
        return total_loss / max(len(x), 1), correct / max(len(x), 1)

    def fit(self, train, optimizer, epochs, batch_size=64, validation=None, schedule=None,
            initial_epoch=0, history=None, callbacks=(), seed=None):
        """Minibatch training with shuffling, validation and a history of metrics.

        train: (x, y) arrays, or a function epoch -> (x, y) that makes each epoch's data
            (how augmented data is fed: fresh renderings every epoch).
        schedule: epoch (fractional, per batch) -> learning rate.
        callbacks: objects with any of on_epoch_begin(epoch, model),
            on_batch_end(epoch, batch, n_batches, logs), on_epoch_end(epoch, logs, model);
            on_epoch_end may return True to stop (early stopping).
        Everything random in epoch e is seeded by (seed, e), which makes resuming exact.
        """
        seed = self.seed if seed is None else int(seed)
        history = history if history is not None else {}
        loss_fn = SoftmaxCrossEntropy()
        for epoch in range(initial_epoch, epochs):
            _notify(callbacks, "on_epoch_begin", epoch, self)
            x, y = train(epoch) if callable(train) else train
            x = self._check_input(x)
            y = np.asarray(y, dtype=np.int64)
            order = np.random.RandomState([seed, epoch]).permutation(len(x))
            self.reseed(epoch)
            n_batches = -(-len(x) // batch_size)
            seen, loss_sum, correct_sum = 0, 0.0, 0
            start = time.time()
            for b in range(n_batches):
                if schedule is not None:
                    optimizer.lr = schedule(epoch + b / n_batches)
                idx = order[b * batch_size:(b + 1) * batch_size]
                loss, correct = self.train_step(x[idx], y[idx], optimizer, loss_fn)
                seen += len(idx)
                loss_sum += loss * len(idx)
                correct_sum += correct
                logs = {"loss": loss_sum / seen, "acc": correct_sum / seen, "lr": optimizer.lr,
                        "seen": seen, "total": len(x), "seconds": time.time() - start}
                _notify(callbacks, "on_batch_end", epoch, b, n_batches, logs)
            logs = {"epoch": epoch + 1, "loss": loss_sum / max(seen, 1),
                    "acc": correct_sum / max(seen, 1), "lr": optimizer.lr,
                    "seconds": time.time() - start}
            if validation is not None:
                logs["val_loss"], logs["val_acc"] = self.evaluate(*validation)
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            if any(_notify(callbacks, "on_epoch_end", epoch, logs, self)):
                break
        return history


def _notify(callbacks, hook, *args):
    """Call `hook` on every callback that has it (all of them, even after one asks to
    stop); return their answers."""
    return [getattr(cb, hook)(*args) for cb in callbacks if hasattr(cb, hook)]
