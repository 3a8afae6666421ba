"""The console's channels to the services, each call made as the person signed in.

In development (`dev` sign-in) every person gets a certificate of the platform's dev CA naming them, issued on
first use as the CLI's `--as` does, and the console presents it: the services see that person and nobody
else. Behind a proxy (`header`, `client-cert`) the console has no person's private key; it presents its own
certificate (`service:console`, from `LIENTHONG_TLS_*`) and names the person in `x-lienthong-actor`, which
the services accept from a platform service only, and then authorise and log as that person.
"""

from __future__ import annotations

import asyncio
import socket
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from lienthong.grpcserver.authentication import ACTOR_METADATA_KEY
from lienthong.grpcserver.channels import CHANNEL_OPTIONS
from lienthong.grpcserver.settings import address_of
from lienthong.grpcserver.tls import TlsConfig, TlsNotConfigured

SERVICES = ("identifiers", "documents", "signing", "email", "reporting")
AUDITED = ("identifiers", "documents", "signing", "email")  # the services that keep event logs
Metadata = tuple[tuple[str, str], ...]
OPEN_CHANNELS = 256  # principal × service pairs kept open; the least recently used is closed beyond that


class Backends:
    """`channel(service, principal)`: an asyncio channel presenting whom `credentials_for(principal)` gives;
    `metadata(principal)`: what each call sends besides (the actor header when acting on behalf)."""

    def __init__(self, credentials_for: Callable[[str], grpc.ChannelCredentials], *, on_behalf: bool) -> None:
        self._credentials_for = credentials_for
        self._on_behalf = on_behalf
        self._channels: OrderedDict[tuple[str, str], grpc.aio.Channel] = OrderedDict()

    @classmethod
    def development(cls, data_dir: Path) -> Backends:
        """Each person presents their own certificate of the dev CA in `data_dir` (issued on first use)."""
        from lienthong.signing.adapters.outbound.platformtls import TlsDirectory, platform_ca

        if not (data_dir / "signing" / "ca" / "root.pem").exists():
            raise TlsNotConfigured(f"no dev CA in {data_dir}: start the platform with `make run` first")
        directory = TlsDirectory(data_dir / "tls", platform_ca(data_dir))

        def credentials(principal: str) -> grpc.ChannelCredentials:
            files = directory.client(principal)
            return TlsConfig.from_files(files.ca, files.cert, files.key).channel_credentials()

        return cls(credentials, on_behalf=False)

    @classmethod
    def on_behalf(cls, tls: TlsConfig) -> Backends:
        """The console's own certificate for every call, naming the person acted for."""
        credentials = tls.channel_credentials()
        return cls(lambda _: credentials, on_behalf=True)

    def channel(self, service: str, principal: str, replica: str = "") -> grpc.aio.Channel:
        """A channel to `service`, or to one replica of it at `replica` (`ip:port`, see `replicas`), which
        presents the service's certificate for the service's host name."""
        key = (f"{service}@{replica}" if replica else service, principal if not self._on_behalf else "")
        channel = self._channels.get(key)
        if channel is None:
            credentials = self._credentials_for(principal)
            host = address_of(service).rpartition(":")[0]
            channel = grpc.aio.secure_channel(
                replica or address_of(service),
                credentials,
                options=[*CHANNEL_OPTIONS, ("grpc.ssl_target_name_override", host)] if replica else CHANNEL_OPTIONS,
                interceptors=aio_client_interceptors(),  # type: ignore[no-untyped-call]
            )
            self._channels[key] = channel
            while len(self._channels) > OPEN_CHANNELS:
                _, oldest = self._channels.popitem(last=False)
                asyncio.get_running_loop().create_task(oldest.close(None))
        else:
            self._channels.move_to_end(key)
        return channel

    async def replicas(self, service: str) -> list[str]:
        """The addresses (`ip:port`) the service's host name resolves to: every replica behind a headless
        Kubernetes Service, the one virtual address of a ClusterIP Service, 127.0.0.1 under `make run`."""
        host, _, port = address_of(service).rpartition(":")
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
        except OSError:
            return [address_of(service)]
        addresses = sorted({f"[{a[4][0]}]:{port}" if ":" in a[4][0] else f"{a[4][0]}:{port}" for a in found})
        return addresses or [address_of(service)]

    def metadata(self, principal: str) -> Metadata:
        return ((ACTOR_METADATA_KEY, principal),) if self._on_behalf else ()

    async def close(self) -> None:
        channels, self._channels = list(self._channels.values()), OrderedDict()
        for channel in channels:
            await channel.close(None)
