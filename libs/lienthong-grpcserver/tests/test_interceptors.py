"""The domain interceptor answers refusals with their status and reason, and a lost database with UNAVAILABLE."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from eventsourcing.persistence import OperationalError as StoreOperationalError
from sqlalchemy.exc import OperationalError

from lienthong.errors import FailedPrecondition
from lienthong.grpcserver.interceptors import DomainInterceptor

FAILURES: dict[str, Exception] = {
    "refused": FailedPrecondition("document 01/BC-STTTT has already been sent"),
    "database": OperationalError("SELECT 1", {}, Exception("terminating connection due to administrator command")),
    "store": StoreOperationalError("server closed the connection unexpectedly"),
    "bug": KeyError("oops"),
}


async def behaviour(request: bytes, context: Any) -> bytes:
    raise FAILURES[request.decode()]


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    server = grpc.aio.server(interceptors=[DomainInterceptor()])
    handler = grpc.unary_unary_rpc_method_handler(behaviour)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Failing", {"Call": handler})])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
        yield opened
    await server.stop(None)


@pytest.mark.parametrize(
    ("failure", "status", "reason"),
    [
        ("refused", grpc.StatusCode.FAILED_PRECONDITION, "document 01/BC-STTTT has already been sent"),
        ("database", grpc.StatusCode.UNAVAILABLE, "the service's database cannot be reached now; retry the call"),
        ("store", grpc.StatusCode.UNAVAILABLE, "the service's database cannot be reached now; retry the call"),
        ("bug", grpc.StatusCode.UNKNOWN, None),
    ],
)
async def test_each_failure_gets_its_status(
    channel: grpc.aio.Channel, failure: str, status: grpc.StatusCode, reason: str | None
) -> None:
    call = channel.unary_unary("/test.Failing/Call")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(failure.encode())
    assert caught.value.code() == status
    if reason is not None:
        assert caught.value.details() == reason
