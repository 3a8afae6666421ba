"""Conversions between Python values and protobuf well-known types used by every API."""

from __future__ import annotations

from datetime import datetime

from google.protobuf import timestamp_pb2


def timestamp_of(moment: datetime | None) -> timestamp_pb2.Timestamp | None:
    """A protobuf Timestamp for an aware datetime; None (the field left unset) for None."""
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp
