"""The documents service's view of the other services it calls: the agency registry, the signer and the
keeper of agencies' encryption keys."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from nats.aio.msg import Msg

from lienthong.errors import DomainError, from_grpc_status
from lienthong.grpcserver import ACTOR_METADATA_KEY
from lienthong.identifiers.v1 import identifiers_pb2, identifiers_pb2_grpc
from lienthong.relay import NatsLink, StreamNames
from lienthong.signing.v1 import signing_pb2, signing_pb2_grpc

# The documents service signs for agencies only after its own checks, so signing lets it alone ask for a seal.
# (Its client certificate says so already; the header naming the same service changes nothing.)
AS_DOCUMENTS = ((ACTOR_METADATA_KEY, "service:documents"),)


@dataclass(frozen=True)
class AgencyInfo:
    """What documents needs to know of an agency."""

    code: str
    name: str
    short_name: str
    active: bool
    state: str
    parent_code: str = ""
    email: str = ""
    address: str = ""


@dataclass(frozen=True)
class Seal:
    """The result of sealing a PDF."""

    signed_pdf: bytes
    certificate_serial: str
    signed_at: datetime
    policy: str = ""  # for an automatic seal signature, the signing policy version that allowed it


@dataclass(frozen=True)
class Verdict:
    """Whether a PDF carries a valid seal signature of the expected agency, and why not."""

    passed: bool
    reason: str


def _domain_error(error: grpc.aio.AioRpcError, service: str) -> DomainError:
    return from_grpc_status(error.code(), error.details() or "", service)


class AgencyDirectory:
    """Looks agencies up in the identifiers service, caching answers until the registry changes.

    `watch()` drops the cache whenever an identifiers event passes on NATS; entries also expire after
    `ttl` seconds, in case NATS is down when a change happens.
    """

    def __init__(self, channel: grpc.aio.Channel, ttl: float = 60.0) -> None:
        self._stub = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
        self._ttl = ttl
        self._agencies: dict[str, tuple[float, AgencyInfo]] = {}
        self._routes: dict[str, tuple[float, AgencyInfo, list[str]]] = {}

    async def get(self, code: str) -> AgencyInfo:
        """The agency registered at `code`, whatever its state."""
        cached = self._agencies.get(code)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = await self._stub.GetAgency(identifiers_pb2.GetAgencyRequest(code=code), timeout=10)
        except grpc.aio.AioRpcError as error:
            raise _domain_error(error, "identifiers") from error
        agency = _info(response.agency)
        self._agencies[code] = (time.monotonic() + self._ttl, agency)
        return agency

    async def resolve(self, code: str) -> tuple[AgencyInfo, list[str]]:
        """The agency that now receives for `code` and the codes passed on the way (merges, moves);
        FAILED_PRECONDITION with the reason when nobody does (locked, dissolved, split)."""
        cached = self._routes.get(code)
        if cached and cached[0] > time.monotonic():
            return cached[1], cached[2]
        try:
            response = await self._stub.ResolveAgency(identifiers_pb2.ResolveAgencyRequest(code=code), timeout=10)
        except grpc.aio.AioRpcError as error:
            raise _domain_error(error, "identifiers") from error
        agency, path = _info(response.agency), list(response.path)
        self._routes[code] = (time.monotonic() + self._ttl, agency, path)
        return agency, path

    def forget(self) -> None:
        """Drop every cached answer."""
        self._agencies.clear()
        self._routes.clear()

    async def watch(self, link: NatsLink, names: StreamNames) -> None:
        """Forget the cache on every identifiers event published on NATS, until cancelled."""

        async def changed(_: Msg) -> None:
            self.forget()

        nc = await link.client()
        subscription = await nc.subscribe(names.subjects("identifiers"), cb=changed)
        try:
            await asyncio.Event().wait()
        finally:
            await subscription.unsubscribe()


def _info(agency: identifiers_pb2.Agency) -> AgencyInfo:
    return AgencyInfo(
        code=agency.code,
        name=agency.name,
        short_name=agency.short_name,
        active=agency.state == identifiers_pb2.AGENCY_STATE_ACTIVE,
        state=identifiers_pb2.AgencyState.Name(agency.state).removeprefix("AGENCY_STATE_").lower(),
        parent_code=agency.parent_code,
        email=agency.email,
        address=agency.address,
    )


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

    async def seal(self, agency_code: str, pdf: bytes, reason: str, *, automatic: bool = False) -> Seal:
        """The PDF with the agency's seal signature; `automatic` asks for an unattended signature, which the
        signing service allows only under the agency's policy (FAILED_PRECONDITION otherwise)."""
        return await self._sign(
            signing_pb2.SignPdfRequest(agency_code=agency_code, pdf=pdf, reason=reason, automatic=automatic)
        )

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
