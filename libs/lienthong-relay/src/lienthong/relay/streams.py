"""Stream and subject names, the NATS connection and the per-service JetStream stream."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.errors import NoServersError
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

from lienthong.relay.credentials import NatsCredentials

log = logging.getLogger(__name__)

# Long enough that a relay restarting after an outage still has its re-publishes de-duplicated.
DUPLICATE_WINDOW_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class StreamNames:
    """Names on NATS for one platform instance: subjects `<instance>.<service>.<aggregate>.<event>`.

    The instance (`LIENTHONG_INSTANCE`, default `lienthong`) lets several platforms, or several test
    runs, share one NATS server without seeing each other's messages.
    """

    instance: str = "lienthong"

    def stream(self, service: str) -> str:
        """The JetStream stream of a service, e.g. `LIENTHONG_DOCUMENTS`."""
        return re.sub(r"[^A-Za-z0-9_]", "_", f"{self.instance}_{service}").upper()

    def subjects(self, service: str) -> str:
        """The subject wildcard covering every event of a service."""
        return f"{self.instance}.{service}.>"

    def subject(self, service: str, aggregate: str, event: str) -> str:
        """The subject of one kind of event."""
        return f"{self.instance}.{service}.{_token(aggregate)}.{_token(event)}"


def _token(name: str) -> str:
    """`OutgoingDocument` → `outgoing_document`: a subject token without dots or wildcards."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return re.sub(r"[^a-z0-9_-]", "_", snake)


async def connect_nats(url: str, name: str, credentials: NatsCredentials | None = None) -> Client:
    """Connect to NATS, reconnecting forever: a NATS outage delays messages, it never loses them.

    `credentials` (default: from the environment, see `lienthong.relay.credentials`) name the user and TLS.
    """
    options = (credentials if credentials is not None else NatsCredentials.from_env()).connect_options()

    async def on_error(error: Exception) -> None:
        log.warning("nats error: %s", error)

    async def on_disconnect() -> None:
        log.warning("nats disconnected")

    async def on_reconnect() -> None:
        log.info("nats reconnected")

    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        **options,
    )


class NatsLink:
    """A NATS connection made on first use and retried until NATS answers.

    A service starts and serves its gRPC API while NATS is down: its events wait in the event store
    (the outbox) and its consumers wait for the link, instead of the process failing to start.
    """

    def __init__(self, url: str, name: str, credentials: NatsCredentials | None = None) -> None:
        self._url = url
        self._name = name
        self._credentials = credentials if credentials is not None else NatsCredentials.from_env()
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """The connection, connecting first (and retrying every second) if need be."""
        async with self._lock:
            while self._client is None:
                try:
                    self._client = await connect_nats(self._url, self._name, self._credentials)
                except (NoServersError, OSError, TimeoutError) as error:
                    log.warning("cannot reach NATS at %s, retrying: %s", self._url, error)
                    await asyncio.sleep(1.0)
            return self._client

    def another(self) -> NatsLink:
        """A second, separate link with the same server, name and credentials: for a loop of its own (a
        connection belongs to the event loop that made it)."""
        return NatsLink(self._url, self._name, self._credentials)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


async def ensure_stream(js: JetStreamContext, names: StreamNames, service: str) -> None:
    """Create (or bring up to date) the file-backed stream that holds a service's events.

    `LIENTHONG_STREAM_REPLICAS` (default 1) sets how many JetStream servers keep a copy: 3 on a 3-node cluster.
    """
    config = StreamConfig(
        name=names.stream(service),
        subjects=[names.subjects(service)],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=int(os.environ.get("LIENTHONG_STREAM_REPLICAS", "1")),
    )
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)
