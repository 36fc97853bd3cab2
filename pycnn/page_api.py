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

The requests, in REQUESTS below. `set` is a character set (pycnn.charsets: a name such as
"digits" or the characters themselves); where it is optional it defaults to "all". A bad set
raises CharsetError, a ValueError with a sentence, as every other bad request does.

    info       {}                        -> {labels, network, filters: {index, shape} | null,
                                             sets: {name: {size, error}}}
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

top5 holds only labels in the set. lookalikes is null, or, in set "all" only, when the leading
answers look alike: {labels: ["0", "O"], sets: the named sets that tell them apart}. unsure:
the first answer's probability is below the model's calibrated threshold (pycnn.calibrate).

Adding a request type is one method here, one entry in REQUESTS, and one method in
web/recognizer-client.js that sends it and decodes its reply.

It runs in the page on Python 3.8 with NumPy 1.17.5, and is unit-tested in CPython.
"""

import json

import numpy as np

from pycnn.charsets import SET_NAMES, CharsetError
from pycnn.recognizer import Recognizer


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


class PageApi:
    """One loaded model and the page's requests on it.

    `traced_id` is the id of the recognition whose forward pass the recognizer keeps, so
    "inspect" serves the layers of the very pass that made an answer, or nothing.
    """

    def __init__(self, model_path):
        self.recognizer = Recognizer(model_path)
        self.traced_id = None

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
                 "sets": {name: self.describe_set(name) for name in SET_NAMES}}
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

    # The protocol: request type -> method(self, fields, data) -> (reply dict, bytes or None).
    REQUESTS = {"info": info, "check_set": check_set, "recognise": recognise,
                "reread": reread, "inspect": inspect}
