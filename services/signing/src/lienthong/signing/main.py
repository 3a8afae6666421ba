"""Wiring of the signing service: key store, development CA, certificate registry, relay, server."""

from __future__ import annotations

import os

from lienthong.audit.service import audit_service
from lienthong.eventstore import store_environment
from lienthong.eventstore.chain import ChainSealer
from lienthong.grpcserver import Service, Settings, open_channel, run_service, serve
from lienthong.relay import EventRelay, NatsLink, StreamNames
from lienthong.signing.agencies import AgencyNames
from lienthong.signing.api import SigningServicer
from lienthong.signing.application import SigningApp
from lienthong.signing.devca import DevCertificateAuthority
from lienthong.signing.keystore import EncryptedFileKeyStore
from lienthong.signing.v1 import signing_pb2, signing_pb2_grpc

SERVICE = "signing"
# Only for development: production sets LIENTHONG_SIGNING_KEY_PASSPHRASE from a secret.
DEVELOPMENT_PASSPHRASE = "lienthong-development-only"


def main() -> None:
    run_service(SERVICE, run)


async def run(settings: Settings) -> None:
    passphrase = os.environ.get("LIENTHONG_SIGNING_KEY_PASSPHRASE", DEVELOPMENT_PASSPHRASE).encode()
    keys = EncryptedFileKeyStore(settings.data_dir / "signing" / "keys", passphrase)
    ca = DevCertificateAuthority(settings.data_dir / "signing" / "ca", keys)
    app = SigningApp(store_environment(SERVICE, settings.database_url))
    identifiers = open_channel("identifiers")
    servicer = SigningServicer(app, ca, keys, AgencyNames(identifiers))
    link = NatsLink(settings.nats_url, name=SERVICE)
    relay = EventRelay(app, link, service=SERVICE, names=StreamNames(settings.instance))

    async def close() -> None:
        await identifiers.close(None)
        await link.close()

    await serve(
        settings,
        [
            Service(
                signing_pb2.DESCRIPTOR.services_by_name["SigningService"].full_name,
                lambda server: signing_pb2_grpc.add_SigningServiceServicer_to_server(servicer, server),
            ),
            audit_service(app, SERVICE),
        ],
        background=[relay.run, ChainSealer(app).run],
        cleanup=[close],
    )


if __name__ == "__main__":
    main()
