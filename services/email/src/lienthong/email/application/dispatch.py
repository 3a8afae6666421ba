"""Turns something an agency must be told of into notifications (one per mailbox told at once) and items of
the daily digests of the mailboxes that prefer one mail a day."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from lienthong.email.application.app import EmailApp
from lienthong.email.application.recipients import Recipient, recipients_of
from lienthong.email.domain.digest import DigestDay, id_of_digest
from lienthong.email.domain.notification import Notification
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.errors import NotFound
from lienthong.identifiers_client import AgencyInfo, AgencyLookup
from lienthong.vietnamese.calendar import VIETNAM, vietnam_date

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tidings:
    """What an agency is told of, about one document."""

    key: str  # what it is about, unique: "<aggregate id>:<version>" of an event, "overdue/<id>/<day>", …
    kind: str
    agency_code: str
    other_code: str  # the other party (the sender of an arrival, the refusing recipient, …)
    code: str
    subject: str
    document_id: str
    at: datetime
    details: str = ""


class Dispatcher:
    """Decides who is told and how; returns the aggregates to save (nothing saved here)."""

    def __init__(
        self,
        app: EmailApp,
        agencies: AgencyLookup,
        registry: MailRegistry,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._app = app
        self._agencies = agencies
        self._registry = registry
        self._clock = clock

    def dispatch(self, tidings: Tidings, digests: dict[UUID, DigestDay] | None = None) -> list[Aggregate]:
        """The notifications and digest days to save for `tidings`. `digests`: the digest days a batch of
        tidings has changed so far, kept across its calls (two items of one day are two changes of one
        aggregate, saved together); without it each call loads the day from the store."""
        agency = self._registered(tidings.agency_code)
        if agency is None:
            # An agency outside the registry (a ministry writing over the national axis) is told over the
            # axis, not by this province's mail. Raising would stop the stream's consumer on this event.
            log.info("agency %s is not in the registry; no notification of %s", tidings.agency_code, tidings.key)
            return []
        told = recipients_of(tidings.kind, agency.email, self._registry.mailboxes_of(agency.code))
        if not told:
            log.info("agency %s has no mailbox that wants %s; no notification", agency.code, tidings.kind)
            return []
        other = self._name_of(tidings.other_code)
        digests = {} if digests is None else digests
        changed: list[Aggregate] = []
        for recipient in told:
            if recipient.digest:
                changed.append(self._digest_item(recipient, tidings, other, digests))
            else:
                changed.append(self._notification(recipient, tidings, agency.name, other))
        return changed

    def _name_of(self, code: str) -> str:
        """The other party's name; its code when the registry does not hold it (an agency outside the province)."""
        if not code:
            return ""
        agency = self._registered(code)
        return agency.name if agency is not None else code

    def _registered(self, code: str) -> AgencyInfo | None:
        """The agency the registry holds at `code`, None when it holds none."""
        try:
            return self._agencies.get(code)
        except NotFound:
            return None

    def _notification(self, recipient: Recipient, tidings: Tidings, agency_name: str, other: str) -> Notification:
        # The official address keeps the id notifications always had; a registered mailbox gets its own.
        key = tidings.key if recipient.official else f"{tidings.key}/{recipient.address}"
        return Notification(
            source_event=key,
            agency_code=tidings.agency_code,
            agency_name=agency_name,
            to_address=recipient.address,
            sender_name=other,
            code=tidings.code,
            subject=tidings.subject,
            document_id=tidings.document_id,
            arrived_at=tidings.at,
            kind=tidings.kind,
            details=tidings.details,
        )

    def _digest_item(
        self, recipient: Recipient, tidings: Tidings, other: str, digests: dict[UUID, DigestDay]
    ) -> DigestDay:
        day = vietnam_date(self._clock())
        digest_id = id_of_digest(recipient.address, day)
        digest = digests.get(digest_id)
        if digest is None:
            try:
                digest = self._app.repository.get(digest_id)
            except AggregateNotFoundError:
                digest = DigestDay(recipient.address, tidings.agency_code, day.isoformat())
            digests[digest_id] = digest
        digest.add(
            {
                "key": tidings.key,
                "kind": tidings.kind,
                "code": tidings.code,
                "subject": tidings.subject,
                "other": other,
                "at": tidings.at.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y"),
                "details": tidings.details,
            }
        )
        return digest
