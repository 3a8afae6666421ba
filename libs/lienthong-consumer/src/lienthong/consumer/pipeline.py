"""lienthong.operations.v1.OperationsService: how far this instance's relays and read models have got.

Each service hands `pipeline_servicer` what it runs (its relay, its read models and what feeds each); the
answer is read from the positions those keep in the database, the store's head and JetStream's consumer
info, at the time of the call. It changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from grpc.aio import ServicerContext
from nats.errors import Error as NatsError
from nats.js.errors import NotFoundError
from sqlalchemy import func, select

from lienthong.consumer.consumer import Sink
from lienthong.consumer.local import LOCAL_SOURCE
from lienthong.consumer.projection import SqlProjection, utc
from lienthong.errors import InvalidArgument
from lienthong.eventstore import StoredApplication
from lienthong.grpcserver import Service
from lienthong.operations.v1 import operations_pb2 as pb
from lienthong.operations.v1 import operations_pb2_grpc
from lienthong.relay import EventRelay, NatsLink

Context = ServicerContext[Any, Any]
DEFAULT_PAGE = 20
MAX_PAGE = 200
NATS_TIMEOUT = 2.0


@dataclass(frozen=True)
class Reader:
    """A read model (or any sink) and what feeds it: the service's own store (`LOCAL_SOURCE`), or the
    JetStream `source` stream through the durable consumer `durable`."""

    name: str
    sink: Sink
    source: str = LOCAL_SOURCE
    durable: str = ""


class BadPageToken(ValueError):
    """A page token this service did not give."""


class PipelineServicer(operations_pb2_grpc.OperationsServiceServicer):
    """Answers for the instance it runs in."""

    def __init__(
        self,
        service: str,
        readers: Sequence[Reader],
        *,
        app: StoredApplication | None = None,
        relay: EventRelay | None = None,
        link: NatsLink | None = None,
    ) -> None:
        self._service = service
        self._readers = list(readers)
        self._app = app
        self._relay = relay
        self._link = link
        self._instance = f"{socket.gethostname()}:{os.getpid()}"
        self._started_at = datetime.now(UTC)

    async def GetPipeline(self, request: pb.GetPipelineRequest, context: Context) -> pb.GetPipelineResponse:
        head = await asyncio.to_thread(self._store_head)
        answer = pb.GetPipelineResponse(service=self._service, instance=self._instance)
        answer.started_at.FromDatetime(self._started_at)
        if self._relay is not None:
            relayed = await asyncio.to_thread(self._relay.position)
            answer.relays.add(stream=self._relay.stream, store_head=head, relayed=relayed, lag=max(head - relayed, 0))
        for reader in self._readers:
            answer.readers.append(await self._reader_state(reader, head))
        return answer

    async def ListDeadLetters(self, request: pb.ListDeadLettersRequest, context: Context) -> pb.ListDeadLettersResponse:
        models = [r for r in self._projections() if not request.read_model or r.name == request.read_model]
        if request.read_model and not models:
            known = ", ".join(r.name for r in self._projections()) or "none"
            raise InvalidArgument(f"read_model {request.read_model!r} is not one of {self._service}'s ({known})")
        if request.page_size < 0:
            raise InvalidArgument(f"page_size must be positive, not {request.page_size}")
        size = min(request.page_size or DEFAULT_PAGE, MAX_PAGE)
        try:
            offset = page_offset(request.page_token)
        except BadPageToken as bad:
            raise InvalidArgument(str(bad)) from None
        rows = await asyncio.to_thread(_dead_letters, models, offset + size + 1)
        page = rows[offset : offset + size]
        answer = pb.ListDeadLettersResponse(next_page_token=str(offset + size) if len(rows) > offset + size else "")
        for name, row in page:
            letter = answer.dead_letters.add(
                read_model=name, source=row.stream, position=int(row.position), subject=row.subject, reason=row.reason
            )
            letter.put_aside_at.FromDatetime(utc(row.at))
        return answer

    def _projections(self) -> list[Reader]:
        return [reader for reader in self._readers if isinstance(reader.sink, SqlProjection)]

    def _store_head(self) -> int:
        if self._app is None:
            return 0
        return int(self._app.recorder.max_notification_id() or 0)

    async def _reader_state(self, reader: Reader, store_head: int) -> pb.ReaderState:
        position = await asyncio.to_thread(reader.sink.last_position, reader.source)
        dead = await asyncio.to_thread(_count_dead_letters, reader.sink)
        state = pb.ReaderState(read_model=reader.name, source=reader.source, position=position, dead_letters=dead)
        if reader.source == LOCAL_SOURCE:
            state.head, state.lag = store_head, max(store_head - position, 0)
            return state
        if self._link is None:
            state.error = "no NATS link to ask the stream"
            return state
        try:
            js = (await asyncio.wait_for(self._link.client(), NATS_TIMEOUT)).jetstream(timeout=NATS_TIMEOUT)
            stream = await js.stream_info(reader.source)
            state.head = int(stream.state.last_seq)
            # JetStream counts the events of the consumer's subjects it has not delivered, or not had acked.
            consumer = await js.consumer_info(reader.source, reader.durable)
            state.lag = int(consumer.num_pending + consumer.num_ack_pending)
        except NotFoundError:
            state.error = f"JetStream has no consumer {reader.durable} on {reader.source} (not started yet)"
        except (NatsError, TimeoutError, OSError) as error:
            state.error = f"JetStream did not answer: {type(error).__name__} {error}"
        return state


def page_offset(token: str) -> int:
    """The offset a page token stands for ('' is the first page)."""
    if not token:
        return 0
    if not token.isdigit():
        raise BadPageToken(f"page_token {token!r} is not one this service gave")
    return int(token)


def _count_dead_letters(sink: Sink) -> int:
    if not isinstance(sink, SqlProjection):
        return 0
    with sink.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(sink.dead_letters)).scalar_one())


def _dead_letters(readers: Sequence[Reader], limit: int) -> list[tuple[str, Any]]:
    """Up to `limit` dead letters of `readers`' read models, newest first."""
    rows: list[tuple[str, Any]] = []
    for reader in readers:
        assert isinstance(reader.sink, SqlProjection)
        table = reader.sink.dead_letters
        query = select(table).order_by(table.c.at.desc(), table.c.position.desc()).limit(limit)
        with reader.sink.engine.connect() as connection:
            rows += [(reader.name, row) for row in connection.execute(query)]
    rows.sort(key=lambda pair: (utc(pair[1].at), pair[1].position), reverse=True)
    return rows[:limit]


def operations_service(
    service: str,
    readers: Sequence[Reader],
    *,
    app: StoredApplication | None = None,
    relay: EventRelay | None = None,
    relay_stream: str = "",
    link: NatsLink | None = None,
) -> Service:
    """The operations API of `service`, to serve beside its own API (see `PipelineServicer`)."""
    servicer = PipelineServicer(service, readers, app=app, relay=relay, link=link)
    return Service(
        pb.DESCRIPTOR.services_by_name["OperationsService"].full_name,
        lambda server: operations_pb2_grpc.add_OperationsServiceServicer_to_server(servicer, server),
    )
