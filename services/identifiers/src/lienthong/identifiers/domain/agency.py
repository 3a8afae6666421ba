"""An agency (cơ quan, tổ chức) in the registry, keyed by its identifier code (mã định danh)."""

from __future__ import annotations

import enum
import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from lienthong.errors import InvalidArgument
from lienthong.identifiers.domain.codes import IdentifierCode

_AGENCY_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/agencies")
# The short name stands in document notations such as "05/BC-STTTT", where '-' and '/' separate parts.
_SHORT_NAME = re.compile(r"^[^\s/\-]{1,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AgencyState(enum.Enum):
    """Whether an agency may exchange documents."""

    ACTIVE = "active"
    LOCKED = "locked"
    DISSOLVED = "dissolved"


def id_of_agency(code: IdentifierCode) -> UUID:
    """The aggregate id of the agency with `code`: one code, one agency, forever."""
    return uuid5(_AGENCY_NAMESPACE, str(code))


class Agency(Aggregate):
    """A registered agency."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return id_of_agency(IdentifierCode.parse(code))

    @event("Registered")
    def __init__(self, code: str, name: str, short_name: str, parent_code: str, email: str, level: int) -> None:
        self.code = code
        self.name = name
        self.short_name = short_name
        self.parent_code = parent_code
        self.email = email
        self.level = level
        self.state = AgencyState.ACTIVE

    @classmethod
    def register(cls, *, code: IdentifierCode, name: str, short_name: str, email: str) -> Agency:
        """A new agency, its fields checked: a name, a short name fit for notations, an e-mail address."""
        name = name.strip()
        if not name:
            raise InvalidArgument("name is required")
        if len(name) > 250:
            raise InvalidArgument(f"name has {len(name)} characters; the limit is 250")
        if not _SHORT_NAME.match(short_name):
            raise InvalidArgument(
                f"short name {short_name!r} must be 1 to 20 characters without spaces, '-' or '/' "
                "(it stands in document notations such as 05/BC-STTTT)"
            )
        if email and not _EMAIL.match(email):
            raise InvalidArgument(f"e-mail address {email!r} is not valid")
        parent = code.parent
        return cls(
            code=str(code),
            name=name,
            short_name=short_name,
            parent_code=str(parent) if parent else "",
            email=email,
            level=code.level,
        )
