"""The outbox: sends due notifications over SMTP and records each attempt and its outcome as events.

Each attempt is recorded as started before the SMTP conversation, and its outcome right after the answer,
one mail at a time. A crash (kill -9) in between leaves one attempt in doubt: the server may have taken the
mail (it answered 250, or was about to) without the outbox recording it. Before sending anything else, the
next round settles such an attempt with the mail server's delivery log (`deliverylog`): found there, it is
recorded as delivered and not sent again; not there, it is sent again.

Against a server whose delivery results cannot be read (no `LIENTHONG_SMTP_DELIVERY_LOG`), an in-doubt
attempt is sent again, with the same Message-ID: at most one mail per crash may then arrive twice, and a
receiving system that removes duplicates by Message-ID (e.g. Dovecot's duplicate check, most webmail) shows
it once. Every other mail is sent exactly once, because it is only sent when no attempt is in doubt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from lienthong.consumer import LocalFollower
from lienthong.email.adapters.outbound.deliverylog import DeliveryLookup
from lienthong.email.adapters.outbound.rendering import render_notification
from lienthong.email.adapters.outbound.smtp import PermanentDeliveryError, TemporaryDeliveryError, send_message
from lienthong.email.application.app import EmailApp
from lienthong.email.domain.notification import Notification
from lienthong.email.domain.replies import ReplyTokens
from lienthong.email.projections.outbox import Outbox
from lienthong.errors import FailedPrecondition

log = logging.getLogger(__name__)

IN_DOUBT_AFTER = timedelta(seconds=90)  # SMTP timeouts are 10 s a step: no conversation lasts this long


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server notifications go through."""

    host: str
    port: int
    starttls: bool
    username: str | None
    password: str | None
    from_address: str
    ca_file: str | None = None


class Delivery:
    """Sends what the outbox read model says is due, oldest first."""

    def __init__(
        self,
        app: EmailApp,
        outbox: Outbox,
        follower: LocalFollower,
        smtp: SmtpSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        delivery_log: DeliveryLookup | None = None,
        replies: ReplyTokens | None = None,
        in_doubt_after: timedelta = IN_DOUBT_AFTER,
    ) -> None:
        """`delivery_log` settles attempts a crash left in doubt (without it they are sent again); an attempt
        is in doubt once it started `in_doubt_after` ago without an outcome (longer than any SMTP conversation,
        so that another replica's attempt in progress is left alone); with `replies`, an arrival notification
        carries a reply address the agency can answer it by."""
        self._app = app
        self._outbox = outbox
        self._follower = follower
        self._smtp = smtp
        self._clock = clock
        self._delivery_log = delivery_log
        self._replies = replies
        self._in_doubt_after = in_doubt_after
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def deliver_due(self) -> int:
        """Settle attempts left in doubt, then send every due notification once; return how many were
        attempted. Only one round runs at a time in a process (one thread), so no attempt of its own is in
        doubt; two replicas never both start an attempt (the second save of the same version is refused)."""
        self._follower.catch_up()
        in_doubt = self._outbox.in_doubt()
        for notification_id in in_doubt:
            self._settle(UUID(notification_id))
        if in_doubt:  # what was settled is due again, or delivered
            self._follower.catch_up()
        due = self._outbox.due(self._clock())
        for notification_id in due:
            self._deliver(UUID(notification_id))
        if due:  # the outcomes recorded, so that the next round does not see them due
            self._follower.catch_up()
        return len(due)

    def _settle(self, notification_id: UUID) -> None:
        notification = self._app.notification(notification_id)
        if not notification.in_doubt:  # settled by another replica since the read model was updated
            return
        started = notification.attempt_started_at
        if started is not None and self._clock() - started < self._in_doubt_after:
            return  # perhaps still in progress, in another replica
        try:
            self._settle_in_doubt(notification)
        except (FailedPrecondition, IntegrityError):
            log.info("notification %s settled by another replica meanwhile", notification_id)

    def _settle_in_doubt(self, notification: Notification) -> None:
        notification_id = notification.id
        if self._delivery_log is None:
            log.warning("notification %s: attempt interrupted, no delivery log to ask; sending again", notification_id)
            reason = "attempt interrupted; the server's delivery log cannot be read, so it is sent again"
            self._app.record_interrupted(notification_id, reason, self._clock())
        elif self._delivery_log.was_delivered(notification.message_id):
            log.info("notification %s: interrupted attempt found in the delivery log", notification_id)
            self._app.confirm_delivered(notification_id, "found in the server's delivery log", self._clock())
        else:
            log.info("notification %s: interrupted attempt not in the delivery log; sending again", notification_id)
            reason = "attempt interrupted; not in the server's delivery log"
            self._app.record_interrupted(notification_id, reason, self._clock())

    def _deliver(self, notification_id: UUID) -> None:
        try:
            notification = self._app.start_attempt(notification_id, self._clock())
        except (FailedPrecondition, IntegrityError):
            log.info("notification %s taken by another replica", notification_id)
            return
        reply_to = None
        if self._replies is not None and notification.kind == "arrived":
            reply_to = self._replies.address(notification.id, notification.document_id, notification.agency_code)
        message = render_notification(
            kind=notification.kind,
            details=notification.details,
            agency_name=notification.agency_name,
            to_address=notification.to_address,
            from_address=self._smtp.from_address,
            sender_name=notification.sender_name,
            code=notification.code,
            subject=notification.subject,
            document_id=notification.document_id,
            arrived_at=notification.arrived_at,
            message_id=notification.message_id,
            reply_to=reply_to,
            items=notification.items,
        )
        try:
            send_message(
                message,
                host=self._smtp.host,
                port=self._smtp.port,
                starttls=self._smtp.starttls,
                username=self._smtp.username,
                password=self._smtp.password,
                ca_file=self._smtp.ca_file,
            )
        except TemporaryDeliveryError as error:
            log.warning("notification %s deferred: %s", notification_id, error)
            self._app.record_temporary_failure(notification_id, str(error), self._clock())
        except PermanentDeliveryError as error:
            log.warning("notification %s bounced: %s", notification_id, error)
            self._app.record_permanent_failure(notification_id, str(error), self._clock())
        else:
            self._app.record_sent(notification_id, self._clock())

    async def run(self, interval: float = 5.0) -> None:
        """Deliver whenever notifications are queued (woken by saves) or every `interval` seconds."""
        self._loop = asyncio.get_running_loop()
        self._app.add_save_listener(self._wake_from_thread)
        while True:
            self._wake.clear()
            try:
                await asyncio.to_thread(self.deliver_due)
            except Exception:
                log.exception("delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)

    def _wake_from_thread(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)
