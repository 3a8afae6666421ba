"""Where the caller's identity comes from: today the actor each request names (the `x-lienthong-actor`
header the gRPC interceptor records); under mutual TLS, the client certificate. Only this module changes then."""

from __future__ import annotations

from lienthong.access import Identity, parse_identity
from lienthong.eventstore import current_actor


def caller_identity() -> Identity:
    """The identity of the request being handled; PERMISSION_DENIED when it names no agency and role."""
    return parse_identity(current_actor())
