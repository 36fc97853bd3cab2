"""pycnn.learn: learning from personal examples, what the page and the CLI share.

Only pytest, NumPy and pycnn, so it also runs on Python 3.8 + NumPy 1.17.5 (`make compat`).
The model is small and untrained (a random trunk still gives features that tell simple
shapes apart), and the examples are synthetic strokes, so no data file is needed.
"""

import json

import numpy as np
import pytest

from pycnn.data.render import rasterize
from pycnn.learn.adaptation import Adaptation
from pycnn.learn.errors import AdaptError
from pycnn.learn.examples import (
    MAX_CLASSES_ADDED,
    MAX_TEXT_BYTES,
    Example,
    examples_json,
    load_examples,
)
from pycnn.learn.head import calibrate_class, class_prototypes, grow_output, last_dense
from pycnn.learn.render import render_examples
from pycnn.nn import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    Softmax,
    load_model,
    save_model,
)
from pycnn.read.preprocess import preprocess

LABELS = ["1", "-", "0", "7", "L"]
CIRCLE = [[0.5 + 0.3 * np.cos(a), 0.5 + 0.3 * np.sin(a)] for a in np.linspace(0, 6.3, 24)]
SHAPES = {
    "1": [[[0.5, 0.15], [0.5, 0.85]]],
    "-": [[[0.15, 0.5], [0.85, 0.5]]],
    "0": [CIRCLE],
    "7": [[[0.25, 0.2], [0.75, 0.2], [0.4, 0.85]]],
    "L": [[[0.3, 0.15], [0.3, 0.85], [0.75, 0.85]]],
    "+": [[[0.5, 0.15], [0.5, 0.85]], [[0.15, 0.5], [0.85, 0.5]]],
    "arrow": [[[0.15, 0.5], [0.85, 0.5]], [[0.65, 0.3], [0.85, 0.5], [0.65, 0.7]]],
}


def make_model(labels=LABELS, seed=3):
    return Sequential(
        [Conv2D(6, 3, padding="same"), ReLU(), MaxPool2D(2), Conv2D(8, 3), ReLU(),
         MaxPool2D(2), Flatten(), Dense(24), ReLU(), Dropout(0.2), Dense(len(labels)),
         Softmax()],
        input_shape=(1, 28, 28), labels=list(labels), seed=seed)


def example(label, rng, brush=0.045):
    """The shape of `label`, each point moved a little: one person's drawing of it."""
    strokes = [(brush, np.array(s) + rng.uniform(-0.03, 0.03, size=(len(s), 2)))
               for s in SHAPES[label]]
    return Example(label, strokes, 320)


def examples(labels, per_label, seed=0):
    rng = np.random.RandomState(seed)
    return [example(label, rng) for label in labels for _ in range(per_label)]


def rehearsal_of(labels, per_label=6, seed=1):
    """A small rehearsal set: augmented renderings of the shapes, as uint8 images."""
    rng = np.random.RandomState(seed)
    chosen = examples(labels, per_label, seed=seed + 1)
    images = render_examples(chosen, rng=rng)[:, 0]
    return np.round(images * 255).astype(np.uint8), [e.label for e in chosen]


def predicted(model, chosen):
    return [model.labels[k] for k in model.predict(render_examples(chosen))]


# --- the examples file ----------------------------------------------------------------------

def example_file(**overrides):
    entry = {"label": "g", "strokes": [{"brush": 0.045, "points": [[0.3, 0.4], [0.35, 0.5]]}],
             "pad_side": 320, "created": "2026-11-29T19:00:00Z"}
    entry.update(overrides)
    return {"format": "pycnn-examples", "version": 1, "examples": [entry]}


def test_load_examples_reads_the_page_format_as_object_text_and_bytes():
    obj = example_file()
    for given in (obj, json.dumps(obj), json.dumps(obj).encode("utf-8")):
        (loaded,) = load_examples(given)
        assert loaded.label == "g" and loaded.pad_side == 320
        brush, points = loaded.strokes[0]
        assert brush == 0.045 and points.shape == (2, 2)


def test_examples_json_round_trips():
    chosen = examples(["1", "+"], 2)
    again = load_examples(json.dumps(examples_json(chosen)))
    assert [e.label for e in again] == [e.label for e in chosen]
    for a, b in zip(again, chosen):
        for (brush_a, xy_a), (brush_b, xy_b) in zip(a.strokes, b.strokes):
            assert brush_a == brush_b and np.array_equal(xy_a, xy_b)


@pytest.mark.parametrize("given, message", [
    ("{not json", "not valid JSON"),
    ('{"format": "pycnn-examples", "version": 1, "examples": [NaN]}', "not valid JSON"),
    ("[" * 100 + "]" * 100, "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
    ({"format": "other", "version": 1, "examples": []}, "not a pycnn examples file"),
    ([1, 2], "not a pycnn examples file"),
    ({"format": "pycnn-examples", "version": 2, "examples": []}, "version 2, from a newer"),
    ({"format": "pycnn-examples", "version": 0, "examples": []}, "versions start at 1"),
    ({"format": "pycnn-examples", "version": "1", "examples": []}, "whole-number version"),
    ({"format": "pycnn-examples", "version": 1}, "no list of examples"),
    (example_file(label=""), "is empty"),
    (example_file(label="x" * 17), "has 17 characters; at most 16"),
    (example_file(label=" g"), "leading or trailing space"),
    (example_file(label="a\nb"), "control character"),
    (example_file(label=7), "must be text"),
    (example_file(strokes=[]), "has no ink"),
    (example_file(strokes=[{"brush": 0.045, "points": []}]), "has no ink"),
    (example_file(strokes="ink"), "no list of strokes"),
    (example_file(strokes=[{"brush": 0.045, "points": [[0.1, 0.2, 0.3]]}]), "[x, y] pairs"),
    (example_file(strokes=[{"brush": 0.045, "points": [[0.1, True]]}]), "[x, y] pairs"),
    (example_file(strokes=[{"brush": 0.045, "points": [[0.1, 5.0]]}]), "outside -1..2"),
    (example_file(strokes=[{"brush": 0.9, "points": [[0.1, 0.2]]}]), "brush of 0.9"),
    (example_file(strokes=[{"brush": "big", "points": [[0.1, 0.2]]}]), "must be a number"),
    (example_file(strokes=[{"brush": 0.045, "points": [[0.5, 0.5]]}] * 101), "101 strokes"),
    (example_file(strokes=[{"brush": 0.045, "points": [[0.5, 0.5]] * 2001}]), "2000 points"),
    (example_file(pad_side=1e9), "pad_side"),
])
def test_bad_examples_are_refused_with_a_sentence(given, message):
    with pytest.raises(AdaptError) as error:
        load_examples(given)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_too_many_examples_and_too_much_text_are_refused():
    many = {"format": "pycnn-examples", "version": 1, "examples": [0] * 2001}
    with pytest.raises(AdaptError, match="2001 examples; at most 2000"):
        load_examples(many)
    with pytest.raises(AdaptError, match="at most 16 MB"):
        load_examples(" " * (MAX_TEXT_BYTES + 1))


# --- drawing as the page draws ----------------------------------------------------------------

def test_an_example_renders_as_the_page_draws_its_strokes():
    """Points at (x, y) * S px, each stroke with its own brush * S px, the canvas's 8-bit
    alpha, then the page's own preprocess: what the page computes from its pad."""
    side = 200
    strokes = [(0.03, np.array([[0.2, 0.2], [0.8, 0.7]])), (0.07, np.array([[0.5, 0.3]]))]
    mine = render_examples([Example("x", strokes, side)], pad_size=side)[0, 0]
    alpha = np.zeros((side, side), np.float32)
    for brush, xy in strokes:  # the canvas: one stroke after another, ink where any is
        connects = np.arange(len(xy)) < len(xy) - 1
        alpha = np.maximum(alpha, rasterize(xy * side, connects, np.zeros(len(xy), np.int64),
                                            1, side, brush * side)[0])
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[..., 3] = np.round(alpha * 255).astype(np.uint8)
    assert np.allclose(mine, preprocess(rgba), atol=1e-6)


def test_augmented_renderings_are_seeded_and_differ_from_the_drawing():
    chosen = examples(["7"], 1)
    a = render_examples(chosen, rng=np.random.RandomState(5))
    b = render_examples(chosen, rng=np.random.RandomState(5))
    assert np.array_equal(a, b) and a.any()
    assert not np.allclose(a, render_examples(chosen))


# --- growing the output layer -----------------------------------------------------------------

def test_a_new_label_adds_one_class_and_leaves_every_old_logit_as_it_was():
    model = make_model()
    chosen = examples(["+"], 3)
    x = render_examples(examples(LABELS + ["+"], 2, seed=9))
    features = model.forward(render_examples(chosen), upto=last_dense(model))
    grown = grow_output(model, ["+"], {"+": features})
    assert grown.labels == LABELS + ["+"]
    before, after = model.predict_logits(x), grown.predict_logits(x)
    assert after.shape == (len(x), len(LABELS) + 1)
    assert np.array_equal(after[:, :len(LABELS)], before)
    # The new column is the examples' mean feature, as long as the old columns on average.
    weight = grown.layers[last_dense(grown)].params["weight"]
    old_norm = np.sqrt((weight[:, :-1].astype(np.float64) ** 2).sum(axis=0)).mean()
    mean = features.mean(axis=0)
    assert np.allclose(weight[:, -1], mean / np.linalg.norm(mean) * old_norm, rtol=1e-4)


def test_adaptation_adds_exactly_one_class_per_new_label_and_holds_back_too_few():
    model = make_model()
    chosen = examples(["+"], 3) + examples(["arrow"], 2) + examples(["1"], 2)
    adaptation = Adaptation(model, chosen, rehearsal=rehearsal_of(LABELS), steps=5)
    assert adaptation.labels_added == ["+"] and adaptation.classes_added == 1
    assert adaptation.held_back == ["arrow"]
    adapted = adaptation.run()
    assert adapted.labels == LABELS + ["+"]
    assert adapted.metadata["adaptation"]["labels_added"] == ["+"]
    assert model.labels == LABELS  # the model it started from is untouched
    assert model.layers[-2].params["weight"].shape == (24, len(LABELS))


def test_adapting_makes_the_examples_read_as_their_labels():
    model = make_model()
    chosen = examples(LABELS + ["+"], 3)
    assert predicted(model, chosen) != [e.label for e in chosen]
    # No rehearsal: it would hold this untrained model to its random answers. The rate is
    # larger than the default, made for a trained model that needs only a nudge.
    adapted = Adaptation(model, chosen, rehearsal=(), seed=1, steps=200,
                         learning_rate=1e-3).run()
    assert predicted(adapted, chosen) == [e.label for e in chosen]
    # Drawings the adaptation never saw, by the same "hand", read right too.
    unseen = examples(LABELS + ["+"], 2, seed=42)
    right = np.mean(np.array(predicted(adapted, unseen)) == [e.label for e in unseen])
    assert right >= 0.9


def test_rehearsal_keeps_the_classes_that_were_not_taught():
    """Taught only "+" and "0", the model still answers the others as it did before."""
    model = Adaptation(make_model(), examples(LABELS, 3), rehearsal=(), seed=2, steps=200,
                       learning_rate=1e-3).run()
    others = examples(["1", "-", "7", "L"], 4, seed=11)
    before = predicted(model, others)
    kept = Adaptation(model, examples(["+", "0"], 4, seed=5), rehearsal=rehearsal_of(LABELS),
                      seed=3, steps=150, learning_rate=1e-3).run()
    forgot = Adaptation(model, examples(["+", "0"], 4, seed=5), rehearsal=(), seed=3,
                        steps=150, learning_rate=1e-3).run()
    agree_kept = np.mean(np.array(predicted(kept, others)) == before)
    agree_forgot = np.mean(np.array(predicted(forgot, others)) == before)
    assert agree_kept >= 0.9
    assert agree_forgot < agree_kept  # without rehearsal they turn into "+" or "0"


def trained_model():
    return Adaptation(make_model(), examples(LABELS, 3), rehearsal=(), seed=2, steps=200,
                      learning_rate=1e-3).run()


def test_a_new_symbol_wins_near_its_examples_and_leaves_the_old_classes_exactly():
    """Taught alone, a new symbol gets a calibrated prototype and no gradient step: other
    drawings of it read as it, the other classes' drawings keep their answers, and every
    old logit is exactly what it was."""
    model = trained_model()
    taught = Adaptation(model, examples(["+"], 5, seed=5), rehearsal=rehearsal_of(LABELS),
                        seed=3).run()
    assert taught.labels == LABELS + ["+"]
    assert taught.metadata["adaptation"]["steps"] == 0
    assert taught.metadata["adaptation"]["prototypes"] == 1
    others = examples(LABELS, 6, seed=13)
    x = render_examples(others)
    assert np.array_equal(taught.predict_logits(x)[:, :len(LABELS)], model.predict_logits(x))
    assert predicted(taught, others) == predicted(model, others)
    assert predicted(taught, examples(["+"], 6, seed=8)) == ["+"] * 6


def test_a_new_symbol_is_read_only_by_a_margin_near_its_examples():
    """The new class's lead over the best old class is positive on drawings like the
    taught ones and negative on every other class's drawings, and it falls as a drawing of
    "+" turns into a "-" (its vertical stroke shrinking away)."""
    model = trained_model()
    taught = Adaptation(model, examples(["+"], 5, seed=5), rehearsal=rehearsal_of(LABELS),
                        seed=3).run()

    def lead(chosen):
        z = taught.predict_logits(render_examples(chosen))
        return z[:, -1] - z[:, :-1].max(axis=1)

    assert (lead(examples(["+"], 6, seed=21)) > 0).all()
    assert (lead(examples(LABELS, 4, seed=22)) < 0).all()
    leads = []
    for length in (0.35, 0.0):
        strokes = [(0.045, np.array([[0.15, 0.5], [0.85, 0.5]]))]
        if length:
            strokes.append((0.045, np.array([[0.5, 0.5 - length], [0.5, 0.5 + length]])))
        leads.append(lead([Example("+", strokes, 320)])[0])
    assert leads[0] > 0 > leads[1]


def turned(chosen, degrees=0.0, size=1.0, brush=None):
    """The drawings turned and scaled about their ink's centre, with another brush."""
    out = []
    for e in chosen:
        points = np.concatenate([p for _, p in e.strokes])
        centre = (points.min(axis=0) + points.max(axis=0)) / 2
        a = np.radians(degrees)
        rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        out.append(Example(e.label, [(brush or b, (p - centre) @ rotation.T * size + centre)
                                     for b, p in e.strokes], e.pad_side))
    return out


def test_one_correction_reads_as_corrected_with_its_variations_and_nothing_else_moves():
    """"Not right?" on one drawing: an old class taught from one example gets a calibrated
    prototype on top of the fine-tune, so the drawing, turned by 5 degrees, 10% larger or
    smaller or with another brush, reads as the correction; the other classes' drawings keep
    their answers."""
    model = trained_model()
    drawing = examples(["+"], 1, seed=31)[0]  # a shape between classes, taught as a "7"
    corrected = Example("7", drawing.strokes, drawing.pad_side)
    assert predicted(model, [corrected]) != ["7"]
    adaptation = Adaptation(model, [corrected], rehearsal=rehearsal_of(LABELS), seed=3)
    adapted = adaptation.run()
    assert adaptation.old_prototypes and adapted.metadata["adaptation"]["prototypes"] == 1
    variations = [corrected] + turned([corrected], -5) + turned([corrected], 5) \
        + turned([corrected], size=0.9) + turned([corrected], size=1.1) \
        + turned([corrected], brush=0.03) + turned([corrected], brush=0.07)
    assert predicted(adapted, variations) == ["7"] * len(variations)
    others = examples(LABELS, 5, seed=33)
    assert predicted(adapted, others) == predicted(model, others)


def test_calibrated_prototype_separates_its_examples_from_the_others():
    """pycnn.learn.head on made-up features: a new class near direction 2 wins on
    its own rows only, an old class taught keeps the rows that were read as it."""
    rng = np.random.RandomState(0)
    dims = 12
    centres = np.eye(dims)[:3] * 4 + 1

    def rows(c, n):
        return np.maximum(centres[c] + rng.normal(0, 0.6, size=(n, dims)), 0)

    h = np.concatenate([rows(0, 40), rows(1, 40), rows(2, 30)])
    classes = np.repeat([0, 1, 2], [40, 40, 30])
    weight = np.zeros((dims, 3), np.float32)
    weight[:, 0], weight[:, 1] = centres[0] - 1, centres[1] - 1
    bias = np.zeros(3, np.float32)
    logits = h @ weight.astype(np.float64) + bias
    logits[:, 2] = -50.0  # a new column, not yet set
    neighbours = class_prototypes(h, classes, 2)
    calibrate_class(2, h, logits, classes, True, weight, bias, neighbours=neighbours)
    z = h @ weight.astype(np.float64) + bias
    assert np.allclose(z, logits)  # the logits kept are the layer's own
    assert (z.argmax(axis=1) == classes).mean() >= 0.97
    far = np.maximum(centres[0] + centres[2] * 0.1 - 0.1, 0)[None]  # near class 0 only
    assert (far @ weight + bias).argmax() == 0


def test_train_new_changes_only_the_new_columns():
    model = make_model()
    adapted = Adaptation(model, examples(["+", "1"], 3), rehearsal=rehearsal_of(LABELS),
                         train="new", steps=20).run()
    x = render_examples(examples(LABELS, 2, seed=4))
    assert np.array_equal(adapted.predict_logits(x)[:, :len(LABELS)], model.predict_logits(x))


# --- slices -----------------------------------------------------------------------------------

def parameters(model):
    return [p.copy() for _, p, _ in model.parameters()]


def test_learning_in_slices_gives_exactly_the_model_of_one_run():
    chosen = examples(["+", "0", "7"], 3)
    rehearsal = rehearsal_of(LABELS)
    whole = Adaptation(make_model(), chosen, rehearsal=rehearsal, seed=4, steps=30).run()
    sliced = Adaptation(make_model(), chosen, rehearsal=rehearsal, seed=4, steps=30)
    progress, calls = None, 0
    while not sliced.done:
        progress = sliced.step(0.0)  # one unit of work a call, the smallest slice
        calls += 1
        assert progress["step"] == calls and progress["steps_total"] == sliced.steps_total
        assert progress["seconds_left"] >= 0
    assert progress["done"] and progress["loss"] is not None and np.isfinite(progress["loss"])
    assert calls == sliced.steps_total
    at_once = Adaptation(make_model(), chosen, rehearsal=rehearsal, seed=4, steps=30)
    assert at_once.step(600.0)["done"]  # a long slice runs every unit
    for a, b in zip(parameters(whole), parameters(sliced.result())):
        assert np.array_equal(a, b)


def test_a_second_adaptation_takes_rehearsal_features_from_the_cache():
    chosen = examples(["+", "7"], 3)
    rehearsal = rehearsal_of(LABELS)
    cache = {}
    first = Adaptation(make_model(), chosen, rehearsal=rehearsal, seed=6, steps=20,
                       feature_cache=cache)
    first_model = first.run()
    second = Adaptation(make_model(), chosen, rehearsal=rehearsal, seed=6, steps=20,
                        feature_cache=cache)
    assert second.steps_total < first.steps_total  # no trunk pass for rehearsal images
    # Equal up to rounding: the distillation targets come from batches of other sizes.
    for a, b in zip(parameters(first_model), parameters(second.run())):
        assert np.allclose(a, b, rtol=1e-4, atol=1e-6)
    other_trunk = Adaptation(make_model(seed=4), chosen, rehearsal=rehearsal, seed=6,
                             steps=20, feature_cache=cache)
    assert other_trunk.steps_total == first.steps_total  # another trunk: nothing cached
    images, labels = rehearsal
    other_images = Adaptation(make_model(), chosen, rehearsal=(255 - images, labels), seed=6,
                              steps=20, feature_cache=cache)
    assert other_images.steps_total == first.steps_total  # other rehearsal images


def test_rehearsal_features_shipped_for_the_trunk_replace_its_passes():
    from pycnn.learn.adaptation import trunk_fingerprint
    from pycnn.learn.head import head_start

    chosen = examples(["+", "7"], 3)
    rehearsal = rehearsal_of(LABELS)
    model = make_model()
    start = head_start(model)
    x = rehearsal[0][:, None].astype(np.float32) / np.float32(255)
    shipped = (trunk_fingerprint(model, start),
               model.forward(x, upto=start).astype(np.float16))
    plain = Adaptation(model, chosen, rehearsal=rehearsal, seed=6, steps=20)
    fast = Adaptation(model, chosen, rehearsal=rehearsal, seed=6, steps=20,
                      rehearsal_features=shipped)
    assert fast.steps_total < plain.steps_total  # no trunk pass for the rehearsal images
    for a, b in zip(parameters(plain.run()), parameters(fast.run())):
        assert np.allclose(a, b, rtol=1e-2, atol=1e-3)  # float16 features: nearly the same
    other = Adaptation(make_model(seed=4), chosen, rehearsal=rehearsal, seed=6, steps=20,
                       rehearsal_features=shipped)
    assert other.steps_total == plain.steps_total  # another trunk: the features are ignored


def test_result_before_done_is_refused():
    adaptation = Adaptation(make_model(), examples(["1"], 1), rehearsal=(), steps=3)
    with pytest.raises(AdaptError, match="not finished"):
        adaptation.result()


def test_an_adapted_model_saves_and_loads_with_the_safe_loader(tmp_path):
    adapted = Adaptation(make_model(), examples(["arrow"], 3), rehearsal=(), steps=5).run()
    path = tmp_path / "mine.npz"
    save_model(adapted, path)
    loaded = load_model(path)
    assert loaded.labels == LABELS + ["arrow"]
    x = render_examples(examples(["arrow"], 1))
    assert np.array_equal(loaded.predict_logits(x), adapted.predict_logits(x))


@pytest.mark.parametrize("chosen, message", [
    ([], "no examples"),
    ([Example("+", [(0.045, np.array([[0.5, 0.5], [0.6, 0.6]]))])], "fewer than 3"),
    ([Example("1", [(0.045, np.array([[1.8, 1.8], [1.9, 1.9]]))])], "no ink on the pad"),
])
def test_adaptations_that_cannot_learn_say_why(chosen, message):
    with pytest.raises(AdaptError, match=message):
        Adaptation(make_model(), chosen, rehearsal=())


def test_too_many_new_labels_are_refused():
    chosen = [Example("s%d" % k, [(0.045, np.array([[0.2, 0.2], [0.7, 0.8]]))])
              for k in range(MAX_CLASSES_ADDED + 1) for _ in range(3)]
    with pytest.raises(AdaptError, match="65 new labels are too many; at most 64"):
        Adaptation(make_model(), chosen, rehearsal=())
