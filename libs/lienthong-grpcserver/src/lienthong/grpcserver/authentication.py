"""Who calls: the principal of the caller's verified client certificate, or the user a service acts for.

A caller is who its certificate says (principals.py). The `x-lienthong-actor` header names someone else
only when the caller is a platform service acting on behalf of a user (the email service accepting a
reply as the agency's clerk). Any other caller naming someone else is refused with PERMISSION_DENIED.
Without the header a service acts as itself (documents asking signing for a seal is `service:documents`).
"""

from __future__ import annotations

import functools
from typing import Any

import grpc
from cryptography import x509

from lienthong.errors import InvalidArgument, PermissionDenied, Unauthenticated
from lienthong.grpcserver.principals import check_principal, is_service, principal_of

ACTOR_METADATA_KEY = "x-lienthong-actor"
# The actor of a call to a server without TLS, which only in-process tests build (serve() never does).
ANONYMOUS = "anonymous"


def caller_of(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    """The principal a call runs as; Unauthenticated, PermissionDenied or InvalidArgument for a call that
    cannot say who it is."""
    claimed = claimed_actor(context)
    auth = context.auth_context() or {}
    certificates = auth.get("x509_pem_cert")
    if not certificates:
        if auth.get("transport_security_type") == [b"insecure"]:
            return claimed or ANONYMOUS  # no TLS at all: a test's in-process server
        raise Unauthenticated("the call presented no client certificate")
    peer = _principal_of_pem(next(iter(certificates)))
    if peer is None:
        raise Unauthenticated("the client certificate names no principal (no urn:lienthong:principal: URI name)")
    if claimed is None or claimed == peer:
        return peer
    if not is_service(peer):
        raise PermissionDenied(
            f"{ACTOR_METADATA_KEY} names {claimed!r}, but the client certificate is {peer!r}'s: "
            "only platform services act on behalf of others"
        )
    try:
        return check_principal(claimed)
    except ValueError as error:
        raise InvalidArgument(f"{ACTOR_METADATA_KEY}: {error}") from None


def claimed_actor(context: grpc.aio.ServicerContext[Any, Any]) -> str | None:
    """The actor the call's `x-lienthong-actor` header names, if any."""
    for key, value in context.invocation_metadata() or ():
        if key == ACTOR_METADATA_KEY and isinstance(value, str) and value:
            return value
    return None


@functools.lru_cache(maxsize=1024)
def _principal_of_pem(pem: bytes) -> str | None:
    # Callers reuse their connections: a server sees the same few certificates over and over.
    return principal_of(x509.load_pem_x509_certificate(pem))
