"""A document walked through every state on both sides, and every invalid transition refused with the log unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.domain.attachments import BusinessType
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, OutgoingState, Urgency
from lienthong.documents.domain.status import StatusCode
from lienthong.errors import FailedPrecondition
from lienthong.eventstore import aggregate_history, store_environment

AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
SENDER, RECIPIENT, OTHER = "000.00.12.H41", "000.00.00.H41", "000.00.07.H41"


@pytest.fixture
def app(database_url: str) -> DocumentsApp:
    return DocumentsApp(store_environment("documents", database_url))


def drafted(app: DocumentsApp, business_type: BusinessType = BusinessType.NEW, relates_to: UUID | None = None) -> UUID:
    return app.create_outgoing(
        sender_code=SENDER,
        doc_type=DocumentType.QUYET_DINH,
        subject="Quyết định về việc triển khai",
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.NORMAL,
        content_sha256="f" * 64,
        business_type=business_type,
        relates_to=relates_to,
    ).id


def registered(app: DocumentsApp, document_id: UUID) -> UUID:
    app.register_outgoing(document_id, agency_short_name="STTTT", issued_at=AT, content_for=lambda d, c: "f" * 64)
    return document_id


def signed(app: DocumentsApp, document_id: UUID) -> UUID:
    app.sign_outgoing(document_id, content_sha256="e" * 64, certificate_serial="01", signed_at=AT)
    return document_id


def sent(app: DocumentsApp, document_id: UUID, *recipients: str) -> UUID:
    app.send_outgoing(document_id, routes={code: code for code in recipients or (RECIPIENT,)}, sent_at=AT)
    return document_id


def issued(app: DocumentsApp, *recipients: str, **draft: object) -> UUID:
    return sent(app, signed(app, registered(app, drafted(app, **draft))), *recipients)  # type: ignore[arg-type]


def copy_at(app: DocumentsApp, document_id: UUID, recipient: str = RECIPIENT) -> UUID:
    return UUID(app.outgoing(document_id).recipients[recipient])


def events_of(app: DocumentsApp, aggregate_id: UUID) -> list[str]:
    return [record.event for record in aggregate_history(app, aggregate_id)]


def statuses_told(app: DocumentsApp, document_id: UUID) -> list[tuple[str, str]]:
    """What the sender was told, in order: (recipient, status)."""
    return [
        (r.data["recipient_code"], r.data["status"])
        for r in aggregate_history(app, document_id)
        if r.event == "RecipientStatusChanged"
    ]


def test_a_document_walks_every_outgoing_and_incoming_state(app: DocumentsApp) -> None:
    document_id = drafted(app)
    app.submit_outgoing(document_id, by="clerk", at=AT)
    app.return_outgoing(document_id, by="leader", comments="Sửa trích yếu", at=AT)
    app.submit_outgoing(document_id, by="clerk", at=AT)
    app.approve_outgoing(document_id, by="leader", comment="Đồng ý", at=AT)
    sent(app, signed(app, registered(app, document_id)))
    incoming = copy_at(app, document_id)
    states = [app.incoming(incoming).status]
    app.accept_incoming(incoming, accepted_at=AT)
    states.append(app.incoming(incoming).status)
    app.assign_incoming(incoming, assignee="Phòng Tổng hợp", due_on=date(2026, 11, 30), at=AT)
    states.append(app.incoming(incoming).status)
    app.start_incoming(incoming, at=AT)
    states.append(app.incoming(incoming).status)
    app.complete_incoming(incoming, at=AT)
    states.append(app.incoming(incoming).status)

    assert app.outgoing(document_id).state is OutgoingState.SENT
    assert events_of(app, document_id) == [
        "Drafted",
        "Submitted",
        "Returned",
        "Submitted",
        "Approved",
        "Registered",
        "Signed",
        "Sent",
        "RecipientStatusChanged",
        "RecipientStatusChanged",
        "RecipientStatusChanged",
        "RecipientStatusChanged",
    ]
    assert statuses_told(app, document_id) == [(RECIPIENT, s) for s in ("03", "04", "05", "06")]
    assert events_of(app, incoming) == ["Arrived", "Accepted", "Assigned", "Started", "Completed"]
    assert states == [
        StatusCode.ARRIVED,
        StatusCode.ACCEPTED,
        StatusCode.ASSIGNED,
        StatusCode.IN_PROGRESS,
        StatusCode.DONE,
    ]
    assert app.incoming(incoming).arrival_number == 1


def test_a_refused_copy_ends_at_02_on_both_sides(app: DocumentsApp) -> None:
    document_id = issued(app)
    incoming = copy_at(app, document_id)
    app.refuse_incoming(incoming, reason="Không thuộc thẩm quyền", at=AT)

    assert events_of(app, incoming) == ["Arrived", "Refused"]
    assert app.incoming(incoming).status is StatusCode.REFUSED
    assert statuses_told(app, document_id) == [(RECIPIENT, "02")]


def test_a_recall_is_given_back_by_one_recipient_and_refused_by_another(app: DocumentsApp) -> None:
    document_id = issued(app, RECIPIENT, OTHER)
    given, kept = copy_at(app, document_id, RECIPIENT), copy_at(app, document_id, OTHER)
    app.accept_incoming(kept, accepted_at=AT)
    app.assign_incoming(kept, assignee="Văn phòng", due_on=None, at=AT)
    app.request_recall(document_id, recipient_codes=[], reason="Ban hành nhầm", at=AT)
    app.answer_recall(given, give_back=True, at=AT)
    app.answer_recall(kept, give_back=False, at=AT)

    assert events_of(app, given) == ["Arrived", "RecallRequested", "Recalled"]
    assert events_of(app, kept) == ["Arrived", "Accepted", "Assigned", "RecallRequested", "RecallRefused"]
    assert (app.incoming(given).status, app.incoming(kept).status) == (StatusCode.RECALLED, StatusCode.ASSIGNED)
    assert statuses_told(app, document_id) == [
        (OTHER, "03"),
        (OTHER, "04"),
        (RECIPIENT, "13"),
        (OTHER, "13"),
        (RECIPIENT, "15"),
        (OTHER, "16"),
    ]


@pytest.mark.parametrize("business_type", [BusinessType.REVOKE, BusinessType.UPDATE, BusinessType.REPLACE])
def test_a_revocation_update_or_replacement_names_the_earlier_document_on_both_sides(
    app: DocumentsApp, business_type: BusinessType
) -> None:
    earlier = issued(app)
    earlier_code = app.outgoing(earlier).code
    later = issued(app, business_type=business_type, relates_to=earlier)
    incoming = copy_at(app, later)
    app.accept_incoming(incoming, accepted_at=AT)

    assert events_of(app, later) == ["Drafted", "Registered", "Signed", "Sent", "RecipientStatusChanged"]
    [drafted_event] = [r for r in aggregate_history(app, later) if r.event == "Drafted"]
    assert (drafted_event.data["business_type"], drafted_event.data["relates_to"]) == (business_type.name, str(earlier))
    assert events_of(app, incoming) == ["Arrived", "Accepted"]
    copy = app.incoming(incoming)
    assert (copy.business_type, copy.relates_to_code, copy.status) == (
        business_type.name,
        earlier_code,
        StatusCode.ACCEPTED,
    )
    assert app.outgoing(earlier).state is OutgoingState.SENT  # the earlier document's own log is untouched
    assert events_of(app, earlier) == ["Drafted", "Registered", "Signed", "Sent"]


def _done(app: DocumentsApp) -> UUID:
    document_id = issued(app)
    incoming = copy_at(app, document_id)
    app.accept_incoming(incoming, accepted_at=AT)
    app.assign_incoming(incoming, assignee="Văn phòng", due_on=None, at=AT)
    app.complete_incoming(incoming, at=AT)
    return document_id


def _accepted(app: DocumentsApp) -> UUID:
    document_id = issued(app)
    app.accept_incoming(copy_at(app, document_id), accepted_at=AT)
    return document_id


def _submitted(app: DocumentsApp) -> UUID:
    document_id = drafted(app)
    app.submit_outgoing(document_id, by="clerk", at=AT)
    return document_id


Action = Callable[[DocumentsApp, UUID], object]

INVALID: list[tuple[str, Callable[[DocumentsApp], UUID], Action, str]] = [
    ("send a draft", drafted, lambda a, d: sent(a, d), "is not registered: register it"),
    ("send an unsigned document", lambda a: registered(a, drafted(a)), lambda a, d: sent(a, d), "is not signed"),
    ("send twice", issued, lambda a, d: sent(a, d, OTHER), "has already been sent"),
    ("sign a draft", drafted, signed, "is a draft: register it"),
    ("sign twice", lambda a: signed(a, registered(a, drafted(a))), signed, "is already signed"),
    ("register twice", lambda a: registered(a, drafted(a)), registered, "is already registered as 01/QĐ-STTTT"),
    ("register while waiting for approval", _submitted, registered, "is waiting for approval"),
    ("approve a draft never submitted", drafted, lambda a, d: a.approve_outgoing(d, by="l", comment="", at=AT), "only a submitted document"),
    ("submit a sent document", issued, lambda a, d: a.submit_outgoing(d, by="c", at=AT), "only a draft or a returned"),
    ("recall a draft", drafted, lambda a, d: a.request_recall(d, recipient_codes=[], reason="x", at=AT), "nothing to recall"),
    ("recall a done document", _done, lambda a, d: a.request_recall(d, recipient_codes=[], reason="x", at=AT), r"status 06 \(done\)"),
    ("accept twice", _accepted, lambda a, d: a.accept_incoming(copy_at(a, d), accepted_at=AT), r"status 03 \(accepted\)"),
    ("refuse an accepted copy", _accepted, lambda a, d: a.refuse_incoming(copy_at(a, d), reason="x", at=AT), r"status 03 \(accepted\)"),
    ("assign a copy not accepted", issued, lambda a, d: a.assign_incoming(copy_at(a, d), assignee="x", due_on=None, at=AT), r"status 01 \(arrived\)"),
    ("start a copy not assigned", _accepted, lambda a, d: a.start_incoming(copy_at(a, d), at=AT), "only a document with status 04"),
    ("complete an arrived copy", issued, lambda a, d: a.complete_incoming(copy_at(a, d), at=AT), r"status 01 \(arrived\)"),
    ("complete a done copy", _done, lambda a, d: a.complete_incoming(copy_at(a, d), at=AT), r"status 06 \(done\)"),
    ("answer a recall never asked", issued, lambda a, d: a.answer_recall(copy_at(a, d), give_back=True, at=AT), "only a document with status 13"),
    ("revoke a document not sent", lambda a: signed(a, registered(a, drafted(a))), lambda a, d: drafted(a, BusinessType.REVOKE, d), "has not been sent"),
    ("replace a document not sent", drafted, lambda a, d: drafted(a, BusinessType.REPLACE, d), "has not been sent"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("arrange", "act", "reason"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_an_invalid_transition_is_refused_with_its_reason_and_the_log_unchanged(
    app: DocumentsApp, arrange: Callable[[DocumentsApp], UUID], act: Action, reason: str
) -> None:
    document_id = arrange(app)
    before = app.recorder.max_notification_id()
    with pytest.raises(FailedPrecondition, match=reason):
        act(app, document_id)
    assert app.recorder.max_notification_id() == before
