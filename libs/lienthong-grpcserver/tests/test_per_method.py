"""Interceptors wrap a method's handler once, not once per call."""

from __future__ import annotations

from typing import Any

import grpc

from lienthong.grpcserver.interceptors import DomainInterceptor
from lienthong.grpcserver.wrapping import PerMethod


async def _echo(request: Any, context: Any) -> Any:
    return request


def test_a_handler_is_wrapped_once_per_method_and_again_when_it_changes() -> None:
    wrapped: list[str] = []

    def wrap(handler: Any, method: str) -> Any:
        wrapped.append(method)
        return grpc.unary_unary_rpc_method_handler(_echo)

    handlers = PerMethod(wrap)
    first, second = grpc.unary_unary_rpc_method_handler(_echo), grpc.unary_unary_rpc_method_handler(_echo)

    kept = handlers(first, "/a.v1.S/M")
    assert handlers(first, "/a.v1.S/M") is kept
    handlers(first, "/a.v1.S/N")
    assert handlers(second, "/a.v1.S/M") is not kept  # a new handler for the method is wrapped anew

    assert wrapped == ["/a.v1.S/M", "/a.v1.S/N", "/a.v1.S/M"]


async def test_the_domain_interceptor_gives_the_same_wrapped_handler_call_after_call() -> None:
    handler = grpc.unary_unary_rpc_method_handler(_echo)

    async def continuation(details: Any) -> Any:
        return handler

    interceptor = DomainInterceptor()
    details: Any = type("Details", (), {"method": "/lienthong.x.v1.S/M", "invocation_metadata": ()})()
    once = await interceptor.intercept_service(continuation, details)

    assert once is not handler
    assert await interceptor.intercept_service(continuation, details) is once
