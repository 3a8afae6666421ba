"""The daily round, in the morning (Vietnam time): documents due tomorrow, documents overdue, and yesterday's
digests for the mailboxes that prefer one mail a day.

Every mail it queues has an id derived from what it tells of (a deadline, a mailbox and a day), so running
the round again, after a restart or on another replica, queues nothing twice. An overdue document is mailed
once per deadline to the mailboxes told at once, and listed in a leader's digest every day it stays overdue.
"Tomorrow" is the next calendar day in Vietnam.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from eventsourcing.application import AggregateNotFoundError

from lienthong.email.application.app import EmailApp
from lienthong.email.application.dispatch import Dispatcher, Tidings
from lienthong.email.domain.digest import DigestDay, id_of_digest
from lienthong.email.domain.notification import Notification
from lienthong.email.projections.deadlines import DeadlineRow, Deadlines
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.identifiers_client import AgencyLookup
from lienthong.vietnamese.calendar import VIETNAM, vietnam_date

log = logging.getLogger(__name__)

DIGEST_LOOKBACK = 7  # days of digests still sent after an outage


class DailyRound:
    """Queues reminders and digests once a day, at or after `hour` o'clock in Vietnam."""

    def __init__(
        self,
        app: EmailApp,
        dispatcher: Dispatcher,
        deadlines: Deadlines,
        registry: MailRegistry,
        agencies: AgencyLookup,
        *,
        hour: int = 7,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._app = app
        self._dispatcher = dispatcher
        self._deadlines = deadlines
        self._registry = registry
        self._agencies = agencies
        self._hour = hour
        self._clock = clock
        self._last_day: date | None = None

    def tick(self) -> int:
        """Run the round if it is time and it has not run today in this process; return mails queued."""
        now = self._clock().astimezone(VIETNAM)
        if now.hour < self._hour or self._last_day == now.date():
            return 0
        queued = self.run_round()
        self._last_day = now.date()
        return queued

    def run_round(self) -> int:
        """Remind, then send the digests; return how many notifications were queued."""
        today = vietnam_date(self._clock())
        queued = 0
        for row in self._deadlines.due_on(today + timedelta(days=1)):
            queued += self._remind(row, "due_tomorrow")
        for row in self._deadlines.overdue(today):
            queued += self._remind(row, "overdue")
        for back in range(1, DIGEST_LOOKBACK + 1):
            queued += self._send_digests(today - timedelta(days=back))
        if queued:
            log.info("daily round: %d notifications queued", queued)
        return queued

    def _remind(self, row: DeadlineRow, kind: str) -> int:
        assert row.due_on is not None
        tidings = Tidings(
            key=f"{kind}/{row.incoming_id}/{row.due_on.isoformat()}",
            kind=kind,
            agency_code=row.recipient_code,
            other_code=row.sender_code,
            code=row.code,
            subject=row.subject,
            document_id=row.incoming_id,
            at=self._clock(),
            details=row.due_on.strftime("%d/%m/%Y"),
        )
        queued = 0
        for changed in self._dispatcher.dispatch(tidings):
            if isinstance(changed, Notification):
                queued += self._app.queue_once(changed)
            else:
                self._app.save(changed)  # a digest item; one already there adds no event
        return queued

    def _send_digests(self, day: date) -> int:
        queued = 0
        for mailbox in self._registry.mailboxes_of(""):
            if mailbox.state != "active" or not mailbox.digest:
                continue
            try:
                digest: DigestDay = self._app.repository.get(id_of_digest(mailbox.address, day))
            except AggregateNotFoundError:
                continue
            if not digest.items:
                continue
            agency = self._agencies.get(mailbox.agency_code)
            shown = day.strftime("%d/%m/%Y")
            notification = Notification(
                source_event=f"digest/{day.isoformat()}/{mailbox.address}",
                agency_code=mailbox.agency_code,
                agency_name=mailbox.holder or agency.name,
                to_address=mailbox.address,
                sender_name="",
                code="",
                subject=f"{len(digest.items)} thông báo ngày {shown}",
                document_id="",
                arrived_at=self._clock(),
                kind="digest",
                details=shown,
                items=digest.items,
            )
            queued += self._app.queue_once(notification)
        return queued

    async def run(self, interval: float = 60.0) -> None:
        while True:
            try:
                await asyncio.to_thread(self.tick)
            except Exception:
                log.exception("daily round failed")
            await asyncio.sleep(interval)
