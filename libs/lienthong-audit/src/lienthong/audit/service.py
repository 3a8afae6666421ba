"""lienthong.audit.v1.AuditService over one service's event store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from google.protobuf import struct_pb2, timestamp_pb2
from grpc.aio import ServicerContext

from lienthong.audit import replay
from lienthong.audit.checkpoints import platform_checkpoint_check
from lienthong.audit.v1 import audit_pb2 as pb
from lienthong.audit.v1 import audit_pb2_grpc
from lienthong.errors import InvalidArgument, PermissionDenied
from lienthong.eventstore import EventRecord, StoredApplication, current_actor
from lienthong.eventstore.chain import SignatureCheck, verify_chain, verify_checkpoint
from lienthong.grpcserver import Service
from lienthong.grpcserver.convert import timestamp_of
from lienthong.telemetry.propagation import trace_id_of

Context = ServicerContext[Any, Any]

# Decides, for the caller of the request being handled, whether it may read an aggregate's history;
# raises PermissionDenied with the reason when not.
Authorise = Callable[[UUID], None]


def auditors_only(aggregate_id: UUID) -> None:
    """The default: the audit log is read by auditors (`auditor@<identifier code>`) only."""
    actor = current_actor()
    role, _, agency = actor.partition("@")
    if role != "auditor" or not agency:
        raise PermissionDenied(f"caller {actor!r} may not read the audit log: it is read as auditor@<identifier code>")


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    """Reads `app`'s event store for auditors; changes nothing."""

    def __init__(
        self,
        app: StoredApplication,
        service: str,
        authorise: Authorise = auditors_only,
        checkpoint_check: SignatureCheck | None = None,
    ) -> None:
        self._app = app
        self._service = service
        self._authorise = authorise
        self._checkpoint_check = checkpoint_check or platform_checkpoint_check()

    async def _allowed(self, text: str) -> UUID:
        aggregate_id = _aggregate_id(text)
        await asyncio.to_thread(self._authorise, aggregate_id)
        return aggregate_id

    async def StreamHistory(
        self, request: pb.StreamHistoryRequest, context: Context
    ) -> AsyncIterator[pb.StreamHistoryResponse]:
        named = ([request.aggregate_id] if request.aggregate_id else []) + list(request.aggregate_ids)
        if not named:
            raise InvalidArgument("aggregate_id is required: the aggregate (UUID) whose history to stream")
        aggregate_ids = [_aggregate_id(text) for text in named]
        await asyncio.to_thread(lambda: [self._authorise(aggregate_id) for aggregate_id in aggregate_ids])
        pages = replay.histories(self._app, aggregate_ids)
        while (page := await asyncio.to_thread(next, pages, None)) is not None:
            for record in page:
                yield pb.StreamHistoryResponse(event=self._event(record))

    async def GetStateAt(self, request: pb.GetStateAtRequest, context: Context) -> pb.GetStateAtResponse:
        at = _instant(request.at, "at")
        aggregate_id = await self._allowed(request.aggregate_id)
        found = await asyncio.to_thread(replay.state_at, self._app, aggregate_id, at)
        return pb.GetStateAtResponse(
            aggregate=found.aggregate,
            version=found.version,
            last_changed_at=timestamp_of(found.last_changed_at),
            state=_struct(found.state),
        )

    async def DiffStates(self, request: pb.DiffStatesRequest, context: Context) -> pb.DiffStatesResponse:
        start, end = _instant(getattr(request, "from"), "from"), _instant(request.to, "to")
        if end < start:
            raise InvalidArgument(f"'to' ({end.isoformat()}) is before 'from' ({start.isoformat()})")
        aggregate_id = await self._allowed(request.aggregate_id)

        def compare() -> tuple[replay.StateAt, replay.StateAt, list[EventRecord]]:
            records = replay.history(self._app, aggregate_id)
            between = [record for record in records if start < record.occurred_at <= end]
            return (
                replay.state_at(self._app, aggregate_id, start, records),
                replay.state_at(self._app, aggregate_id, end, records),
                between,
            )

        before, after, between = await asyncio.to_thread(compare)
        return pb.DiffStatesResponse(
            from_version=before.version,
            to_version=after.version,
            changes=[
                pb.FieldChange(field=change.field, before=_value(change.before), after=_value(change.after))
                for change in replay.diff(before.state, after.state)
            ],
            events=[self._event(record) for record in between],
        )

    async def VerifyChain(self, request: pb.VerifyChainRequest, context: Context) -> pb.VerifyChainResponse:
        """`lienthong audit verify` for this service's log, for whom the policy lets (auditors, operators)."""

        def verify() -> pb.VerifyChainResponse:
            chain = verify_chain(self._app)
            checkpoint = verify_checkpoint(self._app, self._service, self._checkpoint_check)
            return pb.VerifyChainResponse(
                service=self._service,
                events_checked=chain.checked,
                chain_intact=chain.intact,
                broken_at=chain.broken_at or 0,
                chain_reason=chain.reason,
                checkpoints_intact=checkpoint.intact,
                checkpoint_position=checkpoint.checkpoint.position if checkpoint.checkpoint else 0,
                checkpoint_reason=checkpoint.reason,
            )

        return await asyncio.to_thread(verify)

    def _event(self, record: EventRecord) -> pb.AuditedEvent:
        return pb.AuditedEvent(
            service=self._service,
            aggregate=record.aggregate,
            aggregate_id=record.aggregate_id,
            version=record.version,
            event=record.event,
            occurred_at=timestamp_of(record.occurred_at),
            actor=record.actor,
            trace_id=trace_id_of(record.traceparent),
            data=_struct(record.data),
        )


def audit_service(
    app: StoredApplication,
    service: str,
    authorise: Authorise = auditors_only,
    checkpoint_check: SignatureCheck | None = None,
) -> Service:
    """The audit API of `service`, to serve beside its own API, read by whom `authorise` lets; checkpoints
    are checked with `checkpoint_check` (by default against the platform CA, `platform_checkpoint_check`)."""
    servicer = AuditServicer(app, service, authorise, checkpoint_check)
    return Service(
        pb.DESCRIPTOR.services_by_name["AuditService"].full_name,
        lambda server: audit_pb2_grpc.add_AuditServiceServicer_to_server(servicer, server),
    )


def _aggregate_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise InvalidArgument(f"aggregate_id must be a UUID, got {text!r}") from None


def _instant(stamp: timestamp_pb2.Timestamp, field: str) -> datetime:
    if not stamp.seconds and not stamp.nanos:
        raise InvalidArgument(f"'{field}' is required: the instant to replay up to")
    return stamp.ToDatetime(tzinfo=UTC)


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _value(value: Any) -> struct_pb2.Value:
    holder = _struct({"value": value})
    return holder.fields["value"]
