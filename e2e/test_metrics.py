"""A service started with LIENTHONG_METRICS_PORT serves Prometheus metrics of the calls it answered."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.ports import free_port
from lienthong.launcher.testing import wait_for
from lienthong.reporting.v1 import reporting_pb2 as rep
from lienthong.reporting.v1 import reporting_pb2_grpc

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


def test_rpc_durations_are_served_for_prometheus(reporting: tuple[str, int]) -> None:
    address, metrics_port = reporting
    with grpc.insecure_channel(address) as channel:
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
        return text if "rpc_server_call_duration_seconds_count" in text else None

    text = wait_for(scraped_counts, what="metrics")
    counts = [line for line in text.splitlines() if line.startswith("rpc_server_call_duration_seconds_count")]
    assert any('rpc_method="GetAgencyStats"' in line and 'rpc_grpc_status_code="OK"' in line for line in counts), counts
    assert any('rpc_grpc_status_code="INVALID_ARGUMENT"' in line for line in counts), counts
