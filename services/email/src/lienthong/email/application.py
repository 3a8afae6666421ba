"""The email application: notifications queued from consumed events, and their delivery outcomes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from lienthong.email.domain.mailbox import Mailbox, id_of_mailbox, normalised_address
from lienthong.email.domain.notification import Notification, id_of_notification
from lienthong.errors import NotFound
from lienthong.eventstore import StoredApplication


class EmailApp(StoredApplication):
    """Notifications; the positions of the streams it consumes are stored with the events they cause."""

    name = "Email"
    tracks_positions = True

    def queue(self, notification: Notification | None, *, stream: str, position: int) -> bool:
        """Queue `notification` (unless it exists) and record the consumed position, in one transaction.

        Returns whether a new notification was queued. A redelivered event finds its position recorded
        and changes nothing.
        """
        if position <= self.last_tracked_position(stream):
            return False
        new = notification is not None and not self.exists(notification.source_event, notification.agency_code)
        objects = [notification] if new else []
        self.save_tracked(*objects, tracking=Tracking(application_name=stream, notification_id=position))
        return new

    def exists(self, source_event: str, agency_code: str) -> bool:
        try:
            self.repository.get(id_of_notification(source_event, agency_code))
        except AggregateNotFoundError:
            return False
        return True

    def notification(self, notification_id: UUID) -> Notification:
        try:
            found: Notification = self.repository.get(notification_id)
        except AggregateNotFoundError:
            raise NotFound(f"no notification has id {notification_id}") from None
        return found

    def provision_mailbox(self, address: str, agency_code: str, holder: str) -> Mailbox:
        """A new mailbox, or a suspended one active again."""
        try:
            mailbox: Mailbox = self.repository.get(id_of_mailbox(address))
        except AggregateNotFoundError:
            mailbox = Mailbox(normalised_address(address), agency_code, holder.strip())
        else:
            mailbox.reprovision()
        self.save(mailbox)
        return mailbox

    def suspend_mailbox(self, address: str, reason: str) -> Mailbox:
        mailbox = self._mailbox(address)
        mailbox.suspend(reason)
        self.save(mailbox)
        return mailbox

    def delete_mailbox(self, address: str) -> Mailbox:
        mailbox = self._mailbox(address)
        mailbox.delete()
        self.save(mailbox)
        return mailbox

    def _mailbox(self, address: str) -> Mailbox:
        try:
            mailbox: Mailbox = self.repository.get(id_of_mailbox(address))
        except AggregateNotFoundError:
            raise NotFound(f"no mailbox {address.strip().lower()} is provisioned") from None
        return mailbox

    def start_attempt(self, notification_id: UUID, at: datetime) -> Notification:
        """Record that an attempt begins (before the SMTP conversation); returns the notification."""
        return self._change(notification_id, lambda n: n.start_attempt(at))

    def record_sent(self, notification_id: UUID, at: datetime) -> None:
        self._change(notification_id, lambda n: n.record_sent(at))

    def record_temporary_failure(self, notification_id: UUID, reason: str, at: datetime) -> None:
        self._change(notification_id, lambda n: n.record_temporary_failure(reason, at))

    def record_permanent_failure(self, notification_id: UUID, reason: str, at: datetime) -> None:
        self._change(notification_id, lambda n: n.record_permanent_failure(reason, at))

    def confirm_delivered(self, notification_id: UUID, evidence: str, at: datetime) -> None:
        self._change(notification_id, lambda n: n.confirm_delivered(evidence, at))

    def record_interrupted(self, notification_id: UUID, reason: str, at: datetime) -> None:
        self._change(notification_id, lambda n: n.record_interrupted(reason, at))

    def _change(self, notification_id: UUID, change: Callable[[Notification], None]) -> Notification:
        notification = self.notification(notification_id)
        change(notification)
        self.save(notification)
        return notification
