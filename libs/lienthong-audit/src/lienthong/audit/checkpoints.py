"""Signed checkpoints of the event logs: signing through the signing service, and checking a signature."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lienthong.eventstore import StoredApplication
from lienthong.eventstore.chain import Checkpointer, CheckpointSigner, Guard, SignatureCheck
from lienthong.grpcserver import ACTOR_METADATA_KEY, open_channel
from lienthong.signing.v1 import signing_pb2, signing_pb2_grpc

# The common name the CA gives the platform's checkpoint certificate (and no other).
CHECKPOINT_NAME = "lienthong audit checkpoints"


# How often a service has the head of its log signed, in seconds.
INTERVAL = float(os.environ.get("LIENTHONG_CHECKPOINT_INTERVAL", "300"))

SignCheckpoint = Callable[[signing_pb2.SignCheckpointRequest], Awaitable[signing_pb2.SignCheckpointResponse]]


def signer_of(sign_checkpoint: SignCheckpoint) -> CheckpointSigner:
    """A checkpoint signer calling SignCheckpoint: the signing service's stub, or its servicer in its own process."""

    async def sign(service: str, position: int, events: int, head: str) -> tuple[datetime, bytes, str]:
        request = signing_pb2.SignCheckpointRequest(service=service, position=position, events=events, head_hash=head)
        response = await sign_checkpoint(request)
        return response.signed_at.ToDatetime(tzinfo=UTC), response.signature, response.certificate_pem

    return sign


class SignedCheckpoints:
    """A service's background task: the head of its log signed by the signing service every INTERVAL seconds.

    `servicer`: the signing service's own servicer, for the signing service itself; otherwise it is reached
    over gRPC at its configured address. `guard`: the lease's fence (a checkpoint is kept only by its holder).
    """

    def __init__(self, app: StoredApplication, service: str, servicer: Any = None, guard: Guard | None = None) -> None:
        self._app = app
        self._guard = guard
        self._service = service
        self._servicer = servicer

    async def run(self) -> None:
        if self._servicer is not None:
            servicer = self._servicer
            await Checkpointer(
                self._app, self._service, signer_of(lambda r: servicer.SignCheckpoint(r, None)), self._guard
            ).run(INTERVAL)
            return
        channel = open_channel("signing")
        try:
            stub = signing_pb2_grpc.SigningServiceStub(channel)
            as_service = ((ACTOR_METADATA_KEY, f"service:{self._service}"),)
            signer = signer_of(lambda request: stub.SignCheckpoint(request, timeout=30, metadata=as_service))
            await Checkpointer(self._app, self._service, signer, self._guard).run(INTERVAL)
        finally:
            with contextlib.suppress(Exception):
                await channel.close(None)


def issued_by(issuing_ca: x509.Certificate) -> SignatureCheck:
    """A check that a checkpoint's signature is by the checkpoint certificate `issuing_ca` issued."""

    def check(message: bytes, signature: bytes, certificate_pem: str) -> None:
        try:
            certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
            certificate.verify_directly_issued_by(issuing_ca)
        except (ValueError, TypeError, InvalidSignature) as error:
            raise ValueError(
                f"the certificate is not one the platform's CA issued: {error or 'bad signature'}"
            ) from None
        names = [attribute.value for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        if names != [CHECKPOINT_NAME]:
            raise ValueError(f"the certificate {names} is not the platform's checkpoint certificate")
        key = certificate.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ValueError("the checkpoint certificate's key is not an EC key")
        try:
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise ValueError("the signature does not match the checkpoint") from None

    return check


def platform_checkpoint_check(env: Mapping[str, str] = os.environ) -> SignatureCheck:
    """How a service checks its own checkpoints: against `LIENTHONG_CHECKPOINT_CA` (the CA certificate that
    issues the checkpoint certificate) when set, else against the CA certificates that follow the service's
    own certificate in its chain (`LIENTHONG_TLS_CERT`: the platform's issuing CA, which issues both). With
    neither, every check fails saying so, and a verdict shows it."""
    named = env.get("LIENTHONG_CHECKPOINT_CA")
    candidates: list[x509.Certificate] = []
    source = ""
    try:
        if named:
            source = named
            candidates = x509.load_pem_x509_certificates(Path(named).read_bytes())
        elif env.get("LIENTHONG_TLS_CERT"):
            source = env["LIENTHONG_TLS_CERT"]
            candidates = x509.load_pem_x509_certificates(Path(source).read_bytes())[1:]
    except (OSError, ValueError) as error:
        reason = f"cannot read the CA certificate in {source}: {error}"
    else:
        reason = "no CA certificate to check it against: set LIENTHONG_CHECKPOINT_CA"
    checks = [issued_by(certificate) for certificate in candidates]

    def check(message: bytes, signature: bytes, certificate_pem: str) -> None:
        if not checks:
            raise ValueError(reason)
        problems = []
        for each in checks:
            try:
                each(message, signature, certificate_pem)
                return
            except ValueError as problem:
                problems.append(str(problem))
        raise ValueError("; ".join(problems))

    return check
