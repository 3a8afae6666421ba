"""Stored events as protobuf envelopes (`lienthong.events.v1.EventEnvelope`) on their subjects."""

from __future__ import annotations

from google.protobuf import struct_pb2, timestamp_pb2

from lienthong.events.v1 import events_pb2
from lienthong.eventstore import EventRecord
from lienthong.relay.streams import StreamNames


def envelope_of(service: str, record: EventRecord) -> events_pb2.EventEnvelope:
    """The envelope that carries `record` on NATS."""
    occurred_at = timestamp_pb2.Timestamp()
    occurred_at.FromDatetime(record.occurred_at)
    data = struct_pb2.Struct()
    data.update(record.data)
    return events_pb2.EventEnvelope(
        service=service,
        aggregate=record.aggregate,
        aggregate_id=record.aggregate_id,
        version=record.version,
        event=record.event,
        occurred_at=occurred_at,
        position=record.position,
        actor=record.actor,
        data=data,
    )


def subject_of(names: StreamNames, service: str, record: EventRecord) -> str:
    """The subject `<instance>.<service>.<aggregate>.<event>` of a stored event."""
    return names.subject(service, record.aggregate, record.event)


def message_id_of(record: EventRecord) -> str:
    """`Nats-Msg-Id`: the same for every publish of one event, so JetStream keeps it once."""
    return f"{record.aggregate_id}:{record.version}"
