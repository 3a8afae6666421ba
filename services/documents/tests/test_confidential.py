"""A confidential document through the use cases on a real store: nothing of its secret is stored in clear
(events, registers, files), its parties read it in clear, and nobody else does."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, table

from lienthong.documents.adapters.outbound.rendering import ascii_text
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.application.usecases import DocumentUseCases, NewAttachment
from lienthong.documents.domain.attachments import AttachmentKind
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.documents.projections.registers import DocumentSearch, OutgoingRow
from lienthong.errors import InvalidArgument, PermissionDenied
from lienthong.eventstore import event_context

SENDER, RECIPIENT, STRANGER = "000.00.12.H41", "000.00.00.H41", "000.00.07.H41"


async def sent_secretly(usecases: DocumentUseCases, marker: str) -> tuple[str, str, str]:
    """A TUYỆT MẬT document from SENDER to RECIPIENT, its subject, file name and file holding `marker`,
    its PDF rendered at registration: (outgoing id, incoming id, attachment sha)."""
    with event_context(f"clerk@{SENDER}"):
        draft = await usecases.create_outgoing(
            sender_code=SENDER,
            doc_type=DocumentType.KE_HOACH,
            subject=f"Kế hoạch {marker}",
            urgency=Urgency.HOA_TOC,
            confidentiality=Confidentiality.TUYET_MAT,
            content_pdf=b"",
            attachments=[
                NewAttachment(f"{marker}.txt", "text/plain", AttachmentKind.APPENDIX, f"nội dung {marker}".encode())
            ],
        )
        assert draft.subject == f"Kế hoạch {marker}"  # the sender reads back its own draft in clear
        await usecases.register_outgoing(UUID(draft.id))
        await usecases.sign_outgoing(UUID(draft.id))
        row = await usecases.send_outgoing(UUID(draft.id), [RECIPIENT])
    return row.id, row.recipients[0].incoming_id, json.loads(row.attachments)[0]["sha256"]


async def drafted_mat(usecases: DocumentUseCases, files: list[NewAttachment] | None = None) -> OutgoingRow:
    """A MẬT draft of SENDER (the caller acts for it), with `files`."""
    return await usecases.create_outgoing(
        sender_code=SENDER,
        doc_type=DocumentType.CONG_VAN,
        subject="Về việc bảo vệ bí mật",
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.MAT,
        content_pdf=b"",
        attachments=files or [],
    )


def stored_bytes(store: DocumentsApp, blobs: Path) -> list[bytes]:
    """Every stored event's state, every register row, every stored file."""
    states = [n.state for n in store.recorder.select_notifications(start=1, limit=10_000)]
    rows = []
    with store.engine.connect() as connection:
        for name in ("documents_outgoing", "documents_incoming", "documents_outgoing_recipients"):
            rows += [repr(tuple(row)).encode() for row in connection.execute(select("*").select_from(table(name)))]
    files = [path.read_bytes() for path in blobs.rglob("*") if path.is_file()]
    return states + rows + files


async def test_a_confidential_document_is_stored_encrypted_and_read_in_clear_by_its_parties(
    usecases: DocumentUseCases, store: DocumentsApp, tmp_path: Path, custodian: Any
) -> None:
    marker = uuid.uuid4().hex
    document_id, incoming_id, sha = await sent_secretly(usecases, marker)
    stored = stored_bytes(store, tmp_path / "blobs")
    assert len(stored) > 10
    assert not [data for data in stored if marker.encode() in data]
    assert any(b"[TU\\u1ef6T M\\u1eacT]" in data or "[TUYỆT MẬT]".encode() in data for data in stored)

    with event_context(f"officer@{RECIPIENT}"):
        read = await usecases.outgoing(UUID(document_id))
        assert read.subject == f"Kế hoạch {marker}"
        assert [a["name"] for a in json.loads(read.attachments)] == [f"{marker}.txt"]
        described, content = await usecases.attachment(UUID(incoming_id), sha)
        assert described["name"] == f"{marker}.txt"
        assert content == f"nội dung {marker}".encode()
        pdf, _ = await usecases.content(UUID(document_id))
        assert ascii_text(f"Kế hoạch {marker}").encode() in pdf  # rendered from the subject in clear
        [copy] = await usecases.incoming_of(RECIPIENT)
        assert copy.subject == f"Kế hoạch {marker}"
    # Each read opened the key wrapped for the reader's agency, on behalf of the reader.
    assert (RECIPIENT, f"officer@{RECIPIENT}") in custodian.unwrapped
    assert {agency for agency, _ in custodian.unwrapped} == {SENDER, RECIPIENT}

    with event_context(f"clerk@{RECIPIENT}"):
        hits, _ = await usecases.search(DocumentSearch(agency_code=RECIPIENT, query=marker))
        assert hits == []  # the register holds the placeholder: confidential subjects are not searchable
        hits, _ = await usecases.search(DocumentSearch(agency_code=RECIPIENT))
        assert [hit.subject for hit in hits] == ["[TUYỆT MẬT]"]

    for reader in (f"leader@{STRANGER}", f"auditor@{STRANGER}"):
        with event_context(reader), pytest.raises(PermissionDenied):
            await usecases.outgoing(UUID(document_id))
        with event_context(reader), pytest.raises(PermissionDenied):
            await usecases.attachment(UUID(document_id), sha)
        with event_context(reader), pytest.raises(PermissionDenied):
            await usecases.content(UUID(document_id))
    assert all(agency != STRANGER for agency, _ in custodian.unwrapped)


async def test_the_recipient_copy_carries_the_key_wrapped_for_it_alone(
    usecases: DocumentUseCases, store: DocumentsApp
) -> None:
    document_id, incoming_id, _ = await sent_secretly(usecases, uuid.uuid4().hex)
    outgoing, copy = store.outgoing(UUID(document_id)), store.incoming(UUID(incoming_id))
    assert set(outgoing.sealed["keys"]) == {SENDER, RECIPIENT}
    assert set(copy.sealed["keys"]) == {RECIPIENT}
    assert copy.sealed["keys"][RECIPIENT] == outgoing.sealed["keys"][RECIPIENT]
    assert copy.sealed["text"] == outgoing.sealed["text"]
    assert copy.subject == outgoing.subject == "[TUYỆT MẬT]"


async def test_comments_and_reasons_on_a_confidential_document_are_sealed_and_its_parties_read_them(
    usecases: DocumentUseCases, store: DocumentsApp
) -> None:
    returned, approved, refused = (f"{word} {uuid.uuid4().hex}" for word in ("sửa", "duyệt", "từ chối"))
    with event_context(f"clerk@{SENDER}"):
        draft = await drafted_mat(usecases)
        document_id = UUID(draft.id)
        await usecases.submit_outgoing(document_id)
    with event_context(f"leader@{SENDER}"):
        await usecases.return_outgoing(document_id, returned)
    with event_context(f"clerk@{SENDER}"):
        await usecases.submit_outgoing(document_id)
    with event_context(f"leader@{SENDER}"):
        await usecases.approve_outgoing(document_id, approved)
    with event_context(f"clerk@{SENDER}"):
        await usecases.register_outgoing(document_id)
        await usecases.sign_outgoing(document_id)
        row = await usecases.send_outgoing(document_id, [RECIPIENT])
    incoming_id = UUID(row.recipients[0].incoming_id)
    with event_context(f"clerk@{RECIPIENT}"):
        with pytest.raises(InvalidArgument, match="reason"):  # a blank reason is still refused, changing nothing
            await usecases.refuse_incoming(incoming_id, "  ")
        await usecases.refuse_incoming(incoming_id, refused)

    states = b"".join(n.state for n in store.recorder.select_notifications(start=1, limit=10_000))
    for note in (returned, approved, refused):
        assert note.split()[1].encode() not in states

    with event_context(f"clerk@{SENDER}"):
        history = await usecases.history(document_id)
    notes = {(r.event, key): value for r in history for key, value in r.data.items() if key in ("comment", "comments")}
    assert notes == {("Returned", "comments"): returned, ("Approved", "comment"): approved}
    with event_context(f"clerk@{RECIPIENT}"):
        copy_history = await usecases.history(incoming_id)
    assert [r.data["reason"] for r in copy_history if r.event == "Refused"] == [refused]


async def test_a_refused_confidential_file_is_named_by_its_placeholder(
    usecases: DocumentUseCases, store: DocumentsApp
) -> None:
    files = [
        NewAttachment("a.txt", "text/plain", AttachmentKind.APPENDIX, b"a"),
        NewAttachment("danh-sach-mat.txt", "text/plain", AttachmentKind.APPENDIX, b""),
    ]
    with event_context(f"clerk@{SENDER}"), pytest.raises(InvalidArgument, match=r"'\[MẬT\] 2' is empty") as refused:
        await drafted_mat(usecases, files)
    assert "danh-sach" not in str(refused.value)
    assert store.recorder.max_notification_id() in (None, 0)
