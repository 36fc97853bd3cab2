"""The model's dense head: where the frozen trunk ends, and growing the output layer.

The convolutional trunk never learns while adapting; the dense head does: the layers after
the last one that is not Dense, ReLU, Dropout or Softmax (`head_start`). A label the model
lacks gets one more column of the last Dense layer (`last_dense`), imprinted from its
examples' penultimate features (`grow_output`); old logits are unchanged by the growth.
"""

import json

import numpy as np

from ..nn.layers import Dense, Dropout, ReLU, Softmax
from ..nn.model import Sequential
from .errors import AdaptError

HEAD_LAYERS = (Dense, ReLU, Dropout, Softmax)


def head_start(model):
    """Index of the first layer of the dense head: the layers after the last one that is
    not Dense, ReLU, Dropout or Softmax (the trunk, frozen while adapting)."""
    start = len(model.layers)
    while start > 0 and isinstance(model.layers[start - 1], HEAD_LAYERS):
        start -= 1
    if not any(isinstance(layer, Dense) for layer in model.layers[start:]):
        raise AdaptError("the model has no Dense output layer to adapt")
    return start


def last_dense(model):
    """Index of the last Dense layer: the output layer, which grows a column per new label."""
    return max(i for i, layer in enumerate(model.layers) if isinstance(layer, Dense))


def _rebuilt(model, config, labels, skip_layer=None):
    """A new Sequential from `config` with `model`'s settings and a copy of its parameters,
    but those of layer `skip_layer` (left to the caller)."""
    built = Sequential.from_config(config, input_shape=model.input_shape, labels=list(labels),
                                   metadata=json.loads(json.dumps(model.metadata)),
                                   seed=model.seed, dtype=model.dtype)
    for (key, target, _), (_, source, _) in zip(built.parameters(), model.parameters()):
        if skip_layer is None or not key.startswith("%d." % skip_layer):
            target[...] = source
    return built


def copy_model(model, labels=None):
    """A new Sequential with the same architecture and a copy of every parameter."""
    return _rebuilt(model, model.config(), labels or model.labels)


def grow_output(model, new_labels, features_of_label):
    """`model` with one more output per new label, the rest of it unchanged (a copy).

    features_of_label[label]: (n, D) penultimate features of that label's examples (the
    last Dense layer's input). The new column of the last Dense layer is their mean m scaled
    to the mean norm of the existing columns, w = m / |m| * mean_k |W[:, k]|, and its bias
    b = mean_i max_k z_ik - w . m, with z_ik the old logits of example i: at the mean of its
    examples the new class ties with the class the model read them as, so it neither
    swallows every drawing (features are ReLU outputs, so w . x > 0 for nearly any x) nor
    starts unreachable.
    """
    if not new_labels:
        return copy_model(model)
    index = last_dense(model)
    dense = model.layers[index]
    weight, bias = dense.params["weight"], dense.params["bias"]
    w64, b64 = weight.astype(np.float64), bias.astype(np.float64)
    norm = float(np.mean(np.sqrt((w64 ** 2).sum(axis=0))))
    columns, biases = [], []
    for label in new_labels:
        features = np.asarray(features_of_label[label], dtype=np.float64)
        mean = features.mean(axis=0)
        length = float(np.sqrt((mean ** 2).sum()))
        column = mean / length * norm if length > 0 else np.zeros_like(mean)
        best_old = (features @ w64 + b64).max(axis=1).mean()
        columns.append(column)
        biases.append(best_old - float(column @ mean))
    config = model.config()
    config[index]["config"]["units"] = dense.units + len(new_labels)
    grown = _rebuilt(model, config, list(model.labels) + list(new_labels), skip_layer=index)
    out = grown.layers[index]
    out.params["weight"][...] = np.concatenate(
        [weight, np.stack(columns, axis=1).astype(weight.dtype)], axis=1)
    out.params["bias"][...] = np.concatenate([bias, np.array(biases, dtype=bias.dtype)])
    return grown

