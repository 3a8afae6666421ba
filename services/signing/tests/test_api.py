"""The gRPC servicer end to end in process: a request fulfilled, the leader's signature then the agency's
seal through SignPdf, the verification report, and a CA's CRL imported."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from lienthong.errors import FailedPrecondition, InvalidArgument
from lienthong.identifiers_client import AgencyRegistry
from lienthong.signing.adapters.inbound.api import SigningServicer
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore, KeyStore
from lienthong.signing.application.app import SigningApp
from lienthong.signing.v1 import signing_pb2 as pb

AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"


class RegisteredAgencies(AgencyRegistry):
    """The identifiers service's answer for the one agency these tests use."""

    def __init__(self) -> None:
        pass

    async def name_of(self, code: str) -> str:
        return NAME


@pytest.fixture
def servicer(app: SigningApp, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> SigningServicer:
    return SigningServicer(app, ca, keys, RegisteredAgencies(), timestamper=ca.timestamper)


@pytest.fixture
def servicer_on_each_key_store(
    tmp_path: Path, app: SigningApp, keys: EncryptedFileKeyStore, holder_keys: KeyStore
) -> SigningServicer:
    """The service with its signing keys in files, then on a SoftHSM2 token (as main.py wires either)."""
    ca = DevCertificateAuthority(tmp_path / "ca-for-holder-keys", keys, holder_keys=holder_keys)
    return SigningServicer(app, ca, holder_keys, RegisteredAgencies(), timestamper=ca.timestamper)


def stored_events(app: SigningApp, topic_part: str) -> list[bytes]:
    """The stored state of every event whose topic contains `topic_part`, in order."""
    return [n.state for n in app.recorder.select_notifications(start=1, limit=1000) if topic_part in n.topic]


def test_the_leader_then_the_seal_sign_and_the_report_names_both(
    servicer_on_each_key_store: SigningServicer, report_pdf: bytes
) -> None:
    servicer = servicer_on_each_key_store

    async def scenario() -> pb.VerifyPdfResponse:
        requested = await servicer.RequestCertificate(
            pb.RequestCertificateRequest(
                kind=pb.CERTIFICATE_KIND_INDIVIDUAL,
                agency_code=AGENCY,
                person_name="Nguyễn Văn An",
                person_id="CCCVN-001089012345",
            ),
            None,
        )
        issued = await servicer.IssueRequestedCertificate(
            pb.IssueRequestedCertificateRequest(request_id=requested.request.id), None
        )
        assert issued.request.state == pb.REGISTRATION_STATE_FULFILLED
        assert issued.request.HasField("lead_time")
        assert issued.certificate.kind == pb.CERTIFICATE_KIND_INDIVIDUAL
        by_leader = await servicer.SignPdf(
            pb.SignPdfRequest(agency_code=AGENCY, pdf=report_pdf, signer_serial=issued.certificate.serial), None
        )
        sealed = await servicer.SignPdf(pb.SignPdfRequest(agency_code=AGENCY, pdf=by_leader.signed_pdf), None)
        assert sealed.level == pb.SIGNATURE_LEVEL_B_LT  # the service's default
        return await servicer.VerifyPdf(pb.VerifyPdfRequest(pdf=sealed.signed_pdf, expected_agency_code=AGENCY), None)

    report = asyncio.run(scenario())
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.reason
    leader, seal = report.signatures
    assert (leader.field_name, leader.certificate.person, leader.entitled) == ("Signature", "CCCVN-001089012345", True)
    assert (seal.field_name, seal.certificate.person, seal.entitled) == ("AgencySeal", "", True)
    assert seal.HasField("timestamped_at")
    assert len(seal.chain) == 3


def test_a_seal_cannot_sign_as_a_person(servicer: SigningServicer, report_pdf: bytes) -> None:
    async def scenario() -> None:
        seal = await servicer.IssueAgencyCertificate(pb.IssueAgencyCertificateRequest(agency_code=AGENCY), None)
        await servicer.SignPdf(
            pb.SignPdfRequest(agency_code=AGENCY, pdf=report_pdf, signer_serial=seal.certificate.serial), None
        )

    with pytest.raises(FailedPrecondition, match="not a personal certificate"):
        asyncio.run(scenario())


def test_an_imported_crl_revokes_a_registered_seal(servicer: SigningServicer, ca: DevCertificateAuthority) -> None:
    async def scenario() -> tuple[pb.ImportCrlResponse, pb.GetCertificateResponse, str]:
        seal = await servicer.IssueAgencyCertificate(pb.IssueAgencyCertificateRequest(agency_code=AGENCY), None)
        serial = seal.certificate.serial
        # The CA revoked it on its own a minute ago (say, the key was reported lost to the CA).
        ca.revoke(serial, at=datetime.now(UTC) - timedelta(minutes=1))
        crl = ca.crl().public_bytes(serialization.Encoding.DER)
        imported = await servicer.ImportCrl(pb.ImportCrlRequest(crl=crl), None)
        found = await servicer.GetCertificate(pb.GetCertificateRequest(serial=serial), None)
        return imported, found, serial

    imported, found, serial = asyncio.run(scenario())
    assert list(imported.revoked_serials) == [serial]
    assert found.certificate.state == pb.CERTIFICATE_STATE_REVOKED


def test_an_automatic_seal_needs_the_agencys_policy_and_names_it(
    app: SigningApp, servicer: SigningServicer, report_pdf: bytes
) -> None:
    automatic = pb.SignPdfRequest(agency_code=AGENCY, pdf=report_pdf, automatic=True, level=pb.SIGNATURE_LEVEL_B_B)

    async def refused() -> None:
        await servicer.SignPdf(automatic, None)

    with pytest.raises(FailedPrecondition, match="no signing policy allowing automatic"):
        asyncio.run(refused())

    async def allowed() -> pb.SignPdfResponse:
        await servicer.SetSigningPolicy(
            pb.SetSigningPolicyRequest(agency_code=AGENCY, automatic_seal=True, reason="QĐ 12/QĐ-STTTT"), None
        )
        return await servicer.SignPdf(automatic, None)

    signed = asyncio.run(allowed())
    assert signed.policy == f"automatic-seal/{AGENCY}/v1"
    [made] = stored_events(app, "SignatureMade")
    assert f"automatic-seal/{AGENCY}/v1".encode() in made

    async def withdrawn() -> None:
        await servicer.SetSigningPolicy(
            pb.SetSigningPolicyRequest(agency_code=AGENCY, automatic_seal=False, reason="thu hồi ủy quyền"), None
        )
        await servicer.SignPdf(automatic, None)

    with pytest.raises(FailedPrecondition):
        asyncio.run(withdrawn())


def test_a_failed_verification_is_recorded_for_reporting(
    app: SigningApp, servicer: SigningServicer, report_pdf: bytes
) -> None:
    report = asyncio.run(servicer.VerifyPdf(pb.VerifyPdfRequest(pdf=report_pdf, expected_agency_code=AGENCY), None))
    assert report.indication == pb.INDICATION_TOTAL_FAILED  # no signature at all
    [failed] = stored_events(app, "FailedVerification")
    assert b"NO_SIGNATURE" in failed


def test_a_seal_at_b_t_is_extended_to_b_lt_and_bad_pdfs_get_precise_errors(
    servicer: SigningServicer, report_pdf: bytes
) -> None:
    async def scenario() -> None:
        sealed = await servicer.SignPdf(
            pb.SignPdfRequest(agency_code=AGENCY, pdf=report_pdf, level=pb.SIGNATURE_LEVEL_B_T), None
        )
        assert sealed.level == pb.SIGNATURE_LEVEL_B_T
        extended = await servicer.ExtendPdfToLongTerm(pb.ExtendPdfToLongTermRequest(pdf=sealed.signed_pdf), None)
        assert (extended.level, extended.extended) == (pb.SIGNATURE_LEVEL_B_LT, True)
        assert extended.pdf.startswith(sealed.signed_pdf)
        again = await servicer.ExtendPdfToLongTerm(pb.ExtendPdfToLongTermRequest(pdf=extended.pdf), None)
        assert (again.pdf, again.extended) == (extended.pdf, False)
        verdict = await servicer.VerifyPdf(pb.VerifyPdfRequest(pdf=extended.pdf, expected_agency_code=AGENCY), None)
        assert verdict.indication == pb.INDICATION_TOTAL_PASSED, verdict.reason
        with pytest.raises(InvalidArgument, match="no signature"):
            await servicer.ExtendPdfToLongTerm(pb.ExtendPdfToLongTermRequest(pdf=report_pdf), None)
        with pytest.raises(InvalidArgument, match="pdf is required"):
            await servicer.ExtendPdfToLongTerm(pb.ExtendPdfToLongTermRequest(), None)
        bare = await servicer.SignPdf(
            pb.SignPdfRequest(agency_code=AGENCY, pdf=report_pdf, level=pb.SIGNATURE_LEVEL_B_B), None
        )
        with pytest.raises(FailedPrecondition, match="no timestamp"):
            await servicer.ExtendPdfToLongTerm(pb.ExtendPdfToLongTermRequest(pdf=bare.signed_pdf), None)

    asyncio.run(scenario())
