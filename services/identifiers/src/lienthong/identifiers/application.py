"""The identifiers application: registering agencies under validated identifier codes."""

from __future__ import annotations

from eventsourcing.application import AggregateNotFoundError

from lienthong.errors import AlreadyExists, FailedPrecondition
from lienthong.eventstore import StoredApplication
from lienthong.identifiers.domain.agency import Agency, id_of_agency
from lienthong.identifiers.domain.codes import IdentifierCode


class IdentifiersApp(StoredApplication):
    """The agency registry of QĐ 20/2020."""

    name = "Identifiers"

    def register_agency(self, *, code: IdentifierCode, name: str, short_name: str, email: str) -> Agency:
        """Register an agency; its parent (the level above, which assigns the code) must be registered."""
        if self._exists(code):
            raise AlreadyExists(f"identifier code {code} is already registered")
        parent = code.parent
        if parent is not None and not self._exists(parent):
            raise FailedPrecondition(f"parent agency {parent} of {code} is not registered; register it first")
        agency = Agency.register(code=code, name=name, short_name=short_name, email=email)
        self.save(agency)
        return agency

    def _exists(self, code: IdentifierCode) -> bool:
        try:
            self.repository.get(id_of_agency(code))
        except AggregateNotFoundError:
            return False
        return True
