"""Official mailboxes (hộp thư công vụ) of agencies and their staff: provisioned, suspended, deleted."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from lienthong.errors import AlreadyExists, FailedPrecondition, InvalidArgument

_MAILBOX_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/mailboxes")
_ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


# What a mailbox can be told about (the notification kinds), all of them by default.
NOTIFICATION_KINDS = ("arrived", "refused", "recall_requested", "due_tomorrow", "overdue")


class MailboxState(enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"


def normalised_address(address: str) -> str:
    """The address in lowercase, checked: `name@domain.tld`, ASCII."""
    text = address.strip().lower()
    if not _ADDRESS.match(text):
        raise InvalidArgument(f"{address!r} is not a mailbox address (name@domain)")
    return text


def id_of_mailbox(address: str) -> UUID:
    return uuid5(_MAILBOX_NAMESPACE, normalised_address(address))


class Mailbox(Aggregate):
    """One address, for an agency or a person in it; each change an event."""

    @staticmethod
    def create_id(address: str) -> UUID:
        return id_of_mailbox(address)

    @event("Provisioned")
    def __init__(self, address: str, agency_code: str, holder: str) -> None:
        self.address = address
        self.agency_code = agency_code
        self.holder = holder
        self.state = MailboxState.ACTIVE
        self.kinds: list[str] = list(NOTIFICATION_KINDS)
        self.digest = False  # True: one mail a day (a leader's digest) instead of one per event

    def set_preferences(self, kinds: Iterable[str], *, digest: bool) -> None:
        """Which kinds of notification this mailbox wants, and whether as they happen or in a daily digest."""
        wanted = sorted({kind.strip() for kind in kinds if kind.strip()})
        unknown = [kind for kind in wanted if kind not in NOTIFICATION_KINDS]
        if unknown:
            raise InvalidArgument(f"unknown notification kinds {unknown}; known: {', '.join(NOTIFICATION_KINDS)}")
        if self.state is MailboxState.DELETED:
            raise FailedPrecondition(f"mailbox {self.address} is deleted")
        self._preferences_set(wanted, digest)

    @event("PreferencesSet")
    def _preferences_set(self, kinds: list[str], digest: bool) -> None:
        self.kinds = list(kinds)
        self.digest = digest

    def reprovision(self) -> None:
        """A suspended mailbox is active again; an active one exists already; a deleted one stays deleted."""
        if self.state is MailboxState.ACTIVE:
            raise AlreadyExists(f"mailbox {self.address} is provisioned already")
        if self.state is MailboxState.DELETED:
            raise FailedPrecondition(f"mailbox {self.address} was deleted; an address is not given again")
        self._reactivated()

    @event("Reactivated")
    def _reactivated(self) -> None:
        self.state = MailboxState.ACTIVE

    def suspend(self, reason: str) -> None:
        if self.state is not MailboxState.ACTIVE:
            raise FailedPrecondition(f"mailbox {self.address} is {self.state.value}; only an active one is suspended")
        self._suspended(reason.strip())

    @event("Suspended")
    def _suspended(self, reason: str) -> None:
        self.state = MailboxState.SUSPENDED

    def delete(self) -> None:
        if self.state is MailboxState.DELETED:
            raise FailedPrecondition(f"mailbox {self.address} is deleted already")
        self._deleted()

    @event("Deleted")
    def _deleted(self) -> None:
        self.state = MailboxState.DELETED
