"""The page's one API: everything the drawing page's Web Worker asks of Python.

web/worker.js loads a model with `PageApi(path)` and then, for every request the page
sends, calls one function and posts back what it returns:

    PageApi.handle(type, fields_json, data) -> [reply_json, payload]

fields_json is the request's own fields as a JSON object (always with the request's "id"),
data its one binary part (a JS typed array, which Pyodide passes as a JsProxy) or None.
The reply is what Pyodide 0.17's `toJs()` converts cheapest: a JSON string (a dict would
become a JS Map) and one `bytes` payload or None (bytes arrive as a Uint8Array with a
buffer of its own, which the worker transfers to the page without a copy). Arrays travel
as little-endian float32 bytes; the JSON says their shapes.

The requests, in REQUESTS below. `set` is a character set (pycnn.read.charsets: a name such as
"digits" or the characters themselves); where it is optional it defaults to "all". A bad set
raises CharsetError, a ValueError with a sentence, as every other bad request does.

    info       {}                        -> {labels, network, filters: {index, shape} | null,
                                             sets: {name: {size, error}}, requests: the
                                             request types handled, in_use: "mine" |
                                             "original"}
                                            payload: the first Conv2D's weights, or None
    check_set  {set}                     -> {set, size, error}: whether this model can read
                                            `set` (error: a sentence, or null)
    recognise  {width, height, set?}, data: RGBA bytes
                                         -> {empty, top5: [[label, p], ...], set, lookalikes,
                                             unsure, input_shape}
                                            payload: the 28x28 input, or None when empty
    reread     {recognition, set}        -> {top5, set, lookalikes, unsure}, or top5 null unless
                                            `recognition` is the latest recognition with ink:
                                            its answer within another set, from the logits
                                            it kept (no second pass)
    inspect    {recognition, set?}       -> {layout: [{index, name, shape, offset}] | null,
                                             in_set: [bool per label] | null}
                                            payload: every layer's output (the last, the
                                            probabilities within `set`), or None unless
                                            `recognition` is the latest traced recognition

Learning (`pycnn.learn` does the work, imported on the first learn request so it costs the
page's start-up nothing). The page's examples file is `pycnn.learn.examples`'s
format.
"mine" is the personal model, "original" the one the page loaded; recognise, reread,
inspect and info use the one in use.

    learn_begin   {examples?, from?: "mine" | "original", seed?, steps?}, data: the examples
                  file as UTF-8 JSON bytes (or `examples`, the parsed object, in the fields)
                                         -> {steps_total, classes_added, labels_added,
                                             held_back, examples, from}
                                            learning starts from "mine" when there is one
                                            (default) or from the original; a learning
                                            already under way is replaced
    learn_step    {max_ms?}              -> {step, steps_total, loss, seconds_left, done,
                                             labels}: works for about max_ms (default 40;
                                            one unit of work at least, each about 60 ms in
                                            the page at most); once done, the learnt model
                                            becomes "mine" and is in use, and `labels` are
                                            its labels (null before)
    learn_cancel  {}                     -> {cancelled}: drops the learning under way, if any
    model_export  {which?}               -> {which, bytes, labels}; payload: the model file
                                            (.npz) of "mine" (default) or "original"
    model_load    {use?}, data: .npz bytes
                                         -> {labels, in_use}: the bytes checked by the safe
                                            loader as any model file; becomes "mine" and, if
                                            `use` (default true), the model in use
    model_use     {which}                -> {which, labels}: "mine" or "original"
    model_forget  {}                     -> {which: "original", labels}: drops "mine"

Words (`pycnn.page.word_api` does the work, imported on the first word request; the worker
fetches the word model, the word list and the word modules then: files.json's "words").

    words_load     {model, lexicon}      -> {characters, lexicon_words, columns_per_frame,
                                             personal}: loads the word model and the word list
                                            at these paths (once: again, it costs nothing)
    words_read     {width, height, set?}, data: the word pad's RGBA bytes
                                         -> {empty, too_long, message, raw, spans, words:
                                             [[word, score], ...], kinds, word_spans, frames,
                                             frame_confidence, columns_per_frame, unsure, set,
                                             pad: {x0, dx} | null, input_shape}
                                            payload: the (32, W) input, or None when empty or
                                            too long (too_long: true, message: a sentence)
    words_reread   {recognition, set}    -> the same, for the latest word read, decoded within
                                            `set` from its kept frames; {words: null, set}
                                            unless `recognition` is the latest word with ink
    words_personal {words: [[word, count], ...]}
                                         -> {personal}: replaces the personal words
    words_inspect  {recognition, set?}   -> {layout: [{index, name, shape, offset}] | null}
                                            payload: every layer's output for the latest word,
                                            then its per-frame probabilities within `set`

top5 holds only labels in the set. lookalikes is null, or, in set "all" only, when the leading
answers look alike: {labels: ["0", "O"], sets: the named sets that tell them apart}. unsure:
what is shown (the look-alikes together, or the first answer) has a summed probability below
the model's threshold, chosen on validation by pycnn.derive_lookalikes.

Adding a request type is one method here, one entry in REQUESTS, and one method in
web/recognizer-client.js that sends it and decodes its reply.

It runs in the page on Python 3.8 with NumPy 1.17.5, and is unit-tested in CPython.
"""

import json
import os
import tempfile

import numpy as np

from pycnn.read.charsets import SET_NAMES, CharsetError
from pycnn.read.recognizer import MAX_CANVAS_SIDE, Recognizer


def float32_bytes(array):
    """An array as the little-endian float32 bytes a JS Float32Array reads, in C order."""
    return np.ascontiguousarray(array, dtype="<f4").tobytes()


def bytes_from_js(data):
    """The request's binary part as a Python buffer: a JsProxy of a typed array is copied
    with to_py() (a memoryview of unsigned bytes); bytes-like objects pass as they are."""
    if data is not None and hasattr(data, "to_py"):
        return data.to_py()
    return data


def field(fields, name, request):
    if name not in fields:
        raise ValueError("the %s request needs the field %r" % (request, name))
    return fields[name]


def whole_number(fields, name, default, low, high):
    """fields[name] as an int from low to high (default when absent), or a ValueError."""
    value = fields.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError("%s must be a whole number from %d to %d, not %r"
                         % (name, low, high, value))
    return value


def which_model(value, refusal="which must be 'mine' or 'original', not %r"):
    """`value` if it names a model the page holds ("mine" or "original"), or a ValueError
    saying `refusal`."""
    if value not in ("mine", "original"):
        raise ValueError(refusal % (value,))
    return value


class PageApi:
    """One loaded model and the page's requests on it.

    `traced_id` is the id of the recognition whose forward pass the recognizer keeps, so
    "inspect" serves the layers of the very pass that made an answer, or nothing.
    """

    def __init__(self, model_path, rehearsal_path=None):
        self.recognizer = Recognizer(model_path)
        self.traced_id = None
        self.original_path = model_path
        self.original = self.recognizer
        self.mine = None  # (Recognizer, model file bytes) of the personal model
        self.adaptation = None
        # The trunk's features of rehearsal images: the trunk never learns, so a second
        # learning skips them (pycnn.learn.adaptation.Adaptation's feature_cache).
        self.feature_cache = {}
        # The rehearsal set ships beside the model (weights/rehearsal.npz).
        self.rehearsal_path = rehearsal_path or os.path.join(
            os.path.dirname(os.path.abspath(model_path)), "rehearsal.npz")
        self.word_api = None  # pycnn.page.word_api.WordApi, made by the first word request

    def handle(self, request_type, fields_json, data=None):
        """Run one request from the worker; [reply as JSON text, payload bytes or None]."""
        method = self.REQUESTS.get(request_type)
        if method is None:
            raise ValueError("unknown request type %r (known: %s)"
                             % (request_type, ", ".join(sorted(self.REQUESTS))))
        reply, payload = method(self, json.loads(fields_json), bytes_from_js(data))
        return [json.dumps(reply), payload]

    def info(self, fields, data):
        """What the page shows before any drawing: labels, the architecture, the filters,
        and which named sets this model can read (the page offers only those)."""
        recognizer = self.recognizer
        filters = recognizer.first_conv_filters()
        reply = {"labels": recognizer.labels, "network": recognizer.network(),
                 "filters": None if filters is None
                 else {"index": filters[0], "shape": list(filters[1].shape)},
                 "sets": {name: self.describe_set(name) for name in SET_NAMES},
                 "requests": sorted(self.REQUESTS), "in_use": self.which()}
        return reply, None if filters is None else float32_bytes(filters[1])

    def describe_set(self, charset):
        """{set, size: classes in it, error: why this model can't read it, or None}."""
        try:
            size = int(self.recognizer.charset_mask(charset).sum())
        except CharsetError as error:
            return {"set": charset, "size": 0, "error": str(error)}
        return {"set": charset, "size": size, "error": None}

    def check_set(self, fields, data):
        """Whether set `set` (a link's ?set=, say) can be read, as data: never raises."""
        return self.describe_set(field(fields, "set", "check_set")), None

    def recognise(self, fields, data):
        """Read one drawing within set `set`. Every recognition keeps its layer outputs and
        logits (references, no copies), so a later "inspect" or "reread" costs no second
        pass."""
        self.traced_id = None
        request_id = field(fields, "id", "recognise")
        charset = fields.get("set", "all")
        result = self.recognizer.recognise_rgba(
            data, field(fields, "width", "recognise"), field(fields, "height", "recognise"),
            trace=True, charset=charset)
        if result["empty"]:
            return ({"empty": True, "top5": [], "set": charset, "lookalikes": None,
                     "unsure": False, "input_shape": None}, None)
        self.traced_id = request_id
        image = result["input"]
        return ({"empty": False, "top5": result["top5"], "set": charset,
                 "lookalikes": result["lookalikes"], "unsure": result["unsure"],
                 "input_shape": list(image.shape)},
                float32_bytes(image))

    def reread(self, fields, data):
        """The answer of recognition `recognition` within set `set`, if it is the latest one
        with ink: the page's "Read as" applied at once to the drawing already on the pad."""
        charset = field(fields, "set", "reread")
        self.recognizer.charset_mask(charset)  # a bad set is an error even for a stale id
        if field(fields, "recognition", "reread") != self.traced_id:
            return {"top5": None, "set": charset, "lookalikes": None, "unsure": False}, None
        answer = self.recognizer.reread(charset)
        return {"top5": answer["top5"], "set": charset, "lookalikes": answer["lookalikes"],
                "unsure": answer["unsure"]}, None

    def inspect(self, fields, data):
        """Every layer's output for recognition `recognition`, if it is the latest one with
        ink, the probabilities read within set `set`; packing copies, so it happens only when
        the page asks."""
        charset = fields.get("set", "all")
        mask = self.recognizer.charset_mask(charset)
        packed = None
        if field(fields, "recognition", "inspect") == self.traced_id:
            packed = self.recognizer.layer_activations(charset)
        if packed is None:
            return {"layout": None, "in_set": None}, None
        layout, values = packed
        return {"layout": layout, "in_set": [bool(m) for m in mask]}, float32_bytes(values)

    # --- learning ----------------------------------------------------------------------------
    def _use(self, recognizer):
        self.recognizer = recognizer
        self.traced_id = None  # the kept pass belongs to the other model

    def which(self):
        return "mine" if self.mine is not None and self.recognizer is self.mine[0] else "original"

    def learn_begin(self, fields, data):
        """Start learning from the examples (the page's examples file); nothing changes in
        the model in use until learn_step reports done."""
        from pycnn.learn.adaptation import Adaptation
        from pycnn.learn.errors import AdaptError
        from pycnn.learn.examples import load_examples
        from pycnn.learn.rehearsal import load_rehearsal, load_rehearsal_features

        source = fields.get("examples") if data is None else bytes(data)
        if source is None:
            raise ValueError("the learn_begin request needs the examples (the request's data "
                             "or the field 'examples')")
        start = which_model(fields.get("from", "mine" if self.mine is not None else "original"),
                            "learning starts from 'mine' or 'original', not %r")
        if start == "mine" and self.mine is None:
            raise ValueError("there is no personal model to start from")
        examples = load_examples(source)
        if not os.path.exists(self.rehearsal_path):
            raise AdaptError("the rehearsal set (%s) is missing, so learning would make the "
                             "model forget what it was not shown" % self.rehearsal_path)
        model = (self.mine[0] if start == "mine" else self.original).model
        self.adaptation = None
        if getattr(self, "rehearsal", None) is None:  # read once: it never changes
            self.rehearsal = (load_rehearsal(self.rehearsal_path),
                              load_rehearsal_features(self.rehearsal_path))
        self.adaptation = Adaptation(
            model, examples, rehearsal=self.rehearsal[0],
            seed=whole_number(fields, "seed", 0, 0, 2 ** 31 - 1),
            steps=whole_number(fields, "steps", None, 0, 100000),
            feature_cache=self.feature_cache, rehearsal_features=self.rehearsal[1])
        adaptation = self.adaptation
        return {"steps_total": adaptation.steps_total,
                "classes_added": adaptation.classes_added,
                "labels_added": adaptation.labels_added, "held_back": adaptation.held_back,
                "examples": len(adaptation.examples), "from": start}, None

    def learn_step(self, fields, data):
        """About max_ms of learning; when it finishes, the learnt model is "mine", in use."""
        if self.adaptation is None:
            raise ValueError("nothing is being learnt: send learn_begin first")
        max_ms = fields.get("max_ms", 40)
        if isinstance(max_ms, bool) or not isinstance(max_ms, (int, float)) \
                or not 0 <= max_ms <= 60000:
            raise ValueError("max_ms must be a number of milliseconds from 0 to 60000")
        progress = self.adaptation.step(max_ms / 1000.0)
        progress["labels"] = None
        if progress["done"]:
            from pycnn.nn.serialize import save_model

            model = self.adaptation.result()
            self.adaptation = None
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "mine.npz")
                save_model(model, path)
                self._install_mine(path)
            progress["labels"] = self.recognizer.labels
        return progress, None

    def learn_cancel(self, fields, data):
        cancelled = self.adaptation is not None
        self.adaptation = None
        return {"cancelled": cancelled}, None

    def _install_mine(self, path, use=True):
        """Load the model file at `path` through the safe loader (as any model file) and
        keep it, and its bytes, as "mine"."""
        recognizer = Recognizer(path)
        if tuple(recognizer.model.input_shape) != (1, 28, 28):
            raise ValueError("this model takes input of shape %s, not the page's 28x28 "
                             "drawings" % (tuple(recognizer.model.input_shape),))
        with open(path, "rb") as handle:
            self.mine = (recognizer, handle.read())
        if use:
            self._use(recognizer)

    def model_export(self, fields, data):
        """The model file (.npz bytes) of "mine" (default) or "original"."""
        which = which_model(fields.get("which", "mine"))
        if which == "mine":
            if self.mine is None:
                raise ValueError("there is no personal model to export yet")
            recognizer, payload = self.mine
        else:
            recognizer = self.original
            with open(self.original_path, "rb") as handle:
                payload = handle.read()
        return {"which": which, "bytes": len(payload), "labels": recognizer.labels}, payload

    def model_load(self, fields, data):
        """A personal model from its file's bytes (an import, or the copy IndexedDB keeps),
        refused with a sentence unless the safe loader accepts it; nothing changes then."""
        from pycnn.nn.serialize import ModelFileError

        if data is None:
            raise ValueError("the model_load request needs the model file as its data")
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "mine.npz")
            with open(path, "wb") as handle:
                handle.write(bytes(data))
            try:
                self._install_mine(path, use=bool(fields.get("use", True)))
            except ModelFileError as err:
                # The message names the temporary file; the page names the model itself.
                raise ModelFileError("this model file cannot be used: %s"
                                     % str(err).replace(path + ": ", "")) from None
        return {"labels": self.mine[0].labels, "in_use": self.which()}, None

    def model_use(self, fields, data):
        which = which_model(field(fields, "which", "model_use"))
        if which == "mine":
            if self.mine is None:
                raise ValueError("there is no personal model yet: teach it first")
            self._use(self.mine[0])
        else:
            self._use(self.original)
        return {"which": which, "labels": self.recognizer.labels}, None

    def model_forget(self, fields, data):
        self.mine = None
        self.adaptation = None
        self._use(self.original)
        return {"which": "original", "labels": self.recognizer.labels}, None

    # --- words ---------------------------------------------------------------------------------
    def words(self):
        """The word reading (`pycnn.page.word_api.WordApi`), imported and made on first use."""
        if self.word_api is None:
            from pycnn.page.word_api import WordApi

            self.word_api = WordApi()
        return self.word_api

    def words_load(self, fields, data):
        """Load the word model and the word list the worker wrote at these paths."""
        return self.words().load(field(fields, "model", "words_load"),
                                 field(fields, "lexicon", "words_load")), None

    def words_read(self, fields, data):
        """Read the word pad: the reading and the frames' place on the pad, the network's
        input as payload. The frames are kept for words_reread and words_inspect."""
        width, height = (whole_number(fields, name, None, 1, MAX_CANVAS_SIDE)
                         for name in ("width", "height"))
        if width is None or height is None:
            raise ValueError("the words_read request needs the pad's width and height")
        reply, image = self.words().read(field(fields, "id", "words_read"), data, width,
                                         height, fields.get("set", "all"))
        return reply, None if image is None else float32_bytes(image)

    def words_reread(self, fields, data):
        """The latest word read again within another set, without a second pass."""
        charset = field(fields, "set", "words_reread")
        reply = self.words().reread(field(fields, "recognition", "words_reread"), charset)
        return reply if reply is not None else {"words": None, "set": charset}, None

    def words_personal(self, fields, data):
        """Replace the personal words: [[word, count], ...]."""
        return {"personal": self.words().set_personal(
            field(fields, "words", "words_personal"))}, None

    def words_inspect(self, fields, data):
        """Every layer's output for the latest word read (Look inside on words)."""
        packed = self.words().inspect(field(fields, "recognition", "words_inspect"),
                                      fields.get("set", "all"))
        if packed is None:
            return {"layout": None}, None
        layout, values = packed
        return {"layout": layout}, float32_bytes(values)

    # The protocol: request type -> method(self, fields, data) -> (reply dict, bytes or None).
    REQUESTS = {"info": info, "check_set": check_set, "recognise": recognise,
                "reread": reread, "inspect": inspect, "learn_begin": learn_begin,
                "learn_step": learn_step, "learn_cancel": learn_cancel,
                "model_export": model_export, "model_load": model_load,
                "model_use": model_use, "model_forget": model_forget,
                "words_load": words_load, "words_read": words_read,
                "words_reread": words_reread, "words_personal": words_personal,
                "words_inspect": words_inspect}
