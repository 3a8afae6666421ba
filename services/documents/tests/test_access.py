"""Authorisation: an agency sees and acts only on its own documents; confidential ones only their parties."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import pytest

from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.application.usecases import DocumentUseCases, NewAttachment
from lienthong.documents.domain.attachments import AttachmentKind
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.documents.projections.registers import DocumentSearch
from lienthong.errors import PermissionDenied
from lienthong.eventstore import event_context

SENDER, RECIPIENT, STRANGER = "000.00.12.H41", "000.00.00.H41", "000.00.07.H41"


async def as_(actor: str, call: Callable[[], Awaitable[object]]) -> object:
    with event_context(actor):
        return await call()


async def sent(
    usecases: DocumentUseCases, confidentiality: Confidentiality = Confidentiality.NORMAL
) -> tuple[str, str]:
    """A document sent from SENDER to RECIPIENT, with one attachment: (outgoing id, incoming copy id)."""
    with event_context(f"clerk@{SENDER}"):
        draft = await usecases.create_outgoing(
            sender_code=SENDER,
            doc_type=DocumentType.CONG_VAN,
            subject="Về việc bảo mật",
            urgency=Urgency.NORMAL,
            confidentiality=confidentiality,
            content_pdf=b"",
            attachments=[NewAttachment("phu-luc.txt", "text/plain", AttachmentKind.APPENDIX, b"phu luc")],
        )
        document_id = UUID(draft.id)
        await usecases.register_outgoing(document_id)
        await usecases.sign_outgoing(document_id)
        row = await usecases.send_outgoing(document_id, [RECIPIENT])
    return row.id, row.recipients[0].incoming_id


def reads_of(
    usecases: DocumentUseCases, document_id: str, incoming_id: str, sha: str
) -> dict[str, Callable[[], Awaitable[object]]]:
    async def watch_first() -> object:
        async for row in usecases.watch_incoming(RECIPIENT, include_waiting=True):
            return row
        return None

    return {
        "get": lambda: usecases.outgoing(UUID(document_id)),
        "content": lambda: usecases.content(UUID(document_id)),
        "attachment": lambda: usecases.attachment(UUID(document_id), sha),
        "attachment of the copy": lambda: usecases.attachment(UUID(incoming_id), sha),
        "history": lambda: usecases.history(UUID(document_id)),
        "history of the copy": lambda: usecases.history(UUID(incoming_id)),
        "list outgoing": lambda: usecases.outgoing_of(SENDER),
        "list incoming": lambda: usecases.incoming_of(RECIPIENT),
        "search": lambda: usecases.search(DocumentSearch(agency_code=SENDER)),
        "watch": watch_first,
    }


def changes_of(
    usecases: DocumentUseCases, document_id: str, incoming_id: str
) -> dict[str, Callable[[], Awaitable[object]]]:
    return {
        "recall": lambda: usecases.recall_outgoing(UUID(document_id), [], "nhầm"),
        "accept": lambda: usecases.accept_incoming(UUID(incoming_id)),
        "refuse": lambda: usecases.refuse_incoming(UUID(incoming_id), "không"),
        "answer recall": lambda: usecases.answer_recall(UUID(incoming_id), True),
        "start": lambda: usecases.start_incoming(UUID(incoming_id)),
    }


async def test_another_agency_can_neither_read_nor_change_a_document(
    usecases: DocumentUseCases, store: DocumentsApp
) -> None:
    document_id, incoming_id = await sent(usecases)
    [attachment] = store.outgoing(UUID(document_id)).attachments
    sha = attachment["sha256"]
    before = store.recorder.max_notification_id()
    calls = {**reads_of(usecases, document_id, incoming_id, sha), **changes_of(usecases, document_id, incoming_id)}
    denied = []
    for name, call in calls.items():
        with pytest.raises(PermissionDenied, match=STRANGER):
            await as_(f"leader@{STRANGER}", call)
        denied.append(name)
    assert len(denied) == 15
    assert store.recorder.max_notification_id() == before


async def test_sender_and_recipient_each_act_only_on_their_own_side(
    usecases: DocumentUseCases, store: DocumentsApp
) -> None:
    document_id, incoming_id = await sent(usecases)
    before = store.recorder.max_notification_id()
    with pytest.raises(PermissionDenied, match=f"cannot accept documents arriving of {RECIPIENT}"):
        await as_(f"clerk@{SENDER}", lambda: usecases.accept_incoming(UUID(incoming_id)))
    with pytest.raises(PermissionDenied, match=f"cannot recall documents of {SENDER}"):
        await as_(f"clerk@{RECIPIENT}", lambda: usecases.recall_outgoing(UUID(document_id), [], "x"))
    with pytest.raises(PermissionDenied, match="cannot read the history"):
        await as_(f"clerk@{RECIPIENT}", lambda: usecases.history(UUID(document_id)))  # every copy's history
    assert store.recorder.max_notification_id() == before

    accepted = await as_(f"clerk@{RECIPIENT}", lambda: usecases.accept_incoming(UUID(incoming_id)))
    assert accepted.status == "03"  # type: ignore[attr-defined]
    copy_history = await as_(f"clerk@{RECIPIENT}", lambda: usecases.history(UUID(incoming_id)))
    assert [r.event for r in copy_history] == ["Arrived", "Accepted"]  # type: ignore[attr-defined]
    seen = await as_(f"officer@{RECIPIENT}", lambda: usecases.content(UUID(document_id)))
    assert seen[0].startswith(b"%PDF-")  # type: ignore[index]


async def test_an_auditor_reads_histories_but_not_confidential_ones_and_changes_nothing(
    usecases: DocumentUseCases,
) -> None:
    normal, _ = await sent(usecases)
    secret, secret_copy = await sent(usecases, Confidentiality.TOI_MAT)
    auditor = f"auditor@{STRANGER}"
    history = await as_(auditor, lambda: usecases.history(UUID(normal)))
    assert [r.event for r in history][:4] == ["Drafted", "Registered", "Signed", "Sent"]  # type: ignore[attr-defined]
    for call in (lambda: usecases.history(UUID(secret)), lambda: usecases.content(UUID(secret))):
        with pytest.raises(PermissionDenied, match="confidential"):
            await as_(auditor, call)
    with pytest.raises(PermissionDenied, match="is an auditor and cannot"):
        await as_(auditor, lambda: usecases.recall_outgoing(UUID(normal), [], "x"))
    # The confidential document's named recipient reads it.
    assert (await as_(f"clerk@{RECIPIENT}", lambda: usecases.outgoing(UUID(secret)))).id == secret  # type: ignore[attr-defined]
    assert secret_copy


async def test_only_a_leader_approves_and_a_search_defaults_to_the_callers_agency(usecases: DocumentUseCases) -> None:
    with event_context(f"clerk@{SENDER}"):
        draft = await usecases.create_outgoing(
            sender_code=SENDER,
            doc_type=DocumentType.BAO_CAO,
            subject="Báo cáo",
            urgency=Urgency.NORMAL,
            confidentiality=Confidentiality.NORMAL,
            content_pdf=b"",
        )
        await usecases.submit_outgoing(UUID(draft.id))
        with pytest.raises(PermissionDenied, match="only a leader may approve"):
            await usecases.approve_outgoing(UUID(draft.id), "")
        with pytest.raises(PermissionDenied, match=f"cannot issue documents of {RECIPIENT}"):
            await usecases.create_outgoing(
                sender_code=RECIPIENT,
                doc_type=DocumentType.BAO_CAO,
                subject="Giả mạo",
                urgency=Urgency.NORMAL,
                confidentiality=Confidentiality.NORMAL,
                content_pdf=b"",
            )
    approved = await as_(f"leader@{SENDER}", lambda: usecases.approve_outgoing(UUID(draft.id), "Đồng ý"))
    assert approved.state == "approved"  # type: ignore[attr-defined]
    with event_context(f"clerk@{SENDER}"):
        await usecases.register_outgoing(UUID(draft.id))
        hits, more = await usecases.search(DocumentSearch(agency_code=""))
    assert ([h.id for h in hits], more) == ([draft.id], False)


async def test_the_audit_api_follows_the_same_rules(usecases: DocumentUseCases) -> None:
    normal, copy = await sent(usecases)
    secret, _ = await sent(usecases, Confidentiality.TOI_MAT)

    async def audit(actor: str, aggregate_id: str) -> None:
        with event_context(actor):
            usecases.authorise_audit(UUID(aggregate_id))

    await audit(f"auditor@{STRANGER}", normal)
    await audit(f"clerk@{SENDER}", secret)  # a party reads its own confidential document's log
    with pytest.raises(PermissionDenied, match="confidential"):
        await audit(f"auditor@{STRANGER}", secret)
    with pytest.raises(PermissionDenied, match="neither the sender nor a recipient"):
        await audit(f"leader@{STRANGER}", normal)
    await audit(f"clerk@{RECIPIENT}", copy)  # the recipient reads its copy's log
    unknown = "00000000-0000-0000-0000-0000000000aa"  # not a document (a record, a number series): auditors only
    await audit(f"auditor@{STRANGER}", unknown)
    with pytest.raises(PermissionDenied, match="auditors do"):
        await audit(f"clerk@{SENDER}", unknown)
