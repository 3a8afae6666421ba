"""How programs outside the platform call its services: `make run`'s seed, the drill, e2e tests, benchmarks.

Every service requires mutual TLS, and a caller is who its client certificate says. Each caller here gets
a certificate of the platform's dev CA naming its principal (`clerk@000.00.12.H41`, `service:launcher`),
issued on first use into `<data dir>/tls` (lienthong.signing.platformtls) and reused after that.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import grpc

from lienthong.grpcserver.tls import TlsConfig
from lienthong.signing.platformtls import TlsDirectory

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
        return grpc.secure_channel(self.addresses[service], self.credentials(principal))

    @contextmanager
    def opened(self, service: str, principal: str = LAUNCHER) -> Iterator[grpc.Channel]:
        """A channel to `service` as `principal`, closed at the end of the block."""
        with self.channel(service, principal) as channel:
            yield channel
