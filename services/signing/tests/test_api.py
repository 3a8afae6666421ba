"""The gRPC servicer end to end in process: a request fulfilled, the leader's signature then the agency's
seal through SignPdf, the verification report, and a CA's CRL imported."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from lienthong.errors import FailedPrecondition
from lienthong.eventstore import store_environment
from lienthong.signing.agencies import AgencyNames
from lienthong.signing.api import SigningServicer
from lienthong.signing.application import SigningApp
from lienthong.signing.devca import DevCertificateAuthority
from lienthong.signing.keystore import EncryptedFileKeyStore
from lienthong.signing.v1 import signing_pb2 as pb

AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"


class RegisteredAgencies(AgencyNames):
    """The identifiers service's answer for the one agency these tests use."""

    def __init__(self) -> None:
        pass

    async def name_of(self, code: str) -> str:
        return NAME


@pytest.fixture
def servicer(tmp_path: Path, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> SigningServicer:
    app = SigningApp(store_environment("signing", f"sqlite:///{tmp_path / 'signing.db'}"))
    return SigningServicer(app, ca, keys, RegisteredAgencies(), timestamper=ca.timestamper())


def test_the_leader_then_the_seal_sign_and_the_report_names_both(
    servicer: SigningServicer, ca: DevCertificateAuthority, report_pdf: bytes
) -> None:
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
