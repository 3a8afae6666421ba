"""Wiring of the signing service: key store, development CA, certificate registry, relay, server."""

from __future__ import annotations

from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.api import TimeStamper

from lienthong.audit.accesslog import AccessLogBook
from lienthong.audit.checkpoints import SignedCheckpoints
from lienthong.audit.service import audit_service
from lienthong.eventstore import store_environment
from lienthong.eventstore.chain import ChainSealer
from lienthong.grpcserver import Service, Settings, open_channel, run_service, serve
from lienthong.relay import EventRelay, NatsLink, StreamNames
from lienthong.signing.agencies import AgencyNames
from lienthong.signing.api import SigningServicer
from lienthong.signing.application import SigningApp
from lienthong.signing.config import SigningConfig
from lienthong.signing.devca import DevCertificateAuthority
from lienthong.signing.devca_http import DevCaHttpServer
from lienthong.signing.encryption import EncryptionKeys
from lienthong.signing.keystore import EncryptedFileKeyStore, KeyStore
from lienthong.signing.pkcs11store import Pkcs11KeyStore
from lienthong.signing.v1 import signing_pb2, signing_pb2_grpc

SERVICE = "signing"


def main() -> None:
    run_service(SERVICE, run)


async def run(settings: Settings) -> None:
    config = SigningConfig.from_env()
    ca_keys = EncryptedFileKeyStore(settings.data_dir / "signing" / "keys", config.passphrase)
    # Agencies' keys for confidential documents: in the encrypted file store even when seals are on a token.
    encryption = EncryptionKeys(EncryptedFileKeyStore(settings.data_dir / "signing" / "encryption", config.passphrase))
    token = Pkcs11KeyStore(config.pkcs11.module, config.pkcs11.token, config.pkcs11.pin) if config.pkcs11 else None
    keys: KeyStore = token or ca_keys
    ca = DevCertificateAuthority(settings.data_dir / "signing" / "ca", ca_keys, holder_keys=keys)
    http = DevCaHttpServer(ca, *config.devca_http_addr).start() if config.devca_http_addr else None
    timestamper: TimeStamper = HTTPTimeStamper(config.tsa_url) if config.tsa_url else ca.timestamper()
    app = SigningApp(store_environment(SERVICE, settings.database_url))
    identifiers = open_channel("identifiers")
    servicer = SigningServicer(
        app,
        ca,
        keys,
        AgencyNames(identifiers),
        timestamper=timestamper,
        level=config.level,
        trust_anchors=config.trust_anchors,
        encryption=encryption,
    )
    link = NatsLink(settings.nats_url, name=SERVICE)
    relay = EventRelay(app, link, service=SERVICE, names=StreamNames(settings.instance))

    async def close() -> None:
        await identifiers.close(None)
        await link.close()
        if http is not None:
            http.close()
        if token is not None:
            token.close()

    await serve(
        settings,
        [
            Service(
                signing_pb2.DESCRIPTOR.services_by_name["SigningService"].full_name,
                lambda server: signing_pb2_grpc.add_SigningServiceServicer_to_server(servicer, server),
            ),
            audit_service(app, SERVICE),
        ],
        background=[relay.run, ChainSealer(app).run, SignedCheckpoints(app, SERVICE, servicer).run],
        cleanup=[close],
        record_denial=AccessLogBook(app).denied,
    )


if __name__ == "__main__":
    main()
