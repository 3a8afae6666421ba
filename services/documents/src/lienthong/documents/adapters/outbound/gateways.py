"""The documents service's view of the signing service it calls: the signer and the keeper of agencies'
encryption keys. (The agency registry is lienthong.identifiers_client.AgencyRegistry.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import grpc

from lienthong.errors import DomainError, from_grpc_status
from lienthong.grpcserver import ACTOR_METADATA_KEY
from lienthong.signing.v1 import signing_pb2, signing_pb2_grpc

# The documents service signs for agencies only after its own checks, so signing lets it alone ask for a seal.
# (Its client certificate says so already; the header naming the same service changes nothing.)
AS_DOCUMENTS = ((ACTOR_METADATA_KEY, "service:documents"),)


@dataclass(frozen=True)
class Seal:
    """The result of sealing a PDF."""

    signed_pdf: bytes
    certificate_serial: str
    signed_at: datetime
    policy: str = ""  # for an automatic seal signature, the signing policy version that allowed it
    level: str = ""  # the PAdES level it was made at: "B-B", "B-T" or "B-LT"


@dataclass(frozen=True)
class Verdict:
    """Whether a PDF carries a valid seal signature of the expected agency, and why not."""

    passed: bool
    reason: str


_LEVELS = {
    signing_pb2.SIGNATURE_LEVEL_B_B: "B-B",
    signing_pb2.SIGNATURE_LEVEL_B_T: "B-T",
    signing_pb2.SIGNATURE_LEVEL_B_LT: "B-LT",
}


def _domain_error(error: grpc.aio.AioRpcError, service: str) -> DomainError:
    return from_grpc_status(error.code(), error.details() or "", service)


class SealSigner:
    """Has the signing service seal-sign and verify PDFs; the keys never leave it."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = signing_pb2_grpc.SigningServiceStub(channel)

    async def automatic_seal_policy(self, agency_code: str) -> str:
        """The name of the agency's signing policy when it lets the seal sign unattended, else ""."""
        request = signing_pb2.GetSigningPolicyRequest(agency_code=agency_code)
        try:
            response = await self._stub.GetSigningPolicy(request, timeout=10, metadata=AS_DOCUMENTS)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return ""  # no policy set: a person has the seal put on
            raise _domain_error(error, "signing") from error
        return response.policy.name if response.policy.automatic_seal else ""

    async def seal(
        self, agency_code: str, pdf: bytes, reason: str, *, automatic: bool = False, long_term_later: bool = False
    ) -> Seal:
        """The PDF with the agency's seal signature; `automatic` asks for an unattended signature, which the
        signing service allows only under the agency's policy (FAILED_PRECONDITION otherwise);
        `long_term_later` asks for B-T only, its validation data to be added by `extend_to_long_term`."""
        level = signing_pb2.SIGNATURE_LEVEL_B_T if long_term_later else signing_pb2.SIGNATURE_LEVEL_UNSPECIFIED
        return await self._sign(
            signing_pb2.SignPdfRequest(
                agency_code=agency_code, pdf=pdf, reason=reason, automatic=automatic, level=level
            )
        )

    async def extend_to_long_term(self, pdf: bytes) -> bytes:
        """The sealed (B-T) PDF with the validation data of its signatures added: B-LT."""
        request = signing_pb2.ExtendPdfToLongTermRequest(pdf=pdf)
        try:
            response = await self._stub.ExtendPdfToLongTerm(request, timeout=30, metadata=AS_DOCUMENTS)
        except grpc.aio.AioRpcError as error:
            raise _domain_error(error, "signing") from error
        return bytes(response.pdf)

    async def sign_personally(self, agency_code: str, pdf: bytes, reason: str, *, serial: str, position: str) -> Seal:
        """The PDF signed by a person of the agency with their personal certificate `serial`, the position
        shown on the signature; the seal signs afterwards with `seal`."""
        request = signing_pb2.SignPdfRequest(
            agency_code=agency_code, pdf=pdf, reason=reason, signer_serial=serial, signer_position=position
        )
        return await self._sign(request)

    async def _sign(self, request: signing_pb2.SignPdfRequest) -> Seal:
        try:
            response = await self._stub.SignPdf(request, timeout=30, metadata=AS_DOCUMENTS)
        except grpc.aio.AioRpcError as error:
            raise _domain_error(error, "signing") from error
        return Seal(
            signed_pdf=response.signed_pdf,
            certificate_serial=response.certificate.serial,
            signed_at=response.signed_at.ToDatetime(tzinfo=UTC),
            policy=response.policy,
            level=_LEVELS.get(response.level, ""),
        )

    async def verify(self, pdf: bytes, agency_code: str) -> Verdict:
        request = signing_pb2.VerifyPdfRequest(pdf=pdf, expected_agency_code=agency_code)
        try:
            response = await self._stub.VerifyPdf(request, timeout=30, metadata=AS_DOCUMENTS)
        except grpc.aio.AioRpcError as error:
            raise _domain_error(error, "signing") from error
        return Verdict(passed=response.indication == signing_pb2.INDICATION_TOTAL_PASSED, reason=response.reason)


class KeyCustodian:
    """The signing service as keeper of agencies' encryption keys: their public halves (cached; a key never
    changes once made) and the unwrapping of a document's data key for a member of the agency it was wrapped
    for. The documents service names itself as the caller and the person it acts for."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = signing_pb2_grpc.SigningServiceStub(channel)
        self._public: dict[str, str] = {}

    async def public_key(self, agency_code: str) -> str:
        """The agency's RSA public encryption key, PEM."""
        if agency_code not in self._public:
            request = signing_pb2.GetEncryptionKeyRequest(agency_code=agency_code)
            try:
                response = await self._stub.GetEncryptionKey(request, timeout=30)
            except grpc.aio.AioRpcError as error:
                raise _domain_error(error, "signing") from error
            self._public[agency_code] = response.public_key_pem
        return self._public[agency_code]

    async def unwrap(self, agency_code: str, wrapped_key: bytes, *, document_id: str, on_behalf_of: str) -> bytes:
        """The data key wrapped for `agency_code`, opened for `on_behalf_of` (a member of that agency)."""
        request = signing_pb2.UnwrapDataKeyRequest(
            agency_code=agency_code, wrapped_key=wrapped_key, document_id=document_id, on_behalf_of=on_behalf_of
        )
        try:
            response = await self._stub.UnwrapDataKey(request, timeout=10, metadata=AS_DOCUMENTS)
        except grpc.aio.AioRpcError as error:
            raise _domain_error(error, "signing") from error
        return bytes(response.data_key)
