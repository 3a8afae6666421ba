"""Sign once: the seal the platform puts on a document is not verified again when the document is sent."""

from __future__ import annotations

from lienthong.documents.application.usecases import DocumentUseCases

from .conftest import FakeSigner
from .test_access import sent


async def test_a_document_the_platform_sealed_is_sent_without_a_second_verification(
    usecases: DocumentUseCases, signer: FakeSigner
) -> None:
    await sent(usecases)
    assert signer.seals == [("000.00.12.H41", False)]
    assert signer.verifications == 0
