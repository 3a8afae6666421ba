"""The documents application against a real database: numbering, atomic sending, registers, history."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from uuid import UUID

from lienthong.consumer import LocalFollower
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, OutgoingDocument, Urgency
from lienthong.documents.projections.registers import Registers
from lienthong.eventstore import event_context, store_environment

ISSUED = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)  # already 1 January 2027 in Vietnam


def new_app(database_url: str) -> DocumentsApp:
    return DocumentsApp(store_environment("documents", database_url))


def draft(app: DocumentsApp, sender: str = "000.00.12.H41") -> OutgoingDocument:
    return app.create_outgoing(
        sender_code=sender,
        doc_type=DocumentType.BAO_CAO,
        subject="Báo cáo",
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.NORMAL,
        content_sha256="f" * 64,
    )


def register(app: DocumentsApp, document: OutgoingDocument) -> OutgoingDocument:
    return app.register_outgoing(
        document.id, agency_short_name="STTTT", issued_at=ISSUED, content_for=lambda d, code: d.content_sha256
    )


def test_numbers_run_per_agency_per_vietnamese_calendar_year(database_url: str) -> None:
    app = new_app(database_url)
    codes = [register(app, draft(app)).code for _ in range(3)]
    other = register(app, draft(app, sender="000.00.07.H41")).code
    assert codes == ["01/BC-STTTT", "02/BC-STTTT", "03/BC-STTTT"]
    assert other == "01/BC-STTTT"


def test_concurrent_registrations_never_share_a_number(database_url: str) -> None:
    app = new_app(database_url)
    drafts = [draft(app) for _ in range(8)]
    numbers: list[int] = []

    def worker(document: OutgoingDocument) -> None:
        numbers.append(register(app, document).number)

    threads = [threading.Thread(target=worker, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 9))


def test_sending_creates_the_copies_and_the_registers_show_them(database_url: str) -> None:
    app = new_app(database_url)
    registers = Registers(app.engine)
    follower = LocalFollower(app, registers, service="documents")
    with event_context("clerk"):
        document = register(app, draft(app))
        app.sign_outgoing(document.id, content_sha256="e" * 64, certificate_serial="01", signed_at=ISSUED)
        app.send_outgoing(
            document.id, routes={"000.00.00.H41": "000.00.00.H41", "000.00.07.H41": "000.00.07.H41"}, sent_at=ISSUED
        )
    follower.catch_up()

    row = registers.outgoing_by_id(str(document.id))
    assert row is not None
    assert (row.state, row.number, row.notation) == ("sent", 1, "BC-STTTT")
    assert [(r.recipient_code, r.status) for r in row.recipients] == [("000.00.00.H41", "01"), ("000.00.07.H41", "01")]
    incoming = registers.incoming_of("000.00.00.H41")
    assert [(d.code, d.status, d.outgoing_id) for d in incoming] == [("01/BC-STTTT", "01", str(document.id))]

    with event_context("clerk@province"):
        accepted = app.accept_incoming(UUID(incoming[0].id), accepted_at=ISSUED)
    assert follower.catch_up() == 4  # accepted, arrival series opened and number taken, sender told
    assert accepted.arrival_number == 1
    assert registers.incoming_by_id(incoming[0].id).status == "03"  # type: ignore[union-attr]
    history = app.history(document.id)
    assert [(r.aggregate, r.event) for r in history][-3:] == [
        ("IncomingDocument", "Arrived"),
        ("IncomingDocument", "Accepted"),
        ("OutgoingDocument", "RecipientStatusChanged"),
    ]
    assert history[-1].actor == "clerk@province"


def test_a_rebuilt_register_equals_the_one_kept_up_to_date(database_url: str) -> None:
    app = new_app(database_url)
    registers = Registers(app.engine)
    follower = LocalFollower(app, registers, service="documents")
    for _ in range(3):
        register(app, draft(app))
    follower.catch_up()
    before = registers.outgoing_of("000.00.12.H41")
    registers.reset()
    assert registers.outgoing_of("000.00.12.H41") == []
    follower.catch_up()
    assert registers.outgoing_of("000.00.12.H41") == before
