"""Wiring of the documents service: configuration, event store, registers, relay, clients, server."""

from __future__ import annotations

import os

from lienthong.audit.accesslog import AccessLogBook
from lienthong.audit.checkpoints import SignedCheckpoints
from lienthong.audit.service import audit_service
from lienthong.consumer import LocalFollower
from lienthong.consumer.pipeline import Reader, operations_service
from lienthong.documents.adapters.inbound.api_records import RecordsServicer
from lienthong.documents.adapters.inbound.edxml_api import EdxmlDocumentsServicer
from lienthong.documents.adapters.outbound.configured_blobs import blob_store_from_env
from lienthong.documents.adapters.outbound.gateways import KeyCustodian, SealSigner
from lienthong.documents.adapters.outbound.metering import DocumentMetrics
from lienthong.documents.adapters.outbound.xml_signer import XmlSealer
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.application.edxml_exchange import EdxmlExchange
from lienthong.documents.application.longterm import LongTermExtender
from lienthong.documents.application.recordkeeping import RecordUseCases
from lienthong.documents.application.usecases import DocumentUseCases
from lienthong.documents.projections.records import RecordsRegister
from lienthong.documents.projections.registers import Registers
from lienthong.documents.v1 import documents_pb2, documents_pb2_grpc, records_pb2, records_pb2_grpc
from lienthong.eventstore import store_environment
from lienthong.eventstore.chain import ChainSealer
from lienthong.grpcserver import Service, Settings, open_channel, run_service, serve
from lienthong.identifiers_client import AgencyRegistry
from lienthong.leases import Fence, SingleActive, lease_for
from lienthong.relay import EventRelay, NatsLink, StreamNames

SERVICE = "documents"


def main() -> None:
    run_service(SERVICE, run)


async def run(settings: Settings) -> None:
    app = DocumentsApp(store_environment(SERVICE, settings.database_url))
    app.add_save_observer(DocumentMetrics().observe)
    registers = Registers(app.engine)
    follower = LocalFollower(app, registers, service=SERVICE)
    records_register = RecordsRegister(app.engine)
    records_follower = LocalFollower(app, records_register, service=SERVICE)
    identifiers = open_channel("identifiers")
    signing = open_channel("signing")
    directory = AgencyRegistry(identifiers)
    blobs = blob_store_from_env(settings.data_dir)
    signer = SealSigner(signing)
    usecases = DocumentUseCases(
        app,
        registers,
        follower,
        blobs,
        directory,
        signer,
        route_to_successor=os.environ.get("LIENTHONG_ROUTE_TO_SUCCESSOR", "yes").lower() in ("1", "yes", "true"),
        custodian=KeyCustodian(signing),
    )
    exchange = EdxmlExchange(app, registers, follower, blobs, directory, XmlSealer(signing))
    servicer = EdxmlDocumentsServicer(usecases, exchange)
    records = RecordsServicer(RecordUseCases(app, records_register, records_follower, blobs))
    link = NatsLink(settings.nats_url, name=SERVICE)
    names = StreamNames(settings.instance)
    long_term = LongTermExtender(app, registers, follower, blobs, signer)
    # One replica at a time relays, seals the chain and has it signed: the holder of the service's lease.
    fence = Fence(lease_for(app.engine, SERVICE))
    relay = EventRelay(app, link, service=SERVICE, names=names, guard=fence.check)
    single = SingleActive(
        fence,
        [
            relay.run,
            long_term.run,
            ChainSealer(app, fence.check).run,
            SignedCheckpoints(app, SERVICE, guard=fence.check).run,
        ],
        name=SERVICE,
    )

    async def close() -> None:
        await identifiers.close(None)
        await signing.close(None)
        await link.close()

    await serve(
        settings,
        [
            Service(
                documents_pb2.DESCRIPTOR.services_by_name["DocumentsService"].full_name,
                lambda server: documents_pb2_grpc.add_DocumentsServiceServicer_to_server(servicer, server),
            ),
            Service(
                records_pb2.DESCRIPTOR.services_by_name["RecordsService"].full_name,
                lambda server: records_pb2_grpc.add_RecordsServiceServicer_to_server(records, server),
            ),
            audit_service(app, SERVICE, usecases.authorise_audit),
            operations_service(
                SERVICE,
                [Reader(registers.name, registers), Reader(records_register.name, records_register)],
                app=app,
                relay=relay,
            ),
        ],
        background=[single.run, follower.run, records_follower.run, lambda: directory.watch(link, names)],
        cleanup=[close],
        record_denial=AccessLogBook(app).denied,
    )


if __name__ == "__main__":
    main()
