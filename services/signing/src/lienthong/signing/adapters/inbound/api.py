"""The gRPC face of the signing service: protobuf in, use case, protobuf out."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from google.protobuf import duration_pb2
from pyhanko.sign.timestamps.api import TimeStamper

from lienthong.errors import FailedPrecondition, InvalidArgument, NotFound
from lienthong.eventstore import current_actor
from lienthong.eventstore.chain import checkpoint_message
from lienthong.grpcserver import timestamp_of
from lienthong.identifiers_client import AgencyRegistry
from lienthong.signing.adapters.inbound.imports import read_certificate, read_crl
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.engine import EnginePool, SigningEngine
from lienthong.signing.adapters.outbound.keystore import KeyStore
from lienthong.signing.adapters.outbound.pades import Level, LongTermPdf, NotAPdf, NotExtendable
from lienthong.signing.adapters.outbound.xmldsig import NotXml
from lienthong.signing.application.app import SigningApp
from lienthong.signing.application.encryption import EncryptionKeys, key_id
from lienthong.signing.domain.certificate import (
    Certificate,
    CertificateKind,
    CertificateState,
    RegistrationRequest,
    RequestState,
)
from lienthong.signing.domain.custody import authorise_unwrap, check_agency_code
from lienthong.signing.domain.policy import SigningPolicy
from lienthong.signing.domain.verification import (
    Indication,
    SignerCertificate,
    VerificationReport,
    judged_by_registry,
)
from lienthong.signing.v1 import signing_pb2 as pb
from lienthong.signing.v1 import signing_pb2_grpc

log = logging.getLogger(__name__)

Context = Any  # grpc.aio.ServicerContext; errors travel as DomainError

# Engine threads of a servicer given no pool (tests; main.py gives worker processes).
IN_PROCESS_ENGINES = 2

_INDICATIONS = {
    Indication.TOTAL_PASSED: pb.INDICATION_TOTAL_PASSED,
    Indication.TOTAL_FAILED: pb.INDICATION_TOTAL_FAILED,
    Indication.INDETERMINATE: pb.INDICATION_INDETERMINATE,
}


class SigningServicer(signing_pb2_grpc.SigningServiceServicer):
    """Implements `lienthong.signing.v1.SigningService`."""

    def __init__(
        self,
        app: SigningApp,
        ca: DevCertificateAuthority,
        keys: KeyStore,
        agencies: AgencyRegistry,
        *,
        engines: EnginePool | None = None,
        timestamper: Callable[[], TimeStamper] | None = None,
        level: Level = Level.B_LT,
        trust_anchors: Sequence[x509.Certificate] = (),
        encryption: EncryptionKeys | None = None,
    ) -> None:
        """`engines` sign and verify (main.py: worker processes); without, two threads of this process each
        build an engine from `ca`, `keys` and a timestamper of their own from `timestamper` (default: the
        development CA's)."""
        self._encryption = encryption
        self._app = app
        self._ca = ca
        self._keys = keys
        self._agencies = agencies
        self._level = level
        self._trust_anchors = tuple(trust_anchors)
        if engines is None:
            new_timestamper = timestamper or ca.timestamper
            anchors = self._trust_anchors
            engines = EnginePool(
                lambda: SigningEngine(ca, keys, new_timestamper(), anchors), workers=IN_PROCESS_ENGINES, processes=False
            )
        self._engines = engines

    async def SignCheckpoint(self, request: pb.SignCheckpointRequest, context: Context) -> pb.SignCheckpointResponse:
        if not request.service or request.position <= 0 or request.events <= 0:
            raise InvalidArgument("service, position and events (both positive) are required")
        if not re.fullmatch(r"[0-9a-f]{64}", request.head_hash):
            raise InvalidArgument("head_hash must be 64 lowercase hexadecimal digits (a SHA-256)")
        signed_at = _now().replace(microsecond=0)
        message = checkpoint_message(request.service, request.position, request.events, request.head_hash, signed_at)
        signature, certificate = await asyncio.to_thread(self._ca.sign_checkpoint, message)
        return pb.SignCheckpointResponse(
            signed_at=timestamp_of(signed_at),
            signature=signature,
            certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        )

    async def GetEncryptionKey(
        self, request: pb.GetEncryptionKeyRequest, context: Context
    ) -> pb.GetEncryptionKeyResponse:
        keys = self._encryption_keys()
        check_agency_code(request.agency_code)
        public = await asyncio.to_thread(keys.public_key, request.agency_code)
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return pb.GetEncryptionKeyResponse(
            agency_code=request.agency_code, public_key_pem=pem.decode("ascii"), key_id=key_id(public)
        )

    async def UnwrapDataKey(self, request: pb.UnwrapDataKeyRequest, context: Context) -> pb.UnwrapDataKeyResponse:
        keys = self._encryption_keys()
        check_agency_code(request.agency_code)
        if not request.wrapped_key:
            raise InvalidArgument("wrapped_key is required")
        caller = current_actor()
        authorise_unwrap(caller, request.on_behalf_of, request.agency_code)
        data_key = await asyncio.to_thread(keys.unwrap, request.agency_code, request.wrapped_key)
        log.info(
            "data key of document %s unwrapped for agency %s, asked by %s on behalf of %s",
            request.document_id or "(unnamed)",
            request.agency_code,
            caller,
            request.on_behalf_of or caller,
        )
        return pb.UnwrapDataKeyResponse(data_key=data_key)

    def _encryption_keys(self) -> EncryptionKeys:
        if self._encryption is None:
            raise FailedPrecondition("this signing service keeps no encryption keys for confidential documents")
        return self._encryption

    async def IssueAgencyCertificate(
        self, request: pb.IssueAgencyCertificateRequest, context: Context
    ) -> pb.IssueAgencyCertificateResponse:
        certificate = await self._seal(request.agency_code)
        return pb.IssueAgencyCertificateResponse(certificate=_certificate(certificate))

    async def SignPdf(self, request: pb.SignPdfRequest, context: Context) -> pb.SignPdfResponse:
        if not request.pdf:
            raise InvalidArgument("pdf is required")
        policy = ""
        if request.automatic:
            if request.signer_serial:
                raise InvalidArgument("only the agency's seal signs automatically, never a person's certificate")
            policy = (await asyncio.to_thread(self._app.automatic_seal_policy, request.agency_code)).name
        if request.signer_serial:
            certificate = await asyncio.to_thread(self._app.signer_of, request.agency_code, request.signer_serial)
        else:
            certificate = await self._seal(request.agency_code)
        state = certificate.state_at(_now())
        if state is not CertificateState.ACTIVE:
            raise FailedPrecondition(
                f"the certificate {certificate.serial} of agency {request.agency_code} is "
                f"{state.value.replace('_', ' ')}; it cannot sign until it is reactivated"
            )
        level = _LEVELS_IN.get(request.level, self._level)
        try:
            signed, signed_at = await self._engines.call(
                "sign_pdf",
                pdf=request.pdf,
                serial=certificate.serial,
                pem=certificate.pem,
                reason=request.reason or "Ban hành văn bản",
                level=level,
                position=request.signer_position,
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
            policy=policy,
        )
        return pb.SignPdfResponse(
            signed_pdf=signed,
            certificate=_certificate(certificate),
            signed_at=timestamp_of(signed_at),
            level=_LEVELS_OUT[level],
            policy=policy,
        )

    async def ExtendPdfToLongTerm(
        self, request: pb.ExtendPdfToLongTermRequest, context: Context
    ) -> pb.ExtendPdfToLongTermResponse:
        if not request.pdf:
            raise InvalidArgument("pdf is required")
        try:
            extended: LongTermPdf = await self._engines.call("extend_pdf", pdf=request.pdf)
        except NotAPdf as error:
            raise InvalidArgument(str(error)) from error
        except NotExtendable as error:
            raise FailedPrecondition(str(error)) from error
        return pb.ExtendPdfToLongTermResponse(
            pdf=extended.pdf, level=pb.SIGNATURE_LEVEL_B_LT, extended=extended.extended
        )

    async def VerifyPdf(self, request: pb.VerifyPdfRequest, context: Context) -> pb.VerifyPdfResponse:
        expected = request.expected_agency_code or None
        try:
            report = await self._engines.call("verify_pdf", pdf=request.pdf, expected_agency_code=expected)
        except NotAPdf as error:
            raise InvalidArgument(str(error)) from error
        judged = await asyncio.to_thread(judged_by_registry, report, self._state_at, expected)
        if judged.indication is not Indication.TOTAL_PASSED:
            await asyncio.to_thread(
                self._app.record_failed_verification,
                request.pdf,
                judged.indication.value,
                judged.sub_indication,
                expected or "",
            )
        return verification_message(judged, expected)

    async def SetSigningPolicy(
        self, request: pb.SetSigningPolicyRequest, context: Context
    ) -> pb.SetSigningPolicyResponse:
        await self._agencies.name_of(request.agency_code)  # only a registered agency has a policy
        policy = await asyncio.to_thread(
            self._app.set_policy, request.agency_code, automatic_seal=request.automatic_seal, reason=request.reason
        )
        return pb.SetSigningPolicyResponse(policy=_policy(policy))

    async def GetSigningPolicy(
        self, request: pb.GetSigningPolicyRequest, context: Context
    ) -> pb.GetSigningPolicyResponse:
        policy = await asyncio.to_thread(self._app.policy_of, request.agency_code)
        if policy is None:
            raise NotFound(f"agency {request.agency_code} has no signing policy")
        return pb.GetSigningPolicyResponse(policy=_policy(policy))

    async def SignXml(self, request: pb.SignXmlRequest, context: Context) -> pb.SignXmlResponse:
        if not request.xml:
            raise InvalidArgument("xml is required")
        certificate = await self._seal(request.agency_code)
        state = certificate.state_at(_now())
        if state is not CertificateState.ACTIVE:
            raise FailedPrecondition(
                f"the seal certificate {certificate.serial} of agency {request.agency_code} is "
                f"{state.value.replace('_', ' ')}; it cannot sign until it is reactivated"
            )
        try:
            signed, signed_at = await self._engines.call(
                "sign_xml", xml=request.xml, serial=certificate.serial, pem=certificate.pem, xades=request.xades
            )
        except NotXml as error:
            raise InvalidArgument(str(error)) from error
        await asyncio.to_thread(
            self._app.record_signature,
            certificate.serial,
            document=request.xml,
            signed=signed,
            reason="edXML, XAdES-BES" if request.xades else "edXML, XMLDSig",
            at=signed_at,
        )
        return pb.SignXmlResponse(
            signed_xml=signed, certificate=_certificate(certificate), signed_at=timestamp_of(signed_at)
        )

    async def VerifyXml(self, request: pb.VerifyXmlRequest, context: Context) -> pb.VerifyXmlResponse:
        expected = request.expected_agency_code or None
        try:
            report = await self._engines.call("verify_xml", xml=request.xml, expected_agency_code=expected)
        except NotXml as error:
            raise InvalidArgument(str(error)) from error
        # A plain XMLDSig claims no signing time: its certificate is judged as it is now.
        judged = await asyncio.to_thread(judged_by_registry, report, self._state_at, expected, _now())
        if judged.indication is not Indication.TOTAL_PASSED:
            await asyncio.to_thread(
                self._app.record_failed_verification,
                request.xml,
                judged.indication.value,
                judged.sub_indication,
                expected or "",
            )
        verdict = verification_message(judged, expected)
        return pb.VerifyXmlResponse(indication=verdict.indication, reason=verdict.reason, signatures=verdict.signatures)

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

    async def RequestCertificate(
        self, request: pb.RequestCertificateRequest, context: Context
    ) -> pb.RequestCertificateResponse:
        recorded = await asyncio.to_thread(
            self._app.request_certificate,
            kind=_KINDS_IN.get(request.kind, CertificateKind.ORGANISATION).value,
            agency_code=request.agency_code,
            person_name=request.person_name,
            person_id=request.person_id,
            reason=request.reason,
            at=_now(),
        )
        return pb.RequestCertificateResponse(request=_request(recorded))

    async def IssueRequestedCertificate(
        self, request: pb.IssueRequestedCertificateRequest, context: Context
    ) -> pb.IssueRequestedCertificateResponse:
        wanted = await asyncio.to_thread(self._app.registration_request, _uuid(request.request_id))
        name = await self._agencies.name_of(wanted.agency_code)
        certificate = await asyncio.to_thread(self._app.issue_requested, self._ca, wanted, name, _now())
        return pb.IssueRequestedCertificateResponse(certificate=_certificate(certificate), request=_request(wanted))

    async def GetRegistrationRequest(
        self, request: pb.GetRegistrationRequestRequest, context: Context
    ) -> pb.GetRegistrationRequestResponse:
        found = await asyncio.to_thread(self._app.registration_request, _uuid(request.request_id))
        return pb.GetRegistrationRequestResponse(request=_request(found))

    async def ImportCertificate(
        self, request: pb.ImportCertificateRequest, context: Context
    ) -> pb.ImportCertificateResponse:
        delivered = read_certificate(request.data, request.password.encode() or None)
        wanted = None
        if request.request_id:
            wanted = await asyncio.to_thread(self._app.registration_request, _uuid(request.request_id))
        certificate = await asyncio.to_thread(
            self._app.import_certificate,
            delivered,
            kind=_KINDS_IN.get(request.kind, CertificateKind.ORGANISATION),
            agency_code=request.agency_code or None,
            request=wanted,
            issuers=[self._ca.issuing, *self._trust_anchors],
            keys=self._keys,
            at=_now(),
        )
        return pb.ImportCertificateResponse(
            certificate=_certificate(certificate), key_imported=delivered.key is not None
        )

    async def ImportCrl(self, request: pb.ImportCrlRequest, context: Context) -> pb.ImportCrlResponse:
        issuers = [self._ca.issuing, self._ca.root, *self._trust_anchors]
        issuer, revocations = read_crl(request.crl, issuers)
        revoked = await asyncio.to_thread(self._app.apply_revocations, revocations, issuer)
        return pb.ImportCrlResponse(revoked_serials=revoked)

    async def GetCertificate(self, request: pb.GetCertificateRequest, context: Context) -> pb.GetCertificateResponse:
        certificate = await asyncio.to_thread(self._app.certificate, request.serial.lower())
        if certificate is None:
            raise NotFound(f"no certificate has serial {request.serial}")
        return pb.GetCertificateResponse(certificate=_certificate(certificate))

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

_LEVELS_OUT = {
    Level.B_B: pb.SIGNATURE_LEVEL_B_B,
    Level.B_T: pb.SIGNATURE_LEVEL_B_T,
    Level.B_LT: pb.SIGNATURE_LEVEL_B_LT,
}
_LEVELS_IN = {value: level for level, value in _LEVELS_OUT.items()}

_KINDS_OUT = {
    CertificateKind.INDIVIDUAL.value: pb.CERTIFICATE_KIND_INDIVIDUAL,
    CertificateKind.ORGANISATION.value: pb.CERTIFICATE_KIND_ORGANISATION,
    CertificateKind.SIM_PKI.value: pb.CERTIFICATE_KIND_SIM_PKI,
}
_KINDS_IN = {value: CertificateKind(kind) for kind, value in _KINDS_OUT.items()}


def _policy(policy: SigningPolicy) -> pb.SigningPolicy:
    return pb.SigningPolicy(
        agency_code=policy.agency_code, automatic_seal=policy.automatic_seal, reason=policy.reason, name=policy.name
    )


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise InvalidArgument(f"{value!r} is not a request id") from None


def _request(request: RegistrationRequest) -> pb.RegistrationRequest:
    lead_time = None
    if request.lead_time is not None:
        lead_time = duration_pb2.Duration()
        lead_time.FromTimedelta(request.lead_time)
    return pb.RegistrationRequest(
        id=str(request.id),
        kind=_KINDS_OUT[request.kind],
        agency_code=request.agency_code,
        person_name=request.person_name,
        person_id=request.person_id,
        state=pb.REGISTRATION_STATE_REQUESTED
        if request.state is RequestState.REQUESTED
        else pb.REGISTRATION_STATE_FULFILLED,
        requested_at=timestamp_of(request.requested_at),
        serial=request.serial or "",
        active_from=timestamp_of(request.active_from),
        lead_time=lead_time,
    )


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
        kind=_KINDS_OUT[certificate.kind],
        not_before=timestamp_of(certificate.not_before),
        not_after=timestamp_of(certificate.not_after),
        pem=certificate.pem,
        person=certificate.person or "",
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
        person=certificate.person or "",
    )


def verification_message(report: VerificationReport, expected_agency_code: str | None) -> pb.VerifyPdfResponse:
    """A verification report as VerifyPdf answers it (also what `lienthong verify --trust` prints offline)."""
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
                timestamped_at=timestamp_of(s.timestamped_at),
                detail=s.detail,
                chain=s.chain,
                entitled=bool(
                    expected_agency_code and s.certificate and s.certificate.agency_code == expected_agency_code
                ),
            )
            for s in report.signatures
        ],
    )
