"""Chaos (issue #11, `make chaos`): while documents are sent without pause, every service is killed with
SIGKILL in turn and restarted, the NATS server is restarted and PostgreSQL drops every connection. Then
nothing the API acknowledged is lost or duplicated anywhere: each acknowledged document is sent once in
the event store, each stored event is in JetStream once, reporting counts each once, and the recipient
lists each copy once. All servers here are the test's own (its NATS, its database); traffic stays on
loopback. The test prints the counts it compared.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import psycopg
import pytest
from sqlalchemy import make_url

from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.eventstore import read_events, store_environment
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.callers import Callers
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import fresh_database, isolated_platform_config, stream_messages, wait_for
from lienthong.reporting.v1 import reporting_pb2, reporting_pb2_grpc

RECIPIENT = "000.00.00.H48"
SENDERS = [f"000.00.{n:02d}.H48" for n in range(1, 5)]
LOAD_SECONDS = float(os.environ.get("LIENTHONG_CHAOS_SECONDS", "90"))


def clerk_of(code: str) -> tuple[tuple[str, str]]:
    return (("x-lienthong-actor", f"clerk@{code}"),)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[Platform, str]]:
    """The platform with a NATS server of its own (to restart) on a database of its own (to cut off)."""
    with fresh_database(tmp_path / "unused.db") as database_url:
        running = Platform(isolated_platform_config(tmp_path / "platform", None, database_url))
        try:
            running.start()
            yield running, database_url
        finally:
            running.stop()


class Load:
    """Senders sending documents one after another; a document counts as acknowledged when SendDocument
    returned OK. Failures (a service being down) are retried with a new document, as a client would.
    `reasons` counts each failure by the fault under way (`phase`, set by the test), its code and its
    reason with ids left out, so that a run can say where every failed call came from."""

    def __init__(self, callers: Callers) -> None:
        self.acknowledged: list[str] = []
        self.failures: Counter[str] = Counter()
        self.reasons: Counter[tuple[str, str, str]] = Counter()
        self.phase = "load"
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(code, callers)) for code in SENDERS]
        for thread in self._threads:
            thread.start()

    def _send(self, sender: str, callers: Callers) -> None:
        with callers.acting("documents") as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            n = 0
            while not self._stop.is_set():
                n += 1
                draft = docs.CreateOutgoingRequest(
                    sender_code=sender, type=docs.DOCUMENT_TYPE_CONG_VAN, subject=f"Công văn {sender} số {n}"
                )
                try:
                    sent = stub.SendDocument(
                        docs.SendDocumentRequest(document=draft, recipient_codes=[RECIPIENT]),
                        metadata=clerk_of(sender),
                        timeout=20,
                    )
                except grpc.RpcError as error:
                    self.failures[error.code().name] += 1
                    self.reasons[(self.phase, error.code().name, without_ids(error.details() or ""))] += 1
                    time.sleep(0.2)
                    continue
                self.acknowledged.append(sent.document.id)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def report(self) -> str:
        """The failed calls, a line each: fault under way, code, reason, count."""
        return "\n".join(
            f"  since {phase}: {code} x{count}: {reason}"
            for (phase, code, reason), count in sorted(self.reasons.items())
        )


_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b\d{2,}\b")


def without_ids(reason: str) -> str:
    """`reason` with document ids and numbers replaced, so that the same failure counts once."""
    return _ID.sub("…", reason)[:160]


def terminate_connections(database_url: str) -> int:
    """Make PostgreSQL drop every connection to the test's database (as a failover would)."""
    url = make_url(database_url)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.database,),
        ).fetchall()
    return len(rows)


def test_nothing_acknowledged_is_lost_or_duplicated_through_kills_and_restarts(
    platform: tuple[Platform, str],
) -> None:
    running, database_url = platform
    if database_url.startswith("sqlite"):
        pytest.fail("the chaos test needs PostgreSQL: set LIENTHONG_TEST_DATABASE_URL (make chaos does)")
    with running.callers.acting("identifiers") as channel:
        agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
        agencies.RegisterAgency(
            ids.RegisterAgencyRequest(code=RECIPIENT, name="UBND tỉnh", short_name="UBND"), metadata=OPERATOR
        )
        for n, code in enumerate(SENDERS, start=1):
            agencies.RegisterAgency(
                ids.RegisterAgencyRequest(code=code, name=f"Sở {n}", short_name=f"S{n}"), metadata=OPERATOR
            )

    load = Load(running.callers)
    faults: list[tuple[str, Callable[[], object]]] = [
        *[
            (f"kill -9 {service}", lambda s=service: restart(running, s))
            for service in ("documents", "identifiers", "signing", "email", "reporting")
        ],
        ("restart NATS", lambda: restart_nats(running)),
        ("terminate PostgreSQL connections", lambda: terminate_connections(database_url)),
    ]
    pause = LOAD_SECONDS / (len(faults) + 1)
    try:
        for name, fault in faults:
            time.sleep(pause)
            before = len(load.acknowledged)
            load.phase = name
            outcome = fault()
            print(f"{name}: {outcome if outcome is not None else ''} (acknowledged so far {before})")
        time.sleep(pause)
    finally:
        load.stop()
    acknowledged = load.acknowledged
    assert len(acknowledged) >= 50, f"too little load to say anything: {len(acknowledged)} ({dict(load.failures)})"

    # The event store: each acknowledged document sent exactly once.
    app = DocumentsApp(store_environment("documents", database_url))
    stored = read_events(app, 1, 10_000_000)
    sent_ids = Counter(r.aggregate_id for r in stored if (r.aggregate, r.event) == ("OutgoingDocument", "Sent"))
    arrived = [r for r in stored if (r.aggregate, r.event) == ("IncomingDocument", "Arrived")]
    assert set(acknowledged) <= set(sent_ids), "an acknowledged document is missing from the event store"
    assert max(sent_ids.values()) == 1
    assert len(arrived) == len(sent_ids)

    # JetStream: every stored event once (the relay catches up after the restarts).
    stream = f"{running.config.instance}_DOCUMENTS".upper()
    stored_ids = sorted(f"{r.aggregate_id}:{r.version}" for r in stored)

    def relayed() -> list[str] | None:
        ids_ = [m.message_id for m in stream_messages(running.nats_url, stream, running.nats_credentials())]
        return ids_ if len(ids_) >= len(stored_ids) else None

    published = wait_for(relayed, timeout=120, what="the relay to publish every stored event")
    assert [i for i, n in Counter(published).items() if n > 1] == []
    assert sorted(published) == stored_ids

    # Reporting: each sent and each arrival counted once.
    with running.callers.acting("reporting") as channel:
        reporting = reporting_pb2_grpc.ReportingServiceStub(channel)

        def counts() -> tuple[int, int]:
            return reporting_counts(reporting)

        wait_for(lambda: counts() == (len(sent_ids), len(arrived)) or None, timeout=120, what="reporting to count all")
        projected = counts()

    # The recipient's incoming list: one copy per sent document.
    with running.callers.acting("documents") as channel:
        documents = documents_pb2_grpc.DocumentsServiceStub(channel)
        listed = documents.ListIncoming(
            docs.ListIncomingRequest(recipient_code=RECIPIENT), metadata=clerk_of(RECIPIENT)
        )
        copies = Counter(d.outgoing_id for d in listed.documents)
    assert max(copies.values()) == 1
    assert set(copies) == set(sent_ids)

    print(
        f"acknowledged {len(acknowledged)} = stored {len(set(acknowledged) & set(sent_ids))} "
        f"(sent in store {len(sent_ids)}, unacknowledged but sent {len(set(sent_ids) - set(acknowledged))}); "
        f"events stored {len(stored_ids)} = published {len(published)}; reporting sent {projected[0]}, "
        f"received {projected[1]}; recipient's list {len(copies)}; failed calls {dict(load.failures)}"
    )
    print(f"failed calls, by the last fault begun:\n{load.report()}")


def reporting_counts(reporting: reporting_pb2_grpc.ReportingServiceStub) -> tuple[int, int]:
    """(documents the senders sent, documents the recipient received), as reporting counts them."""
    sent = sum(
        reporting.GetAgencyStats(reporting_pb2.GetAgencyStatsRequest(agency_code=code), metadata=OPERATOR).sent
        for code in SENDERS
    )
    received = reporting.GetAgencyStats(
        reporting_pb2.GetAgencyStatsRequest(agency_code=RECIPIENT), metadata=OPERATOR
    ).received
    return sent, received


def restart(running: Platform, service: str) -> None:
    running.kill_service(service)
    running.start_service(service)


def restart_nats(running: Platform) -> None:
    assert running.nats is not None
    running.nats.kill()
    time.sleep(1)
    running.nats.start()
