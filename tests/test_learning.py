"""The network learns: a tiny conv net, trained for a few seconds on a few thousand real
handwritten digits (UNIPEN strokes rendered as the page draws them, through the page's
preprocessing), reads digits of writers it never saw far better than chance."""

import time

import numpy as np
import pytest

from pycnn.data.dataset import render_batch
from pycnn.data.unipen import load_unipen, writer_split
from pycnn.nn import Adam, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Softmax

N_TRAIN, N_VAL = 3000, 1000
# Seen on this machine (2 busy cores): validation accuracy 0.88-0.90 after 3 epochs, with
# two different weight seeds; chance is 0.1 (the largest digit class is ~11%).
MIN_VAL_ACCURACY = 0.75


@pytest.fixture(scope="module")
def digits(unipen_path):
    data = load_unipen(unipen_path)
    split = writer_split(data)
    rng = np.random.RandomState(0)
    chosen = {}
    for name, count in (("train", N_TRAIN), ("val", N_VAL)):
        candidates = split[name][data.labels[split[name]] < 10]  # digits: labels 0..9
        chosen[name] = np.sort(rng.choice(candidates, count, replace=False))
    assert not set(data.writers[chosen["train"]]) & set(data.writers[chosen["val"]])
    return render_batch(data, chosen["train"]), render_batch(data, chosen["val"])


def test_small_network_learns_digits_of_unseen_writers(digits):
    (x_train, y_train), (x_val, y_val) = digits
    assert x_train.shape == (N_TRAIN, 1, 28, 28) and set(np.unique(y_train)) == set(range(10))
    model = Sequential([Conv2D(8, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(10), Softmax()],
                       input_shape=(1, 28, 28), labels=list("0123456789"), seed=0)
    untrained_loss, untrained_acc = model.evaluate(x_val, y_val)

    start = time.time()
    history = model.fit((x_train, y_train), Adam(0.003), epochs=3, batch_size=32,
                        validation=(x_val, y_val))
    seconds = time.time() - start

    losses = history["loss"]
    assert losses[0] > losses[1] > losses[2], losses
    assert losses[2] < 0.5 * losses[0], losses
    assert history["val_loss"][-1] < 0.3 * untrained_loss, (untrained_loss, history["val_loss"])
    val_acc = history["val_acc"][-1]
    assert untrained_acc < 0.3
    assert val_acc >= MIN_VAL_ACCURACY, "validation accuracy %.3f after %.1f s" % (val_acc, seconds)
    # The accuracy fit reports is what predict gives.
    assert np.mean(model.predict(x_val) == y_val) == pytest.approx(val_acc)
