"""The word (sequence) layers of pycnn/nn/sequence.py: gradients against float64 finite
differences, the padding rule (a word's frames in a padded batch are the word's own), model
files of sequence models, and hostile ones refused.

Pure NumPy and pytest: `make compat` runs this file inside Pyodide too.
"""

import numpy as np
import pytest
from test_gradients import TOLERANCE, build, check_layer, numeric_gradient, relative_error

from pycnn.nn import (
    Collapse,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    MaxPoolHeight,
    ModelFileError,
    ReLU,
    Sequential,
    Softmax,
    TimeDense,
    load_model,
    pad_batch,
    save_model,
)
from pycnn.nn.sequence import clear_frames, frame_lengths, min_width, zero_frames
from pycnn.nn.serialize import architecture_cost, model_arrays, model_meta, write_archive

LABELS = ["-"] + list("abcdef")  # a blank and six characters


def batch_innermost(x):
    """The same values as x (N, ...), in the memory order the layers produce: batch last."""
    axes = tuple(range(1, x.ndim)) + (0,)
    back = (x.ndim - 1,) + tuple(range(x.ndim - 1))
    return np.ascontiguousarray(x.transpose(axes)).transpose(back)


# --- each layer against finite differences ---------------------------------------------------

@pytest.mark.parametrize("input_shape", [(1, 1, 1), (2, 3, 4), (3, 1, 5), (1, 4, 2)])
def test_collapse_gradient_and_layout(input_shape):
    layer = build(Collapse(), input_shape)
    x = np.random.RandomState(0).standard_normal((2,) + input_shape)
    check_layer(layer, x)
    c, h, w = input_shape
    y = layer.forward(x)
    assert y.shape == (2, w, c * h) and layer.output_shape == (w, c * h)
    for n in range(2):
        for j in range(w):
            np.testing.assert_array_equal(y[n, j], x[n, :, :, j].reshape(-1))
    # In the memory Conv2D and MaxPool2D produce, collapsing copies nothing.
    xb = batch_innermost(x)
    assert np.shares_memory(layer.forward(xb), xb)


@pytest.mark.parametrize("input_shape, size", [
    ((2, 4, 3), 2), ((1, 5, 4), 2), ((2, 7, 3), 3), ((1, 3, 2), 1), ((2, 4, 1), 4),
])
def test_maxpool_height_gradient(input_shape, size):
    from test_gradients import distinct_values

    layer = build(MaxPoolHeight(size), input_shape)
    x = distinct_values((2,) + input_shape, seed=size)
    c, h, w = input_shape
    assert layer.output_shape == (c, h // size, w)
    check_layer(layer, x, training=True)
    check_layer(layer, x, training=False)  # backward finds the winners itself
    y = layer.forward(x)
    for i in range(h // size):
        np.testing.assert_array_equal(y[:, :, i], x[:, :, i * size:(i + 1) * size].max(axis=2))


def test_maxpool_height_gives_ties_to_the_first_row():
    layer = build(MaxPoolHeight(2), (1, 2, 1))
    x = np.ones((1, 1, 2, 1))
    layer.forward(x, training=True)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1))).ravel(), [1.0, 0.0])


# (frames, features, filters, kernel, dilation, padding)
CONV1D_CASES = [
    (5, 2, 3, 3, 1, "same"),
    (6, 3, 2, 3, 2, "same"),
    (7, 2, 2, 2, 1, "same"),   # even kernel: the extra zero goes after
    (7, 2, 3, 2, 3, "same"),   # odd span-1 with dilation
    (9, 2, 2, 4, 2, "same"),
    (6, 3, 2, 3, 1, "valid"),
    (9, 2, 3, 3, 3, "valid"),  # span 7 of 9 frames
    (4, 3, 4, 1, 1, "same"),   # 1-frame kernel: a per-frame dense layer
    (3, 2, 2, 3, 2, "same"),   # span longer than the sequence
    (5, 1, 1, 5, 1, "valid"),  # one output frame
]


@pytest.mark.parametrize("frames, features, filters, kernel, dilation, padding", CONV1D_CASES)
def test_conv1d_gradients(frames, features, filters, kernel, dilation, padding):
    layer = build(Conv1D(filters, kernel, padding=padding, dilation=dilation), (frames, features))
    x = np.random.RandomState(2).standard_normal((3, frames, features))
    check_layer(layer, x)
    out = frames if padding == "same" else frames - dilation * (kernel - 1)
    assert layer.output_shape == (out, filters) and layer.forward(x).shape == (3, out, filters)


def test_conv1d_is_the_sum_its_docstring_gives():
    layer = build(Conv1D(3, 3, padding="same", dilation=2), (6, 2))
    x = np.random.RandomState(0).standard_normal((2, 6, 2))
    w, b = layer.params["weight"], layer.params["bias"]
    # same: d*(k-1) = 4 zeros, 2 each side
    xp = np.pad(x, ((0, 0), (2, 2), (0, 0)), mode="constant")
    expected = np.zeros((2, 6, 3))
    for n in range(2):
        for t in range(6):
            for f in range(3):
                expected[n, t, f] = b[f] + sum(xp[n, t + u * 2, c] * w[f, c, u]
                                               for c in range(2) for u in range(3))
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


def test_conv1d_first_layer_skips_input_gradient_but_keeps_parameter_gradients():
    layer = build(Conv1D(2, 3), (5, 3))
    x = np.random.RandomState(0).standard_normal((2, 5, 3))
    y = layer.forward(x)
    layer.backward(np.ones_like(y))
    full = {k: v.copy() for k, v in layer.grads.items()}
    layer.needs_input_grad = False
    layer.forward(x)
    assert layer.backward(np.ones_like(y)) is None
    for name in full:
        np.testing.assert_allclose(layer.grads[name], full[name], rtol=1e-12)


@pytest.mark.parametrize("frames, features, units", [(1, 1, 1), (4, 3, 5), (6, 7, 2)])
def test_time_dense_gradient_and_per_frame_dense(frames, features, units):
    layer = build(TimeDense(units), (frames, features))
    x = np.random.RandomState(0).standard_normal((3, frames, features))
    check_layer(layer, x)
    dense = build(Dense(units), (features,))
    dense.params["weight"][...] = layer.params["weight"]
    dense.params["bias"][...] = layer.params["bias"]
    y = layer.forward(x)
    for t in range(frames):
        np.testing.assert_allclose(y[:, t], dense.forward(x[:, t]), rtol=1e-12)


def test_relu_and_dropout_work_on_frames():
    x = np.random.RandomState(0).standard_normal((3, 5, 4))
    x[np.abs(x) < 1e-3] = 0.5
    check_layer(build(ReLU(), (5, 4)), x)
    layer = build(Dropout(0.4, seed=1), (5, 4))

    def same_mask():
        layer.rng = np.random.RandomState(3)

    check_layer(layer, x, training=True, before_forward=same_mask)


@pytest.mark.parametrize("make, shape", [
    (lambda: Collapse(), (2, 3, 4, 5)),
    (lambda: MaxPoolHeight(2), (2, 3, 4, 5)),
    (lambda: Conv1D(3, 3, dilation=2), (2, 6, 4)),
    (lambda: TimeDense(3), (2, 6, 4)),
])
def test_layers_give_the_same_numbers_in_either_memory_layout(make, shape):
    layer = build(make(), shape[1:])
    x = np.random.RandomState(0).standard_normal(shape)
    y1 = layer.forward(x, training=True).copy()
    dy = np.random.RandomState(1).standard_normal(y1.shape)
    dx1 = layer.backward(dy).copy()
    grads1 = {k: g.copy() for k, g in layer.grads.items()}
    y2 = layer.forward(batch_innermost(x), training=True)
    dx2 = layer.backward(batch_innermost(dy))
    np.testing.assert_allclose(y2, y1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx2, dx1, rtol=1e-12, atol=1e-12)
    for k, g in grads1.items():
        np.testing.assert_allclose(layer.grads[k], g, rtol=1e-12, atol=1e-12)


# --- a whole word model and the padding rule --------------------------------------------------

def word_model(dtype=np.float64, max_width=64, first=None, seed=1, height=12):
    """Every kind of layer a word model uses; non-zero biases."""
    model = Sequential([
        first or Conv2D(3, 3, padding="same"), ReLU(), MaxPool2D(2),
        Conv2D(4, 3, padding="same"), ReLU(), Conv2D(4, 3, padding="same"), ReLU(),
        MaxPool2D(2), MaxPoolHeight(2),
        Collapse(), Conv1D(5, 3), ReLU(), Dropout(0.2, seed=2),
        Conv1D(5, 2, dilation=2), ReLU(), TimeDense(len(LABELS)),
    ], input_shape=(1, height, max_width), labels=LABELS, dtype=dtype, seed=seed)
    rng = np.random.RandomState(seed + 10)
    for _, p, _ in model.parameters():
        p += rng.uniform(-0.1, 0.1, p.shape).astype(dtype)
    return model


def words(widths, height=12, seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    return [rng.uniform(0, 1, (1, height, w)).astype(dtype) for w in widths]


WIDTHS = [37, 50, 23, 61, 4, 9]  # odd and even, and the narrowest that gives frames


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_words_frames_in_a_padded_batch_are_the_words_own(dtype):
    model = word_model(dtype)
    images = words(WIDTHS, dtype=dtype)
    x, widths = pad_batch(images, dtype)
    # Whatever the padding holds (here noise, not zeros) changes nothing.
    for n, w in enumerate(widths):
        x[n, :, :, w:] = np.random.RandomState(n).uniform(-50, 50, x[n, :, :, w:].shape)
    x[2, 0, 3, -1] = np.nan
    x = np.concatenate([x, np.zeros(x.shape[:3] + (3,), dtype)], axis=3)  # and 3 more columns
    logits, lengths = model.forward_sequence(x, widths)
    frames = model.output_lengths([x.shape[3]])[0]  # what the batch's width gives
    assert logits.shape == (len(WIDTHS), frames, len(LABELS)) and logits.dtype == dtype
    np.testing.assert_array_equal(lengths, model.output_lengths(widths))
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for n, image in enumerate(images):
        alone, own = model.forward_sequence(image)
        assert alone.shape == (1, own[0], len(LABELS)) and own[0] == lengths[n]
        scale = max(np.abs(alone).max(), 1.0)
        np.testing.assert_allclose(logits[n, :lengths[n]], alone[0], rtol=tol, atol=tol * scale)
        assert not logits[n, lengths[n]:].any()  # frames past the word are zeros


def test_padding_invariance_holds_with_strided_and_padded_convolutions():
    # Explicit padding and 'same' with stride 1 pad the left the same for every width.
    model = word_model(first=Conv2D(3, 3, stride=2, padding=1), height=24)
    images = words([30, 17, 25, 10], height=24)
    x, widths = pad_batch(images, np.float64)
    logits, lengths = model.forward_sequence(x, widths)
    for n, image in enumerate(images):
        alone, own = model.forward_sequence(image)
        np.testing.assert_allclose(logits[n, :lengths[n]], alone[0], rtol=1e-12, atol=1e-12)


def test_conv2d_same_with_stride_2_is_refused_in_a_word_model():
    model = word_model(first=Conv2D(3, 3, stride=2, padding="same"), height=24)
    with pytest.raises(ValueError, match="pads the left of each width differently"):
        model.forward_sequence(words([20], height=24)[0])
    # kernel 2, stride 2: the left padding is 0 for every width, which is fine.
    model = word_model(first=Conv2D(3, 2, stride=2, padding="same"), height=24)
    images = words([21, 14], height=24)
    x, widths = pad_batch(images, np.float64)
    logits, lengths = model.forward_sequence(x, widths)
    alone = model.forward_sequence(images[0])[0]
    np.testing.assert_allclose(logits[0, :lengths[0]], alone[0], rtol=1e-12, atol=1e-12)


def frame_loss(logits, lengths, weights):
    """A loss that reads only each word's own frames, as CTC does: sum of logits * R."""
    return sum(float(np.sum(logits[n, :lengths[n]] * weights[n, :lengths[n]]))
               for n in range(len(lengths)))


def frame_loss_gradient(logits, lengths, weights):
    d = np.zeros_like(logits)
    for n in range(len(lengths)):
        d[n, :lengths[n]] = weights[n, :lengths[n]]
    return d


def test_padded_batch_gradients_are_the_sum_of_each_words_own():
    model = word_model()
    model.layers[0].needs_input_grad = True
    images = words([33, 18, 47])
    x, widths = pad_batch(images, np.float64)
    weights = np.random.RandomState(5).standard_normal((3, 20, len(LABELS)))
    model.reseed(0)
    logits, lengths = model.forward_sequence(x, widths)
    dy = frame_loss_gradient(logits, lengths, weights[:, :logits.shape[1]])
    dy[dy == 0] = np.nan  # a gradient on padding frames is ignored, whatever it is
    dx = model.backward_sequence(dy)
    batch = {key: g.copy() for key, _, g in model.parameters()}
    total = {key: np.zeros_like(g) for key, g in batch.items()}
    for n, image in enumerate(images):
        logits, lengths = model.forward_sequence(image)
        dx_alone = model.backward_sequence(
            frame_loss_gradient(logits, lengths, weights[n:n + 1, :logits.shape[1]]))
        np.testing.assert_allclose(dx[n, :, :, :widths[n]], dx_alone[0], rtol=1e-10,
                                   atol=1e-12)
        assert not dx[n, :, :, widths[n]:].any()
        for key, _, g in model.parameters():
            total[key] += g
    for key in batch:
        np.testing.assert_allclose(batch[key], total[key], rtol=1e-10, atol=1e-12)


def test_whole_word_model_gradient_with_padding():
    """forward_sequence + backward_sequence on a padded batch, in training mode (dropout,
    pool winners), against finite differences of every parameter and of the input (samples
    of each, the input's from the padding too, whose gradient is zero)."""
    model = word_model(max_width=24)
    model.layers[0].needs_input_grad = True
    rng = np.random.RandomState(0)
    images = words([20, 13, 8], seed=3)
    x, widths = pad_batch(images, np.float64)
    x[1, :, :, 13:] = 5.0  # non-zero padding
    weights = rng.standard_normal((3, 5, len(LABELS)))

    def loss():
        model.reseed(0)  # the same dropout mask at every call
        logits, lengths = model.forward_sequence(x, widths, training=True)
        return frame_loss(logits, lengths, weights)

    loss()
    model.reseed(0)
    logits, lengths = model.forward_sequence(x, widths, training=True)
    dx = model.backward_sequence(frame_loss_gradient(logits, lengths, weights))
    analytic = {key: g.copy() for key, _, g in model.parameters()}
    assert not dx[1, :, :, 13:].any()
    padding = np.ravel_multi_index((1, 0, rng.randint(0, 12, 10), rng.randint(13, 20, 10)),
                                   x.shape)
    indices = np.concatenate([rng.choice(x.size, size=60, replace=False), padding])
    numeric = numeric_gradient(loss, x, indices).reshape(-1)[indices]
    assert relative_error(dx.reshape(-1)[indices], numeric) < TOLERANCE
    for key, p, _ in model.parameters():
        indices = rng.choice(p.size, size=min(p.size, 12), replace=False)
        numeric = numeric_gradient(loss, p, indices).reshape(-1)[indices]
        error = relative_error(analytic[key].reshape(-1)[indices], numeric)
        assert error < TOLERANCE, "%s: relative error %.2e" % (key, error)


def test_output_lengths_and_the_narrowest_word():
    model = word_model()
    # Two MaxPool2D(2): a word of w columns gives (w // 2) // 2 frames, through 'same' convs.
    widths = np.array([4, 5, 7, 8, 9, 63, 64])
    np.testing.assert_array_equal(model.output_lengths(widths), widths // 2 // 2)
    assert min_width(model.layers) == 4
    with pytest.raises(ValueError, match="too narrow.*at least 4"):
        model.output_lengths([10, 3])
    with pytest.raises(ValueError, match="at most 64"):
        model.forward_sequence(np.zeros((1, 1, 12, 65)))
    with pytest.raises(ValueError, match="widths must be"):
        model.forward_sequence(np.zeros((2, 1, 12, 30)), [30, 31])
    per_layer = frame_lengths(model.layers, [37])
    assert [int(n[0]) for n in per_layer] == [37, 37, 18, 18, 18, 18, 18, 9, 9, 9, 9, 9, 9, 9, 9, 9]


def test_valid_conv1d_shortens_the_frames_by_its_span():
    model = Sequential([Conv2D(2, 3, padding="same"), Collapse(),
                        Conv1D(3, 3, padding="valid", dilation=2), TimeDense(2)],
                       input_shape=(1, 4, 30), dtype=np.float64)
    np.testing.assert_array_equal(model.output_lengths([5, 30]), [1, 26])
    images = words([12, 25], height=4)
    x, widths = pad_batch(images, np.float64)
    logits, lengths = model.forward_sequence(x, widths)
    np.testing.assert_array_equal(lengths, [8, 21])
    alone = model.forward_sequence(images[0])[0]
    np.testing.assert_allclose(logits[0, :8], alone[0], rtol=1e-12, atol=1e-12)


def test_forward_sequence_leaves_the_callers_array_alone():
    model = word_model()
    x, widths = pad_batch(words([30, 20]), np.float64)
    x[1, :, :, 20:] = 3.0
    before = x.copy()
    model.forward_sequence(x, widths)
    dy = np.ones((2, 7, len(LABELS)))
    model.backward_sequence(dy)
    np.testing.assert_array_equal(x, before)
    assert (dy == 1).all()


@pytest.mark.parametrize("layers, words_", [
    ([Conv2D(2, 3), Flatten(), Dense(3)], "exactly one Collapse"),
    ([Collapse(), Conv1D(2, 3), Collapse()], "Collapse expects (C, H, W)"),
    ([Collapse(), Conv1D(2, 3), Softmax()], "Softmax"),
    ([Conv1D(2, 3)], "(T, F) input"),
])
def test_models_that_are_not_word_models_are_refused(layers, words_):
    with pytest.raises(ValueError) as info:
        Sequential(layers, input_shape=(1, 4, 10)).forward_sequence(np.zeros((1, 1, 4, 10)))
    assert words_ in str(info.value)


@pytest.mark.parametrize("zero", [zero_frames, clear_frames])
@pytest.mark.parametrize("layout", [np.ascontiguousarray, batch_innermost])
def test_zero_frames_zeroes_exactly_the_padding(zero, layout):
    a = layout(np.ones((3, 2, 2, 5)))
    zero(a, np.array([5, 2, 0]))
    assert a[0].all() and a[1, :, :, :2].all() and not a[1, :, :, 2:].any() and not a[2].any()
    s = layout(np.ones((2, 4, 3)))
    zero(s, np.array([1, 4]))
    assert s[0, :1].all() and not s[0, 1:].any() and s[1].all()
    nan = layout(np.full((2, 3, 2), np.nan))
    clear_frames(nan, np.array([1, 3]))
    assert not nan[0, 1:].any() and np.isnan(nan[0, :1]).all() and np.isnan(nan[1]).all()


def test_pad_batch():
    x, widths = pad_batch([np.ones((3, 2)), 2 * np.ones((3, 5))])
    assert x.shape == (2, 1, 3, 5) and x.dtype == np.float32
    np.testing.assert_array_equal(widths, [2, 5])
    assert x[0, 0, :, :2].all() and not x[0, 0, :, 2:].any() and (x[1] == 2).all()
    with pytest.raises(ValueError, match="same channels and height"):
        pad_batch([np.ones((3, 2)), np.ones((4, 2))])


def test_a_classifier_still_runs_as_before_and_refuses_frame_labels():
    model = Sequential([Conv2D(2, 3), Flatten(), Dense(3), Softmax()], input_shape=(1, 5, 5),
                       labels=list("abc"))
    assert model.predict(np.zeros((2, 1, 5, 5))).shape == (2,)
    assert not model.is_sequence_model and word_model().is_sequence_model
    words_model = word_model()
    with pytest.raises(ValueError, match="forward_sequence"):
        words_model.predict_proba(np.zeros((1, 1, 12, 64)))
    words_model.forward_sequence(np.zeros((1, 1, 12, 20)))
    assert words_model.summary(print_fn=None) == word_model().summary(print_fn=None)
    with pytest.raises(ValueError, match="labels"):
        Sequential([Conv2D(2, 3), Collapse()], input_shape=(1, 5, 5), labels=list("abc"))


# --- model files --------------------------------------------------------------------------

def test_a_word_model_saves_and_loads(tmp_path):
    model = word_model(dtype=np.float32)
    path = tmp_path / "words.npz"
    save_model(model, path)
    loaded = load_model(path, sequence=True)
    assert loaded.config() == model.config() and loaded.labels == LABELS
    assert loaded.input_shape == (1, 12, 64) and loaded.dtype == np.float32
    x, widths = pad_batch(words([30, 45, 12], dtype=np.float32))
    ours, lengths = model.forward_sequence(x, widths)
    theirs, lengths2 = loaded.forward_sequence(x, widths)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(lengths, lengths2)
    cost = architecture_cost(model.config(), list(model.input_shape))
    assert cost["output_shape"] == (64 // 4, len(LABELS))
    assert cost["parameters"] == model.parameter_count()


def test_each_kind_of_model_is_refused_where_the_other_is_wanted(tmp_path):
    save_model(word_model(), tmp_path / "words.npz")
    with pytest.raises(ModelFileError, match="sequence"):
        load_model(tmp_path / "words.npz")
    classifier = Sequential([Conv2D(2, 3), Flatten(), Dense(3), Softmax()],
                            input_shape=(1, 5, 5), labels=list("abc"))
    save_model(classifier, tmp_path / "chars.npz")
    with pytest.raises(ModelFileError, match="not scores per frame"):
        load_model(tmp_path / "chars.npz", sequence=True)


def altered(tmp_path, change):
    model = word_model(dtype=np.float32)
    meta = model_meta(model)
    change(meta)
    path = tmp_path / "hostile.npz"
    write_archive(path, meta, model_arrays(model))
    return path


def layer_config(index, **config):
    return lambda meta: meta["architecture"][index]["config"].update(config)


def replace_layers(*entries):
    return lambda meta: meta.update(architecture=list(entries))


CONV1D = {"class": "Conv1D", "config": {"filters": 4, "kernel_size": 3}}
HOSTILE = {
    "conv1d_filters_huge": (layer_config(10, filters=10 ** 9), "filters must be between"),
    "conv1d_kernel_huge": (layer_config(10, kernel_size=100000), "kernel_size must be between"),
    "conv1d_dilation_zero": (layer_config(10, dilation=0), "dilation must be between"),
    "conv1d_dilation_huge": (layer_config(10, dilation=2 ** 40), "dilation must be between"),
    "conv1d_dilation_float": (layer_config(10, dilation=1.5), "dilation must be an integer"),
    "conv1d_padding_unknown": (layer_config(10, padding="full"), "padding must be one of"),
    "conv1d_init_unknown": (layer_config(10, init="zeros"), "init must be one of"),
    "conv1d_option_unknown": (layer_config(10, stride=2), "unknown option"),
    "conv1d_span_too_long": (layer_config(10, kernel_size=64, dilation=64, padding="valid"),
                             "does not fit"),
    "time_dense_units_huge": (layer_config(15, units=10 ** 7), "units must be between"),
    "pool_height_zero": (layer_config(8, pool_size=0), "pool_size must be between"),
    "pool_height_too_tall": (layer_config(8, pool_size=64), "does not fit"),
    "collapse_with_options": (layer_config(9, axis=2), "unknown option"),
    "conv1d_on_images": (replace_layers(CONV1D), "Conv1D needs (T, F) input"),
    "collapse_twice": (replace_layers({"class": "Collapse"}, {"class": "Collapse"}),
                       "Collapse needs (C, H, W)"),
    "too_many_parameters": (replace_layers(
        {"class": "Conv2D", "config": {"filters": 4096, "kernel_size": 1}},
        {"class": "Collapse"},
        {"class": "Conv1D", "config": {"filters": 4096, "kernel_size": 3}},
        {"class": "TimeDense", "config": {"units": 7}}), "parameters"),
    "too_many_multiply_adds": (lambda meta: (
        meta.update(input_shape=[1, 12, 1024]),
        meta.update(architecture=[
            {"class": "Collapse"},
            {"class": "Conv1D", "config": {"filters": 1024, "kernel_size": 32}},
            {"class": "TimeDense", "config": {"units": 7}}])), "multiply-adds"),
    "too_wide": (lambda meta: meta.update(input_shape=[1, 12, 10 ** 6]), "input width"),
    "labels_do_not_match_frames": (lambda meta: meta.update(labels=list("ab")),
                                   "outputs but 2 labels"),
    "a_flatten_in_a_word_model": (replace_layers(
        {"class": "Collapse"}, {"class": "Flatten"}, {"class": "Dense", "config": {"units": 7}}),
        "not scores per frame"),
    "parameters_of_another_architecture": (replace_layers(
        {"class": "Conv2D", "config": {"filters": 2, "kernel_size": 3}},
        {"class": "Collapse"}, {"class": "TimeDense", "config": {"units": 7}},
        {"class": "ReLU"}, {"class": "Dropout", "config": {"rate": 0.1}},
        {"class": "Conv1D", "config": {"filters": 7, "kernel_size": 1}}), "missing parameter"),
    "conv2d_same_stride_2": (replace_layers(
        {"class": "Conv2D", "config": {"filters": 2, "kernel_size": 3, "stride": 2,
                                       "padding": "same"}},
        {"class": "Collapse"}, {"class": "TimeDense", "config": {"units": 7}}),
        "pads the left"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_word_model_files_are_refused(tmp_path, case):
    change, words_ = HOSTILE[case]
    with pytest.raises(ModelFileError) as info:
        load_model(altered(tmp_path, change), sequence=True)
    message = str(info.value)
    assert "hostile.npz" in message and words_ in message, message
    assert len(message.splitlines()) == 1
