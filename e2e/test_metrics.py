"""Services started with LIENTHONG_METRICS_PORT serve Prometheus metrics: the calls they answered, the documents
sent, received and processed, and how far JetStream and its consumers are behind the event stores."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.callers import Callers
from lienthong.launcher.demo import OPERATOR, DocumentChannels, acting, exchange
from lienthong.launcher.platform import SERVICES, Platform
from lienthong.launcher.ports import free_port
from lienthong.launcher.testing import (
    delete_streams,
    fresh_database,
    isolated_platform_config,
    stream_messages,
    wait_for,
)
from lienthong.reporting.v1 import reporting_pb2 as rep
from lienthong.reporting.v1 import reporting_pb2_grpc
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory

pytestmark = pytest.mark.e2e


@pytest.fixture
def reporting(tmp_path: Path, nats_url: str, instance: str) -> Iterator[tuple[str, int]]:
    grpc_port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "LIENTHONG_DATA_DIR": str(tmp_path),
        "LIENTHONG_NATS_URL": nats_url,
        "LIENTHONG_INSTANCE": instance,
        "LIENTHONG_REPORTING_ADDR": f"127.0.0.1:{grpc_port}",
        "LIENTHONG_METRICS_PORT": str(metrics_port),
        "LIENTHONG_METRICS_ADDR": "127.0.0.1",
        **TlsDirectory.of_platform(tmp_path).server("reporting").env(),
    }
    env.pop("LIENTHONG_DATABASE_URL", None)
    log = (tmp_path / "reporting.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "lienthong.reporting.main"], env=env, stdout=log, stderr=log)
    try:
        yield f"127.0.0.1:{grpc_port}", metrics_port
    finally:
        process.terminate()
        process.wait(15)
        log.close()


def scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
            return str(answer.read().decode())
    except OSError:
        return ""


def test_rpc_durations_are_served_for_prometheus(reporting: tuple[str, int], tmp_path: Path) -> None:
    address, metrics_port = reporting
    callers = Callers(TlsDirectory.of_platform(tmp_path), {"reporting": address})
    with callers.acting("reporting") as channel:
        stub = reporting_pb2_grpc.ReportingServiceStub(channel)
        stub.GetAgencyStats(
            rep.GetAgencyStatsRequest(agency_code="000.00.12.H41"), timeout=60, wait_for_ready=True, metadata=OPERATOR
        )
        with pytest.raises(grpc.RpcError) as refused:
            stub.GetAgencyStats(
                rep.GetAgencyStatsRequest(agency_code="000.00.12.H41", from_day="25/11"), timeout=10, metadata=OPERATOR
            )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    def scraped_counts() -> str | None:
        text = scrape(metrics_port)
        # The server records a call's duration after the client has its answer: wait for both lines.
        counts = [line for line in text.splitlines() if line.startswith("rpc_server_call_duration_seconds_count")]
        ok_seen = any('rpc_method="GetAgencyStats"' in line and 'rpc_grpc_status_code="OK"' in line for line in counts)
        refused_seen = any('rpc_grpc_status_code="INVALID_ARGUMENT"' in line for line in counts)
        return text if ok_seen and refused_seen else None

    text = wait_for(scraped_counts, what="metrics")
    counts = [line for line in text.splitlines() if line.startswith("rpc_server_call_duration_seconds_count")]
    assert any('rpc_method="GetAgencyStats"' in line and 'rpc_grpc_status_code="OK"' in line for line in counts), counts
    assert any('rpc_grpc_status_code="INVALID_ARGUMENT"' in line for line in counts), counts


# Domain metrics: the whole platform, each service with a /metrics port of its own.

SENDER, RECIPIENT = "000.00.12.H41", "000.00.00.H41"


@pytest.fixture(scope="module")
def metered(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("metered")
    with fresh_database(data_dir / "unused.db") as database_url:
        config = isolated_platform_config(data_dir, nats_url, database_url)
        running = Platform(replace(config, metrics_ports={service: free_port() for service in SERVICES}))
        try:
            running.start()
            yield running
        finally:
            running.stop()
            asyncio.run(delete_streams(nats_url, config.instance))


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(platform: Platform, service: str) -> Samples:
    """Every sample a service's /metrics serves: (name, labels) → value."""
    found: Samples = {}
    for family in text_string_to_metric_families(scrape(platform.config.metrics_ports[service])):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(scraped: Samples, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 when there are none)."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in scraped.items() if n == name and wanted <= have)


def test_documents_sent_received_and_processed_are_counted_and_the_pipeline_lag_is_served(metered: Platform) -> None:
    with (
        metered.callers.acting("identifiers") as id_channel,
        metered.callers.acting("documents") as doc_channel,
        DocumentChannels(metered.callers) as stubs,
    ):
        agencies = identifiers_pb2_grpc.IdentifiersServiceStub(id_channel)
        agencies.RegisterAgency(
            ids.RegisterAgencyRequest(code=RECIPIENT, name="UBND tỉnh", short_name="UBND"), metadata=OPERATOR
        )
        agencies.RegisterAgency(
            ids.RegisterAgencyRequest(code=SENDER, name="Sở TTTT", short_name="STTTT"), metadata=OPERATOR
        )
        documents = documents_pb2_grpc.DocumentsServiceStub(doc_channel)
        sent = exchange(stubs, SENDER, RECIPIENT, "Báo cáo số liệu đo lường")  # sent, then accepted
        receiving = acting("clerk", RECIPIENT)
        documents.AssignIncoming(
            docs.AssignIncomingRequest(incoming_id=sent.incoming_id, assignee="Văn phòng"), metadata=receiving
        )
        documents.CompleteIncoming(docs.CompleteIncomingRequest(incoming_id=sent.incoming_id), metadata=receiving)

    stream = f"{metered.config.instance}_DOCUMENTS".upper()

    # The documents service counted one report sent and one copy received, and timed its processing.
    scraped = samples(metered, "documents")
    report = {"doc_type": "BAO_CAO", "urgency": "NORMAL"}
    assert value(scraped, "lienthong_documents_sent_total", **report) == 1, scraped
    assert value(scraped, "lienthong_documents_received_total", **report, origin="platform") == 1
    for outcome in ("accepted", "done"):
        count = value(scraped, "lienthong_documents_processing_duration_seconds_count", outcome=outcome)
        assert count == 1, outcome
    assert value(scraped, "lienthong_documents_processing_duration_seconds_count", outcome="refused") == 0
    accepted = value(scraped, "lienthong_documents_processing_duration_seconds_sum", outcome="accepted")
    done = value(scraped, "lienthong_documents_processing_duration_seconds_sum", outcome="done")
    assert 0 < accepted <= done  # done after accepted, both after arrival

    # Its relay published every stored event (each is in the stream once) and is not behind.
    def relayed() -> tuple[Samples, int] | None:
        now, stored = samples(metered, "documents"), len(stream_messages(metered.nats_url, stream))
        published = value(now, "lienthong_relay_published_total", stream=stream)
        caught_up = published == stored and any(name == "lienthong_relay_lag" for name, _ in now)
        return (now, stored) if caught_up else None

    scraped, stored = wait_for(relayed, what="the relay to publish every event of the documents store")
    assert stored >= 10  # the report's events, its copy's and the number series'
    assert value(scraped, "lienthong_relay_lag", stream=stream) == 0
    assert value(scraped, "lienthong_relay_delay_seconds_count", stream=stream) == stored

    # Reporting applied every one of those events and has nothing pending.
    mine = {"consumer": "reporting", "stream": stream}

    def consumed() -> Samples | None:
        now = samples(metered, "reporting")
        return now if value(now, "lienthong_consumer_events_total", **mine, outcome="applied") == stored else None

    scraped = wait_for(consumed, what="reporting to apply every documents event")
    assert value(scraped, "lienthong_consumer_events_total", **mine, outcome="quarantined") == 0
    assert value(scraped, "lienthong_consumer_pending", **mine) == 0
    assert value(scraped, "lienthong_consumer_delay_seconds_count", **mine) == stored
