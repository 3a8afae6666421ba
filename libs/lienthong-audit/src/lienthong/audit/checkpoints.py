"""Signed checkpoints of the event logs: signing through the signing service, and checking a signature."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lienthong.eventstore import StoredApplication
from lienthong.eventstore.chain import Checkpointer, CheckpointSigner, SignatureCheck
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
    over gRPC at its configured address.
    """

    def __init__(self, app: StoredApplication, service: str, servicer: Any = None) -> None:
        self._app = app
        self._service = service
        self._servicer = servicer

    async def run(self) -> None:
        if self._servicer is not None:
            servicer = self._servicer
            await Checkpointer(self._app, self._service, signer_of(lambda r: servicer.SignCheckpoint(r, None))).run(
                INTERVAL
            )
            return
        channel = open_channel("signing")
        try:
            stub = signing_pb2_grpc.SigningServiceStub(channel)
            as_service = ((ACTOR_METADATA_KEY, f"service:{self._service}"),)
            signer = signer_of(lambda request: stub.SignCheckpoint(request, timeout=30, metadata=as_service))
            await Checkpointer(self._app, self._service, signer).run(INTERVAL)
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
