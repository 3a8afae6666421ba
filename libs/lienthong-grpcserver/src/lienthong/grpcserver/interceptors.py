"""Server interceptors: the caller's identity for stored events, and domain errors as gRPC statuses."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from lienthong.errors import DomainError, grpc_status
from lienthong.eventstore import event_context
from lienthong.grpcserver.channels import ACTOR_METADATA_KEY

log = logging.getLogger(__name__)


def _actor_of(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == ACTOR_METADATA_KEY and isinstance(value, str) and value:
            return value
    return "anonymous"


UnaryBehaviour = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]


class UnaryInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Base of the interceptors that wrap every unary method's behaviour in one of their own."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        return grpc.unary_unary_rpc_method_handler(
            self.wrap(handler.unary_unary, handler_call_details.method),  # type: ignore[arg-type]
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def wrap(self, inner: UnaryBehaviour, method: str) -> UnaryBehaviour:
        """The behaviour that replaces `inner` for the method named `/package.Service/Method`."""
        raise NotImplementedError


class DomainInterceptor(UnaryInterceptor):
    """Runs each unary call with the caller as actor and turns a `DomainError` into its status and reason."""

    def wrap(self, inner: UnaryBehaviour, method: str) -> UnaryBehaviour:
        async def unary_unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            with event_context(_actor_of(context)):
                try:
                    return await inner(request, context)
                except DomainError as error:
                    code, reason = grpc_status(error)
                    log.info("%s refused: %s %s", method, code.name, reason)
                    await context.abort(code, reason)

        return unary_unary
