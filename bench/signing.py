"""Benchmark of PAdES signing and verification, in process and through the running signing service.

In process: one signing engine (lienthong.signing.adapters.outbound.engine, what each worker process of the service runs:
pyHanko, EC P-256 keys in encrypted files, the development CA and its TSA), one thread: signatures per second
at B-B, B-T and B-LT, B-T seals made B-LT afterwards per second, verifications per second of a B-B and a
B-LT PDF. The figures are per CPU core.

Through the service (skipped with --in-process): the platform started as `make run` starts it, CLIENTS
concurrent callers sealing at B-T over gRPC for SECONDS (seals per second, p50/p99), and the signing
service's memory, counted over all of its processes (the gRPC server, its forkserver and its signing
workers), sampled every SAMPLE_SECONDS under load:
- `service_peak_rss_mib`: the peak of the sum of VmRSS of those processes (pages the workers share with
  the forkserver they forked from are counted once per process: an upper bound);
- `service_peak_pss_mib`: the peak of the sum of their Pss (each shared page split between its sharers:
  the memory the service really takes);
- `service_peak_hwm_mib`: each process's own VmHWM (kernel-kept peak), by role.

Writes its figures into bench/results.json under "signing", leaving other sections.
Run with `make bench`, or `.venv/bin/python bench/signing.py [--in-process]`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from bench_results import percentile, record
from cryptography.hazmat.primitives import serialization
from memory import descendants

from lienthong.documents.adapters.outbound.rendering import render_document_pdf
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import fresh_database, isolated_platform_config
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.engine import SigningEngine
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.adapters.outbound.pades import Level, TrustData, verify_pdf
from lienthong.signing.v1 import signing_pb2 as pb
from lienthong.signing.v1 import signing_pb2_grpc

AGENCY = "000.00.00.H41"  # a province-level agency: no parent to register first
AGENCY_NAME = "Ủy ban nhân dân tỉnh Khánh Hòa"
# Each in-process figure is measured for about this long, after one warm-up call.
SECONDS = 5.0
CLIENTS = 16
SERVICE_SECONDS = 20.0
SAMPLE_SECONDS = 0.2
AS_DOCUMENTS = (("x-lienthong-actor", "service:documents"),)


def rate(action: Callable[[], object]) -> float:
    """Calls of `action` per second over about SECONDS."""
    action()
    calls, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < SECONDS:
        action()
        calls += 1
    return calls / elapsed


def document_pdf() -> bytes:
    return render_document_pdf(
        agency_name=AGENCY_NAME,
        code="01/BC-STTTT",
        issued_on=date(2026, 11, 24),
        type_name="Báo cáo",
        subject="Báo cáo tình hình ứng dụng công nghệ thông tin",
    )


def in_process() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        keys = EncryptedFileKeyStore(Path(directory) / "keys", b"bench passphrase")
        ca = DevCertificateAuthority(Path(directory) / "ca", keys)
        issued = ca.issue_seal(AGENCY, AGENCY_NAME)
        pem = issued.certificate.public_bytes(serialization.Encoding.PEM).decode()
        pdf = document_pdf()
        engine = SigningEngine(ca, keys, ca.timestamper())

        def sign(level: Level) -> bytes:
            signed = engine.sign_pdf(pdf, serial=issued.serial, pem=pem, reason="Ban hành", level=level, position="")
            return signed.pdf

        signed = {level: sign(level) for level in Level}
        return {
            "pades_b_b_signatures_per_second": round(rate(lambda: sign(Level.B_B)), 1),
            "pades_b_t_signatures_per_second": round(rate(lambda: sign(Level.B_T)), 1),
            "pades_b_lt_signatures_per_second": round(rate(lambda: sign(Level.B_LT)), 1),
            # A B-T seal made B-LT afterwards (the documents service's step after sending).
            "b_t_to_b_lt_extensions_per_second": round(rate(lambda: engine.extend_pdf(signed[Level.B_T])), 1),
            "verifications_per_second_b_b": round(
                rate(lambda: engine.verify_pdf(signed[Level.B_B], expected_agency_code=AGENCY)), 1
            ),
            "verifications_per_second_b_lt": round(
                rate(lambda: verify_pdf(signed[Level.B_LT], trust=TrustData([ca.root]), strict=True)), 1
            ),
            "pdf_bytes": len(pdf),
        }


def _status_kib(pid: int) -> dict[str, int]:
    text = Path(f"/proc/{pid}/status").read_text()
    return {key: int(value) for key, value in re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", text, re.MULTILINE)}


def _pss_kib(pid: int) -> int:
    found = re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.MULTILINE)
    return int(found.group(1)) if found else 0


class MemoryWatch:
    """Samples the memory of a process and its descendants until `stop()`."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self.hwm_kib: dict[int, int] = {}
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> None:
        rss = pss = 0
        for pid in descendants(self._pid):
            try:
                status = _status_kib(pid)
                pss += _pss_kib(pid)
            except (FileNotFoundError, ProcessLookupError):
                continue  # a worker that ended between listing and reading
            rss += status.get("VmRSS", 0)
            self.hwm_kib[pid] = max(self.hwm_kib.get(pid, 0), status.get("VmHWM", 0))
        self.peak_rss_kib = max(self.peak_rss_kib, rss)
        self.peak_pss_kib = max(self.peak_pss_kib, pss)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
        self.sample()


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


def through_service() -> dict[str, Any]:
    server = os.environ.get("LIENTHONG_BENCH_DATABASE_URL", "")
    nats_url = os.environ.get("LIENTHONG_BENCH_NATS_URL") or None
    with tempfile.TemporaryDirectory() as work, fresh_database(Path(work) / "unused.db", server) as fresh_url:
        config = dataclasses.replace(isolated_platform_config(Path(work), nats_url, fresh_url), secure_nats=False)
        platform = Platform(config)
        platform.start()
        try:
            return _load(platform, "postgresql" if config.database_url else "sqlite")
        finally:
            platform.stop()


def _load(platform: Platform, database: str) -> dict[str, Any]:
    with platform.callers.acting("identifiers") as channel:
        identifiers_pb2_grpc.IdentifiersServiceStub(channel).RegisterAgency(
            ids.RegisterAgencyRequest(code=AGENCY, name=AGENCY_NAME, short_name="UBND"), metadata=OPERATOR
        )
    pid = platform.pid("signing")
    assert pid is not None
    pdf = document_pdf()
    request = pb.SignPdfRequest(agency_code=AGENCY, pdf=pdf, reason="Ban hành", level=pb.SIGNATURE_LEVEL_B_T)
    channel = platform.callers.acting("signing", default="service:documents")
    stub = signing_pb2_grpc.SigningServiceStub(channel)
    stub.SignPdf(request, metadata=AS_DOCUMENTS, timeout=60)  # the seal issued, the workers started
    at_rest = MemoryWatch(pid)
    at_rest.stop()
    watch = MemoryWatch(pid)
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.perf_counter() + SERVICE_SECONDS

    def client(_: int) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                stub.SignPdf(request, metadata=AS_DOCUMENTS, timeout=60)
            except Exception as error:  # every failure is counted and shown, none hidden
                failures.append(f"{type(error).__name__}: {error}")
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    elapsed = time.perf_counter() - started
    watch.stop()
    channel.close()
    roles = {pid: "server"} | {child: "worker or forkserver" for child in descendants(pid) if child != pid}
    return {
        "service_database": database,
        "service_clients": CLIENTS,
        "service_b_t_seals_per_second": round(len(latencies) / elapsed, 1),
        "service_b_t_p50_ms": round(percentile(latencies, 0.5), 1),
        "service_b_t_p99_ms": round(percentile(latencies, 0.99), 1),
        "service_failures": len(failures),
        "service_first_failure": failures[0] if failures else "",
        "service_processes": len(watch.hwm_kib),
        "service_at_rest_pss_mib": _mib(at_rest.peak_pss_kib),
        "service_peak_rss_mib": _mib(watch.peak_rss_kib),
        "service_peak_pss_mib": _mib(watch.peak_pss_kib),
        "service_peak_hwm_mib": {f"{roles.get(p, 'ended')} {p}": _mib(kib) for p, kib in watch.hwm_kib.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--in-process", action="store_true", help="only the in-process figures (no platform)")
    args = parser.parse_args()
    figures = in_process()
    if not args.in_process:
        figures |= through_service()
    record("signing", figures)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
