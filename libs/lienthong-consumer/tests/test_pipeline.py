"""The operations API of an instance: each read model's position and lag behind its source, the relay's lag
behind the store, and the dead letters with their reasons, newest first, a page at a time."""

from __future__ import annotations

import os

import pytest
from eventsourcing.domain import Aggregate, event
from sqlalchemy import Column, Connection, MetaData, String, Table, create_engine, insert

from lienthong.consumer import SqlProjection
from lienthong.consumer.local import LOCAL_SOURCE, LocalFollower
from lienthong.consumer.pipeline import PipelineServicer, Reader
from lienthong.errors import InvalidArgument
from lienthong.events.v1 import events_pb2
from lienthong.eventstore import StoredApplication, store_environment
from lienthong.operations.v1 import operations_pb2 as pb
from lienthong.relay import EventRelay, NatsLink, StreamNames


class Parcel(Aggregate):
    @event("Posted")
    def __init__(self, label: str) -> None:
        self.label = label


class Parcels(StoredApplication):
    name = "Parcels"


class Labels(SqlProjection):
    """Refuses labels starting with "bad": those are put aside."""

    name = "pipeline_labels"

    def define_tables(self, metadata: MetaData) -> None:
        self.labels = Table("pipeline_labels_rows", metadata, Column("label", String(50), primary_key=True))

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        label = envelope.data["label"]
        if label.startswith("bad"):
            raise ValueError(f"label {label} is unreadable")
        connection.execute(insert(self.labels).values(label=label))


class Others(Labels):
    name = "pipeline_others"

    def define_tables(self, metadata: MetaData) -> None:
        self.labels = Table("pipeline_others_rows", metadata, Column("label", String(50), primary_key=True))


async def test_positions_lags_and_dead_letters_of_an_instance(database_url: str, nats_url: str, instance: str) -> None:
    app = Parcels(store_environment("parcels", database_url))
    labels = Labels(create_engine(database_url))
    follower = LocalFollower(app, labels, service="parcels")
    for label in ("p1", "bad-2", "p3", "bad-4"):
        app.save(Parcel(label))
    follower.catch_up()
    app.save(Parcel("p5"))  # stored, not applied yet: one behind
    link = NatsLink(nats_url, name="pipeline-test")
    names = StreamNames(instance)
    relay = EventRelay(app, link, service="parcels", names=names)  # not running: JetStream has nothing
    stream_reader = Reader("by_stream", Others(labels.engine), names.stream("parcels"), "nobody")
    servicer = PipelineServicer(
        "parcels", [Reader(labels.name, labels), stream_reader], app=app, relay=relay, link=link
    )
    try:
        answer = await servicer.GetPipeline(pb.GetPipelineRequest(), None)
    finally:
        await link.close()

    assert answer.service == "parcels"
    assert answer.instance.endswith(":" + str(os.getpid()))
    (relayed,) = answer.relays
    assert (relayed.stream, relayed.store_head, relayed.relayed, relayed.lag) == (names.stream("parcels"), 5, 0, 5)
    local, streamed = answer.readers
    assert (local.source, local.position, local.head, local.lag, local.dead_letters) == (LOCAL_SOURCE, 4, 5, 1, 2)
    assert streamed.error  # no such stream or consumer: said, not a failure of the whole answer
    assert streamed.lag == 0

    first = await servicer.ListDeadLetters(pb.ListDeadLettersRequest(page_size=1), None)
    (newest,) = first.dead_letters
    assert (newest.read_model, newest.source, newest.position) == (labels.name, LOCAL_SOURCE, 4)
    assert "label bad-4 is unreadable" in newest.reason
    assert newest.subject == "Parcel.Posted"
    second = await servicer.ListDeadLetters(
        pb.ListDeadLettersRequest(page_size=1, page_token=first.next_page_token), None
    )
    assert [letter.position for letter in second.dead_letters] == [2]
    assert second.next_page_token == ""

    for bad, reason in [
        (pb.ListDeadLettersRequest(read_model="nope"), "read_model 'nope' is not one of parcels's (pipeline_labels"),
        (pb.ListDeadLettersRequest(page_token="abc"), "page_token 'abc'"),
        (pb.ListDeadLettersRequest(page_size=-1), "page_size must be positive"),
    ]:
        with pytest.raises(InvalidArgument, match=reason.replace("(", r"\(")):
            await servicer.ListDeadLetters(bad, None)
