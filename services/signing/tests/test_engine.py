"""Signing engines: confined to one thread or one worker process each, so that concurrent requests never share
the asn1crypto objects of a timestamper or signer (the `make bench` KeyError), and both key stores keep
working from worker processes."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from lienthong.errors import Unavailable
from lienthong.signing.adapters.inbound.api import SigningServicer
from lienthong.signing.adapters.inbound.devca_http import DevCaHttpServer
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.engine import EnginePool, EngineSettings, ReusingHttpTimeStamper, SigningEngine
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore, KeyStore
from lienthong.signing.adapters.outbound.pades import Level, TrustData, verify_pdf
from lienthong.signing.application.app import SigningApp
from lienthong.signing.v1 import signing_pb2 as pb

from .conftest import SoftHsm
from .test_api import AGENCY, NAME, RegisteredAgencies

PASSPHRASE = b"test passphrase"
CONCURRENT = 16


@pytest.fixture
def tsa(ca: DevCertificateAuthority) -> Iterator[DevCaHttpServer]:
    server = DevCaHttpServer(ca).start()
    yield server
    server.close()


def test_concurrent_seals_on_a_fresh_service_all_succeed(
    app: SigningApp, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, tsa: DevCaHttpServer, report_pdf: bytes
) -> None:
    """The case `make bench` broke: a fresh signing service, its TSA over HTTP as the platform runs it, and many
    B-LT seals at once. One timestamper shared by the threads failed one call in tens with
    KeyError('No field numbered 1 is present in this asn1crypto.x509.NameTypeAndValue')."""
    servicer = SigningServicer(
        app, ca, keys, RegisteredAgencies(), timestamper=lambda: ReusingHttpTimeStamper(tsa.tsa_url)
    )

    async def seal_many() -> list[pb.SignPdfResponse | BaseException]:
        request = pb.SignPdfRequest(agency_code=AGENCY, pdf=report_pdf, level=pb.SIGNATURE_LEVEL_B_LT)
        await servicer.IssueAgencyCertificate(pb.IssueAgencyCertificateRequest(agency_code=AGENCY), None)
        return await asyncio.gather(
            *(servicer.SignPdf(request, None) for _ in range(CONCURRENT)), return_exceptions=True
        )

    answers = asyncio.run(seal_many())
    failures = [answer for answer in answers if isinstance(answer, BaseException)]
    assert failures == []
    for answer in answers:
        assert isinstance(answer, pb.SignPdfResponse)
        report = verify_pdf(answer.signed_pdf, trust=TrustData([ca.root]), strict=True)
        assert report.indication.value == "TOTAL_PASSED", report.reason


def test_each_engine_thread_builds_its_own_engine_and_timestamper(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, report_pdf: bytes
) -> None:
    built: list[SigningEngine] = []

    def factory() -> SigningEngine:
        engine = SigningEngine(ca, keys, ca.timestamper())
        built.append(engine)
        return engine

    pool = EnginePool(factory, workers=2, processes=False)

    async def verify_many() -> None:
        await asyncio.gather(
            *(pool.call("verify_pdf", pdf=report_pdf, expected_agency_code=None) for _ in range(CONCURRENT))
        )

    try:
        asyncio.run(verify_many())
    finally:
        pool.close()
    assert len(built) == 2
    assert built[0]._timestamper is not built[1]._timestamper


def _signing_directory(tmp_path: Path, holder_keys: KeyStore | None = None) -> DevCertificateAuthority:
    keys = EncryptedFileKeyStore(tmp_path / "signing" / "keys", PASSPHRASE)
    return DevCertificateAuthority(tmp_path / "signing" / "ca", keys, holder_keys=holder_keys)


def _seal_in_worker(pool: EnginePool, ca: DevCertificateAuthority, pdf: bytes) -> bytes:
    # Issued after the workers started: a worker finds a key made later by the service's own process.
    issued = ca.issue_seal(AGENCY, NAME)
    pem = issued.certificate.public_bytes(serialization.Encoding.PEM)

    async def seal() -> bytes:
        signed = await pool.call(
            "sign_pdf",
            pdf=pdf,
            serial=issued.serial,
            pem=pem.decode(),
            reason="Ban hành",
            level=Level.B_LT,
            position="",
        )
        return bytes(signed.pdf)

    return asyncio.run(seal())


def test_worker_processes_sign_with_keys_in_files(tmp_path: Path, report_pdf: bytes) -> None:
    ca = _signing_directory(tmp_path)
    pool = EnginePool(EngineSettings(tmp_path / "signing", PASSPHRASE), workers=2, processes=True)
    try:
        asyncio.run(pool.call("verify_pdf", pdf=report_pdf, expected_agency_code=None))  # workers started
        signed = _seal_in_worker(pool, ca, report_pdf)
        assert pool.pids()
        assert os.getpid() not in pool.pids()
    finally:
        pool.close()
    report = verify_pdf(signed, trust=TrustData([ca.root]), strict=True)
    assert report.indication.value == "TOTAL_PASSED", report.reason


def test_worker_processes_sign_with_keys_on_a_pkcs11_token(tmp_path: Path, softhsm: SoftHsm, report_pdf: bytes) -> None:
    from lienthong.signing.adapters.outbound.pkcs11store import Pkcs11KeyStore

    token = Pkcs11KeyStore(softhsm.module, softhsm.label, softhsm.pin)
    try:
        ca = _signing_directory(tmp_path, holder_keys=token)
        settings = EngineSettings(
            tmp_path / "signing",
            PASSPHRASE,
            pkcs11_module=softhsm.module,
            pkcs11_token=softhsm.label,
            pkcs11_pin=softhsm.pin,
        )
        pool = EnginePool(settings, workers=1, processes=True)
        try:
            asyncio.run(pool.call("verify_pdf", pdf=report_pdf, expected_agency_code=None))
            signed = _seal_in_worker(pool, ca, report_pdf)
        finally:
            pool.close()
    finally:
        token.close()
    report = verify_pdf(signed, trust=TrustData([ca.root]), strict=True)
    assert report.indication.value == "TOTAL_PASSED", report.reason


def test_a_worker_that_dies_fails_its_call_as_unavailable_and_the_next_call_works(
    tmp_path: Path, report_pdf: bytes
) -> None:
    _signing_directory(tmp_path)
    pool = EnginePool(EngineSettings(tmp_path / "signing", PASSPHRASE), workers=1, processes=True)

    async def scenario() -> None:
        await pool.call("verify_pdf", pdf=report_pdf, expected_agency_code=None)
        (worker,) = pool.pids()
        os.kill(worker, signal.SIGKILL)
        with pytest.raises(Unavailable, match="retry"):
            await pool.call("verify_pdf", pdf=report_pdf, expected_agency_code=None)
        report = await pool.call("verify_pdf", pdf=report_pdf, expected_agency_code=None)
        assert report.reason

    try:
        asyncio.run(scenario())
    finally:
        pool.close()
