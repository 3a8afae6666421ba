"""Wiring of the signing service: key store, development CA, certificate registry, relay, server."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from lienthong.audit.accesslog import AccessLogBook
from lienthong.audit.checkpoints import SignedCheckpoints
from lienthong.audit.service import audit_service
from lienthong.consumer.pipeline import operations_service
from lienthong.eventstore import store_environment
from lienthong.eventstore.chain import ChainSealer
from lienthong.grpcserver import Service, Settings, open_channel, run_service, serve
from lienthong.identifiers_client import AgencyRegistry
from lienthong.leases import Fence, SingleActive, lease_for
from lienthong.relay import EventRelay, NatsLink, StreamNames
from lienthong.signing.adapters.inbound.api import SigningServicer
from lienthong.signing.adapters.inbound.config import SigningConfig
from lienthong.signing.adapters.inbound.devca_http import DevCaHttpServer
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.engine import EnginePool, EngineSettings
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore, KeyStore
from lienthong.signing.adapters.outbound.pkcs11store import Pkcs11KeyStore
from lienthong.signing.application.app import SigningApp
from lienthong.signing.application.encryption import EncryptionKeys
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
    app = SigningApp(store_environment(SERVICE, settings.database_url))
    identifiers = open_channel("identifiers")
    engines = EnginePool(
        EngineSettings(
            settings.data_dir / "signing",
            config.passphrase,
            tsa_url=config.tsa_url,
            trust_anchors_pem=b"".join(a.public_bytes(serialization.Encoding.PEM) for a in config.trust_anchors),
            pkcs11_module=config.pkcs11.module if config.pkcs11 else None,
            pkcs11_token=config.pkcs11.token if config.pkcs11 else "",
            pkcs11_pin=config.pkcs11.pin if config.pkcs11 else "",
        ),
        workers=config.workers or 1,
        processes=config.workers > 0,
    )
    servicer = SigningServicer(
        app,
        ca,
        keys,
        AgencyRegistry(identifiers, ttl=0),  # a seal certificate names the agency as registered now
        engines=engines,
        level=config.level,
        trust_anchors=config.trust_anchors,
        encryption=encryption,
    )
    link = NatsLink(settings.nats_url, name=SERVICE)
    # One replica at a time relays, seals the chain and has it signed: the holder of the service's lease.
    fence = Fence(lease_for(app.engine, SERVICE))
    relay = EventRelay(app, link, service=SERVICE, names=StreamNames(settings.instance), guard=fence.check)
    single = SingleActive(
        fence,
        [
            relay.run,
            ChainSealer(app, fence.check).run,
            SignedCheckpoints(app, SERVICE, servicer, guard=fence.check).run,
        ],
        name=SERVICE,
    )

    async def close() -> None:
        await identifiers.close(None)
        await link.close()
        if http is not None:
            http.close()
        if token is not None:
            token.close()
        engines.close()

    await serve(
        settings,
        [
            Service(
                signing_pb2.DESCRIPTOR.services_by_name["SigningService"].full_name,
                lambda server: signing_pb2_grpc.add_SigningServiceServicer_to_server(servicer, server),
            ),
            audit_service(app, SERVICE),
            operations_service(SERVICE, [], app=app, relay=relay),
        ],
        background=[single.run],
        cleanup=[close],
        record_denial=AccessLogBook(app).denied,
    )


if __name__ == "__main__":
    main()
