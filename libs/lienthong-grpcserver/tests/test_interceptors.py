"""The domain interceptor answers refusals with their status and reason, a lost database with UNAVAILABLE, and
an unexpected exception with INTERNAL and an incident id that the log holds with the traceback."""

from __future__ import annotations

import logging
import re
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
    "bug": KeyError("No field numbered 1 is present in this asn1crypto.x509.NameTypeAndValue"),
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
        ("bug", grpc.StatusCode.INTERNAL, None),
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


async def test_an_unexpected_error_is_internal_with_an_incident_the_log_explains(
    channel: grpc.aio.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    call = channel.unary_unary("/test.Failing/Call")
    with (
        caplog.at_level(logging.ERROR, logger="lienthong.grpcserver.interceptors"),
        pytest.raises(grpc.aio.AioRpcError) as caught,
    ):
        await call(b"bug")
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    details = caught.value.details() or ""
    found = re.search(r"incident ([0-9a-f]{12})", details)
    assert found, details
    assert "/test.Failing/Call" in details
    assert "KeyError" in details
    assert "asn1crypto" not in details  # the internals stay in the log
    logged = [r for r in caplog.records if found.group(1) in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None  # the traceback is in the log under that incident


async def test_a_call_that_aborts_keeps_its_own_status() -> None:
    async def aborting(request: bytes, context: Any) -> bytes:
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many documents at once")
        return b""

    server = grpc.aio.server(interceptors=[DomainInterceptor()])
    handler = grpc.unary_unary_rpc_method_handler(aborting)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Aborting", {"Call": handler})])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await opened.unary_unary("/test.Aborting/Call")(b"")
    finally:
        await server.stop(None)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert caught.value.details() == "too many documents at once"
