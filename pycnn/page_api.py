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

The requests, in REQUESTS below:

    info       {}                        -> {labels, network, filters: {index, shape} | null}
                                            payload: the first Conv2D's weights, or None
    recognise  {width, height}, data: RGBA bytes
                                         -> {empty, top5: [[label, p], ...], input_shape}
                                            payload: the 28x28 input, or None when empty
    inspect    {recognition: id}         -> {layout: [{index, name, shape, offset}] | null}
                                            payload: every layer's output, or None unless
                                            `recognition` is the latest traced recognition

Adding a request type is one method here, one entry in REQUESTS, and one method in
web/recognizer-client.js that sends it and decodes its reply.

It runs in the page on Python 3.8 with NumPy 1.17.5, and is unit-tested in CPython.
"""

import json

import numpy as np

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
        """What the page shows before any drawing: labels, the architecture, the filters."""
        recognizer = self.recognizer
        filters = recognizer.first_conv_filters()
        reply = {"labels": recognizer.labels, "network": recognizer.network(),
                 "filters": None if filters is None
                 else {"index": filters[0], "shape": list(filters[1].shape)}}
        return reply, None if filters is None else float32_bytes(filters[1])

    def recognise(self, fields, data):
        """Read one drawing. Every recognition keeps its layer outputs (references, no
        copies), so a later "inspect" costs no second pass."""
        self.traced_id = None
        request_id = field(fields, "id", "recognise")
        result = self.recognizer.recognise_rgba(
            data, field(fields, "width", "recognise"), field(fields, "height", "recognise"),
            trace=True)
        if result["empty"]:
            return {"empty": True, "top5": [], "input_shape": None}, None
        self.traced_id = request_id
        image = result["input"]
        return ({"empty": False, "top5": result["top5"], "input_shape": list(image.shape)},
                float32_bytes(image))

    def inspect(self, fields, data):
        """Every layer's output for recognition `recognition`, if it is the latest one with
        ink; packing copies, so it happens only when the page asks."""
        packed = None
        if field(fields, "recognition", "inspect") == self.traced_id:
            packed = self.recognizer.layer_activations()
        if packed is None:
            return {"layout": None}, None
        layout, values = packed
        return {"layout": layout}, float32_bytes(values)

    # The protocol: request type -> method(self, fields, data) -> (reply dict, bytes or None).
    REQUESTS = {"info": info, "recognise": recognise, "inspect": inspect}
