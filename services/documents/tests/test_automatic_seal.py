"""Automatic signing: when the sender's signing policy allows it, registration has the seal sign at once and
the Signed event names the policy; without such a policy registration only numbers the document. `signer` is
the conftest's FakeSigner."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import reduce
from typing import Any
from uuid import UUID

import pytest

from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.application.usecases import DocumentUseCases
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, OutgoingDocument, OutgoingState, Urgency
from lienthong.errors import FailedPrecondition
from lienthong.eventstore import event_context

SENDER = "000.00.12.H41"
POLICY = f"automatic-seal/{SENDER}/v1"
NOON = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


async def drafted(usecases: DocumentUseCases) -> UUID:
    row = await usecases.create_outgoing(
        sender_code=SENDER,
        doc_type=DocumentType.BAO_CAO,
        subject="Báo cáo tháng 11",
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.NORMAL,
        content_pdf=b"",
    )
    return UUID(row.id)


async def test_registration_under_an_automatic_seal_policy_signs_and_names_the_policy(
    usecases: DocumentUseCases, signer: Any
) -> None:
    signer.policies[SENDER] = POLICY
    with event_context(f"clerk@{SENDER}"):
        document_id = await drafted(usecases)
        row = await usecases.register_outgoing(document_id)
        history = await usecases.history(document_id)
        with pytest.raises(FailedPrecondition, match=f"{row.code} is already signed"):
            await usecases.sign_outgoing(document_id)
    assert (row.state, row.code, row.seal_policy, row.certificate_serial) == ("signed", "01/BC-STTTT", POLICY, "0a1b")
    assert signer.seals == [(SENDER, True)]
    assert [e.event for e in history][-2:] == ["Registered", "Signed"]
    assert history[-1].data["policy"] == POLICY


async def test_registration_without_the_policy_only_numbers_the_document(
    usecases: DocumentUseCases, signer: Any
) -> None:
    with event_context(f"clerk@{SENDER}"):
        document_id = await drafted(usecases)
        registered = await usecases.register_outgoing(document_id)
        signed = await usecases.sign_outgoing(document_id)
    assert (registered.state, registered.seal_policy) == ("registered", "")
    assert (signed.state, signed.seal_policy) == ("signed", "")
    assert signer.seals == [(SENDER, False)]


async def test_a_refused_automatic_seal_leaves_the_document_registered_for_a_person_to_sign(
    usecases: DocumentUseCases, signer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer.policies[SENDER] = POLICY

    async def refused(agency_code: str, pdf: bytes, reason: str, *, automatic: bool = False, **_: Any) -> Any:
        raise FailedPrecondition(f"agency {agency_code} has no signing policy allowing automatic seal signatures")

    monkeypatch.setattr(signer, "seal", refused)  # the policy was turned off between the two calls
    with event_context(f"clerk@{SENDER}"):
        document_id = await drafted(usecases)
        row = await usecases.register_outgoing(document_id)
        history = await usecases.history(document_id)
    assert (row.state, row.code, row.seal_policy) == ("registered", "01/BC-STTTT", "")
    assert [e.event for e in history] == ["Drafted", "Registered"]


def test_a_signed_event_recorded_before_automatic_signing_still_loads(store: DocumentsApp) -> None:
    document = OutgoingDocument.draft(
        sender_code=SENDER,
        doc_type="BAO_CAO",
        subject="Báo cáo",
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.NORMAL,
        content_sha256="a" * 64,
    )
    document.register(number=1, notation="BC-STTTT", code="01/BC-STTTT", issued_at=NOON, content_sha256="a" * 64)
    document.sign(content_sha256="b" * 64, certificate_serial="0a1b", signed_at=NOON)
    stored = [store.mapper.to_stored_event(e) for e in document.collect_events()]
    transcoder = store.mapper.transcoder

    def without_policy(state: bytes) -> bytes:
        fields = transcoder.decode(state)
        assert fields.pop("policy") == ""
        return transcoder.encode(fields)

    old = [replace(e, state=without_policy(e.state)) if e.topic.endswith(".Signed") else e for e in stored]
    loaded: Any = reduce(lambda aggregate, e: store.mapper.to_domain_event(e).mutate(aggregate), old, None)
    assert (loaded.state, loaded.certificate_serial, loaded.seal_policy) == (OutgoingState.SIGNED, "0a1b", "")
