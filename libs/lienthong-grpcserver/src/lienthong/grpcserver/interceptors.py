"""Server interceptors: the caller's identity (authentication.py) for stored events and for
`lienthong.eventstore.current_actor()`, and every failure as a precise gRPC status: a domain refusal as its
status and reason, a lost database as UNAVAILABLE, anything unexpected as INTERNAL naming an incident id
that the log holds with the traceback (never UNKNOWN, never a bare exception text)."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from lienthong.errors import DomainError, grpc_status
from lienthong.eventstore import event_context
from lienthong.eventstore.outages import DATABASE_UNREACHABLE
from lienthong.grpcserver.authentication import caller_of
from lienthong.grpcserver.wrapping import PerMethod, run_inside

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


async def _fail(context: grpc.aio.ServicerContext[Any, Any], method: str, error: Exception) -> None:
    """A failure nobody foresaw: INTERNAL, with an incident id the operator finds in the log beside the
    traceback; the caller learns where and which incident, not the internals."""
    incident = uuid.uuid4().hex[:12]
    log.error("%s failed, incident %s: %s: %s", method, incident, type(error).__name__, error, exc_info=error)
    await context.abort(
        grpc.StatusCode.INTERNAL,
        f"internal error in {method} ({type(error).__name__}); incident {incident} is logged with its details",
    )


class DomainInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Runs each unary call, and each server-streaming call written as an async generator, with the caller as
    actor (a call that cannot say who it is is refused before it runs), and turns a `DomainError` into its status
    and reason, a lost database into UNAVAILABLE and any other exception into INTERNAL with an incident id."""

    def __init__(self) -> None:
        self._handlers = PerMethod(lambda handler, method: run_inside(handler, method, _as_caller) or handler)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        return self._handlers(handler, handler_call_details.method)


@contextlib.asynccontextmanager
async def _as_caller(method: str, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[None]:
    """Run the call as its caller; answer a refusal or a lost database with its status."""
    try:
        with event_context(caller_of(context)):
            yield
    except REFUSED as error:
        await _refuse(context, method, error)
    except grpc.aio.AbortError:
        raise  # the call chose its status itself (context.abort)
    except Exception as error:  # the point: nothing unexpected reaches the caller as UNKNOWN
        await _fail(context, method, error)
