"""The network learns: a tiny conv net, trained for a few seconds on a few thousand real
handwritten digits (UNIPEN strokes rendered as the page draws them, through the page's
preprocessing), reads digits of writers it never saw far better than chance."""

import time

import numpy as np
import pytest

from pycnn.data.dataset import render_batch
from pycnn.data.unipen import load_unipen, writer_split
from pycnn.nn import (
    SGD,
    Adam,
    Conv2D,
    CosineSchedule,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    Softmax,
    SoftmaxCrossEntropy,
)

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


# --- what makes the learning work: initialisation and fit's bookkeeping --------------------

@pytest.mark.parametrize("layer, fan_in, fan_out", [
    (Conv2D(64, 3), 8 * 3 * 3, 64 * 3 * 3),
    (Conv2D(32, (5, 3), init="glorot"), 8 * 5 * 3, 32 * 5 * 3),
    (Dense(300), 8 * 12 * 12, 300),
    (Dense(300, init="he"), 8 * 12 * 12, 300),
])
def test_initial_weights_have_the_documented_scale(layer, fan_in, fan_out):
    """He normal: std sqrt(2 / fan_in). Glorot uniform: U(-a, a), a = sqrt(6 / (in + out))."""
    input_shape = (8, 12, 12) if isinstance(layer, Conv2D) else (8 * 12 * 12,)
    layer.build(input_shape, np.random.RandomState(0))
    w = layer.params["weight"].astype(np.float64)
    assert abs(w.mean()) < 0.05 * w.std()
    if layer.init == "he":
        assert w.std() == pytest.approx(np.sqrt(2.0 / fan_in), rel=0.03)
    else:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
        assert w.std() == pytest.approx(limit / np.sqrt(3.0), rel=0.03)
    np.testing.assert_array_equal(layer.params["bias"], 0)


def tiny_model(seed=0):
    return Sequential([Flatten(), Dense(4), Softmax()], input_shape=(1, 2, 3),
                      labels=list("abcd"), seed=seed)


def tiny_data(n=23, seed=0):
    rng = np.random.RandomState(seed)
    return rng.standard_normal((n, 1, 2, 3)).astype(np.float32), rng.randint(0, 4, n)


def test_each_epoch_visits_every_sample_once_in_a_new_order(monkeypatch):
    model = tiny_model()
    x, y = tiny_data()
    x[:, 0, 0, 0] = np.arange(len(x))  # each sample says which one it is
    seen = []

    def train_step(xb, yb, optimizer, loss_fn):
        seen.append(xb[:, 0, 0, 0].astype(int).tolist())
        return 0.0, 0

    monkeypatch.setattr(model, "train_step", train_step)
    model.fit((x, y), SGD(0.0), epochs=2, batch_size=5)
    assert [len(batch) for batch in seen] == [5, 5, 5, 5, 3] * 2
    first, second = sum(seen[:5], []), sum(seen[5:], [])
    assert sorted(first) == sorted(second) == list(range(len(x)))
    assert first != list(range(len(x))) and first != second  # shuffled, afresh each epoch


def test_fit_reports_the_loss_and_accuracy_of_what_it_trained_on():
    model = tiny_model()
    x, y = tiny_data()
    loss, accuracy = model.evaluate(x, y)
    # Learning rate 0: fit's running figures are the model's own on the training data.
    history = model.fit((x, y), SGD(0.0, momentum=0.0), epochs=1, batch_size=5,
                        validation=(x, y))
    assert history["loss"][0] == pytest.approx(loss, rel=1e-5)
    assert history["acc"][0] == pytest.approx(accuracy)
    assert history["val_loss"][0] == pytest.approx(loss, rel=1e-6)
    assert history["val_acc"][0] == pytest.approx(accuracy)


def test_evaluate_weighs_a_short_last_batch_by_its_size():
    model = tiny_model()
    x, y = tiny_data(n=23)
    logits = model.forward(x, upto=len(model.layers) - 1)
    expected_loss = SoftmaxCrossEntropy().forward(logits, y)
    expected_accuracy = np.mean(logits.argmax(axis=1) == y)
    for batch_size in (1, 4, 10, 23, 64):
        loss, accuracy = model.evaluate(x, y, batch_size=batch_size)
        assert loss == pytest.approx(expected_loss, rel=1e-5)
        assert accuracy == pytest.approx(expected_accuracy)


def test_training_takes_the_loss_on_the_logits_not_on_the_softmax():
    model = tiny_model()
    x, y = tiny_data(n=8)
    logits = model.forward(x, upto=len(model.layers) - 1)
    loss, correct = model.train_step(x, y, SGD(0.0, momentum=0.0), SoftmaxCrossEntropy())
    assert loss == pytest.approx(SoftmaxCrossEntropy().forward(logits, y), rel=1e-6)
    assert correct == int((logits.argmax(axis=1) == y).sum())


def test_the_schedule_sets_the_rate_at_every_batch_and_every_callback_is_called():
    model = tiny_model()
    x, y = tiny_data(n=20)

    class Recorder:
        def __init__(self, stop_after=None):
            self.rates, self.epochs, self.stop_after = [], [], stop_after

        def on_batch_end(self, epoch, batch, n_batches, logs):
            self.rates.append(logs["lr"])

        def on_epoch_end(self, epoch, logs, model):
            self.epochs.append(epoch)
            return epoch == self.stop_after

    first, second = Recorder(), Recorder(stop_after=1)
    model.fit((x, y), SGD(0.0), epochs=5, batch_size=5, schedule=lambda e: e / 100,
              callbacks=[first, second])
    expected = [(epoch + b / 4) / 100 for epoch in range(2) for b in range(4)]
    assert first.rates == pytest.approx(expected) and second.rates == pytest.approx(expected)
    assert first.epochs == second.epochs == [0, 1]  # the second one stopped it after epoch 1


def test_cosine_warm_up_climbs_linearly_to_the_base_rate():
    """Warm-up epoch e of w runs at base * (e + 1) / (w + 1): never 0, which would waste an
    epoch, and a straight line up to the cosine's start."""
    schedule = CosineSchedule(0.3, epochs=10, warmup=2)
    assert [schedule(e) for e in (0, 0.5, 1, 1.5)] == pytest.approx([0.1, 0.15, 0.2, 0.25])


def test_dropout_masks_depend_on_the_epoch_not_on_what_ran_before():
    """A run resumed at epoch 1 draws epoch 1's masks, as the uninterrupted run did, and
    each epoch draws new ones."""
    x, y = tiny_data(n=16)

    def masks(initial_epoch):
        model = Sequential([Flatten(), Dense(16), Dropout(0.5), Dense(4)], input_shape=(1, 2, 3),
                           seed=0)
        drop, recorded = model.layers[2], []
        forward = drop.forward

        def recording_forward(x, training=False):
            out = forward(x, training)
            recorded.append(drop._mask.copy())
            return out

        drop.forward = recording_forward
        model.fit((x, y), SGD(0.0, momentum=0.0), epochs=2, batch_size=8,
                  initial_epoch=initial_epoch)
        return recorded

    uninterrupted, resumed = masks(0), masks(1)
    assert len(uninterrupted) == 4 and len(resumed) == 2
    for a, b in zip(uninterrupted[2:], resumed):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(uninterrupted[0], uninterrupted[2])
