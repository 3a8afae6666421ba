"""An agency (cơ quan, tổ chức) in the registry, keyed by its identifier code (mã định danh).

Life: registered → active ↔ locked → dissolved (without successor, merged, split or moved). A dissolved
agency stays in the registry for ever, so its code is never given again and old documents still resolve.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from lienthong.errors import FailedPrecondition, InvalidArgument
from lienthong.identifiers.domain.codes import IdentifierCode

_AGENCY_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/agencies")
# The short name stands in document notations such as "05/BC-STTTT", where '-' and '/' separate parts.
_SHORT_NAME = re.compile(r"^[^\s/\-]{1,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_LIMIT = 250


class AgencyState(enum.Enum):
    """Whether an agency may exchange documents."""

    ACTIVE = "active"
    LOCKED = "locked"
    DISSOLVED = "dissolved"


class Ending(enum.Enum):
    """How a dissolved agency ended, which decides where documents addressed to it go."""

    DISSOLVED = "dissolved"  # no successor: refused
    MERGED = "merged"  # into one agency: routed there
    SPLIT = "split"  # into several: refused, the sender must choose
    MOVED = "moved"  # a new code under another parent: routed there


@dataclass(frozen=True)
class AgencyFields:
    """What a registrar sets; checked on creation."""

    name: str
    short_name: str
    address: str = ""
    email: str = ""
    contact: str = ""

    def __post_init__(self) -> None:
        name = self.name.strip()
        if not name:
            raise InvalidArgument("name is required")
        if len(name) > NAME_LIMIT:
            raise InvalidArgument(f"name has {len(name)} characters; the limit is {NAME_LIMIT}")
        if not _SHORT_NAME.match(self.short_name):
            raise InvalidArgument(
                f"short name {self.short_name!r} must be 1 to 20 characters without spaces, '-' or '/' "
                "(it stands in document notations such as 05/BC-STTTT)"
            )
        if self.email and not _EMAIL.match(self.email):
            raise InvalidArgument(f"e-mail address {self.email!r} is not valid")
        object.__setattr__(self, "name", name)

    @classmethod
    def unchecked(cls, name: str, short_name: str, address: str, email: str, contact: str) -> AgencyFields:
        """Fields as stored (already checked when they were recorded), without checking them again."""
        fields = object.__new__(cls)
        for key, value in (
            ("name", name),
            ("short_name", short_name),
            ("address", address),
            ("email", email),
            ("contact", contact),
        ):
            object.__setattr__(fields, key, value)
        return fields

    def changes_to(self, other: AgencyFields) -> list[str]:
        """The names of the fields whose values differ in `other`."""
        mine, theirs = self.as_dict(), other.as_dict()
        return [name for name in mine if mine[name] != theirs[name]]

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "short_name": self.short_name,
            "address": self.address,
            "email": self.email,
            "contact": self.contact,
        }


def id_of_agency(code: IdentifierCode | str) -> UUID:
    """The aggregate id of the agency with `code`: one code, one agency, forever."""
    return uuid5(_AGENCY_NAMESPACE, str(code))


class Agency(Aggregate):
    """A registered agency."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return id_of_agency(code)

    @event("Registered")
    def __init__(
        self,
        code: str,
        name: str,
        short_name: str,
        parent_code: str,
        email: str,
        level: int,
        address: str = "",
        contact: str = "",
    ) -> None:
        self.code = code
        self.name = name
        self.short_name = short_name
        self.parent_code = parent_code
        self.email = email
        self.level = level
        self.address = address
        self.contact = contact
        self.state = AgencyState.ACTIVE
        self.lock_reason = ""
        self.ending: Ending | None = None
        self.successors: list[str] = []
        self.last_child_number = 0

    @classmethod
    def register(cls, *, code: IdentifierCode, fields: AgencyFields) -> Agency:
        """A new agency at `code`."""
        parent = code.parent
        return cls(
            code=str(code),
            parent_code=str(parent) if parent else "",
            level=code.level,
            **fields.as_dict(),
        )

    @property
    def fields(self) -> AgencyFields:
        return AgencyFields(self.name, self.short_name, self.address, self.email, self.contact)

    def changes_to(self, fields: AgencyFields) -> list[str]:
        """The names of the fields that `fields` would change."""
        return self.fields.changes_to(fields)

    def update(self, fields: AgencyFields) -> None:
        """Change the registrar's fields (a rename is an update); nothing is recorded when nothing changes."""
        self._check_not_dissolved("updated")
        if self.changes_to(fields):
            self._updated(**fields.as_dict())

    @event("Updated")
    def _updated(self, name: str, short_name: str, address: str, email: str, contact: str) -> None:
        self.name, self.short_name, self.address, self.email, self.contact = name, short_name, address, email, contact

    def take_child_number(self) -> int:
        """The next free number for a child at the level below (never given twice, even after dissolution)."""
        self._check_not_dissolved("given children")
        self._child_number_taken(self.last_child_number + 1)
        return self.last_child_number

    def note_child_number(self, number: int) -> None:
        """A child was registered with a given number: later free numbers come after it."""
        if number > self.last_child_number:
            self._child_number_taken(number)

    @event("ChildNumberTaken")
    def _child_number_taken(self, number: int) -> None:
        self.last_child_number = number

    def lock(self, reason: str) -> None:
        self._check_not_dissolved("locked")
        if self.state is AgencyState.LOCKED:
            raise FailedPrecondition(f"agency {self.code} is already locked")
        self._locked(reason.strip() or "no reason given")

    @event("Locked")
    def _locked(self, reason: str) -> None:
        self.state = AgencyState.LOCKED
        self.lock_reason = reason

    def unlock(self) -> None:
        if self.state is not AgencyState.LOCKED:
            raise FailedPrecondition(f"agency {self.code} is {self.state.value}, not locked")
        self._unlocked()

    @event("Unlocked")
    def _unlocked(self) -> None:
        self.state = AgencyState.ACTIVE
        self.lock_reason = ""

    def dissolve(self, *, ending: Ending, successors: list[str], reason: str, effective_on: date) -> None:
        """End the agency; `successors` receive its documents (merged, moved) or must be chosen (split)."""
        self._check_not_dissolved("dissolved")
        if self.code in successors:
            raise InvalidArgument(f"agency {self.code} cannot succeed itself")
        expected = {Ending.DISSOLVED: (0, 0), Ending.MERGED: (1, 1), Ending.MOVED: (1, 1), Ending.SPLIT: (2, 99)}
        low, high = expected[ending]
        if not low <= len(successors) <= high:
            raise InvalidArgument(f"a {ending.value} agency has {low}..{high} successors, got {len(successors)}")
        self._dissolved(ending.value, successors, reason.strip(), effective_on.isoformat())

    @event("Dissolved")
    def _dissolved(self, ending: str, successors: list[str], reason: str, effective_on: str) -> None:
        self.state = AgencyState.DISSOLVED
        self.ending = Ending(ending)
        self.successors = list(successors)

    def _check_not_dissolved(self, what: str) -> None:
        if self.state is AgencyState.DISSOLVED:
            raise FailedPrecondition(f"agency {self.code} is dissolved and cannot be {what}")
