"""The access log (sổ truy cập) of a service: every read of a document's content or files, and every call
refused, as events in the service's own event store, which auditors read through the audit API.

One `AccessLog` aggregate per subject: the id of the document (or record) a request named, else the agency
it named, else the caller itself. Its id derives from the subject, so an auditor finds it from the id alone
(`lienthong audit access <subject>`). Who acted and the trace are stamped on every stored event like on any
other; the events add when, from where (the gRPC peer) and what.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from lienthong.access import Denial
from lienthong.access.accesslog import access_log_subject, id_of_access_log
from lienthong.eventstore import StoredApplication, current_peer

_ATTEMPTS = 40  # a busy document: every reader appends to the same log


class AccessLog(Aggregate):
    """Who read or was refused what of one subject, in order."""

    @staticmethod
    def create_id(subject: str) -> UUID:
        return id_of_access_log(subject)

    @event("Opened")
    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.reads = 0
        self.denials = 0

    @event("Read")
    def read(self, what: str, peer: str, at: datetime) -> None:
        self.reads += 1

    @event("Denied")
    def denied(self, method: str, reason: str, agency_code: str, peer: str, at: datetime) -> None:
        self.denials += 1


def _now() -> datetime:
    return datetime.now(UTC)


class AccessLogBook:
    """Appends to the access logs of `app`'s store; safe under concurrent requests on one subject."""

    def __init__(self, app: StoredApplication, clock: Callable[[], datetime] = _now) -> None:
        self._app = app
        self._clock = clock

    def read(self, subject: str, what: str) -> None:
        """Record that the caller of the request being handled read `what` (the content, a file, an export)
        of `subject`."""
        at, peer = self._clock(), current_peer()
        self._append(subject, lambda log: log.read(what=what, peer=peer, at=at))

    def denied(self, denial: Denial, caller: str) -> None:
        """Record a refused call, under what it named (else the caller)."""
        at, peer = self._clock(), current_peer()
        self._append(
            denial.subject or denial.agency_code or caller,
            lambda log: log.denied(
                method=denial.method, reason=denial.reason, agency_code=denial.agency_code, peer=peer, at=at
            ),
        )

    def _append(self, subject: str, change: Callable[[AccessLog], None]) -> None:
        for round_ in range(_ATTEMPTS):
            try:
                log: AccessLog = self._app.repository.get(id_of_access_log(subject))
            except AggregateNotFoundError:
                log = AccessLog(access_log_subject(subject))
            change(log)
            try:
                self._app.save(log)
                return
            except IntegrityError:  # another request appended first: read the log again
                if round_ == _ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0, 0.005 * (round_ + 1)))


__all__ = ["AccessLog", "AccessLogBook", "id_of_access_log"]
