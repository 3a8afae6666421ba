"""The outbox: sends due notifications over SMTP and records each outcome as an event.

A mail is sent at most once per attempt recorded: the outcome is stored right after the SMTP answer.
A crash between the answer and the record re-sends that one mail with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from lienthong.consumer import LocalFollower
from lienthong.email.application import EmailApp
from lienthong.email.projections.outbox import Outbox
from lienthong.email.rendering import render_notification
from lienthong.email.smtp import PermanentDeliveryError, TemporaryDeliveryError, send_message

log = logging.getLogger(__name__)


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
    ) -> None:
        self._app = app
        self._outbox = outbox
        self._follower = follower
        self._smtp = smtp
        self._clock = clock
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def deliver_due(self) -> int:
        """Send every due notification once; return how many were attempted."""
        self._follower.catch_up()
        due = self._outbox.due(self._clock())
        for notification_id in due:
            self._deliver(UUID(notification_id))
        self._follower.catch_up()
        return len(due)

    def _deliver(self, notification_id: UUID) -> None:
        notification = self._app.notification(notification_id)
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
