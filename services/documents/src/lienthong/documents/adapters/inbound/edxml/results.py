"""Processing results of an edXML gateway (DOMAIN.md §3) and the one table mapping them to gRPC statuses."""

from __future__ import annotations

import enum

from lienthong.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)


class ResultCode(enum.Enum):
    """What a gateway answers for a received message (the national axis's codes)."""

    SUCCESS = 0
    INVALID_FILE = 10  # not a readable XML file: malformed, oversized, a DTD or entity bomb
    AUTHENTICATION_FAILED = 15  # no valid signature of the sender
    RECIPIENT_NOT_FOUND = 18
    SENDER_NOT_REGISTERED = 19
    NOT_CONFORMANT = 22  # well-formed XML that is not a conformant edXML message
    RECIPIENT_LOCKED = 23


# The gRPC status of each refusal, by way of the domain error that carries it.
_ERRORS: dict[ResultCode, type[DomainError]] = {
    ResultCode.INVALID_FILE: InvalidArgument,
    ResultCode.AUTHENTICATION_FAILED: Unauthenticated,
    ResultCode.RECIPIENT_NOT_FOUND: NotFound,
    ResultCode.SENDER_NOT_REGISTERED: PermissionDenied,
    ResultCode.NOT_CONFORMANT: InvalidArgument,
    ResultCode.RECIPIENT_LOCKED: FailedPrecondition,
}


class EdxmlRejected(Exception):
    """A message refused with its result code and the reason, precise enough to correct it."""

    def __init__(self, code: ResultCode, reason: str) -> None:
        super().__init__(f"edXML result {code.value} ({code.name.lower().replace('_', ' ')}): {reason}")
        self.code = code
        self.reason = reason

    def as_domain_error(self) -> DomainError:
        """The domain error (hence gRPC status) for this refusal; its text starts with the result code."""
        return _ERRORS[self.code](str(self))
