"""Running a service's handler inside an async context: the one way the server interceptors wrap calls."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeAlias

import grpc

# What a call runs inside, given its method's full name, its request and its context.
Around = Callable[[str, Any, grpc.aio.ServicerContext[Any, Any]], AbstractAsyncContextManager[None]]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # a string: grpc.RpcMethodHandler is not generic at run time


class PerMethod:
    """The handlers an interceptor wraps, made once per method instead of once per call.

    A server looks a method's handler up in a table, so the handler an interceptor is given for a method is
    the same object call after call (and, wrapped once by the interceptors inside, so is theirs): the wrapped
    handler is kept for as long as the handler it wraps is the one given.
    """

    def __init__(self, wrap: Callable[[Handler, str], Handler]) -> None:
        self._wrap = wrap
        self._wrapped: dict[str, tuple[Handler, Handler]] = {}

    def __call__(self, handler: Handler, method: str) -> Handler:
        kept = self._wrapped.get(method)
        if kept is not None and kept[0] is handler:
            return kept[1]
        wrapped = self._wrap(handler, method)
        self._wrapped[method] = (handler, wrapped)
        return wrapped


def run_inside(
    handler: grpc.RpcMethodHandler[Any, Any], method: str, around: Around
) -> grpc.RpcMethodHandler[Any, Any] | None:
    """`handler` run inside `around` when it is a unary call or a server-streaming call written as an async
    generator (every lienthong RPC); None for any other shape, which the caller decides about."""
    if handler.unary_stream is not None and inspect.isasyncgenfunction(handler.unary_stream):
        inner_stream = handler.unary_stream

        async def unary_stream(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            async with around(method, request, context):
                async for response in inner_stream(request, context):  # type: ignore[arg-type]
                    yield response

        return grpc.unary_stream_rpc_method_handler(
            unary_stream,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.unary_unary is None:
        return None
    inner = handler.unary_unary

    async def unary_unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        async with around(method, request, context):
            return await inner(request, context)  # type: ignore[arg-type]

    return grpc.unary_unary_rpc_method_handler(
        unary_unary,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
