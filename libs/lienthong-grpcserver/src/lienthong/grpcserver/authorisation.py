"""Server interceptor enforcing the coarse authorisation rules (`lienthong.access.methods`) on every lienthong
RPC, and handing every PERMISSION_DENIED (its own, or a use case's) to the service's access log.

It runs inside `DomainInterceptor` (after it in the server's list), so the caller is already the current
actor and a refusal raised here becomes the status like any other `DomainError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from lienthong.access import Denial, agency_field, authorise_call
from lienthong.errors import PermissionDenied
from lienthong.eventstore import current_actor, peer_context
from lienthong.grpcserver.wrapping import PerMethod, run_inside

log = logging.getLogger(__name__)

# Records a refused call for auditors (the service's access log); called in a worker thread, inside the
# request's actor, peer and trace.
RecordDenial = Callable[[Denial, str], None]

# lienthong's API (`/lienthong.<service>.v<n>.<Service>/<Method>`) is guarded; health checks and reflection
# stay open: they say nothing about any agency.
GUARDED = re.compile(r"/lienthong\.\w+\.v\d+\.")
# The request fields naming what a call is about, in order of preference, for the access log.
SUBJECT_FIELDS = ("document_id", "incoming_id", "record_id", "aggregate_id")


def _field(request: Any, path: str) -> str:
    value = request
    for part in path.split("."):
        value = getattr(value, part, "")
    return value if isinstance(value, str) else ""


class AccessInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Refuses a call its rule does not allow, before the handler runs, and records every refusal."""

    def __init__(self, record: RecordDenial | None = None) -> None:
        self._record = record
        self._handlers = PerMethod(
            lambda handler, method: run_inside(handler, method, self._guard) or _refusing(handler, method)
        )

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not GUARDED.match(method):
            return handler
        return self._handlers(handler, method)

    @contextlib.asynccontextmanager
    async def _guard(
        self, method: str, request: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        """Run the call from its peer once its rule allows it; record any PERMISSION_DENIED it ends with."""
        with peer_context(context.peer() or ""):
            try:
                field = agency_field(method)
                authorise_call(method, current_actor(), _field(request, field) if field else "")
                yield
            except PermissionDenied as denied:
                await self._denied(method, request, denied)
                raise

    async def _denied(self, method: str, request: Any, denied: PermissionDenied) -> None:
        if self._record is None:
            return
        field = agency_field(method)
        denial = Denial(
            method=method,
            reason=denied.reason,
            subject=next((s for s in map(lambda f: _field(request, f), SUBJECT_FIELDS) if s), ""),
            agency_code=_field(request, field) if field else "",
        )
        try:
            await asyncio.to_thread(self._record, denial, current_actor())
        except Exception:  # the refusal stands even when it cannot be recorded now
            log.exception("could not record the refusal of %s to %s", method, current_actor())


def _refusing(handler: grpc.RpcMethodHandler[Any, Any], method: str) -> grpc.RpcMethodHandler[Any, Any]:
    """A lienthong method of a shape the interceptor cannot guard (client streaming): refused, not let through."""
    log.error("%s has a handler shape the authorisation interceptor does not guard; it is refused", method)

    async def refuse(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{method} cannot be authorised, so it is refused")

    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(refuse, handler.request_deserializer, handler.response_serializer)
    return grpc.unary_unary_rpc_method_handler(refuse, handler.request_deserializer, handler.response_serializer)
