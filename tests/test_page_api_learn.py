"""The page's learning requests (pycnn.page.api), called the way web/worker.js calls them.

Only pytest, NumPy and pycnn, so it also runs on Python 3.8 + NumPy 1.17.5 (`make compat`).
"""

import json

import numpy as np
import pytest
from test_adapt import LABELS, SHAPES, examples, make_model, rehearsal_of

from pycnn.learn.examples import examples_json
from pycnn.learn.render import render_examples
from pycnn.nn import load_model, save_model
from pycnn.nn.serialize import ModelFileError
from pycnn.page.api import PageApi
from pycnn.read.preprocess import preprocess

SIDE = 200


@pytest.fixture()
def api(tmp_path):
    """A PageApi on an untrained model, with a rehearsal set beside it, as the page has."""
    path = tmp_path / "model.npz"
    save_model(make_model(), path)
    images, labels = rehearsal_of(LABELS)
    np.savez(tmp_path / "rehearsal.npz", images=images, labels=np.array(labels))
    return PageApi(str(path))


def call(api, request_type, data=None, **fields):
    fields.setdefault("id", 1)
    reply, payload = api.handle(request_type, json.dumps(fields), data)
    return json.loads(reply), payload


def examples_bytes(labels, per_label, seed=0):
    return json.dumps(examples_json(examples(labels, per_label, seed))).encode("utf-8")


def learn(api, labels, per_label=3, max_ms=5, **fields):
    begin, _ = call(api, "learn_begin", examples_bytes(labels, per_label), **fields)
    replies = []
    while True:
        progress, payload = call(api, "learn_step", max_ms=max_ms)
        assert payload is None
        replies.append(progress)
        if progress["done"]:
            return begin, replies


def rgba(label):
    """The pad's pixels for a drawing of `label`, drawn as the page draws it."""
    example = examples([label], 1, seed=77)[0]
    alpha = np.zeros((SIDE, SIDE), np.float32)
    from pycnn.data.render import rasterize

    for brush, xy in example.strokes:
        connects = np.arange(len(xy)) < len(xy) - 1
        alpha = np.maximum(alpha, rasterize(xy * SIDE, connects, np.zeros(len(xy), np.int64),
                                            1, SIDE, brush * SIDE)[0])
    pixels = np.zeros((SIDE, SIDE, 4), np.uint8)
    pixels[..., 3] = np.round(alpha * 255).astype(np.uint8)
    return pixels.tobytes()


def test_learning_a_new_symbol_in_slices_makes_it_mine_and_in_use(api):
    begin, replies = learn(api, ["+"], per_label=4, steps=40)
    assert begin["classes_added"] == 1 and begin["labels_added"] == ["+"]
    assert begin["held_back"] == [] and begin["examples"] == 4 and begin["from"] == "original"
    assert [r["step"] for r in replies] == sorted(r["step"] for r in replies)
    assert replies[-1]["step"] == replies[-1]["steps_total"] == begin["steps_total"]
    assert all(r["labels"] is None for r in replies[:-1])
    assert replies[-1]["labels"] == LABELS + ["+"]
    info, _ = call(api, "info")
    assert info["labels"] == LABELS + ["+"]
    assert api.which() == "mine"
    answer, _ = call(api, "recognise", rgba("+"), width=SIDE, height=SIDE)
    assert len(answer["top5"]) == 5


def test_recognising_between_slices_answers_with_the_model_in_use(api):
    call(api, "learn_begin", examples_bytes(["+"], 3), steps=20)
    call(api, "learn_step", max_ms=0)
    answer, _ = call(api, "recognise", rgba("1"), width=SIDE, height=SIDE)
    assert not answer["empty"] and all(label != "+" for label, _ in answer["top5"])


def test_examples_in_the_fields_work_too(api):
    fields = examples_json(examples(["1", "0"], 2))
    begin, _ = call(api, "learn_begin", examples=fields, steps=3)
    assert begin["classes_added"] == 0 and begin["examples"] == 4


def test_export_load_use_and_forget(api, tmp_path):
    learn(api, ["+"], steps=10)
    exported, payload = call(api, "model_export")
    assert exported["which"] == "mine" and exported["bytes"] == len(payload)
    assert exported["labels"] == LABELS + ["+"]
    path = tmp_path / "mine.npz"
    path.write_bytes(payload)
    assert load_model(path).labels == LABELS + ["+"]  # an ordinary model file

    used, _ = call(api, "model_use", which="original")
    assert used == {"which": "original", "labels": LABELS}
    used, _ = call(api, "model_use", which="mine")
    assert used["labels"] == LABELS + ["+"]
    original, payload_original = call(api, "model_export", which="original")
    assert original["labels"] == LABELS and payload_original[:2] == b"PK"

    forgot, _ = call(api, "model_forget")
    assert forgot == {"which": "original", "labels": LABELS}
    with pytest.raises(ValueError, match="no personal model"):
        call(api, "model_use", which="mine")
    loaded, _ = call(api, "model_load", payload)
    assert loaded == {"labels": LABELS + ["+"], "in_use": "mine"}
    x = preprocess(np.frombuffer(rgba("+"), np.uint8).reshape(SIDE, SIDE, 4))
    assert np.array_equal(api.recognizer.model.predict_logits(x[None, None]),
                          load_model(path).predict_logits(x[None, None]))


def test_learning_again_starts_from_mine(api):
    learn(api, ["+"], steps=5)
    begin, _ = learn(api, ["arrow"], steps=5)
    assert begin["from"] == "mine"
    assert api.recognizer.labels == LABELS + ["+", "arrow"]
    begin, _ = learn(api, ["L"], steps=5, **{"from": "original"})
    assert api.recognizer.labels == LABELS


def test_a_bad_model_file_is_refused_and_changes_nothing(api):
    learn(api, ["+"], steps=5)
    before = api.recognizer
    for payload in (b"", b"PK\x03\x04 not a zip", b"\x93NUMPY" + b"\0" * 100):
        with pytest.raises(ModelFileError) as error:
            call(api, "model_load", payload)
        assert str(error.value).startswith("this model file cannot be used: ")
        assert "/tmp" not in str(error.value)
    assert api.recognizer is before and api.which() == "mine"
    with pytest.raises(ValueError, match="needs the model file"):
        call(api, "model_load")


def test_cancel_drops_the_learning_and_keeps_the_model(api):
    call(api, "learn_begin", examples_bytes(["+"], 3), steps=50)
    call(api, "learn_step", max_ms=0)
    assert call(api, "learn_cancel")[0] == {"cancelled": True}
    assert call(api, "learn_cancel")[0] == {"cancelled": False}
    assert api.recognizer.labels == LABELS
    with pytest.raises(ValueError, match="nothing is being learnt"):
        call(api, "learn_step")


@pytest.mark.parametrize("data, fields, message", [
    (None, {}, "needs the examples"),
    (b"{broken", {}, "not valid JSON"),
    (b'{"format": "pycnn-examples", "version": 9, "examples": []}', {}, "newer pycnn"),
    (json.dumps(examples_json(examples(["+"], 2))).encode(), {}, "fewer than 3"),
    (examples_bytes(["1"], 1), {"from": "mine"}, "no personal model"),
    (examples_bytes(["1"], 1), {"from": "yours"}, "'mine' or 'original'"),
    (examples_bytes(["1"], 1), {"steps": "many"}, "steps must be a whole number"),
    (examples_bytes(["1"], 1), {"seed": -1}, "seed must be a whole number"),
])
def test_bad_learn_requests_say_why(api, data, fields, message):
    with pytest.raises(ValueError, match=message):
        call(api, "learn_begin", data, **fields)
    assert api.adaptation is None and api.recognizer.labels == LABELS


def test_a_missing_rehearsal_set_is_a_sentence(tmp_path):
    path = tmp_path / "model.npz"
    save_model(make_model(), path)
    api = PageApi(str(path))
    with pytest.raises(ValueError, match="rehearsal set .* is missing"):
        call(api, "learn_begin", examples_bytes(["1"], 1))


def test_shapes_cover_the_labels():
    assert set(LABELS) <= set(SHAPES)


def test_a_new_symbol_learnt_in_the_page_leaves_every_old_logit_as_it_was(api):
    """No gradient step for a symbol taught alone: the personal model's logits of the old
    classes are the original's, bit for bit, and drawings of the symbol read as it."""
    begin, replies = learn(api, ["+"], per_label=5)
    assert replies[-1]["labels"] == LABELS + ["+"]
    mine, original = api.mine[0].model, api.original.model
    x = render_examples([examples([label], 1, seed=91)[0] for label in LABELS + ["+"]])
    assert np.array_equal(mine.predict_logits(x)[:, :len(LABELS)], original.predict_logits(x))
    assert mine.metadata["adaptation"]["steps"] == 0


def test_rehearsal_features_beside_the_model_spare_the_trunk_passes(tmp_path):
    """A rehearsal file made for this model's trunk carries its images' features, so
    learn_begin plans no trunk pass for them; one made for another trunk is ignored."""
    from pycnn.learn.adaptation import trunk_fingerprint
    from pycnn.learn.head import head_start

    model = make_model()
    images, labels = rehearsal_of(LABELS)
    start = head_start(model)
    features = model.forward(images[:, None].astype(np.float32) / np.float32(255), upto=start)
    steps = {}
    for name, trunk in (("same", trunk_fingerprint(model, start)), ("other", "0" * 40)):
        folder = tmp_path / name
        folder.mkdir()
        save_model(model, folder / "model.npz")
        np.savez(folder / "rehearsal.npz", images=images, labels=np.array(labels),
                 features=features.astype(np.float16), trunk=np.array([trunk]))
        begin, _ = call(PageApi(str(folder / "model.npz")), "learn_begin",
                        examples_bytes(["1", "0"], 2), steps=3)
        steps[name] = begin["steps_total"]
    assert steps["same"] < steps["other"]
