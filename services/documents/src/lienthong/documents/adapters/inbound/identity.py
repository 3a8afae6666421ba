"""Where the caller's identity comes from: the principal of its TLS client certificate, or the user a platform
service acts for (the email service for a clerk), as lienthong.grpcserver's interceptor records it."""

from __future__ import annotations

from lienthong.access import Identity, parse_identity
from lienthong.eventstore import current_actor


def caller_identity() -> Identity:
    """The identity of the request being handled; PERMISSION_DENIED when it names no agency and role."""
    return parse_identity(current_actor())
