"""Use cases wired to a real store and registers, with the agency registry and the signer replaced by fakes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from lienthong.consumer import LocalFollower
from lienthong.documents.application import DocumentsApp
from lienthong.documents.blobs import LocalBlobStore
from lienthong.documents.gateways import AgencyInfo, Seal, Verdict
from lienthong.documents.projections.registers import Registers
from lienthong.documents.usecases import DocumentUseCases
from lienthong.eventstore import store_environment

SIGNATURE = b"\n%%signed by the fake seal\n"


class FakeDirectory:
    """Every well-formed code is an active agency; nobody was reorganised."""

    async def get(self, code: str) -> AgencyInfo:
        return AgencyInfo(code, f"Cơ quan {code}", "STTTT", True, "active")

    async def resolve(self, code: str) -> tuple[AgencyInfo, list[str]]:
        return await self.get(code), [code]


class FakeSigner:
    """Appends a marker instead of a PAdES signature, and accepts only PDFs that carry it."""

    async def seal(self, agency_code: str, pdf: bytes, reason: str) -> Seal:
        return Seal(pdf + SIGNATURE, "0a1b", datetime.now(UTC))

    async def verify(self, pdf: bytes, agency_code: str) -> Verdict:
        return Verdict(pdf.endswith(SIGNATURE), "no seal")


@pytest.fixture
def store(database_url: str) -> DocumentsApp:
    return DocumentsApp(store_environment("documents", database_url))


@pytest.fixture
def usecases(store: DocumentsApp, tmp_path: Path) -> DocumentUseCases:
    app = store
    registers = Registers(app.engine)
    follower = LocalFollower(app, registers, service="documents")
    return DocumentUseCases(
        app,
        registers,
        follower,
        LocalBlobStore(tmp_path / "blobs"),
        FakeDirectory(),  # type: ignore[arg-type]
        FakeSigner(),  # type: ignore[arg-type]
    )
