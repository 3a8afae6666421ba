"""Wiring of the documents service: configuration, event store, registers, relay, clients, server."""

from __future__ import annotations

import os

from lienthong.audit.accesslog import AccessLogBook
from lienthong.audit.checkpoints import SignedCheckpoints
from lienthong.audit.service import audit_service
from lienthong.consumer import LocalFollower
from lienthong.documents.api_records import RecordsServicer
from lienthong.documents.application import DocumentsApp
from lienthong.documents.blobs import blob_store_from_env
from lienthong.documents.edxml_api import EdxmlDocumentsServicer
from lienthong.documents.edxml_exchange import EdxmlExchange
from lienthong.documents.gateways import AgencyDirectory, KeyCustodian, SealSigner
from lienthong.documents.metering import DocumentMetrics
from lienthong.documents.projections.records import RecordsRegister
from lienthong.documents.projections.registers import Registers
from lienthong.documents.recordkeeping import RecordUseCases
from lienthong.documents.usecases import DocumentUseCases
from lienthong.documents.v1 import documents_pb2, documents_pb2_grpc, records_pb2, records_pb2_grpc
from lienthong.documents.xml_signer import XmlSealer
from lienthong.eventstore import store_environment
from lienthong.eventstore.chain import ChainSealer
from lienthong.grpcserver import Service, Settings, open_channel, run_service, serve
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
    directory = AgencyDirectory(identifiers)
    blobs = blob_store_from_env(settings.data_dir)
    usecases = DocumentUseCases(
        app,
        registers,
        follower,
        blobs,
        directory,
        SealSigner(signing),
        route_to_successor=os.environ.get("LIENTHONG_ROUTE_TO_SUCCESSOR", "yes").lower() in ("1", "yes", "true"),
        custodian=KeyCustodian(signing),
    )
    exchange = EdxmlExchange(app, registers, follower, blobs, directory, XmlSealer(signing))
    servicer = EdxmlDocumentsServicer(usecases, exchange)
    records = RecordsServicer(RecordUseCases(app, records_register, records_follower, blobs))
    link = NatsLink(settings.nats_url, name=SERVICE)
    names = StreamNames(settings.instance)
    relay = EventRelay(app, link, service=SERVICE, names=names)

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
        ],
        background=[
            relay.run,
            follower.run,
            records_follower.run,
            lambda: directory.watch(link, names),
            ChainSealer(app).run,
            SignedCheckpoints(app, SERVICE).run,
        ],
        cleanup=[close],
        record_denial=AccessLogBook(app).denied,
    )


if __name__ == "__main__":
    main()
