"""Stream and subject names, the NATS connection and the per-service JetStream stream."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

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


async def connect_nats(url: str, name: str) -> Client:
    """Connect to NATS, reconnecting forever: a NATS outage delays messages, it never loses them."""

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
    )


async def ensure_stream(js: JetStreamContext, names: StreamNames, service: str) -> None:
    """Create (or bring up to date) the file-backed stream that holds a service's events."""
    config = StreamConfig(
        name=names.stream(service),
        subjects=[names.subjects(service)],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)
