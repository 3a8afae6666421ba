"""The B-LT step after sending with the real signing service (its gRPC servicer on a local port, a development
CA, PostgreSQL or SQLite): a document sent sealed at B-T becomes B-LT within a bound, `lienthong verify --trust`
and pyHanko's own validators pass it offline, and a signing service killed before the step is done yields
B-LT once it is back (the extender never ran in between: as after a crash between seal and step)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import grpc
import pytest
from cryptography.hazmat.primitives import serialization

from lienthong.consumer import LocalFollower
from lienthong.documents.adapters.outbound.blobs import LocalBlobStore
from lienthong.documents.adapters.outbound.gateways import SealSigner
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.application.longterm import LongTermExtender
from lienthong.documents.application.usecases import DocumentUseCases
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.documents.projections.registers import Registers
from lienthong.eventstore import event_context, store_environment
from lienthong.grpcserver.interceptors import DomainInterceptor
from lienthong.identifiers_client import AgencyRegistry
from lienthong.signing.adapters.inbound.api import SigningServicer
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.adapters.outbound.pades import TrustData, verify_pdf
from lienthong.signing.application.app import SigningApp
from lienthong.signing.domain.verification import Indication
from lienthong.signing.v1 import signing_pb2_grpc

SENDER, RECIPIENT = "000.00.12.H41", "000.00.00.H41"
EVENTUALLY = 60.0  # seconds: a generous bound for "becomes B-LT", not a speed
BIN = Path(sys.executable).parent


class Names(AgencyRegistry):
    """The identifiers service's answer: every agency has a name."""

    def __init__(self) -> None:
        pass

    async def name_of(self, code: str) -> str:
        return f"Cơ quan {code}"


class Directory:
    async def get(self, code: str) -> object:
        from lienthong.identifiers_client import AgencyInfo

        return AgencyInfo(code, f"Cơ quan {code}", "STTTT", True, "active")

    async def resolve(self, code: str) -> tuple[object, list[str]]:
        return await self.get(code), [code]


@dataclass
class SigningService:
    """The signing servicer served on `port`; `stop()` kills it, `start()` brings it back on the same port."""

    directory: Path
    database_url: str
    port: int = 0
    server: grpc.aio.Server | None = None

    @property
    def ca(self) -> DevCertificateAuthority:
        return DevCertificateAuthority(self.directory / "ca", EncryptedFileKeyStore(self.directory / "keys", b"pw"))

    async def start(self) -> None:
        keys = EncryptedFileKeyStore(self.directory / "keys", b"pw")
        ca = DevCertificateAuthority(self.directory / "ca", keys)
        app = SigningApp(store_environment("signing", self.database_url))
        servicer = SigningServicer(app, ca, keys, Names(), timestamper=ca.timestamper)
        server = grpc.aio.server(interceptors=[DomainInterceptor()])
        signing_pb2_grpc.add_SigningServiceServicer_to_server(servicer, server)
        self.port = server.add_insecure_port(f"127.0.0.1:{self.port}")
        await server.start()
        self.server = server

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(None)
            self.server = None


@dataclass
class Platform:
    usecases: DocumentUseCases
    extender: LongTermExtender
    signing: SigningService
    app: DocumentsApp


@pytest.fixture
async def platform(tmp_path: Path, database_url: str) -> AsyncIterator[Platform]:
    signing = SigningService(tmp_path / "signing", database_url)
    await signing.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{signing.port}")
    app = DocumentsApp(store_environment("documents", database_url))
    registers = Registers(app.engine)
    follower = LocalFollower(app, registers, service="documents")
    blobs = LocalBlobStore(tmp_path / "blobs")
    signer = SealSigner(channel)
    usecases = DocumentUseCases(app, registers, follower, blobs, Directory(), signer)  # type: ignore[arg-type]
    extender = LongTermExtender(app, registers, follower, blobs, signer, first_backoff=0.1, max_backoff=0.5)
    try:
        yield Platform(usecases, extender, signing, app)
    finally:
        await channel.close(None)
        await signing.stop()


async def sent_sealed(usecases: DocumentUseCases) -> UUID:
    with event_context(f"clerk@{SENDER}"):
        row = await usecases.create_outgoing(
            sender_code=SENDER,
            doc_type=DocumentType.BAO_CAO,
            subject="Báo cáo tình hình quý IV",
            urgency=Urgency.NORMAL,
            confidentiality=Confidentiality.NORMAL,
            content_pdf=b"",
        )
        document_id = UUID(row.id)
        await usecases.register_outgoing(document_id)
        await usecases.sign_outgoing(document_id)
        await usecases.send_outgoing(document_id, [RECIPIENT])
    return document_id


async def level_of(usecases: DocumentUseCases, document_id: UUID) -> str:
    with event_context(f"clerk@{SENDER}"):
        return (await usecases.outgoing(document_id)).seal_level


async def content_of(usecases: DocumentUseCases, document_id: UUID) -> bytes:
    with event_context(f"clerk@{SENDER}"):
        return (await usecases.content(document_id))[0]


async def until_long_term(usecases: DocumentUseCases, document_id: UUID) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EVENTUALLY
    while await level_of(usecases, document_id) != "B-LT":
        if loop.time() > deadline:
            pytest.fail(f"document {document_id} was not B-LT within {EVENTUALLY:.0f}s of being sent")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running(extender: LongTermExtender) -> AsyncIterator[None]:
    task = asyncio.create_task(extender.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def offline() -> list[str]:
    """A command prefix without a network (a fresh network namespace); fails, never skips, without one."""
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed to run the validators without a network"
    return [unshare, "-n"]


def validated_offline(tmp_path: Path, pdf: bytes, ca: DevCertificateAuthority) -> None:
    """`lienthong verify --trust` and pyHanko's plain `sign validate` and `adesverify` pass `pdf` offline,
    trusting only the dev root; lienthong's strict check (revocation data for every certificate) too."""
    file, root = tmp_path / "sealed.pdf", tmp_path / "root.pem"
    file.write_bytes(pdf)
    root.write_bytes(ca.root.public_bytes(serialization.Encoding.PEM))
    strict = verify_pdf(pdf, trust=TrustData([ca.root]), expected_agency_code=SENDER, strict=True)
    assert strict.indication is Indication.TOTAL_PASSED, strict.reason
    lienthong = [str(BIN / "lienthong"), "verify", str(file), "--trust", str(root), "--agency", SENDER]
    result = subprocess.run([*offline(), *lienthong], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TOTAL_PASSED" in result.stdout, result.stdout
    trust = ["--trust-replace", "--trust", str(root)]
    plain = [str(BIN / "pyhanko"), "sign", "validate", *trust, str(file)]
    result = subprocess.run([*offline(), *plain], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ":INTACT:TRUSTED," in result.stdout, result.stdout
    assert "TIMESTAMP_TOKEN<INTACT:TRUSTED>" in result.stdout, result.stdout
    ades = [str(BIN / "pyhanko"), "sign", "adesverify", *trust, "--executive-summary", str(file)]
    result = subprocess.run([*offline(), *ades], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ":VALID" in result.stdout, result.stdout


def strictly_passes(pdf: bytes, ca: DevCertificateAuthority) -> bool:
    report = verify_pdf(pdf, trust=TrustData([ca.root]), expected_agency_code=SENDER, strict=True)
    return report.indication is Indication.TOTAL_PASSED


async def test_a_document_sent_sealed_at_b_t_is_b_lt_within_a_bound_and_validates_offline(
    platform: Platform, tmp_path: Path
) -> None:
    async with running(platform.extender):
        document_id = await sent_sealed(platform.usecases)
        await until_long_term(platform.usecases, document_id)
    pdf = await content_of(platform.usecases, document_id)
    await asyncio.to_thread(validated_offline, tmp_path, pdf, platform.signing.ca)


async def test_signing_killed_before_the_step_still_ends_in_b_lt_after_its_restart(
    platform: Platform, tmp_path: Path
) -> None:
    document_id = await sent_sealed(platform.usecases)  # sealed at B-T; no extender ran (a crash, say)
    sealed = await content_of(platform.usecases, document_id)
    assert await level_of(platform.usecases, document_id) == "B-T"
    assert not await asyncio.to_thread(
        strictly_passes, sealed, platform.signing.ca
    )  # the control: B-T carries no revocation data
    await platform.signing.stop()
    async with running(platform.extender):
        await asyncio.sleep(1.5)  # rounds of back-off against a dead signing service
        assert platform.extender.extended == 0
        assert await level_of(platform.usecases, document_id) == "B-T"
        await platform.signing.start()  # back on the same port
        await until_long_term(platform.usecases, document_id)
    extended = await content_of(platform.usecases, document_id)
    assert extended.startswith(sealed)  # the seal's bytes unchanged, the DSS appended
    with event_context(f"clerk@{SENDER}"):
        history = [e.event for e in await platform.usecases.history(document_id) if e.aggregate == "OutgoingDocument"]
    assert history.count("LongTermValidated") == 1
    await asyncio.to_thread(validated_offline, tmp_path, extended, platform.signing.ca)
