"""The identifiers application: the agency registry of QĐ 20/2020 and its reorganisations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from eventsourcing.application import AggregateNotFoundError

from lienthong.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from lienthong.eventstore import EventRecord, StoredApplication, aggregate_history
from lienthong.identifiers.domain.agency import Agency, AgencyFields, AgencyState, Ending, id_of_agency
from lienthong.identifiers.domain.codes import IdentifierCode


@dataclass(frozen=True)
class ImportResult:
    """What one imported row did (or would do): created, updated (with the fields) or unchanged."""

    code: str
    outcome: str
    changed_fields: tuple[str, ...] = ()


class IdentifiersApp(StoredApplication):
    """The agency registry."""

    name = "Identifiers"

    def register_agency(
        self, *, code: IdentifierCode | None, parent: IdentifierCode | None = None, fields: AgencyFields
    ) -> Agency:
        """Register an agency at `code`, or at the next free number under `parent` when no code is given.

        The parent (the level above, which assigns the code) must be registered and not dissolved.
        """
        if code is None:
            if parent is None:
                raise InvalidArgument("either a code or a parent code is required")
            parent_agency = self._agency(parent)
            code = parent.child(parent_agency.take_child_number())
            agency = Agency.register(code=code, fields=fields)
            self.save(parent_agency, agency)
            return agency
        if self._exists(code):
            raise AlreadyExists(f"identifier code {code} is already registered")
        agency = Agency.register(code=code, fields=fields)
        if code.parent is None:
            self.save(agency)
            return agency
        parent_agency = self._registered_parent(code)
        parent_agency.note_child_number(code.own_number)
        self.save(parent_agency, agency)
        return agency

    def update_agency(self, code: IdentifierCode, fields: AgencyFields) -> Agency:
        agency = self._agency(code)
        agency.update(fields)
        self.save(agency)
        return agency

    def lock_agency(self, code: IdentifierCode, reason: str) -> Agency:
        agency = self._agency(code)
        agency.lock(reason)
        self.save(agency)
        return agency

    def unlock_agency(self, code: IdentifierCode) -> Agency:
        agency = self._agency(code)
        agency.unlock()
        self.save(agency)
        return agency

    def dissolve_agency(self, code: IdentifierCode, reason: str, effective_on: date) -> Agency:
        agency = self._agency(code)
        agency.dissolve(ending=Ending.DISSOLVED, successors=[], reason=reason, effective_on=effective_on)
        self.save(agency)
        return agency

    def reorganise(
        self,
        *,
        ending: Ending,
        sources: Sequence[IdentifierCode],
        targets: Sequence[IdentifierCode],
        new_fields: Sequence[AgencyFields | None],
        reason: str,
        effective_on: date,
    ) -> list[Agency]:
        """Merge sources into one target, split one source into targets, or move one source to a new code.

        Targets that do not exist yet are registered with their `new_fields` (a moved agency keeps its own
        fields when none are given). Every change is saved in one transaction.
        """
        if ending is Ending.DISSOLVED:
            raise InvalidArgument("a reorganisation is a merge, a split or a move")
        if ending in (Ending.SPLIT, Ending.MOVED) and len(sources) != 1:
            raise InvalidArgument(f"a {ending.value.rstrip('d')} has exactly one source agency")
        if not sources:
            raise InvalidArgument("at least one source agency is required")
        if set(sources) & set(targets):
            raise InvalidArgument("an agency cannot be both a source and a target of a reorganisation")
        source_agencies = [self._agency(code) for code in sources]
        parents: dict[str, Agency] = {}
        registered: list[Agency] = []
        for index, target in enumerate(targets):
            fields = new_fields[index] if index < len(new_fields) else None
            if self._exists(target):
                if fields is not None:
                    raise AlreadyExists(f"target {target} exists already; give no new fields for it")
                if self._agency(target).state is AgencyState.DISSOLVED:
                    raise FailedPrecondition(f"target {target} is dissolved and cannot take over")
                continue
            if fields is None and ending is Ending.MOVED:
                fields = source_agencies[0].fields
            if fields is None:
                raise NotFound(f"target {target} is not registered; give its fields to register it")
            if target.parent is not None:
                parent_key = str(target.parent)
                parent = parents.get(parent_key) or self._registered_parent(target)
                parent.note_child_number(target.own_number)
                parents[parent_key] = parent
            registered.append(Agency.register(code=target, fields=fields))
        for agency in source_agencies:
            agency.dissolve(
                ending=ending, successors=[str(t) for t in targets], reason=reason, effective_on=effective_on
            )
        self.save(*source_agencies, *parents.values(), *registered)
        return source_agencies + registered

    def import_rows(
        self,
        rows: Sequence[tuple[IdentifierCode, AgencyFields]],
        *,
        dry_run: bool,
        current: Callable[[str], AgencyFields | None],
    ) -> list[ImportResult]:
        """Register new rows and update changed ones, in one transaction; unchanged rows cost nothing.

        `current(code)` answers from the read model what a registered code holds (None if unregistered),
        so that importing the same file again reads no aggregate. Parents come before their children.
        """
        results: list[ImportResult] = []
        touched: dict[str, Agency] = {}
        child_numbers: dict[str, int] = {}  # parent code → highest number given in this batch
        for code, fields in rows:
            key = str(code)
            known = current(key)
            if key in touched or known is not None:
                base = touched[key].fields if key in touched else known
                assert base is not None
                changes = base.changes_to(fields)
                if changes:
                    agency = touched.get(key) or self._agency(code)
                    if agency.state is AgencyState.DISSOLVED:
                        raise FailedPrecondition(f"row {key}: the agency is dissolved and cannot be updated")
                    agency.update(fields)
                    touched[key] = agency
                results.append(ImportResult(key, "updated" if changes else "unchanged", tuple(changes)))
                continue
            if code.parent is not None:
                parent_key = str(code.parent)
                if parent_key not in touched:
                    if current(parent_key) is None:
                        raise FailedPrecondition(f"row {key}: parent agency {parent_key} is not registered")
                    touched[parent_key] = self._agency(code.parent)
                child_numbers[parent_key] = max(child_numbers.get(parent_key, 0), code.own_number)
            touched[key] = Agency.register(code=code, fields=fields)
            results.append(ImportResult(key, "created"))
        for parent_key, number in child_numbers.items():
            touched[parent_key].note_child_number(number)
        changed = [agency for agency in touched.values() if agency.pending_events]
        if not dry_run and changed:
            self.save(*changed)
        return results

    def history(self, code: IdentifierCode) -> list[EventRecord]:
        records = aggregate_history(self, id_of_agency(code))
        if not records:
            raise NotFound(f"agency {code} is not registered")
        return records

    def _registered_parent(self, code: IdentifierCode) -> Agency:
        parent = code.parent
        assert parent is not None
        try:
            agency = self._agency(parent)
        except NotFound:
            raise FailedPrecondition(f"parent agency {parent} of {code} is not registered; register it first") from None
        if agency.state is AgencyState.DISSOLVED:
            raise FailedPrecondition(f"parent agency {parent} of {code} is dissolved")
        return agency

    def _agency(self, code: IdentifierCode) -> Agency:
        try:
            agency: Agency = self.repository.get(id_of_agency(code))
        except AggregateNotFoundError:
            raise NotFound(f"agency {code} is not registered") from None
        return agency

    def _exists(self, code: IdentifierCode) -> bool:
        try:
            self.repository.get(id_of_agency(code))
        except AggregateNotFoundError:
            return False
        return True
