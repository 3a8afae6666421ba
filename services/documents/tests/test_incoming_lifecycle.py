"""An incoming document through every status, and recalls, with the sender told at each step."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from lienthong.consumer import LocalFollower
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, OutgoingDocument, Urgency
from lienthong.documents.projections.registers import Registers
from lienthong.errors import FailedPrecondition, InvalidArgument
from lienthong.eventstore import aggregate_history, store_environment

AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
SENDER, RECIPIENT, OTHER = "000.00.12.H41", "000.00.00.H41", "000.00.07.H41"


@pytest.fixture
def app(database_url: str) -> DocumentsApp:
    return DocumentsApp(store_environment("documents", database_url))


def sent(app: DocumentsApp, *recipients: str) -> UUID:
    document = app.create_outgoing(
        sender_code=SENDER,
        doc_type=DocumentType.CONG_VAN,
        subject="Về việc triển khai",
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.NORMAL,
        content_sha256="f" * 64,
    )
    app.register_outgoing(document.id, agency_short_name="STTTT", issued_at=AT, content_for=lambda d, c: "f" * 64)
    app.sign_outgoing(document.id, content_sha256="e" * 64, certificate_serial="01", signed_at=AT)
    app.send_outgoing(document.id, routes={code: code for code in recipients}, sent_at=AT)
    return document.id


def copy_at(app: DocumentsApp, document_id: UUID, recipient: str = RECIPIENT) -> UUID:
    return UUID(app.outgoing(document_id).recipients[recipient])


def events_of(app: DocumentsApp, aggregate_id: UUID) -> list[str]:
    return [record.event for record in aggregate_history(app, aggregate_id)]


def test_a_document_goes_from_arrived_to_done_and_the_sender_follows(app: DocumentsApp) -> None:
    document_id = sent(app, RECIPIENT)
    incoming = copy_at(app, document_id)
    app.accept_incoming(incoming, accepted_at=AT)
    app.assign_incoming(incoming, assignee="Phòng Tổng hợp", due_on=date(2026, 11, 30), at=AT)
    app.start_incoming(incoming, at=AT)
    done = app.complete_incoming(incoming, at=AT)

    assert done.status.value == "06"
    assert events_of(app, incoming) == ["Arrived", "Accepted", "Assigned", "Started", "Completed"]
    outgoing = app.outgoing(document_id)
    assert outgoing.recipient_status[RECIPIENT][0] == "06"
    statuses = [
        r.data.get("status") for r in aggregate_history(app, document_id) if r.event == "RecipientStatusChanged"
    ]
    assert statuses == ["03", "04", "05", "06"]


def test_a_refused_document_tells_the_sender_and_goes_no_further(app: DocumentsApp) -> None:
    incoming = copy_at(app, sent(app, RECIPIENT))
    with pytest.raises(InvalidArgument, match="needs a reason"):
        app.refuse_incoming(incoming, reason=" ", at=AT)
    app.refuse_incoming(incoming, reason="Không thuộc thẩm quyền", at=AT)
    with pytest.raises(FailedPrecondition, match=r"status 02 \(refused\); only a document with status 01"):
        app.accept_incoming(incoming, accepted_at=AT)
    assert events_of(app, incoming) == ["Arrived", "Refused"]


def test_a_recall_given_back_leaves_the_register_and_a_refused_one_restores_the_status(
    app: DocumentsApp,
) -> None:
    registers = Registers(app.engine)
    follower = LocalFollower(app, registers, service="documents")
    document_id = sent(app, RECIPIENT, OTHER)
    given, kept = copy_at(app, document_id, RECIPIENT), copy_at(app, document_id, OTHER)
    app.accept_incoming(kept, accepted_at=AT)

    app.request_recall(document_id, recipient_codes=[], reason="Ban hành nhầm", at=AT)
    app.answer_recall(given, give_back=True, at=AT)
    app.answer_recall(kept, give_back=False, at=AT)
    follower.catch_up()

    assert registers.incoming_of(RECIPIENT) == []
    [still] = registers.incoming_of(OTHER)
    assert still.status == "03"
    assert events_of(app, given) == ["Arrived", "RecallRequested", "Recalled"]
    tracking = app.outgoing(document_id).recipient_status
    assert (tracking[RECIPIENT][0], tracking[OTHER][0]) == ("15", "16")


def lose_the_first_race_to_an_acceptance(
    app: DocumentsApp, database_url: str, monkeypatch: pytest.MonkeyPatch, document_id: UUID
) -> list[int]:
    """Make the first read of the outgoing document lose a race: right after it, a second replica on the
    same store accepts OTHER's copy, so the save that follows conflicts. The list gets the version read."""
    other = copy_at(app, document_id, OTHER)
    replica = DocumentsApp(store_environment("documents", database_url))
    read_outgoing = app.outgoing
    raced: list[int] = []

    def read_then_lose_the_race(aggregate_id: UUID) -> OutgoingDocument:
        document = read_outgoing(aggregate_id)
        if not raced:
            raced.append(document.version)
            replica.accept_incoming(other, accepted_at=AT)
        return document

    monkeypatch.setattr(app, "outgoing", read_then_lose_the_race)
    return raced


def test_a_recall_racing_another_change_of_the_document_is_read_again_and_both_hold(
    app: DocumentsApp, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    document_id = sent(app, RECIPIENT, OTHER)
    raced = lose_the_first_race_to_an_acceptance(app, database_url, monkeypatch, document_id)
    app.request_recall(document_id, recipient_codes=[RECIPIENT], reason="Ban hành nhầm", at=AT)

    document = app.outgoing(document_id)  # read once more (the race happened on the first read only)
    assert (document.recipient_status[RECIPIENT][0], document.recipient_status[OTHER][0]) == ("13", "03")
    assert events_of(app, copy_at(app, document_id, RECIPIENT)) == ["Arrived", "RecallRequested"]
    assert document.version == raced[0] + 2  # the acceptance, then the recall on top


def test_a_status_reported_by_edxml_racing_another_change_of_the_document_is_read_again_and_both_hold(
    app: DocumentsApp, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    document_id = sent(app, RECIPIENT, OTHER)
    raced = lose_the_first_race_to_an_acceptance(app, database_url, monkeypatch, document_id)
    app.record_recipient_status(document_id, recipient_code=RECIPIENT, status="05", at=AT)

    document = app.outgoing(document_id)  # read once more (the race happened on the first read only)
    assert (document.recipient_status[RECIPIENT][0], document.recipient_status[OTHER][0]) == ("05", "03")
    assert document.version == raced[0] + 2  # the acceptance, then the status on top


def test_a_done_document_cannot_be_recalled_and_the_log_is_unchanged(app: DocumentsApp) -> None:
    document_id = sent(app, RECIPIENT)
    incoming = copy_at(app, document_id)
    app.accept_incoming(incoming, accepted_at=AT)
    app.assign_incoming(incoming, assignee="Văn phòng", due_on=None, at=AT)
    app.complete_incoming(incoming, at=AT)
    before = app.recorder.max_notification_id()
    with pytest.raises(FailedPrecondition, match="status 06 \\(done\\)"):
        app.request_recall(document_id, recipient_codes=[RECIPIENT], reason="muộn", at=AT)
    with pytest.raises(FailedPrecondition, match="only a document with status 04"):
        app.start_incoming(incoming, at=AT)
    assert app.recorder.max_notification_id() == before


def test_overdue_is_past_the_deadline_and_not_done(app: DocumentsApp) -> None:
    registers = Registers(app.engine)
    follower = LocalFollower(app, registers, service="documents")
    incoming = copy_at(app, sent(app, RECIPIENT))
    app.accept_incoming(incoming, accepted_at=AT)
    app.assign_incoming(incoming, assignee="Phòng Tổng hợp", due_on=date(2026, 11, 30), at=AT)
    follower.catch_up()
    [row] = registers.incoming_of(RECIPIENT)
    assert (row.overdue(date(2026, 11, 30)), row.overdue(date(2026, 12, 1))) == (False, True)
    app.complete_incoming(incoming, at=AT)
    follower.catch_up()
    [row] = registers.incoming_of(RECIPIENT)
    assert row.overdue(date(2026, 12, 1)) is False


def test_hoa_toc_documents_come_first_in_the_incoming_register(app: DocumentsApp) -> None:
    registers = Registers(app.engine)
    follower = LocalFollower(app, registers, service="documents")
    for urgency in (Urgency.NORMAL, Urgency.HOA_TOC, Urgency.KHAN):
        document = app.create_outgoing(
            sender_code=SENDER,
            doc_type=DocumentType.CONG_DIEN,
            subject=f"Công điện {urgency.name}",
            urgency=urgency,
            confidentiality=Confidentiality.NORMAL,
            content_sha256="f" * 64,
        )
        app.register_outgoing(document.id, agency_short_name="STTTT", issued_at=AT, content_for=lambda d, c: "f" * 64)
        app.sign_outgoing(document.id, content_sha256="e" * 64, certificate_serial="01", signed_at=AT)
        app.send_outgoing(document.id, routes={RECIPIENT: RECIPIENT}, sent_at=AT)
    follower.catch_up()
    assert [row.urgency for row in registers.waiting(RECIPIENT)] == ["HOA_TOC", "KHAN", "NORMAL"]
