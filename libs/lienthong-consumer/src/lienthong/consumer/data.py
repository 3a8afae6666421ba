"""An event's data (a protobuf `Struct`) as plain Python values, as `MessageToDict` gives them, faster.

Read models call this once per event; the generic `MessageToDict` walks descriptors for every value and
was a fifth of a rebuild's time.
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf import struct_pb2

from lienthong.events.v1 import events_pb2


def data_of(envelope: events_pb2.EventEnvelope) -> dict[str, Any]:
    """The envelope's data: strings, floats, booleans, None, lists and dicts."""
    return struct_values(envelope.data)


def struct_values(struct: struct_pb2.Struct) -> dict[str, Any]:
    return {key: _value(value) for key, value in struct.fields.items()}


def _value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number) or math.isnan(number):
            raise ValueError(f"{number} is not a JSON number")
        return number
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return struct_values(value.struct_value)
    if kind == "list_value":
        return [_value(item) for item in value.list_value.values]
    return None  # null_value, or no value set
