"""Running a service's handler inside an async context: the one way the server interceptors wrap calls."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import grpc

# What a call runs inside, given its method's full name, its request and its context.
Around = Callable[[str, Any, grpc.aio.ServicerContext[Any, Any]], AbstractAsyncContextManager[None]]


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
