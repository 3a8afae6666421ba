"""Each service's NATS user may publish only its own events and read only the streams it consumes, against a
real nats-server configured as `make run` configures it (users and permissions from lienthong.relay, TLS with
client certificates of the platform CA)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.api import StorageType, StreamConfig

from lienthong.consumer import StreamConsumer
from lienthong.events.v1 import events_pb2
from lienthong.launcher.nats_security import NatsSecurity, NatsTls
from lienthong.launcher.nats_server import NatsServer
from lienthong.launcher.ports import free_port
from lienthong.relay import NatsLink, StreamNames, ensure_stream
from lienthong.relay.topology import ADMIN, EMAIL_NOTIFICATIONS, REPORTING
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory, platform_ca

NAMES = StreamNames("lienthong")
REFUSED = (NatsError, TimeoutError)  # a request the server drops answers nothing: the client times out


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> NatsTls:
    """Certificates of a CA of this module's own (the platform's dev CA in a data directory of its own)."""
    data_dir = tmp_path_factory.mktemp("platform")
    return NatsTls.issue(TlsDirectory(data_dir / "tls", platform_ca(data_dir)))


@pytest.fixture
def security(tmp_path: Path, tls: NatsTls) -> NatsSecurity:
    return NatsSecurity.prepare(tmp_path / "credentials", NAMES, tls)


@pytest.fixture
def server(tmp_path: Path, security: NatsSecurity) -> Iterator[NatsServer]:
    running = NatsServer(free_port(), tmp_path / "nats", security=security)
    running.start()
    yield running
    running.stop()


@dataclass
class Connection:
    client: Client
    errors: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def told(self, text: str) -> bool:
        """Whether the server sends an error containing `text` (it reaches the error callback asynchronously,
        some time after the flush that follows the offending operation)."""
        while not any(text in error.lower() for error in self.errors):
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout=10)
            except TimeoutError:
                return False
        return True


@contextlib.asynccontextmanager
async def connected(server: NatsServer, security: NatsSecurity, user: str) -> AsyncIterator[Connection]:
    errors: list[str] = []
    arrived = asyncio.Event()

    async def on_error(error: Exception) -> None:
        errors.append(str(error))
        arrived.set()

    client = await nats.connect(
        server.url, error_cb=on_error, allow_reconnect=False, **security.credentials(user).connect_options()
    )
    connection = Connection(client, errors, arrived)
    try:
        yield connection
    finally:
        await connection.client.close()


def envelope(aggregate_id: str) -> bytes:
    return events_pb2.EventEnvelope(aggregate_id=aggregate_id).SerializeToString()


async def publish_event(connection: Connection, service: str, aggregate_id: str) -> None:
    js = connection.client.jetstream(timeout=2)
    await ensure_stream(js, NAMES, service)
    await js.publish(
        NAMES.subject(service, "Agency", "Added"), envelope(aggregate_id), headers={"Nats-Msg-Id": aggregate_id}
    )


async def stream_size(server: NatsServer, security: NatsSecurity, service: str) -> int:
    async with connected(server, security, ADMIN) as admin:
        info = await admin.client.jetstream().stream_info(NAMES.stream(service))
        return int(info.state.messages)


class Collected:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def last_position(self, stream: str) -> int:
        return 0

    def process(self, stream: str, position: int, envelope: events_pb2.EventEnvelope) -> None:
        self.ids.append(envelope.aggregate_id)

    def quarantine(self, stream: str, position: int, subject: str, data: bytes, reason: str) -> None:
        raise AssertionError(reason)


async def test_a_service_publishes_its_events_and_its_readers_consume_them(
    server: NatsServer, security: NatsSecurity
) -> None:
    async with connected(server, security, "documents") as documents:
        await publish_event(documents, "documents", "doc-1")
        await ensure_stream(documents.client.jetstream(timeout=2), NAMES, "documents")  # already there: no change
    for user, durable in (("email", EMAIL_NOTIFICATIONS), ("reporting", REPORTING)):
        link = NatsLink(server.url, user, security.credentials(user))
        sink = Collected()
        consumer = StreamConsumer(link, stream=NAMES.stream("documents"), durable=durable, sink=sink, fetch_timeout=0.5)
        try:
            assert await consumer.catch_up() == 1
        finally:
            await link.close()
        assert sink.ids == ["doc-1"]
    assert documents.errors == []


async def test_a_service_cannot_publish_to_another_services_subjects(
    server: NatsServer, security: NatsSecurity
) -> None:
    async with connected(server, security, "identifiers") as identifiers:
        await publish_event(identifiers, "identifiers", "agency-1")
    async with connected(server, security, "documents") as documents:
        js = documents.client.jetstream(timeout=1)
        with pytest.raises(REFUSED):
            await js.publish(NAMES.subject("identifiers", "Agency", "Added"), envelope("forged"))
        await documents.client.publish(NAMES.subject("identifiers", "Agency", "Dissolved"), envelope("forged"))
        await documents.client.flush()
        assert await documents.told("permissions violation for publish")
    assert await stream_size(server, security, "identifiers") == 1


async def test_a_service_cannot_create_update_or_delete_another_services_stream(
    server: NatsServer, security: NatsSecurity
) -> None:
    async with connected(server, security, "signing") as signing:
        js = signing.client.jetstream(timeout=1)
        with pytest.raises(REFUSED):
            await ensure_stream(js, NAMES, "email")
    async with connected(server, security, "email") as email:
        await publish_event(email, "email", "mail-1")
    async with connected(server, security, "reporting") as reporting:  # it reads the email stream, no more
        js = reporting.client.jetstream(timeout=1)
        with pytest.raises(REFUSED):
            await js.delete_stream(NAMES.stream("email"))
        with pytest.raises(REFUSED):
            await js.purge_stream(NAMES.stream("email"))
    assert await stream_size(server, security, "email") == 1


async def test_a_service_reads_only_the_streams_it_consumes(server: NatsServer, security: NatsSecurity) -> None:
    async with connected(server, security, "documents") as documents:
        await publish_event(documents, "documents", "doc-1")
    link = NatsLink(server.url, "signing", security.credentials("signing"))
    consumer = StreamConsumer(link, stream=NAMES.stream("documents"), durable="signing", sink=Collected())
    try:
        with pytest.raises(REFUSED):
            await consumer.catch_up()
    finally:
        await link.close()
    async with connected(server, security, "signing") as signing:
        await signing.client.subscribe(NAMES.subjects("documents"))
        await signing.client.flush()
        assert await signing.told("permissions violation for subscription")
    # nor under another durable's name on a stream it does read
    link = NatsLink(server.url, "reporting", security.credentials("reporting"))
    stolen = StreamConsumer(link, stream=NAMES.stream("documents"), durable=EMAIL_NOTIFICATIONS, sink=Collected())
    try:
        with pytest.raises(REFUSED):
            await stolen.catch_up()
    finally:
        await link.close()


async def test_a_service_brings_its_own_stream_up_to_date(server: NatsServer, security: NatsSecurity) -> None:
    async with connected(server, security, ADMIN) as admin:
        outdated = StreamConfig(
            name=NAMES.stream("signing"), subjects=[NAMES.subjects("signing")], storage=StorageType.FILE
        )
        await admin.client.jetstream().add_stream(outdated)
    async with connected(server, security, "signing") as signing:
        await publish_event(signing, "signing", "cert-1")
    async with connected(server, security, ADMIN) as admin:
        info = await admin.client.jetstream().stream_info(NAMES.stream("signing"))
    assert info.config.duplicate_window == 24 * 3600.0


async def refused(server: NatsServer, **options: Any) -> None:
    try:
        client = await nats.connect(server.url, allow_reconnect=False, max_reconnect_attempts=0, **options)
    except (NatsError, OSError):
        return
    await client.close()
    pytest.fail("the server let the connection in")


async def test_a_connection_without_the_right_password_is_refused(server: NatsServer, security: NatsSecurity) -> None:
    documents = security.credentials("documents").connect_options()
    client = await nats.connect(server.url, allow_reconnect=False, **documents)
    assert client.is_connected
    await client.close()
    await refused(server, tls=documents["tls"])
    await refused(server, **{**documents, "password": security.password_file("email").read_text().strip()})


async def test_a_connection_without_tls_is_refused(server: NatsServer, security: NatsSecurity) -> None:
    documents = security.credentials("documents").connect_options()
    del documents["tls"]
    await refused(server, **documents)


async def test_a_client_that_does_not_trust_the_platform_ca_is_refused(
    server: NatsServer, security: NatsSecurity, tls: NatsTls
) -> None:
    files = tls.clients["documents"]
    context = ssl.create_default_context()  # the system's CAs only
    context.load_cert_chain(files.cert, files.key)
    await refused(server, **{**security.credentials("documents").connect_options(), "tls": context})


async def test_a_client_without_a_certificate_of_the_platform_ca_is_refused(
    server: NatsServer, security: NatsSecurity, tls: NatsTls
) -> None:
    context = ssl.create_default_context(cafile=tls.server.ca)  # trusts the server, shows no certificate
    await refused(server, **{**security.credentials("documents").connect_options(), "tls": context})


def test_password_files_are_private_and_kept_across_restarts(tmp_path: Path) -> None:
    first = NatsSecurity.prepare(tmp_path / "credentials", NAMES)
    password = first.password_file("documents").read_text()
    again = NatsSecurity.prepare(tmp_path / "credentials", NAMES)
    assert again.password_file("documents").read_text() == password
    assert first.password_file("documents").stat().st_mode & 0o777 == 0o600
    assert password not in first.server_config()


async def test_the_operators_user_reads_and_deletes_streams_but_cannot_forge_events(
    server: NatsServer, security: NatsSecurity
) -> None:
    async with connected(server, security, "email") as email:
        await publish_event(email, "email", "mail-1")
    async with connected(server, security, ADMIN) as admin:
        js = admin.client.jetstream(timeout=1)
        assert (await js.get_msg(NAMES.stream("email"), 1)).subject == NAMES.subject("email", "Agency", "Added")
        with pytest.raises(REFUSED):
            await js.publish(NAMES.subject("email", "Agency", "Added"), envelope("forged"))
        assert await js.delete_stream(NAMES.stream("email"))
