"""The seal made long-term after the answer: SignOutgoing seals at B-T, the extender adds the validation data
(B-LT) as its own recorded step, and a signing service that is down only delays it. `signer` is the conftest's
FakeSigner (the real signing service: test_long_term_signing.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from lienthong.consumer import LocalFollower
from lienthong.documents.adapters.outbound.blobs import LocalBlobStore
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.application.longterm import LongTermExtender
from lienthong.documents.application.usecases import DocumentUseCases
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.documents.projections.registers import Registers
from lienthong.errors import FailedPrecondition
from lienthong.eventstore import event_context

SENDER, RECIPIENT = "000.00.12.H41", "000.00.00.H41"
# What the conftest's FakeSigner appends for the seal, then for its validation data.
SIGNATURE = b"\n%%signed by the fake seal\n"
LONG_TERM = b"\n%%validation data of the fake seal\n"


@pytest.fixture
def extender(store: DocumentsApp, tmp_path: Path, signer: Any) -> LongTermExtender:
    """The extender on the use cases' store and blob directory (conftest's `usecases`), quick to retry."""
    registers = Registers(store.engine)
    follower = LocalFollower(store, registers, service="documents")
    blobs = LocalBlobStore(tmp_path / "blobs")
    return LongTermExtender(store, registers, follower, blobs, signer, first_backoff=0.05, max_backoff=0.2)


async def sealed(usecases: DocumentUseCases, *, send: bool = True, extender_running: bool = False) -> UUID:
    """A document sealed at B-T (and sent): its level is checked unless an extender runs meanwhile."""
    with event_context(f"clerk@{SENDER}"):
        row = await usecases.create_outgoing(
            sender_code=SENDER,
            doc_type=DocumentType.BAO_CAO,
            subject="Báo cáo tháng 11",
            urgency=Urgency.NORMAL,
            confidentiality=Confidentiality.NORMAL,
            content_pdf=b"",
        )
        document_id = UUID(row.id)
        await usecases.register_outgoing(document_id)
        signed = await usecases.sign_outgoing(document_id)
        assert signed.state == "signed"
        assert extender_running or signed.seal_level == "B-T"
        if send:
            sent = await usecases.send_outgoing(document_id, [RECIPIENT])
            assert sent.state == "sent"
            assert extender_running or sent.seal_level == "B-T"  # sending did not wait for B-LT
    return document_id


async def events_of(usecases: DocumentUseCases, document_id: UUID) -> list[str]:
    with event_context(f"clerk@{SENDER}"):
        return [e.event for e in await usecases.history(document_id) if e.aggregate == "OutgoingDocument"]


async def test_a_seal_at_b_t_is_made_long_term_after_sending_as_its_own_step(
    usecases: DocumentUseCases, extender: LongTermExtender, signer: Any
) -> None:
    document_id = await sealed(usecases)
    with event_context(f"clerk@{SENDER}"):
        before, before_sha = await usecases.content(document_id)
    assert before.endswith(SIGNATURE)

    assert await extender.extend_waiting() == 1
    assert await extender.extend_waiting() == 0  # done once

    with event_context(f"clerk@{SENDER}"):
        row = await usecases.outgoing(document_id)
        after, after_sha = await usecases.content(document_id)
    assert (row.state, row.seal_level) == ("sent", "B-LT")
    assert after == before + LONG_TERM
    assert after_sha != before_sha
    assert (await events_of(usecases, document_id))[-3:] == ["Signed", "Sent", "LongTermValidated"]
    with event_context(f"clerk@{SENDER}"):
        [step] = [e for e in await usecases.history(document_id) if e.event == "LongTermValidated"]
    assert (step.data["based_on"], step.data["content_sha256"]) == (before_sha, after_sha)
    assert signer.extensions == 1


async def test_a_document_signed_but_not_sent_is_made_long_term_too_and_sent_after(
    usecases: DocumentUseCases, extender: LongTermExtender
) -> None:
    document_id = await sealed(usecases, send=False)
    assert await extender.extend_waiting() == 1
    with event_context(f"clerk@{SENDER}"):
        sent = await usecases.send_outgoing(document_id, [RECIPIENT])
    assert (sent.state, sent.seal_level) == ("sent", "B-LT")


async def test_signing_down_delays_the_step_and_it_completes_once_signing_is_back(
    usecases: DocumentUseCases, extender: LongTermExtender, signer: Any
) -> None:
    signer.down = True
    document_id = await sealed(usecases)
    running = asyncio.create_task(extender.run())
    try:
        await wait_until(lambda: signer.extensions == 0 and extender.extended == 0, "a round while signing is down")
        await asyncio.sleep(0.3)  # several back-off rounds pass with signing down
        assert extender.extended == 0
        assert "LongTermValidated" not in await events_of(usecases, document_id)
        signer.down = False
        await wait_until(lambda: extender.extended == 1, "the seal to be made long-term")
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert (await events_of(usecases, document_id)).count("LongTermValidated") == 1


async def test_the_extender_wakes_on_the_seal_being_saved(
    usecases: DocumentUseCases, extender: LongTermExtender
) -> None:
    # A long poll interval: only the save listener can wake it in time.
    extender._poll_interval = 3600.0
    running = asyncio.create_task(extender.run())
    try:
        await asyncio.sleep(0.1)  # it has looked once, found nothing, and sleeps
        document_id = await sealed(usecases, extender_running=True)
        await wait_until(lambda: extender.extended == 1, "the extender to wake on the save")
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert "LongTermValidated" in await events_of(usecases, document_id)


async def test_a_seal_already_long_term_or_another_content_is_refused(store: DocumentsApp) -> None:
    document = store.create_outgoing(
        sender_code=SENDER,
        doc_type=DocumentType.BAO_CAO,
        subject="Báo cáo",
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.NORMAL,
        content_sha256="a" * 64,
    )
    at = datetime.now(UTC)
    with pytest.raises(FailedPrecondition, match="not sealed"):
        store.extend_outgoing_to_long_term(document.id, content_sha256="b" * 64, based_on="a" * 64, at=at)
    store.register_outgoing(document.id, agency_short_name="STTTT", issued_at=at, content_for=lambda d, c: "a" * 64)
    store.sign_outgoing(document.id, content_sha256="c" * 64, certificate_serial="01", signed_at=at, level="B-T")
    with pytest.raises(FailedPrecondition, match="extend that one instead"):
        store.extend_outgoing_to_long_term(document.id, content_sha256="d" * 64, based_on="a" * 64, at=at)
    store.extend_outgoing_to_long_term(document.id, content_sha256="d" * 64, based_on="c" * 64, at=at)
    assert (store.outgoing(document.id).content_sha256, store.outgoing(document.id).seal_level) == ("d" * 64, "B-LT")
    with pytest.raises(FailedPrecondition, match="B-LT already"):
        store.extend_outgoing_to_long_term(document.id, content_sha256="e" * 64, based_on="d" * 64, at=at)


EVENTUALLY = 20.0  # seconds: a generous bound for "eventually", not a speed


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` until true; fail naming `what` after EVENTUALLY seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EVENTUALLY
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"waited {EVENTUALLY:.0f}s for {what}")
        await asyncio.sleep(0.02)


async def test_a_seal_the_signing_service_refuses_is_put_aside_and_the_others_go_on(
    usecases: DocumentUseCases, extender: LongTermExtender, signer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused_id = await sealed(usecases)
    with event_context(f"clerk@{SENDER}"):
        refused_pdf, _ = await usecases.content(refused_id)
    extend = signer.extend_to_long_term

    async def refusing(pdf: bytes) -> bytes:
        if pdf == refused_pdf:
            raise FailedPrecondition("signature AgencySeal does not validate: the certificate was revoked")
        return bytes(await extend(pdf))

    monkeypatch.setattr(signer, "extend_to_long_term", refusing)
    other_id = await sealed(usecases)
    assert await extender.extend_waiting() == 1
    assert await extender.extend_waiting() == 0  # the refused one waits its turn, not retried at once
    assert "LongTermValidated" not in await events_of(usecases, refused_id)
    assert "LongTermValidated" in await events_of(usecases, other_id)
