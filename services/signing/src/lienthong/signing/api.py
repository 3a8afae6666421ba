"""The gRPC face of the signing service: protobuf in, use case, protobuf out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from lienthong.errors import FailedPrecondition, InvalidArgument
from lienthong.grpcserver import timestamp_of
from lienthong.signing.agencies import AgencyNames
from lienthong.signing.application import SigningApp
from lienthong.signing.devca import DevCertificateAuthority
from lienthong.signing.domain.certificate import Certificate, CertificateState
from lienthong.signing.domain.verification import (
    Indication,
    SignerCertificate,
    VerificationReport,
    judged_by_registry,
)
from lienthong.signing.keystore import KeyStore
from lienthong.signing.pades import NotAPdf, sign_pdf, verify_pdf
from lienthong.signing.v1 import signing_pb2 as pb
from lienthong.signing.v1 import signing_pb2_grpc
from lienthong.signing.xmldsig import NotXml, sign_xml, verify_xml

Context = Any  # grpc.aio.ServicerContext; errors travel as DomainError

_INDICATIONS = {
    Indication.TOTAL_PASSED: pb.INDICATION_TOTAL_PASSED,
    Indication.TOTAL_FAILED: pb.INDICATION_TOTAL_FAILED,
    Indication.INDETERMINATE: pb.INDICATION_INDETERMINATE,
}


class SigningServicer(signing_pb2_grpc.SigningServiceServicer):
    """Implements `lienthong.signing.v1.SigningService`."""

    def __init__(self, app: SigningApp, ca: DevCertificateAuthority, keys: KeyStore, agencies: AgencyNames) -> None:
        self._app = app
        self._ca = ca
        self._keys = keys
        self._agencies = agencies

    async def IssueAgencyCertificate(
        self, request: pb.IssueAgencyCertificateRequest, context: Context
    ) -> pb.IssueAgencyCertificateResponse:
        certificate = await self._seal(request.agency_code)
        return pb.IssueAgencyCertificateResponse(certificate=_certificate(certificate))

    async def SignPdf(self, request: pb.SignPdfRequest, context: Context) -> pb.SignPdfResponse:
        if not request.pdf:
            raise InvalidArgument("pdf is required")
        certificate = await self._usable_seal(request.agency_code)
        key = await asyncio.to_thread(self._keys.get, certificate.serial)
        try:
            signed, signed_at = await asyncio.to_thread(
                sign_pdf,
                request.pdf,
                key=key,
                certificate=self._ca.certificate(certificate.serial),
                chain=self._ca.chain,
                reason=request.reason or "Ban hành văn bản",
            )
        except NotAPdf as error:
            raise InvalidArgument(str(error)) from error
        await asyncio.to_thread(
            self._app.record_signature,
            certificate.serial,
            document=request.pdf,
            signed=signed,
            reason=request.reason,
            at=signed_at,
        )
        return pb.SignPdfResponse(
            signed_pdf=signed, certificate=_certificate(certificate), signed_at=timestamp_of(signed_at)
        )

    async def VerifyPdf(self, request: pb.VerifyPdfRequest, context: Context) -> pb.VerifyPdfResponse:
        expected = request.expected_agency_code or None
        try:
            report = await asyncio.to_thread(
                verify_pdf, request.pdf, trust_roots=[self._ca.root], expected_agency_code=expected
            )
        except NotAPdf as error:
            raise InvalidArgument(str(error)) from error
        return _verification(await asyncio.to_thread(judged_by_registry, report, self._state_at, expected))

    async def SignXml(self, request: pb.SignXmlRequest, context: Context) -> pb.SignXmlResponse:
        if not request.xml:
            raise InvalidArgument("xml is required")
        certificate = await self._usable_seal(request.agency_code)
        key = await asyncio.to_thread(self._keys.get, certificate.serial)
        try:
            signed, signed_at = await asyncio.to_thread(
                sign_xml,
                request.xml,
                key=key,
                certificate=self._ca.certificate(certificate.serial),
                chain=self._ca.chain,
                xades=request.xades,
            )
        except NotXml as error:
            raise InvalidArgument(str(error)) from error
        await asyncio.to_thread(
            self._app.record_signature,
            certificate.serial,
            document=request.xml,
            signed=signed,
            reason="XAdES-BES" if request.xades else "XMLDSig",
            at=signed_at,
        )
        return pb.SignXmlResponse(
            signed_xml=signed, certificate=_certificate(certificate), signed_at=timestamp_of(signed_at)
        )

    async def VerifyXml(self, request: pb.VerifyXmlRequest, context: Context) -> pb.VerifyXmlResponse:
        expected = request.expected_agency_code or None
        try:
            report = await asyncio.to_thread(
                verify_xml, request.xml, trust_roots=[self._ca.root], expected_agency_code=expected
            )
        except NotXml as error:
            raise InvalidArgument(str(error)) from error
        judged = await asyncio.to_thread(judged_by_registry, report, self._state_at, expected, _now())
        verdict = _verification(judged)
        return pb.VerifyXmlResponse(indication=verdict.indication, reason=verdict.reason, signatures=verdict.signatures)

    async def _usable_seal(self, agency_code: str) -> Certificate:
        """The agency's seal, refused while it is suspended (a revoked one is replaced by `_seal`)."""
        certificate = await self._seal(agency_code)
        state = certificate.state_at(_now())
        if state is not CertificateState.ACTIVE:
            raise FailedPrecondition(
                f"the seal certificate {certificate.serial} of agency {agency_code} is "
                f"{state.value.replace('_', ' ')}; it cannot sign until it is reactivated"
            )
        return certificate

    def _state_at(self, serial: str, moment: datetime) -> str | None:
        certificate = self._app.certificate(serial)
        return certificate.state_at(moment).value if certificate else None

    async def SuspendCertificate(
        self, request: pb.SuspendCertificateRequest, context: Context
    ) -> pb.SuspendCertificateResponse:
        certificate = await asyncio.to_thread(
            self._app.change_certificate, request.serial, lambda c: c.suspend(reason=request.reason, at=_now())
        )
        return pb.SuspendCertificateResponse(certificate=_certificate(certificate))

    async def ReactivateCertificate(
        self, request: pb.ReactivateCertificateRequest, context: Context
    ) -> pb.ReactivateCertificateResponse:
        certificate = await asyncio.to_thread(
            self._app.change_certificate, request.serial, lambda c: c.reactivate(at=_now())
        )
        return pb.ReactivateCertificateResponse(certificate=_certificate(certificate))

    async def RevokeCertificate(
        self, request: pb.RevokeCertificateRequest, context: Context
    ) -> pb.RevokeCertificateResponse:
        certificate = await asyncio.to_thread(
            self._app.change_certificate, request.serial, lambda c: c.revoke(reason=request.reason, at=_now())
        )
        # The CA's revocation list follows the registry, so that the CA issues a new seal for the agency.
        await asyncio.to_thread(self._ca.revoke, request.serial)
        return pb.RevokeCertificateResponse(certificate=_certificate(certificate))

    async def _seal(self, agency_code: str) -> Certificate:
        """The agency's seal certificate; a new one when it has none or its seal was revoked or expired."""
        if not agency_code:
            raise InvalidArgument("agency_code is required")
        existing = await asyncio.to_thread(self._app.seal_of, agency_code)
        if existing is not None and existing.state_at(_now()) not in _ENDED:
            return existing
        name = await self._agencies.name_of(agency_code)
        return await asyncio.to_thread(self._app.issue_seal, self._ca, agency_code, name)


_ENDED = (CertificateState.REVOKED, CertificateState.EXPIRED)


def _now() -> datetime:
    return datetime.now(UTC)


_STATES = {
    CertificateState.ACTIVE: pb.CERTIFICATE_STATE_ACTIVE,
    CertificateState.SUSPENDED: pb.CERTIFICATE_STATE_SUSPENDED,
    CertificateState.REVOKED: pb.CERTIFICATE_STATE_REVOKED,
    CertificateState.EXPIRED: pb.CERTIFICATE_STATE_EXPIRED,
    CertificateState.NOT_YET_VALID: pb.CERTIFICATE_STATE_NOT_YET_VALID,
}


def _certificate(certificate: Certificate) -> pb.Certificate:
    return pb.Certificate(
        state=_STATES[certificate.state_at(_now())],
        serial=certificate.serial,
        subject=certificate.subject,
        agency_code=certificate.agency_code,
        kind=pb.CERTIFICATE_KIND_ORGANISATION,
        not_before=timestamp_of(certificate.not_before),
        not_after=timestamp_of(certificate.not_after),
        pem=certificate.pem,
    )


def _signer(certificate: SignerCertificate | None) -> pb.Certificate | None:
    if certificate is None:
        return None
    return pb.Certificate(
        serial=certificate.serial,
        subject=certificate.subject,
        agency_code=certificate.agency_code or "",
        not_before=timestamp_of(certificate.not_before),
        not_after=timestamp_of(certificate.not_after),
        pem=certificate.pem,
    )


def _verification(report: VerificationReport) -> pb.VerifyPdfResponse:
    return pb.VerifyPdfResponse(
        indication=_INDICATIONS[report.indication],
        reason=report.reason,
        signatures=[
            pb.SignatureReport(
                field_name=s.field_name,
                indication=_INDICATIONS[s.indication],
                sub_indication=s.sub_indication,
                intact=s.intact,
                trusted=s.trusted,
                certificate=_signer(s.certificate),
                signed_at=timestamp_of(s.signed_at),
            )
            for s in report.signatures
        ],
    )
