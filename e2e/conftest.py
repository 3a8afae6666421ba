"""The platform as real processes for end-to-end tests, on free ports, with its own NATS instance and database."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import grpc
import pytest

from lienthong.launcher.platform import SERVICES, Platform
from lienthong.launcher.testing import TEST_NATS_URL, delete_streams, fresh_database, isolated_platform_config


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
def channels(platform: Platform) -> Iterator[dict[str, grpc.Channel]]:
    opened = {service: grpc.insecure_channel(platform.config.address(service)) for service in SERVICES}
    yield opened
    for channel in opened.values():
        channel.close()
