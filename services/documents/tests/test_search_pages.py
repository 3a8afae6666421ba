"""A search's pages over both registers, straight on the read model: each register is cut to the page on its
own before the two are merged, so the pages must still be the merged registers' rows newest first, ties by
id, none twice and none missed, with words and filters applied to both (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine

from lienthong.documents.projections.registers import DocumentSearch, Registers
from lienthong.vietnamese import fold

AGENCY, OTHER = "000.00.12.H41", "000.00.07.H41"
SUBJECTS = ["Về việc triển khai chuyển đổi số", "Về việc báo cáo quý I", "Kế hoạch tổ chức hội nghị"]
PAGE = 2
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def seed(registers: Registers) -> list[tuple[datetime, str, str, str]]:
    """Outgoing documents and incoming copies of AGENCY (with ties of time), others' and unregistered rows;
    the (time, id, subject, doc_type) of the rows AGENCY's searches may find."""
    rng = random.Random(5)
    outgoing: list[dict[str, Any]] = []
    incoming: list[dict[str, Any]] = []
    findable = []
    for n in range(60):
        at = START + timedelta(minutes=rng.randrange(12))  # twelve instants for sixty rows: many ties
        subject, doc_type = rng.choice(SUBJECTS), rng.choice(["CV", "TB"])
        row_id, mine = str(uuid.UUID(int=rng.getrandbits(128))), n % 5 != 0
        common = {"id": row_id, "doc_type": doc_type, "subject": subject, "subject_folded": fold(subject)}
        common |= {"urgency": "NORMAL", "code": f"{n}/CV-VP"}
        if n % 2:
            state = "draft" if n % 7 == 0 else "sent"
            sender = AGENCY if mine else OTHER
            outgoing.append(
                common
                | {"sender_code": sender, "confidentiality": "NORMAL", "state": state, "issued_at": at}
                | {"content_sha256": "0" * 64, "created_at": at}
            )
            findable_here = mine and state == "sent"
        else:
            status = "15" if n % 6 == 0 else "03"
            recipient = AGENCY if mine else OTHER
            incoming.append(
                common
                | {"recipient_code": recipient, "outgoing_id": str(uuid.uuid4()), "sender_code": OTHER}
                | {"status": status, "arrived_at": at}
            )
            findable_here = mine and status != "15"
        if findable_here:
            findable.append((at, row_id, subject, doc_type))
    with registers.engine.begin() as connection:
        connection.execute(registers.outgoing.insert(), outgoing)
        connection.execute(registers.incoming.insert(), incoming)
    return findable


def every_page(registers: Registers, **filters: Any) -> list[str]:
    ids: list[str] = []
    offset, more = 0, True
    while more:
        hits, more = registers.search(DocumentSearch(AGENCY, limit=PAGE, offset=offset, **filters))
        ids += [hit.id for hit in hits]
        offset += PAGE
    return ids


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ({}, lambda subject, doc_type: True),
        ({"query": "trien khai"}, lambda subject, doc_type: "triển khai" in subject),
        ({"query": "quy i", "doc_type": "TB"}, lambda subject, doc_type: "quý I" in subject and doc_type == "TB"),
    ],
)
def test_pages_are_the_registers_merged_newest_first(database_url: str, filters: dict[str, Any], keep: Any) -> None:
    registers = Registers(create_engine(database_url))
    findable = seed(registers)
    expected = [row_id for at, row_id, subject, doc_type in sorted(findable, reverse=True) if keep(subject, doc_type)]
    assert len(expected) > 2 * PAGE  # more than two pages, from both registers
    assert every_page(registers, **filters) == expected


def test_the_registers_have_the_indexes_their_searches_read(database_url: str) -> None:
    """Newest first by (agency, time, id) on both databases; on PostgreSQL, words by agency and trigram,
    in place of the trigram index over every agency's subjects that earlier versions made."""
    engine = create_engine(database_url)
    Registers(engine)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            names = set(connection.exec_driver_sql("SELECT indexname FROM pg_indexes").scalars())
        else:
            names = set(connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
    assert {"documents_outgoing_sender_issued_id", "documents_incoming_recipient_arrived_id"} <= names
    assert not {"documents_outgoing_sender_issued", "documents_incoming_recipient_arrived"} & names
    if engine.dialect.name == "postgresql":
        assert {"documents_outgoing_agency_words", "documents_incoming_agency_words"} <= names
        assert not {"documents_outgoing_subject_trgm", "documents_incoming_subject_trgm"} & names
