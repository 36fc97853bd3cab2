"""How learning refuses: `AdaptError`, whose message is one sentence, and `show`, the way
such a sentence quotes the value it refuses."""

import json

from ..nn.serialize import printable


class AdaptError(ValueError):
    """Examples or a request that cannot be learnt from; the message is one sentence."""


def show(value):
    """A value as a refusal quotes it: JSON for a string, number, boolean or null, the type's
    name for anything else, printable and at most 40 characters."""
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) \
        else type(value).__name__
    return printable(text if len(text) <= 40 else text[:37] + "...")
