"""The gRPC face of the signing service: protobuf in, use case, protobuf out."""

from __future__ import annotations

import asyncio
from typing import Any

from lienthong.errors import InvalidArgument
from lienthong.grpcserver import timestamp_of
from lienthong.signing.agencies import AgencyNames
from lienthong.signing.application import SigningApp
from lienthong.signing.devca import DevCertificateAuthority
from lienthong.signing.domain.certificate import Certificate
from lienthong.signing.domain.verification import Indication, SignerCertificate, VerificationReport
from lienthong.signing.keystore import KeyStore
from lienthong.signing.pades import NotAPdf, sign_pdf, verify_pdf
from lienthong.signing.v1 import signing_pb2 as pb
from lienthong.signing.v1 import signing_pb2_grpc

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
        certificate = await self._seal(request.agency_code)
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
        try:
            report = await asyncio.to_thread(
                verify_pdf,
                request.pdf,
                trust_roots=[self._ca.root],
                expected_agency_code=request.expected_agency_code or None,
            )
        except NotAPdf as error:
            raise InvalidArgument(str(error)) from error
        return _verification(report)

    async def _seal(self, agency_code: str) -> Certificate:
        if not agency_code:
            raise InvalidArgument("agency_code is required")
        existing = await asyncio.to_thread(self._app.seal_of, agency_code)
        if existing is not None:
            return existing
        name = await self._agencies.name_of(agency_code)
        return await asyncio.to_thread(self._app.issue_seal, self._ca, agency_code, name)


def _certificate(certificate: Certificate) -> pb.Certificate:
    return pb.Certificate(
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
