"""Numbering under concurrency and across the new year, against a real database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.eventstore import store_environment

AGENCY = "000.00.12.H41"
DOCUMENTS = 1000
CLIENTS = 8


def draft_and_register(app: DocumentsApp, issued_at: datetime) -> str:
    document = app.create_outgoing(
        sender_code=AGENCY,
        doc_type=DocumentType.CONG_VAN,
        subject="Về việc đánh số",
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.NORMAL,
        content_sha256="f" * 64,
    )
    registered = app.register_outgoing(
        document.id, agency_short_name="STTTT", issued_at=issued_at, content_for=lambda d, code: d.content_sha256
    )
    return registered.code


def test_eight_clients_registering_a_thousand_documents_get_a_thousand_consecutive_numbers(database_url: str) -> None:
    app = DocumentsApp(store_environment("documents", database_url))
    issued_at = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    with ThreadPoolExecutor(CLIENTS) as clients:
        codes = list(clients.map(lambda _: draft_and_register(app, issued_at), range(DOCUMENTS)))
    numbers = sorted(int(code.split("/")[0]) for code in codes)
    assert numbers == list(range(1, DOCUMENTS + 1))
    assert len(set(codes)) == DOCUMENTS


def test_numbers_restart_at_01_when_the_vietnamese_year_turns(database_url: str) -> None:
    app = DocumentsApp(store_environment("documents", database_url))
    last_evening = datetime(2026, 12, 31, 16, 59, tzinfo=UTC)  # 23:59 on 31 December in Vietnam
    new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 00:00 on 1 January 2027 in Vietnam
    assert [draft_and_register(app, last_evening) for _ in range(3)] == ["01/STTTT", "02/STTTT", "03/STTTT"]
    assert [draft_and_register(app, new_year) for _ in range(2)] == ["01/STTTT", "02/STTTT"]
    # the same number in two years is still one document each: the series differ
    assert draft_and_register(app, last_evening) == "04/STTTT"
