"""Domain errors, and the one place that maps them to gRPC status codes.

Domain code raises these exceptions with a human-readable reason; the gRPC layer turns each into the
status code an integrator expects (see `grpc_status`). Nothing else in lienthong chooses status codes.
"""

from __future__ import annotations

import grpc


class DomainError(Exception):
    """A request the domain refuses. The message is the human-readable reason sent to the caller."""

    status: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidArgument(DomainError):
    """Malformed input: a bad identifier code, a subject too long, an unknown document type."""

    status = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(DomainError):
    """The named thing does not exist: an unknown agency, document or certificate."""

    status = grpc.StatusCode.NOT_FOUND


class AlreadyExists(DomainError):
    """The thing to create exists already: an identifier code registered twice."""

    status = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(DomainError):
    """A wrong state transition: sending an unregistered or unsigned document, accepting twice."""

    status = grpc.StatusCode.FAILED_PRECONDITION


class PermissionDenied(DomainError):
    """The caller may not do this for this agency."""

    status = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(DomainError):
    """A signature or credential that does not verify."""

    status = grpc.StatusCode.UNAUTHENTICATED


class Unavailable(DomainError):
    """A dependency (another service, the database, NATS) cannot be reached now; retrying may help."""

    status = grpc.StatusCode.UNAVAILABLE


class Conflict(DomainError):
    """A concurrent change won; the caller should read again and retry."""

    status = grpc.StatusCode.ABORTED


def grpc_status(error: DomainError) -> tuple[grpc.StatusCode, str]:
    """The gRPC status code and reason for a domain error."""
    return error.status, error.reason


__all__ = [
    "AlreadyExists",
    "Conflict",
    "DomainError",
    "FailedPrecondition",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "Unauthenticated",
    "Unavailable",
    "grpc_status",
]
