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


_BY_STATUS: dict[grpc.StatusCode, type[DomainError]] = {
    cls.status: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        FailedPrecondition,
        PermissionDenied,
        Unauthenticated,
        Unavailable,
        Conflict,
    )
}
_BY_STATUS[grpc.StatusCode.DEADLINE_EXCEEDED] = Unavailable


def from_grpc_status(code: grpc.StatusCode, reason: str, service: str) -> DomainError:
    """The domain error for a status another service answered, keeping its reason.

    Statuses that say nothing about the request (INTERNAL, UNKNOWN, ...) become `Unavailable`, naming
    the service, so that a caller's caller learns where the fault is.
    """
    cls = _BY_STATUS.get(code)
    if cls is None or cls is Unavailable:
        return Unavailable(f"{service} service failed ({code.name}): {reason}")
    return cls(reason)


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
    "from_grpc_status",
    "grpc_status",
]
