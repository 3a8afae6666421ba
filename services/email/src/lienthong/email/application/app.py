"""The email application: notifications queued from consumed events, and their delivery outcomes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Tracking

from lienthong.email.domain.mailbox import Mailbox, id_of_mailbox, normalised_address
from lienthong.email.domain.notification import Notification
from lienthong.errors import NotFound
from lienthong.eventstore import StoredApplication


class EmailApp(StoredApplication):
    """Notifications; the positions of the streams it consumes are stored with the events they cause."""

    name = "Email"
    tracks_positions = True

    def queue(self, changed: list[Aggregate], *, stream: str, position: int, recorded: int | None = None) -> bool:
        """Save what consumed events caused (notifications not queued already, digest items) and record the
        last consumed position, in one transaction.

        Returns whether anything new was saved. A redelivered event finds its position recorded and changes
        nothing. `recorded`: the stream's recorded position as the caller has just read it (once for a
        batch), so it is not read again.
        """
        if position <= (self.last_tracked_position(stream) if recorded is None else recorded):
            return False
        new = [item for item in changed if not (isinstance(item, Notification) and self._exists(item.id))]
        self.save_tracked(*new, tracking=Tracking(application_name=stream, notification_id=position))
        return bool(new)

    def queue_once(self, notification: Notification) -> bool:
        """Save a notification unless it exists (a scheduled one, not caused by a consumed event)."""
        if self._exists(notification.id):
            return False
        try:
            self.save(notification)
        except IntegrityError:  # another replica saved it first
            return False
        return True

    def _exists(self, notification_id: UUID) -> bool:
        try:
            self.repository.get(notification_id)
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

    def set_mailbox_preferences(self, address: str, kinds: list[str], *, digest: bool) -> Mailbox:
        mailbox = self._mailbox(address)
        mailbox.set_preferences(kinds, digest=digest)
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
