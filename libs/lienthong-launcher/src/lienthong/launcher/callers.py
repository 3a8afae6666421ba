"""How programs outside the platform call its services: `make run`'s seed, the drill, e2e tests, benchmarks.

Every service requires mutual TLS, and a caller is who its client certificate says. Each caller here gets
a certificate of the platform's dev CA naming its principal (`clerk@000.00.12.H41`, `service:launcher`),
issued on first use into `<data dir>/tls` (lienthong.signing.adapters.outbound.platformtls) and reused after that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc

from lienthong.grpcserver.authentication import ACTOR_METADATA_KEY
from lienthong.grpcserver.channels import CHANNEL_OPTIONS
from lienthong.grpcserver.tls import TlsConfig
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory

# The launcher's own principal (health checks, seeding the agency registry); a service principal, so it
# may also act on behalf of a user by naming them in x-lienthong-actor.
LAUNCHER = "service:launcher"


@dataclass(frozen=True)
class Callers:
    """Blocking channels to the services at `addresses`, each as a principal with a certificate from `tls`."""

    tls: TlsDirectory
    addresses: Mapping[str, str]

    def credentials(self, principal: str = LAUNCHER) -> grpc.ChannelCredentials:
        files = self.tls.client(principal)
        return TlsConfig.from_files(files.ca, files.cert, files.key).channel_credentials()

    def channel(self, service: str, principal: str = LAUNCHER) -> grpc.Channel:
        """A new channel to `service` as `principal`; the caller closes it."""
        return grpc.secure_channel(
            self.addresses[service], self.credentials(principal), options=options_for(self.addresses[service])
        )

    @contextmanager
    def opened(self, service: str, principal: str = LAUNCHER) -> Iterator[grpc.Channel]:
        """A channel to `service` as `principal`, closed at the end of the block."""
        with self.channel(service, principal) as channel:
            yield channel

    def acting(self, service: str, default: str = LAUNCHER) -> ActingChannel:
        """A channel to `service` whose calls are made as the principal their x-lienthong-actor names
        (`default` when they name none), each with that principal's own certificate."""
        return ActingChannel(self.addresses[service], self.credentials, default)


Metadata = tuple[tuple[str, str], ...]


def options_for(address: str) -> list[tuple[str, str]]:
    """Round robin over the addresses; for a list of addresses (`ipv4:127.0.0.1:1,127.0.0.1:2`, the
    replicas of a service), certificates are checked against the host they share, not the list."""
    if address.startswith("ipv4:") and "," in address:
        host = address.removeprefix("ipv4:").split(",")[0].rsplit(":", 1)[0]
        return [*CHANNEL_OPTIONS, ("grpc.ssl_target_name_override", host)]
    return list(CHANNEL_OPTIONS)


class ActingChannel(grpc.Channel):
    """A channel that makes each call as the principal its `x-lienthong-actor` metadata names: it presents
    that principal's certificate (one connection per principal, `credentials(principal)`) and sends the
    header on only with `keep_header` (a service certificate acting on behalf of someone).

    So a caller written as "this call acts as clerk@X" needs no channel per principal, and the services
    still learn who acts from the certificate alone.
    """

    def __init__(
        self,
        address: str,
        credentials: Callable[[str], grpc.ChannelCredentials],
        default: str,
        *,
        keep_header: bool = False,
    ) -> None:
        self._address = address
        self._credentials = credentials
        self._default = default
        self._keep_header = keep_header
        self._channels: dict[str, grpc.Channel] = {}

    def channel(self, principal: str) -> grpc.Channel:
        """The connection that presents `principal`'s certificate."""
        if principal not in self._channels:
            self._channels[principal] = grpc.secure_channel(
                self._address, self._credentials(principal), options=options_for(self._address)
            )
        return self._channels[principal]

    def _bind(self, kind: str, method: str, serializer: Any, deserializer: Any) -> Any:
        def call(request: Any, *, metadata: Metadata | None = None, **kwargs: Any) -> Any:
            named = [value for key, value in metadata or () if key == ACTOR_METADATA_KEY]
            principal = named[0] if named else self._default
            rest = tuple(item for item in metadata or () if item[0] != ACTOR_METADATA_KEY or self._keep_header)
            multicallable = getattr(self.channel(principal), kind)(method, serializer, deserializer)
            return multicallable(request, metadata=rest, **kwargs)

        return call

    def unary_unary(
        self, method: str, request_serializer: Any = None, response_deserializer: Any = None, **_: Any
    ) -> Any:
        return self._bind("unary_unary", method, request_serializer, response_deserializer)

    def unary_stream(
        self, method: str, request_serializer: Any = None, response_deserializer: Any = None, **_: Any
    ) -> Any:
        return self._bind("unary_stream", method, request_serializer, response_deserializer)

    def stream_unary(
        self, method: str, request_serializer: Any = None, response_deserializer: Any = None, **_: Any
    ) -> Any:
        return self._bind("stream_unary", method, request_serializer, response_deserializer)

    def stream_stream(
        self, method: str, request_serializer: Any = None, response_deserializer: Any = None, **_: Any
    ) -> Any:
        return self._bind("stream_stream", method, request_serializer, response_deserializer)

    def subscribe(self, callback: Any, try_to_connect: bool = False) -> None:
        raise NotImplementedError("an acting channel has one connection per principal: subscribe to channel(p)")

    def unsubscribe(self, callback: Any) -> None:
        raise NotImplementedError("an acting channel has one connection per principal")

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()

    def __enter__(self) -> ActingChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
