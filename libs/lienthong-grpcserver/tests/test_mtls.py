"""Mutual TLS: only callers with a certificate of the platform CA get in, and they act as its principal."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lienthong.eventstore import current_actor, event_context
from lienthong.grpcserver import Settings, TlsConfig, TlsNotConfigured, open_channel, serve
from lienthong.grpcserver.channels import ACTOR_METADATA_KEY
from lienthong.grpcserver.interceptors import DomainInterceptor
from lienthong.launcher.ports import free_port
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory, TlsFiles

CLERK = "clerk@000.00.12.H41"


async def whoami(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    return current_actor().encode()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsDirectory:
    return TlsDirectory.of_platform(tmp_path_factory.mktemp("platform"))


@pytest.fixture
async def address(tls: TlsDirectory) -> AsyncIterator[str]:
    """A server requiring a client certificate of the platform CA, answering who the caller is."""
    server = grpc.aio.server(interceptors=[DomainInterceptor()])
    handler = grpc.unary_unary_rpc_method_handler(whoami)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Who", {"AmI": handler})])
    files = tls.server("documents")
    port = server.add_secure_port(
        "127.0.0.1:0", TlsConfig.from_files(files.ca, files.cert, files.key).server_credentials()
    )
    await server.start()
    yield f"127.0.0.1:{port}"
    await server.stop(None)


def _config(files: TlsFiles) -> TlsConfig:
    return TlsConfig.from_files(files.ca, files.cert, files.key)


async def _who(address: str, credentials: grpc.ChannelCredentials, metadata: tuple[tuple[str, str], ...] = ()) -> str:
    async with grpc.aio.secure_channel(address, credentials) as channel:
        answer: bytes = await channel.unary_unary("/test.Who/AmI")(b"", metadata=metadata, timeout=10)
        return answer.decode()


async def test_a_call_without_a_client_certificate_fails(address: str, tls: TlsDirectory) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _who(address, grpc.ssl_channel_credentials(tls.ca_file.read_bytes()))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_call_without_tls_fails(address: str) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await channel.unary_unary("/test.Who/AmI")(b"", timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_certificate_of_another_ca_fails(address: str, tls: TlsDirectory, tmp_path: Path) -> None:
    stranger = TlsDirectory.of_platform(tmp_path).client(CLERK)
    credentials = grpc.ssl_channel_credentials(
        tls.ca_file.read_bytes(), stranger.key.read_bytes(), stranger.cert.read_bytes()
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _who(address, credentials)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_the_certificate_s_principal_is_the_actor(address: str, tls: TlsDirectory) -> None:
    credentials = _config(tls.client(CLERK)).channel_credentials()
    assert await _who(address, credentials) == CLERK
    assert await _who(address, credentials, ((ACTOR_METADATA_KEY, CLERK),)) == CLERK


async def test_a_caller_cannot_name_someone_else(address: str, tls: TlsDirectory) -> None:
    credentials = _config(tls.client(CLERK)).channel_credentials()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _who(address, credentials, ((ACTOR_METADATA_KEY, "leader@000.00.12.H41"),))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert caught.value.details() == (
        "x-lienthong-actor names 'leader@000.00.12.H41', but the client certificate is "
        "'clerk@000.00.12.H41''s: only platform services act on behalf of others"
    )


async def test_a_service_acts_on_behalf_of_a_user(address: str, tls: TlsDirectory) -> None:
    credentials = _config(tls.server("email")).channel_credentials()
    assert await _who(address, credentials) == "service:email"
    assert await _who(address, credentials, ((ACTOR_METADATA_KEY, CLERK),)) == CLERK
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _who(address, credentials, ((ACTOR_METADATA_KEY, "root"),))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_service_s_channel_presents_the_service_whoever_its_request_runs_for(
    address: str, tls: TlsDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_SIGNING_ADDR", address)
    channel = open_channel("signing", _config(tls.server("documents")))
    try:
        call = channel.unary_unary("/test.Who/AmI")
        with event_context("leader@000.00.12.H41"):
            assert await call(b"", timeout=10) == b"service:documents"
            named = await call(b"", metadata=((ACTOR_METADATA_KEY, "leader@000.00.12.H41"),), timeout=10)
            assert named == b"leader@000.00.12.H41"
    finally:
        await channel.close(None)


async def test_a_service_does_not_start_without_its_tls_files(tmp_path: Path) -> None:
    settings = Settings("documents", tmp_path, "sqlite://", "nats://127.0.0.1:1", "t", "127.0.0.1:0", 1.0)
    with pytest.raises(TlsNotConfigured, match="LIENTHONG_TLS_CA, LIENTHONG_TLS_CERT, LIENTHONG_TLS_KEY"):
        await serve(settings, [])


async def test_a_service_serves_over_mtls_and_health_alone_without_tls_for_probes(
    tls: TlsDirectory, tmp_path: Path
) -> None:
    files = tls.server("reporting")
    listen, health = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    settings = Settings(
        "reporting",
        tmp_path,
        "sqlite://",
        "nats://127.0.0.1:1",
        "t",
        listen,
        1.0,
        (files.ca, files.cert, files.key),
        health,
    )
    served = asyncio.create_task(serve(settings, []))
    try:
        async with grpc.aio.insecure_channel(health) as channel:
            probe = health_pb2_grpc.HealthStub(channel)
            answer = await probe.Check(health_pb2.HealthCheckRequest(), timeout=10, wait_for_ready=True)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.aio.AioRpcError) as other:
                await channel.unary_unary("/test.Who/AmI")(b"", timeout=10)
            assert other.value.code() == grpc.StatusCode.UNIMPLEMENTED
        async with grpc.aio.secure_channel(listen, _config(tls.client(CLERK)).channel_credentials()) as channel:
            answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        os.kill(os.getpid(), signal.SIGTERM)  # serve() stops on SIGTERM, as in a pod
        await served
