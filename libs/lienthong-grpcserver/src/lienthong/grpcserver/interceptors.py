"""Server interceptors: the caller's identity (authentication.py) for stored events and for
`lienthong.eventstore.current_actor()`, and domain errors as gRPC statuses."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from lienthong.errors import DomainError, grpc_status
from lienthong.eventstore import event_context
from lienthong.eventstore.outages import DATABASE_UNREACHABLE
from lienthong.grpcserver.authentication import caller_of
from lienthong.grpcserver.wrapping import run_inside

log = logging.getLogger(__name__)

# What a call is answered with a status for: a domain refusal, or a database that cannot be reached now.
REFUSED: tuple[type[Exception], ...] = (DomainError, *DATABASE_UNREACHABLE)


async def _refuse(context: grpc.aio.ServicerContext[Any, Any], method: str, error: Exception) -> None:
    if isinstance(error, DomainError):
        code, reason = grpc_status(error)
        log.info("%s refused: %s %s", method, code.name, reason)
    else:
        code, reason = grpc.StatusCode.UNAVAILABLE, "the service's database cannot be reached now; retry the call"
        log.warning("%s unavailable: %s: %s", method, type(error).__name__, error)
    await context.abort(code, reason)


class DomainInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Runs each unary call, and each server-streaming call written as an async generator, with the caller as
    actor (a call that cannot say who it is is refused before it runs), and turns a `DomainError` into its status and reason, and a lost database into UNAVAILABLE."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        return run_inside(handler, handler_call_details.method, _as_caller) or handler


@contextlib.asynccontextmanager
async def _as_caller(method: str, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[None]:
    """Run the call as its caller; answer a refusal or a lost database with its status."""
    try:
        with event_context(caller_of(context)):
            yield
    except REFUSED as error:
        await _refuse(context, method, error)
