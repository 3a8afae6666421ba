"""Wiring of the reporting service: read models, their JetStream consumers, gRPC server.

python -m lienthong.reporting.main           serve (LIENTHONG_* settings, see lienthong.grpcserver.settings)
python -m lienthong.reporting.main rebuild   empty the read models; the running service (or the next
                                             start) replays the identifiers, documents, signing and
                                             email streams from their first events
python -m lienthong.reporting.main rebuild --replay
                                             the same, then replay every stream to its end now, showing
                                             progress (events, total, rate, time left); the service
                                             may run meanwhile: the two take turns and lose nothing
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from nats.js.errors import NotFoundError
from sqlalchemy import create_engine, make_url

from lienthong.consumer import SqlProjection, StreamConsumer
from lienthong.consumer.pipeline import Reader, operations_service
from lienthong.grpcserver import Service, Settings, serve, setup_process
from lienthong.leases import Fence, SingleActive, lease_for
from lienthong.relay import NatsLink, StreamNames
from lienthong.relay.topology import REPORTING, REPORTING_REBUILD
from lienthong.reporting.adapters.inbound.api import ReportingServicer
from lienthong.reporting.application.reports import Reports
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.projections.agencies import AgencyTree
from lienthong.reporting.projections.certificates import CertificateRegistry
from lienthong.reporting.projections.mail import MailActivity
from lienthong.reporting.v1 import reporting_pb2, reporting_pb2_grpc

SERVICE = "reporting"
USAGE = "usage: python -m lienthong.reporting.main [rebuild [--replay]]"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env(SERVICE)
    match args:
        case []:
            setup_process(settings)
            asyncio.run(run(settings))
        case ["rebuild", *flags] if set(flags) <= {"--replay"}:
            models = read_models(settings)
            removed = sum(model.empty() for model in models.by_stream().values())
            print(f"reporting read models emptied ({removed} rows removed); they are fed again from the streams")
            if flags:
                asyncio.run(replay(settings, models))
        case _:
            sys.exit(USAGE)


@dataclass(frozen=True)
class ReadModels:
    """The read models of the service, each fed by one service's stream."""

    tree: AgencyTree
    activity: DocumentActivity
    certificates: CertificateRegistry
    mail: MailActivity

    def by_stream(self) -> dict[str, SqlProjection]:
        """Each read model under the service whose stream feeds it, in the order they are replayed."""
        return {"identifiers": self.tree, "documents": self.activity, "signing": self.certificates, "email": self.mail}

    def reports(self) -> Reports:
        return Reports(self.activity, self.tree, self.certificates, self.mail)


def read_models(settings: Settings) -> ReadModels:
    """The read models in the service's database (a SQLite file by default, whose folder is created)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    return ReadModels(AgencyTree(engine), DocumentActivity(engine), CertificateRegistry(engine), MailActivity(engine))


async def replay(settings: Settings, models: ReadModels) -> None:
    """Feed every read model everything its stream holds now, printing progress about once a second."""
    link = NatsLink(settings.nats_url, name=f"{SERVICE}-rebuild")
    names = StreamNames(settings.instance)
    try:
        for service, sink in models.by_stream().items():
            stream = names.stream(service)
            consumer = StreamConsumer(link, stream=stream, durable=REPORTING_REBUILD, sink=sink, batch_size=500)
            started = last_print = time.monotonic()

            def show(done: int, total: int, stream: str = stream, started: float = started) -> None:
                nonlocal last_print
                now = time.monotonic()
                if now - last_print >= 1 or done == total:
                    last_print = now
                    rate = done / max(now - started, 1e-6)
                    left = (total - done) / rate if rate else 0.0
                    print(f"{stream}: {done:,}/{total:,} events ({rate:,.0f} events/s, {left:,.0f} s left)", flush=True)

            try:
                taken = await consumer.catch_up(show)
            except NotFoundError:
                print(f"{stream}: no such stream yet, nothing to replay", flush=True)
                continue
            elapsed = time.monotonic() - started
            print(f"{stream}: replayed {taken:,} events in {elapsed:.1f} s", flush=True)
    finally:
        await link.close()


async def run(settings: Settings) -> None:
    models = read_models(settings)
    # A link rather than a connection: the service starts and answers while NATS is still down.
    link = NatsLink(settings.nats_url, name=SERVICE)
    names = StreamNames(settings.instance)
    consumers = [
        StreamConsumer(link, stream=names.stream(service), durable=REPORTING, sink=sink)
        for service, sink in models.by_stream().items()
    ]
    servicer = ReportingServicer(models.activity, models.reports())
    # The streams are consumed in order by one replica at a time (the holder of the service's lease); every
    # replica answers from the read models' tables.
    single = SingleActive(
        Fence(lease_for(models.activity.engine, SERVICE)), [consumer.run for consumer in consumers], name=SERVICE
    )
    await serve(
        settings,
        [
            Service(
                reporting_pb2.DESCRIPTOR.services_by_name["ReportingService"].full_name,
                lambda server: reporting_pb2_grpc.add_ReportingServiceServicer_to_server(servicer, server),
            ),
            operations_service(
                SERVICE,
                [
                    Reader(sink.name, sink, names.stream(service), REPORTING)
                    for service, sink in models.by_stream().items()
                ],
                link=link,
            ),
        ],
        background=[single.run],
        cleanup=[link.close],
    )


if __name__ == "__main__":
    main()
