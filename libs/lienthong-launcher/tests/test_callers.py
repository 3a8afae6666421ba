"""Callers outside the platform: each call presents the certificate of the principal it acts as."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from lienthong.grpcserver.authentication import ACTOR_METADATA_KEY
from lienthong.grpcserver.tls import TlsConfig
from lienthong.launcher.callers import Callers
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory


def whoami(request: bytes, context: grpc.ServicerContext) -> bytes:
    """The principal of the caller's certificate, and the actor header it sent, if any."""
    certificate = context.auth_context()["x509_common_name"][0]
    header = dict(context.invocation_metadata()).get(ACTOR_METADATA_KEY, "")
    return certificate + b"|" + str(header).encode()


@pytest.fixture
def callers(tmp_path: Path) -> Iterator[Callers]:
    tls = TlsDirectory.of_platform(tmp_path)
    files = tls.server("documents")
    server = grpc.server(futures.ThreadPoolExecutor(2))
    handler = grpc.unary_unary_rpc_method_handler(whoami)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Who", {"AmI": handler})])
    credentials = TlsConfig.from_files(files.ca, files.cert, files.key).server_credentials()
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    yield Callers(tls, {"documents": f"127.0.0.1:{port}"})
    server.stop(None)


def test_an_acting_channel_presents_the_named_principal_s_certificate_instead_of_the_header(
    callers: Callers,
) -> None:
    with callers.acting("documents") as channel:
        call = channel.unary_unary("/test.Who/AmI", None, None)
        assert call(b"", timeout=10) == b"service:launcher|"
        assert call(b"", metadata=((ACTOR_METADATA_KEY, "clerk@000.00.12.H41"),), timeout=10) == b"clerk@000.00.12.H41|"
        assert call(b"", metadata=((ACTOR_METADATA_KEY, "leader@000.00.12.H41"),), timeout=10) == (
            b"leader@000.00.12.H41|"
        )


def test_a_plain_channel_is_its_principal(callers: Callers) -> None:
    with callers.opened("documents", "auditor@000.00.00.H41") as channel:
        assert channel.unary_unary("/test.Who/AmI", None, None)(b"", timeout=10) == b"auditor@000.00.00.H41|"
