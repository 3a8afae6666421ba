"""Every service's server refuses a request over MAX_MESSAGE_BYTES before any servicer code reads it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from lienthong.grpcserver.server import MAX_MESSAGE_BYTES, create_server


async def _first_bytes(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    return request[:8]


@pytest.fixture
async def echo() -> AsyncIterator[grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]]:
    """A method of a server made by create_server, called from a client with no send limit of its own."""
    server = create_server()
    handler = grpc.unary_unary_rpc_method_handler(_first_bytes)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("lienthong.test.Echo", {"Echo": handler})])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        options = [("grpc.max_send_message_length", -1)]
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
            yield channel.unary_unary("/lienthong.test.Echo/Echo", request_serializer=None, response_deserializer=None)
    finally:
        await server.stop(None)


async def test_a_request_within_the_limit_reaches_the_servicer(
    echo: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes],
) -> None:
    assert await echo(b"x" * 1024) == b"x" * 8


async def test_a_request_over_the_limit_is_refused_with_resource_exhausted(
    echo: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes],
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await echo(b"x" * (MAX_MESSAGE_BYTES + 1))

    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
