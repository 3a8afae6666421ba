"""The leader's own signature before the seal: a leader of the sender signs the registered PDF once with a
personal certificate, then the seal signs the same PDF; both are recorded. `signer` is the conftest's
FakeSigner, which appends a marker per signature."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from lienthong.documents.application.usecases import DocumentUseCases
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.documents.projections.registers import DocumentSearch
from lienthong.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from lienthong.eventstore import event_context

SENDER, OTHER = "000.00.12.H41", "000.00.00.H41"
LEADER_SERIAL = "7f3e"


async def drafted(usecases: DocumentUseCases) -> UUID:
    with event_context(f"clerk@{SENDER}"):
        row = await usecases.create_outgoing(
            sender_code=SENDER,
            doc_type=DocumentType.QUYET_DINH,
            subject="Quyết định ban hành quy chế",
            urgency=Urgency.NORMAL,
            confidentiality=Confidentiality.NORMAL,
            content_pdf=b"",
        )
    return UUID(row.id)


async def registered(usecases: DocumentUseCases) -> UUID:
    document_id = await drafted(usecases)
    with event_context(f"clerk@{SENDER}"):
        await usecases.register_outgoing(document_id)
    return document_id


async def test_a_leader_signs_then_the_seal_signs_the_same_pdf(usecases: DocumentUseCases, signer: Any) -> None:
    document_id = await registered(usecases)
    with event_context(f"leader@{SENDER}"):
        by_leader = await usecases.sign_as_leader(document_id, LEADER_SERIAL, " Giám đốc ")
    with event_context(f"clerk@{SENDER}"):
        sealed = await usecases.sign_outgoing(document_id)
        history = await usecases.history(document_id)
        content, _ = await usecases.content(document_id)
        found, _ = await usecases.search(DocumentSearch(agency_code=SENDER, signer=LEADER_SERIAL.upper()))
    assert (by_leader.state, by_leader.leader_certificate_serial, by_leader.leader_position) == (
        "registered",
        LEADER_SERIAL,
        "Giám đốc",
    )
    assert (sealed.state, sealed.certificate_serial, sealed.leader_certificate_serial) == ("signed", "0a1b", "7f3e")
    leader_signed = next(e for e in history if e.event == "LeaderSigned")
    assert (leader_signed.actor, leader_signed.data["certificate_serial"], leader_signed.data["position"]) == (
        f"leader@{SENDER}",
        LEADER_SERIAL,
        "Giám đốc",
    )
    assert [e.event for e in history][-3:] == ["Registered", "LeaderSigned", "Signed"]
    assert b"signed by 7f3e as Gi" in content
    assert content.endswith(b"signed by the fake seal\n")  # the seal signed the leader-signed PDF
    assert [hit.id for hit in found] == [str(document_id)]
    assert signer.seals == [(SENDER, False)]


@pytest.mark.parametrize(
    ("actor", "reason"), [(f"clerk@{SENDER}", "only a leader may sign"), (f"leader@{OTHER}", "cannot sign documents")]
)
async def test_only_a_leader_of_the_sender_signs_as_leader(usecases: DocumentUseCases, actor: str, reason: str) -> None:
    document_id = await registered(usecases)
    with event_context(actor), pytest.raises(PermissionDenied, match=reason):
        await usecases.sign_as_leader(document_id, LEADER_SERIAL, "Giám đốc")


async def test_the_leader_signs_once_before_the_seal_with_serial_and_position(usecases: DocumentUseCases) -> None:
    document_id = await registered(usecases)
    with event_context(f"leader@{SENDER}"):
        with pytest.raises(InvalidArgument, match="signer_serial"):
            await usecases.sign_as_leader(document_id, " ", "Giám đốc")
        with pytest.raises(InvalidArgument, match="chức vụ"):
            await usecases.sign_as_leader(document_id, LEADER_SERIAL, "")
        await usecases.sign_as_leader(document_id, LEADER_SERIAL, "Giám đốc")
        with pytest.raises(FailedPrecondition, match="already signed by certificate 7f3e"):
            await usecases.sign_as_leader(document_id, "8a8a", "Phó Giám đốc")
    with event_context(f"clerk@{SENDER}"):
        await usecases.sign_outgoing(document_id)
    with event_context(f"leader@{SENDER}"), pytest.raises(FailedPrecondition, match="already carries the seal"):
        await usecases.sign_as_leader(document_id, LEADER_SERIAL, "Giám đốc")


async def test_a_draft_is_registered_before_the_leader_signs(usecases: DocumentUseCases) -> None:
    document_id = await drafted(usecases)
    with event_context(f"leader@{SENDER}"), pytest.raises(FailedPrecondition, match="register it before"):
        await usecases.sign_as_leader(document_id, LEADER_SERIAL, "Giám đốc")
