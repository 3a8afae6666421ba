"""Benchmark of the documents service: whole document flows per second (create → register → seal → send →
accept, each step a gRPC call against the running platform), and search latency over a large register.

The search corpus (100,000 documents, `--quick`: 2,000) is bulk-inserted into the registers' tables, the
rows the service's projection writes for a sent document and its copy (feeding 600,000 events through the
projection one by one takes longer than a benchmark should); every search then goes through gRPC to the
running service and its read model, as an integrator's would.
Writes its figures into bench/results.json under "documents" (other sections are kept).

Run with `make bench`, or `.venv/bin/python bench/documents.py --quick` to try it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from bench_results import percentile, record
from sqlalchemy import create_engine, insert

from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.incoming import id_of_incoming
from lienthong.documents.domain.numbering import document_code, notation
from lienthong.documents.domain.outgoing import Urgency
from lienthong.documents.projections.registers import Registers
from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.callers import Callers
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import delete_streams, fresh_database, isolated_platform_config
from lienthong.vietnamese import fold

PROVINCE = "000.00.00.H46"
CORPUS_SENDER = "000.00.90.H46"  # its registers hold the search corpus, outgoing
CORPUS_RECIPIENT = "000.00.91.H46"  # and the copies of it, incoming
SEED_BATCH = 2_000
_SUBJECT_WORDS = (
    "báo cáo kết quả thực hiện kế hoạch chuyển đổi số quyết định phê duyệt dự toán ngân sách công văn về việc "
    "triển khai hướng dẫn thông báo lịch họp giấy mời hội nghị tổng kết công tác năm tờ trình đề nghị bổ sung "
    "kinh phí đầu tư xây dựng trường học bệnh viện đường giao thông nông thôn cải cách hành chính"
)
WORDS = tuple(_SUBJECT_WORDS.split())
TYPES = [DocumentType.BAO_CAO, DocumentType.QUYET_DINH, DocumentType.CONG_VAN, DocumentType.THONG_BAO]


def actor(role: str, agency: str) -> tuple[tuple[str, str], ...]:
    return (("x-lienthong-actor", f"{role}@{agency}"),)


def register_agencies(callers: Callers, pairs: list[tuple[str, str]]) -> None:
    codes = {PROVINCE, CORPUS_SENDER, CORPUS_RECIPIENT} | {code for pair in pairs for code in pair}
    rows = [
        ids.ImportRow(
            code=code, fields=ids.AgencyFields(name=f"Cơ quan {code}", short_name=f"CQ{code[4:6]}{code[7:9]}")
        )
        for code in sorted(codes)
    ]
    with callers.acting("identifiers") as channel:
        identifiers_pb2_grpc.IdentifiersServiceStub(channel).ImportAgencies(
            ids.ImportAgenciesRequest(rows=rows), metadata=actor("operator", PROVINCE)
        )


def flows(callers: Callers, pairs: list[tuple[str, str]], per_client: int) -> tuple[float, dict[str, list[float]]]:
    """Flows per second and each step's latencies (ms), one client thread per (sender, recipient) pair."""

    def client(pair: tuple[str, str]) -> dict[str, list[float]]:
        sender, recipient = pair
        steps: dict[str, list[float]] = {s: [] for s in ("create", "register", "sign", "send", "accept")}
        with callers.acting("documents") as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            clerk, receiving = actor("clerk", sender), actor("clerk", recipient)

            def timed(step: str, call: Callable[..., Any], request: Any, metadata: Any) -> Any:
                began = time.perf_counter()
                answer = call(request, metadata=metadata, timeout=60)
                steps[step].append((time.perf_counter() - began) * 1000)
                return answer

            for n in range(per_client):
                subject = f"Công văn số {n} về việc đo hiệu năng"
                created = timed(
                    "create",
                    stub.CreateOutgoing,
                    docs.CreateOutgoingRequest(sender_code=sender, type=docs.DOCUMENT_TYPE_CONG_VAN, subject=subject),
                    clerk,
                ).document
                timed("register", stub.RegisterOutgoing, docs.RegisterOutgoingRequest(document_id=created.id), clerk)
                timed("sign", stub.SignOutgoing, docs.SignOutgoingRequest(document_id=created.id), clerk)
                sent = timed(
                    "send",
                    stub.SendOutgoing,
                    docs.SendOutgoingRequest(document_id=created.id, recipient_codes=[recipient]),
                    clerk,
                ).document
                timed(
                    "accept",
                    stub.AcceptIncoming,
                    docs.AcceptIncomingRequest(incoming_id=sent.recipients[0].incoming_id),
                    receiving,
                )
        return steps

    started = time.perf_counter()
    with ThreadPoolExecutor(len(pairs)) as pool:
        parts = list(pool.map(client, pairs))
    seconds = time.perf_counter() - started
    merged = {step: [ms for part in parts for ms in part[step]] for step in parts[0]}
    return len(pairs) * per_client / seconds, merged


def seed(database_url: str, count: int) -> tuple[float, list[str]]:
    """`count` documents from CORPUS_SENDER to CORPUS_RECIPIENT, issued over the past year, half of them
    accepted and a third approved by a leader, bulk-inserted into the registers' own tables (the rows the
    projection writes for them); returns the seconds it took and the codes given."""
    registers = Registers(create_engine(database_url))
    rng = random.Random(20261125)
    now = datetime.now(UTC)
    codes: list[str] = []
    started = time.perf_counter()
    for start in range(0, count, SEED_BATCH):
        outgoing: list[dict[str, Any]] = []
        recipients: list[dict[str, Any]] = []
        incoming: list[dict[str, Any]] = []
        for n in range(start + 1, min(count, start + SEED_BATCH) + 1):
            doc_type = rng.choice(TYPES)
            issued = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            subject = " ".join(rng.choices(WORDS, k=12)).capitalize()
            note = notation(doc_type, "CQ9090")
            code = document_code(n, note)
            codes.append(code)
            document_id = str(uuid4())
            copy_id = str(id_of_incoming(UUID(document_id), CORPUS_RECIPIENT))
            urgency = rng.choice(list(Urgency)).name
            status = "03" if n % 2 else "01"
            common: dict[str, Any] = {
                "doc_type": doc_type.name,
                "subject": subject,
                "subject_folded": fold(subject),
                "code": code,
            }
            outgoing.append(
                common
                | {
                    "id": document_id,
                    "sender_code": CORPUS_SENDER,
                    "urgency": urgency,
                    "confidentiality": "NORMAL",
                    "state": "sent",
                    "number": n,
                    "notation": note,
                    "issued_at": issued,
                    "content_sha256": "f" * 64,
                    "certificate_serial": "be0c4",
                    "created_at": issued,
                    "attachments": "[]",
                    "business_type": "NEW",
                    "relates_to": "",
                    "approved_by": f"leader@{CORPUS_SENDER}" if n % 3 == 0 else "",
                }
            )
            recipients.append(
                {
                    "outgoing_id": document_id,
                    "recipient_code": CORPUS_RECIPIENT,
                    "incoming_id": copy_id,
                    "status": status,
                    "updated_at": issued,
                }
            )
            incoming.append(
                common
                | {
                    "id": copy_id,
                    "recipient_code": CORPUS_RECIPIENT,
                    "outgoing_id": document_id,
                    "sender_code": CORPUS_SENDER,
                    "urgency": urgency,
                    "status": status,
                    "arrival_number": n if status == "03" else 0,
                    "arrived_at": issued,
                    "accepted_at": issued if status == "03" else None,
                    "assignee": "",
                    "due_on": "",
                    "status_before_recall": "",
                    "business_type": "NEW",
                    "relates_to_code": "",
                }
            )
        with registers.engine.begin() as connection:
            connection.execute(insert(registers.outgoing), outgoing)
            connection.execute(insert(registers.recipients), recipients)
            connection.execute(insert(registers.incoming), incoming)
    registers.engine.dispose()
    return time.perf_counter() - started, codes


def wait_for_registers(stub: documents_pb2_grpc.DocumentsServiceStub, last_code: str, timeout: float) -> float:
    """Seconds until the service's registers show the last seeded document."""
    began = time.perf_counter()
    request = docs.SearchDocumentsRequest(agency_code=CORPUS_RECIPIENT, code=last_code)
    while time.perf_counter() - began < timeout:
        if stub.SearchDocuments(request, metadata=actor("clerk", CORPUS_RECIPIENT), timeout=60).documents:
            return time.perf_counter() - began
        time.sleep(0.5)
    raise TimeoutError(f"the registers did not show {last_code} within {timeout} s")


def search_latencies(
    stub: documents_pb2_grpc.DocumentsServiceStub, codes: list[str], rounds: int
) -> dict[str, list[float]]:
    """Latency (ms) of each kind of search, `rounds` times each, on both sides of the corpus."""
    rng = random.Random(7)
    today = datetime.now(UTC).date()
    kinds: dict[str, Callable[[], docs.SearchDocumentsRequest]] = {
        "words_with_diacritics": lambda: docs.SearchDocumentsRequest(query=" ".join(rng.sample(WORDS, 2))),
        "words_without_diacritics": lambda: docs.SearchDocumentsRequest(query="quyet dinh ngan sach"),
        "code": lambda: docs.SearchDocumentsRequest(code=rng.choice(codes)),
        "number": lambda: docs.SearchDocumentsRequest(number=str(rng.randrange(1, len(codes) + 1))),
        "type_and_month": lambda: docs.SearchDocumentsRequest(
            type=docs.DOCUMENT_TYPE_QUYET_DINH,
            from_day=(today - timedelta(days=60)).isoformat(),
            to_day=(today - timedelta(days=30)).isoformat(),
        ),
        "urgency_and_status": lambda: docs.SearchDocumentsRequest(
            urgency=docs.URGENCY_HOA_TOC, status=docs.STATUS_CODE_ACCEPTED
        ),
        "signer_page_3": lambda: docs.SearchDocumentsRequest(signer="be0c4", page_token="100", page_size=50),
        "newest_page": lambda: docs.SearchDocumentsRequest(),
    }
    latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(rounds):
        for kind, make in kinds.items():
            agency = rng.choice((CORPUS_SENDER, CORPUS_RECIPIENT))
            request = make()
            request.agency_code = agency
            began = time.perf_counter()
            stub.SearchDocuments(request, metadata=actor("clerk", agency), timeout=60)
            latencies[kind].append((time.perf_counter() - began) * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 documents and 40 flows, to try it")
    args = parser.parse_args()
    corpus, clients, per_client, rounds = (2_000, 4, 10, 20) if args.quick else (100_000, 4, 100, 100)
    pairs = [(f"000.00.{10 + i:02d}.H46", f"000.00.{50 + i:02d}.H46") for i in range(clients)]
    server = os.environ.get("LIENTHONG_BENCH_DATABASE_URL", "")
    nats_url = os.environ.get("LIENTHONG_BENCH_NATS_URL") or None
    with tempfile.TemporaryDirectory() as work, fresh_database(Path(work) / "unused.db", server) as fresh_url:
        data_dir = Path(work)
        config = isolated_platform_config(data_dir, nats_url, fresh_url)
        documents_url = config.database_url or f"sqlite:///{data_dir / 'documents.db'}"
        platform = Platform(config)
        platform.start()
        try:
            register_agencies(platform.callers, pairs)
            flows_per_second, steps = flows(platform.callers, pairs, per_client)
            seed_seconds, codes = seed(documents_url, corpus)
            with platform.callers.acting("documents") as channel:
                stub = documents_pb2_grpc.DocumentsServiceStub(channel)
                wait_for_registers(stub, codes[-1], timeout=60)
                searches = search_latencies(stub, codes, rounds)
        finally:
            platform.stop()
            if nats_url:
                asyncio.run(delete_streams(nats_url, config.instance))

    every_search = [ms for values in searches.values() for ms in values]
    figures: dict[str, Any] = {
        "database": "postgresql" if config.database_url else "sqlite",
        "flows": len(pairs) * per_client,
        "flow_clients": len(pairs),
        "flows_per_second": round(flows_per_second, 2),
        "grpc_calls_per_second": round(flows_per_second * 5, 1),
        "step_p50_ms": {step: round(statistics.median(values), 1) for step, values in steps.items()},
        "step_p99_ms": {step: round(percentile(values, 0.99), 1) for step, values in steps.items()},
        "search_corpus_documents": corpus,
        "search_corpus_register_rows": corpus * 2,  # each document outgoing at its sender, incoming at its recipient
        "seed_seconds": round(seed_seconds, 1),
        "search_queries": len(every_search),
        "search_p50_ms": round(statistics.median(every_search), 2),
        "search_p99_ms": round(percentile(every_search, 0.99), 2),
        "search_p50_ms_by_kind": {kind: round(statistics.median(v), 2) for kind, v in searches.items()},
        "search_p99_ms_by_kind": {kind: round(percentile(v, 0.99), 2) for kind, v in searches.items()},
    }
    record("documents" if not args.quick else "documents_quick", figures)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
