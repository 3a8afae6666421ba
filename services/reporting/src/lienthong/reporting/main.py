"""Wiring of the reporting service: read model, JetStream consumer of document events, server.

`python -m lienthong.reporting.main rebuild` empties the read model; the next start replays the stream.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import create_engine

from lienthong.consumer import StreamConsumer
from lienthong.grpcserver import Service, Settings, run_service, serve
from lienthong.relay import NatsLink, StreamNames
from lienthong.reporting.api import ReportingServicer
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.v1 import reporting_pb2, reporting_pb2_grpc

SERVICE = "reporting"


def projection(settings: Settings) -> DocumentActivity:
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return DocumentActivity(create_engine(settings.database_url))


def main() -> None:
    if sys.argv[1:] == ["rebuild"]:
        projection(Settings.from_env(SERVICE)).reset()
        print("reporting read model emptied; the next start rebuilds it from the streams")
        return
    run_service(SERVICE, run)


async def run(settings: Settings) -> None:
    activity = projection(settings)
    link = NatsLink(settings.nats_url, name=SERVICE)
    names = StreamNames(settings.instance)
    consumer = StreamConsumer(link, stream=names.stream("documents"), durable=SERVICE, sink=activity)
    servicer = ReportingServicer(activity)
    await serve(
        settings,
        [
            Service(
                reporting_pb2.DESCRIPTOR.services_by_name["ReportingService"].full_name,
                lambda server: reporting_pb2_grpc.add_ReportingServiceServicer_to_server(servicer, server),
            )
        ],
        background=[consumer.run],
        cleanup=[link.close],
    )


if __name__ == "__main__":
    main()
