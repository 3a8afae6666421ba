"""The read side in bulk gives what it gave event by event: events decoded straight from the table's rows
equal the domain events the application decodes, and every read model fed in large batches equals it fed
one event at a time, over a seeded year (every kind of event the year holds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Engine, select

import lienthong.eventstore.records as records
from lienthong.consumer import LocalFollower, SqlProjection
from lienthong.documents.adapters.inbound.api import _incoming, _outgoing
from lienthong.documents.projections.records import RecordsRegister
from lienthong.documents.projections.registers import Registers
from lienthong.documents.v1 import documents_pb2
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.email.projections.outbox import Outbox
from lienthong.eventstore import EventRecord, StoredApplication, aggregate_histories, read_events, to_jsonable
from lienthong.eventstore.mapper import META
from lienthong.identifiers.projections.registry import Registry
from lienthong.launcher.testing import fresh_database
from lienthong.relay import envelope_of
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.projections.agencies import AgencyTree
from lienthong.reporting.projections.certificates import CertificateRegistry
from lienthong.reporting.projections.mail import MailActivity
from seeding.province_year import Shape, applications, write_year

SHAPE = Shape(documents=400, certificates=100)
SMALL = Shape(documents=60, certificates=10)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, StoredApplication]:
    folder: Path = tmp_path_factory.mktemp("seeded")
    apps = applications(f"sqlite:///{folder / 'store.db'}")
    write_year(apps, SHAPE)
    return apps


def decoded_by_the_application(app: StoredApplication) -> list[tuple[Any, ...]]:
    """Every event as the library's mapper decodes it, turned to JSON values (the way it was done before)."""
    rows = []
    for stored in app.recorder.select_notifications(start=1, limit=10**9):
        state = vars(app.mapper.to_domain_event(stored))
        meta = state.get(META) or {}
        skip = {"originator_id", "originator_version", "timestamp", "originator_topic", META}
        data = {key: to_jsonable(value) for key, value in state.items() if key not in skip}
        rows.append((stored.id, str(stored.originator_id), state["timestamp"], meta.get("actor", ""), data))
    return rows


@pytest.mark.parametrize("service", ["documents", "signing", "email", "identifiers"])
def test_events_read_from_the_rows_equal_the_applications_own_decoding(
    seeded: dict[str, StoredApplication], service: str
) -> None:
    app = seeded[service]
    read = [(r.position, r.aggregate_id, r.occurred_at, r.actor, r.data) for r in read_events(app, 1, 10**9)]
    assert read == decoded_by_the_application(app)
    assert len(read) > 100


READ_MODELS: dict[str, tuple[str, Callable[[Engine], SqlProjection]]] = {
    "documents registers": ("documents", Registers),
    "documents records": ("documents", RecordsRegister),
    "email outbox": ("email", Outbox),
    "email mailboxes": ("email", MailRegistry),
    "identifiers registry": ("identifiers", Registry),
    "reporting activity": ("documents", DocumentActivity),
    "reporting certificates": ("signing", CertificateRegistry),
    "reporting mail": ("email", MailActivity),
    "reporting agencies": ("identifiers", AgencyTree),
}


@pytest.mark.parametrize("read_model", sorted(READ_MODELS))
def test_a_read_model_fed_in_large_batches_equals_it_fed_event_by_event(
    seeded: dict[str, StoredApplication], read_model: str
) -> None:
    service, make = READ_MODELS[read_model]
    app = seeded[service]
    model = make(app.engine)
    model.reset()
    LocalFollower(app, model, service=service, batch_size=5000).catch_up()
    batched = contents(model)
    model.reset()
    for record in read_events(app, 1, 10**9):
        model.process("local", record.position, envelope_of(service, record))
    assert contents(model) == batched
    assert model.dead_letter_reasons() == []
    if read_model != "documents records":  # the seeded year files no records: that read model stays empty
        assert sum(len(rows) for rows in batched.values()) > 10


def contents(model: SqlProjection) -> dict[str, list[tuple[Any, ...]]]:
    with model.engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in model.metadata.sorted_tables
        }


def test_many_aggregates_histories_read_at_once_equal_their_events_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the test database (PostgreSQL when one is set: there the histories take the driver's prepared
    statement), every aggregate's history read in pages equals its events in the log, in version order."""
    monkeypatch.setattr(records, "_IDS_PER_QUERY", 7)  # many pages, and a last one shorter than the others
    with fresh_database(tmp_path / "store.db") as url:
        apps = applications(url)
        write_year(apps, SMALL)
        app = apps["documents"]
        in_log: dict[UUID, list[EventRecord]] = {}
        for record in read_events(app, 1, 10**9):  # read per aggregate, a record has no position in the log
            in_log.setdefault(UUID(record.aggregate_id), []).append(replace(record, position=0))
        ids = [*in_log, uuid4()]  # an aggregate without events is left out
        assert aggregate_histories(app, ids) == in_log
        assert len(in_log) > 50


def test_every_seeded_document_reads_through_the_api_as_the_services_own(
    seeded: dict[str, StoredApplication],
) -> None:
    """The year is what the write path stores: each register row converts to its gRPC message (a document type
    the API does not know, like the "CV" the year once wrote, fails ListOutgoing with INTERNAL)."""
    app = seeded["documents"]
    registers = Registers(app.engine)
    registers.reset()
    LocalFollower(app, registers, service="documents", batch_size=5000).catch_up()
    with registers.engine.connect() as connection:
        senders = set(connection.execute(select(registers.outgoing.c.sender_code)).scalars())
        recipients = set(connection.execute(select(registers.incoming.c.recipient_code)).scalars())
    outgoing = [_outgoing(row) for sender in senders for row in registers.outgoing_of(sender)]
    incoming = [_incoming(row, date(2026, 1, 1)) for code in recipients for row in registers.incoming_of(code)]
    assert len(outgoing) > 100
    assert len(incoming) > 100
    assert {message.type for message in [*outgoing, *incoming]} == {documents_pb2.DOCUMENT_TYPE_CONG_VAN}
