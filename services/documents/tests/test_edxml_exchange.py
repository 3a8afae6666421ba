"""A document exported from one platform and imported into another lands like one sent within a platform,
and the recipient's status travels back the same way."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from lxml import etree

from lienthong.documents.adapters.inbound.edxml.model import NAMESPACE, Envelope, Layout, StatusMessage
from lienthong.documents.adapters.inbound.edxml.parser import parse_message
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.errors import AlreadyExists, FailedPrecondition, PermissionDenied
from lienthong.eventstore import event_context
from lienthong.launcher.testing import fresh_database

SENDER, RECIPIENT = "000.00.12.H41", "000.00.00.H41"
ROOTS = {Layout.AXIS: f"{{{NAMESPACE}}}edXML", Layout.ENVELOPE: f"{{{NAMESPACE}}}edXMLEnvelope"}


def comparable(row: Any) -> dict[str, Any]:
    fields = asdict(row)
    for local in ("id", "outgoing_id", "arrived_at"):
        fields.pop(local)
    return fields


@pytest.mark.parametrize("layout", Layout)
async def test_an_imported_document_arrives_like_one_sent_within_the_platform_and_its_status_goes_back(
    layout: Layout, database_url: str, exchange_at: Any, sent_within: Any, tmp_path: Path
) -> None:
    sender_side, sender_app, sender_registers, sender_blobs = exchange_at(database_url, "sender")
    document_id = sent_within(sender_app, sender_blobs)
    sender_side._follower.catch_up()
    [internal] = sender_registers.incoming_of(RECIPIENT)

    with fresh_database(tmp_path / "recipient.db") as other_url:
        recipient_side, recipient_app, recipient_registers, recipient_blobs = exchange_at(other_url, "recipient")
        envelope = await sender_side.export_document(document_id, [], layout=layout)
        assert etree.fromstring(envelope).tag == ROOTS[layout]
        imported = await recipient_side.import_message(envelope)

        [incoming_id] = imported.incoming_ids
        row = recipient_registers.incoming_by_id(incoming_id)
        assert row is not None
        assert comparable(row) == comparable(internal)
        assert row.status == "01"
        copy = recipient_app.incoming(UUID(incoming_id))
        message = parse_message(envelope)
        assert isinstance(message, Envelope)
        # The registry's parent of the department is the province: its OrganizationInCharge, where the layout has one.
        in_charge = "Ủy ban nhân dân tỉnh Khánh Hòa" if layout is Layout.AXIS else ""
        assert (message.sender.name, message.sender.in_charge) == ("Sở Thông tin và Truyền thông", in_charge)
        assert recipient_blobs.get(copy.envelope_sha256) == envelope
        assert [recipient_blobs.get(f["sha256"]) for f in copy.attachments] == [a.content for a in message.attachments]

        recipient_app.accept_incoming(UUID(incoming_id), accepted_at=datetime.now(UTC))
        status = await recipient_side.export_status(UUID(incoming_id), layout=layout)
        assert etree.fromstring(status).tag == ROOTS[layout]
        answered = await sender_side.import_message(status)

        assert (answered.outgoing_id, answered.status) == (str(document_id), "03")
        assert sender_app.outgoing(document_id).recipient_status[RECIPIENT][0] == "03"
        recorded = sender_app.recorder.max_notification_id()
        await sender_side.import_message(status)  # a gateway delivering the same status again
        assert sender_app.recorder.max_notification_id() == recorded
        with pytest.raises(AlreadyExists):
            await recipient_side.import_message(envelope)


async def test_a_confidential_document_is_not_exported_in_clear(
    database_url: str, exchange_at: Any, sent_within: Any
) -> None:
    exchange, app, _, blobs = exchange_at(database_url, "sender")
    document_id = sent_within(app, blobs, Confidentiality.MAT)
    with pytest.raises(FailedPrecondition, match="confidential"):
        await exchange.export_document(document_id, [])


async def test_only_a_signed_document_is_exported(database_url: str, exchange_at: Any, sent_within: Any) -> None:
    exchange, app, _, _ = exchange_at(database_url, "sender")
    draft = app.create_outgoing(
        sender_code=SENDER,
        doc_type=DocumentType.CONG_VAN,
        subject="Về việc thử",
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.NORMAL,
        content_sha256="",
    )
    with pytest.raises(FailedPrecondition, match="only a signed document is exported"):
        await exchange.export_document(draft.id, [RECIPIENT])


@pytest.mark.parametrize("layout", Layout)
async def test_a_xades_envelope_is_imported_and_its_files_are_served(
    layout: Layout, database_url: str, exchange_at: Any, sent_within: Any, tmp_path: Path
) -> None:
    sender_side, sender_app, _, sender_blobs = exchange_at(database_url, "sender")
    document_id = sent_within(sender_app, sender_blobs)
    envelope = await sender_side.export_document(document_id, [], xades=True, layout=layout)
    assert b"QualifyingProperties" in envelope
    with fresh_database(tmp_path / "recipient.db") as other_url:
        recipient_side, _, _, _ = exchange_at(other_url, "recipient")
        [incoming_id] = (await recipient_side.import_message(envelope)).incoming_ids
        pdf = sender_blobs.get(sender_app.outgoing(document_id).content_sha256)
        found = await recipient_side.imported_attachment(
            UUID(incoming_id), sender_app.outgoing(document_id).content_sha256
        )
        assert found is not None
        assert (found[0]["kind"], found[1]) == ("main_text", pdf)


async def test_the_status_of_a_copy_sent_within_the_platform_answers_the_documents_edxml_id(
    database_url: str, exchange_at: Any, sent_within: Any
) -> None:
    exchange, app, _, blobs = exchange_at(database_url, "platform")
    document_id = sent_within(app, blobs)
    [copy] = [UUID(c) for c in app.outgoing(document_id).recipients.values()]
    app.accept_incoming(copy, accepted_at=datetime.now(UTC))
    envelope = parse_message(await exchange.export_document(document_id, []))
    with event_context(f"clerk@{RECIPIENT}"):
        status = parse_message(await exchange.export_status(copy))
    assert isinstance(envelope, Envelope)
    assert isinstance(status, StatusMessage)
    assert (status.document_id, status.status.value) == (envelope.document_id, "03")
    assert (status.sender.organ_id, status.recipient.organ_id) == (RECIPIENT, SENDER)


async def test_only_the_parties_export_import_or_read_files(
    database_url: str, exchange_at: Any, sent_within: Any, tmp_path: Path
) -> None:
    sender_side, sender_app, _, sender_blobs = exchange_at(database_url, "sender")
    document_id = sent_within(sender_app, sender_blobs)
    stranger = "clerk@000.00.07.H41"
    with event_context(stranger), pytest.raises(PermissionDenied, match="cannot export documents of"):
        await sender_side.export_document(document_id, [])
    envelope = await sender_side.export_document(document_id, [])
    with fresh_database(tmp_path / "recipient.db") as other_url:
        recipient_side, recipient_app, _, _ = exchange_at(other_url, "recipient")
        before = recipient_app.recorder.max_notification_id()
        for caller in (stranger, f"auditor@{RECIPIENT}"):
            with event_context(caller), pytest.raises(PermissionDenied):
                await recipient_side.import_message(envelope)
        assert recipient_app.recorder.max_notification_id() == before
        [incoming_id] = (await recipient_side.import_message(envelope)).incoming_ids
        sha = sender_app.outgoing(document_id).content_sha256
        with event_context(stranger), pytest.raises(PermissionDenied, match="neither the sender nor a recipient"):
            await recipient_side.imported_attachment(UUID(incoming_id), sha)
        with event_context(stranger), pytest.raises(PermissionDenied, match="cannot export the status"):
            await recipient_side.export_status(UUID(incoming_id))
