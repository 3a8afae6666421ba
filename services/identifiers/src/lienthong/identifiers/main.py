"""Wiring of the identifiers service: configuration, event store, registry read model, relay, server."""

from __future__ import annotations

import asyncio

from lienthong.audit.accesslog import AccessLogBook
from lienthong.audit.checkpoints import SignedCheckpoints
from lienthong.audit.service import audit_service
from lienthong.consumer import LocalFollower
from lienthong.consumer.pipeline import Reader, operations_service
from lienthong.eventstore import store_environment
from lienthong.eventstore.chain import ChainSealer
from lienthong.grpcserver import Service, Settings, run_service, serve
from lienthong.identifiers.adapters.inbound.api import IdentifiersServicer
from lienthong.identifiers.application.app import IdentifiersApp
from lienthong.identifiers.projections.registry import Registry
from lienthong.identifiers.v1 import identifiers_pb2, identifiers_pb2_grpc
from lienthong.leases import Fence, SingleActive, lease_for
from lienthong.relay import EventRelay, NatsLink, StreamNames

SERVICE = "identifiers"


def main() -> None:
    run_service(SERVICE, run)


async def run(settings: Settings) -> None:
    app = IdentifiersApp(store_environment(SERVICE, settings.database_url))
    registry = Registry(app.engine)
    follower = LocalFollower(app, registry, service=SERVICE)
    await asyncio.to_thread(follower.catch_up)
    servicer = IdentifiersServicer(app, registry, follower)
    link = NatsLink(settings.nats_url, name=SERVICE)
    # One replica at a time relays, seals the chain and has it signed: the holder of the service's lease.
    fence = Fence(lease_for(app.engine, SERVICE))
    relay = EventRelay(app, link, service=SERVICE, names=StreamNames(settings.instance), guard=fence.check)
    single = SingleActive(
        fence,
        [relay.run, ChainSealer(app, fence.check).run, SignedCheckpoints(app, SERVICE, guard=fence.check).run],
        name=SERVICE,
    )
    await serve(
        settings,
        [
            Service(
                identifiers_pb2.DESCRIPTOR.services_by_name["IdentifiersService"].full_name,
                lambda server: identifiers_pb2_grpc.add_IdentifiersServiceServicer_to_server(servicer, server),
            ),
            audit_service(app, SERVICE),
            operations_service(SERVICE, [Reader(registry.name, registry)], app=app, relay=relay),
        ],
        background=[single.run, follower.run],
        cleanup=[link.close],
        record_denial=AccessLogBook(app).denied,
    )


if __name__ == "__main__":
    main()
