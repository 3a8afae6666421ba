"""Conversions between Python values and protobuf well-known types used by every API."""

from __future__ import annotations

from datetime import date, datetime

from google.protobuf import timestamp_pb2

from lienthong.errors import InvalidArgument


def timestamp_of(moment: datetime | None) -> timestamp_pb2.Timestamp | None:
    """A protobuf Timestamp for an aware datetime; None (the field left unset) for None."""
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def day_of(text: str, field: str) -> date | None:
    """A `YYYY-MM-DD` request field as a date, None when empty; INVALID_ARGUMENT naming the field otherwise."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(f"{field} must be YYYY-MM-DD, got {text!r}") from None
