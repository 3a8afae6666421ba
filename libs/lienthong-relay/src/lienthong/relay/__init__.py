"""Publishes every stored event to NATS JetStream; the event store is the outbox."""

from lienthong.relay.envelopes import envelope_of, subject_of
from lienthong.relay.positions import PositionTable
from lienthong.relay.relay import EventRelay
from lienthong.relay.streams import NatsLink, StreamNames, connect_nats, ensure_stream

__all__ = [
    "EventRelay",
    "NatsLink",
    "PositionTable",
    "StreamNames",
    "connect_nats",
    "ensure_stream",
    "envelope_of",
    "subject_of",
]
