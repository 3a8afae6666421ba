"""The gRPC face of the identifiers service: protobuf in, use case, protobuf out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import Any

from google.protobuf import struct_pb2

from lienthong.consumer import LocalFollower
from lienthong.errors import FailedPrecondition, InvalidArgument, NotFound
from lienthong.grpcserver import day_of, timestamp_of
from lienthong.grpcserver.paging import Page
from lienthong.identifiers.application.app import IdentifiersApp
from lienthong.identifiers.domain.agency import AgencyFields, Ending
from lienthong.identifiers.domain.codes import IdentifierCode
from lienthong.identifiers.domain.resolution import resolve
from lienthong.identifiers.projections.registry import AgencyRow, Registry
from lienthong.identifiers.v1 import identifiers_pb2 as pb
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.telemetry.propagation import trace_id_of
from lienthong.vietnamese.calendar import vietnam_today

Context = Any  # grpc.aio.ServicerContext; errors travel as DomainError

_STATES = {"active": pb.AGENCY_STATE_ACTIVE, "locked": pb.AGENCY_STATE_LOCKED, "dissolved": pb.AGENCY_STATE_DISSOLVED}
_ENDINGS = {
    "": pb.REORGANISATION_UNSPECIFIED,
    "dissolved": pb.REORGANISATION_DISSOLVED,
    "merged": pb.REORGANISATION_MERGED,
    "split": pb.REORGANISATION_SPLIT,
    "moved": pb.REORGANISATION_MOVED,
}
_OUTCOMES = {
    "created": pb.IMPORT_OUTCOME_CREATED,
    "updated": pb.IMPORT_OUTCOME_UPDATED,
    "unchanged": pb.IMPORT_OUTCOME_UNCHANGED,
}
EXPORT_PAGE = 500


class IdentifiersServicer(identifiers_pb2_grpc.IdentifiersServiceServicer):
    """Implements `lienthong.identifiers.v1.IdentifiersService`."""

    def __init__(self, app: IdentifiersApp, registry: Registry, follower: LocalFollower) -> None:
        self._app = app
        self._registry = registry
        self._follower = follower

    async def RegisterAgency(self, request: pb.RegisterAgencyRequest, context: Context) -> pb.RegisterAgencyResponse:
        code = IdentifierCode.parse(request.code) if request.code else None
        parent = IdentifierCode.parse(request.parent_code) if request.parent_code and not request.code else None
        fields = AgencyFields(request.name, request.short_name, request.address, request.email, request.contact)
        agency = await asyncio.to_thread(self._app.register_agency, code=code, parent=parent, fields=fields)
        return pb.RegisterAgencyResponse(agency=await self._after_change(agency.code))

    async def GetAgency(self, request: pb.GetAgencyRequest, context: Context) -> pb.GetAgencyResponse:
        return pb.GetAgencyResponse(agency=_agency(self._row(IdentifierCode.parse(request.code))))

    async def ListAgencies(self, request: pb.ListAgenciesRequest, context: Context) -> pb.ListAgenciesResponse:
        rows = await asyncio.to_thread(self._registry.all)
        return pb.ListAgenciesResponse(agencies=[_agency(row) for row in rows])

    async def ResolveAgency(self, request: pb.ResolveAgencyRequest, context: Context) -> pb.ResolveAgencyResponse:
        code = str(IdentifierCode.parse(request.code))
        entry, path = resolve(code, self._entry)
        return pb.ResolveAgencyResponse(agency=_agency(self._row(IdentifierCode.parse(entry.code))), path=path)

    async def SearchAgencies(self, request: pb.SearchAgenciesRequest, context: Context) -> pb.SearchAgenciesResponse:
        page = Page.of(request.page_size, request.page_token)
        state = "" if request.state == pb.AGENCY_STATE_UNSPECIFIED else _state_name(request.state)
        parent = str(IdentifierCode.parse(request.parent_code)) if request.parent_code else ""
        rows, more = await asyncio.to_thread(
            self._registry.search,
            query=request.query,
            parent_code=parent,
            state=state,
            limit=page.size,
            offset=page.offset,
        )
        return pb.SearchAgenciesResponse(agencies=[_agency(row) for row in rows], next_page_token=page.next_token(more))

    async def UpdateAgency(self, request: pb.UpdateAgencyRequest, context: Context) -> pb.UpdateAgencyResponse:
        code = IdentifierCode.parse(request.code)
        await asyncio.to_thread(self._app.update_agency, code, _fields(request.fields))
        return pb.UpdateAgencyResponse(agency=await self._after_change(str(code)))

    async def LockAgency(self, request: pb.LockAgencyRequest, context: Context) -> pb.LockAgencyResponse:
        code = IdentifierCode.parse(request.code)
        await asyncio.to_thread(self._app.lock_agency, code, request.reason)
        return pb.LockAgencyResponse(agency=await self._after_change(str(code)))

    async def UnlockAgency(self, request: pb.UnlockAgencyRequest, context: Context) -> pb.UnlockAgencyResponse:
        code = IdentifierCode.parse(request.code)
        await asyncio.to_thread(self._app.unlock_agency, code)
        return pb.UnlockAgencyResponse(agency=await self._after_change(str(code)))

    async def DissolveAgency(self, request: pb.DissolveAgencyRequest, context: Context) -> pb.DissolveAgencyResponse:
        code = IdentifierCode.parse(request.code)
        await asyncio.to_thread(self._app.dissolve_agency, code, request.reason, _effective(request.effective_on))
        return pb.DissolveAgencyResponse(agency=await self._after_change(str(code)))

    async def ReorganiseAgencies(
        self, request: pb.ReorganiseAgenciesRequest, context: Context
    ) -> pb.ReorganiseAgenciesResponse:
        endings = {
            pb.REORGANISATION_MERGED: Ending.MERGED,
            pb.REORGANISATION_SPLIT: Ending.SPLIT,
            pb.REORGANISATION_MOVED: Ending.MOVED,
        }
        if request.kind not in endings:
            raise InvalidArgument("kind must be MERGED, SPLIT or MOVED")
        new_fields = [_fields(f) if f.name else None for f in request.new_fields]
        agencies = await asyncio.to_thread(
            self._app.reorganise,
            ending=endings[request.kind],
            sources=[IdentifierCode.parse(c) for c in request.source_codes],
            targets=[IdentifierCode.parse(c) for c in request.target_codes],
            new_fields=new_fields,
            reason=request.reason,
            effective_on=_effective(request.effective_on),
        )
        await self._follower.caught_up()
        return pb.ReorganiseAgenciesResponse(
            agencies=[_agency(self._row(IdentifierCode.parse(a.code))) for a in agencies]
        )

    async def ImportAgencies(self, request: pb.ImportAgenciesRequest, context: Context) -> pb.ImportAgenciesResponse:
        rows = checked_rows(request.rows)
        results = await asyncio.to_thread(
            self._app.import_rows,
            rows,
            dry_run=request.dry_run,
            current=self._registry.fields_of,
        )
        if not request.dry_run:
            await self._follower.caught_up()
        counts = {outcome: sum(1 for r in results if r.outcome == outcome) for outcome in _OUTCOMES}
        return pb.ImportAgenciesResponse(
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            changes=[
                pb.ImportChange(code=r.code, outcome=_OUTCOMES[r.outcome], changed_fields=r.changed_fields)
                for r in results
                if r.outcome != "unchanged"
            ],
        )

    async def ExportAgencies(
        self, request: pb.ExportAgenciesRequest, context: Context
    ) -> AsyncIterator[pb.ExportAgenciesResponse]:
        rows = await asyncio.to_thread(self._registry.all)
        for start in range(0, len(rows), EXPORT_PAGE):
            yield pb.ExportAgenciesResponse(agencies=[_agency(row) for row in rows[start : start + EXPORT_PAGE]])

    async def GetAgencyHistory(
        self, request: pb.GetAgencyHistoryRequest, context: Context
    ) -> pb.GetAgencyHistoryResponse:
        records = await asyncio.to_thread(self._app.history, IdentifierCode.parse(request.code))
        events = []
        for record in records:
            data = struct_pb2.Struct()
            data.update(record.data)
            events.append(
                pb.AgencyEvent(
                    version=record.version,
                    event=record.event,
                    occurred_at=timestamp_of(record.occurred_at),
                    actor=record.actor,
                    trace_id=trace_id_of(record.traceparent),
                    data=data,
                )
            )
        return pb.GetAgencyHistoryResponse(events=events)

    def _row(self, code: IdentifierCode) -> AgencyRow:
        row = self._registry.get(str(code))
        if row is None:
            raise NotFound(f"agency {code} is not registered")
        return row

    def _entry(self, code: str) -> Any:
        row = self._registry.get(code)
        return row.entry if row else None

    async def _after_change(self, code: str) -> pb.Agency:
        await self._follower.caught_up()
        return _agency(self._row(IdentifierCode.parse(code)))


def _state_name(state: pb.AgencyState.ValueType) -> str:
    for name, value in _STATES.items():
        if value == state:
            return name
    raise InvalidArgument(f"unknown agency state {state}")


def checked_rows(rows: Iterable[pb.ImportRow]) -> list[tuple[IdentifierCode, AgencyFields]]:
    """The code and fields of each imported row; InvalidArgument naming the first row that is not valid."""
    checked = []
    for number, row in enumerate(rows, start=1):
        try:
            checked.append((IdentifierCode.parse(row.code), _fields(row.fields)))
        except InvalidArgument as error:
            raise InvalidArgument(f"row {number} ({row.code!r}): {error.reason}") from None
    return checked


def _fields(fields: pb.AgencyFields) -> AgencyFields:
    return AgencyFields(fields.name, fields.short_name, fields.address, fields.email, fields.contact)


def _effective(text: str) -> date:
    today = vietnam_today()
    day = day_of(text, "effective_on") or today
    if day > today:
        raise FailedPrecondition(f"effective_on {day} is in the future; record the change on that day")
    return day


def _agency(row: AgencyRow) -> pb.Agency:
    return pb.Agency(
        code=row.code,
        name=row.name,
        short_name=row.short_name,
        parent_code=row.parent_code,
        email=row.email,
        state=_STATES[row.state],
        level=row.level,
        registered_at=timestamp_of(row.registered_at),
        address=row.address,
        contact=row.contact,
        ended_by=_ENDINGS[row.ending],
        successor_codes=[s for s in row.successors.split(",") if s],
        ended_on=row.ended_on,
    )
