"""The platform as real processes for end-to-end tests, on free ports, with its own NATS instance and database.

Every service requires mutual TLS: tests call as a principal with its own client certificate of the
platform's dev CA. `channels[service]` makes each call as the principal its x-lienthong-actor metadata
names (presenting that principal's certificate; the header itself is not sent), and as `service:e2e` when
it names nobody; `connect(service, principal)` is a plain channel presenting `principal`'s certificate.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator

import grpc
import pytest

from lienthong.launcher.callers import ActingChannel
from lienthong.launcher.platform import SERVICES, Platform
from lienthong.launcher.testing import TEST_NATS_URL, delete_streams, fresh_database, isolated_platform_config

# Who the tests are when a call names nobody: a platform tool (the operator of the test platform).
E2E = "service:e2e"
Connect = Callable[[str, str], grpc.Channel]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The five services, the SMTP sink and a fresh database, shared by a module's tests: on the machine's NATS
    (LIENTHONG_TEST_NATS_URL, open) under an instance name of their own, else on an embedded NATS of their own
    set up as `make run` sets it up (TLS, one user per service with its permissions)."""
    data_dir = tmp_path_factory.mktemp("platform")
    nats_url = os.environ.get(TEST_NATS_URL) or None
    with fresh_database(data_dir / "unused.db") as database_url:
        running = Platform(isolated_platform_config(data_dir, nats_url, database_url))
        try:
            running.start()
            yield running
        finally:
            running.stop()
            if nats_url:
                asyncio.run(delete_streams(nats_url, running.config.instance))


@pytest.fixture(scope="module")
def channels(platform: Platform) -> Iterator[dict[str, ActingChannel]]:
    opened = {service: platform.callers.acting(service, E2E) for service in SERVICES}
    yield opened
    for channel in opened.values():
        channel.close()


@pytest.fixture(scope="module")
def connect(platform: Platform) -> Iterator[Connect]:
    """`connect(service, principal)`: a channel to `service` presenting `principal`'s client certificate."""
    opened: dict[tuple[str, str], grpc.Channel] = {}

    def open_channel(service: str, principal: str) -> grpc.Channel:
        if (service, principal) not in opened:
            opened[service, principal] = platform.callers.channel(service, principal)
        return opened[service, principal]

    yield open_channel
    for channel in opened.values():
        channel.close()
