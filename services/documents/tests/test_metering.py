"""Document metrics are counted from the events the documents application stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from lienthong.documents.adapters.outbound.metering import PROCESSING, RECEIVED, SENT, DocumentMetrics
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.incoming import IncomingDocument
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.eventstore import store_environment
from lienthong.telemetry.readings import Labels, metric_points

AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
SENDER, ACCEPTING, REFUSING = "000.00.12.H41", "000.00.00.H41", "000.00.07.H41"


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def app(database_url: str, reader: InMemoryMetricReader) -> DocumentsApp:
    app = DocumentsApp(store_environment("documents", database_url))
    app.add_save_observer(DocumentMetrics(MeterProvider(metric_readers=[reader]).get_meter("test")).observe)
    return app


def labels(**pairs: str) -> Labels:
    return frozenset(pairs.items())


def send_urgent_letter(app: DocumentsApp) -> UUID:
    document = app.create_outgoing(
        sender_code=SENDER,
        doc_type=DocumentType.CONG_VAN,
        subject="Về việc triển khai",
        urgency=Urgency.HOA_TOC,
        confidentiality=Confidentiality.NORMAL,
        content_sha256="f" * 64,
    )
    app.register_outgoing(document.id, agency_short_name="STTTT", issued_at=AT, content_for=lambda d, c: "f" * 64)
    app.sign_outgoing(document.id, content_sha256="e" * 64, certificate_serial="01", signed_at=AT)
    app.send_outgoing(document.id, routes={ACCEPTING: ACCEPTING, REFUSING: REFUSING}, sent_at=AT)
    return document.id


def test_a_document_sent_to_two_agencies_counts_one_sent_two_received_and_each_answer_s_time(
    app: DocumentsApp, reader: InMemoryMetricReader
) -> None:
    document_id = send_urgent_letter(app)
    copies = app.outgoing(document_id).recipients
    accepted, refused = UUID(copies[ACCEPTING]), UUID(copies[REFUSING])
    app.accept_incoming(accepted, accepted_at=AT + timedelta(hours=2))
    app.refuse_incoming(refused, reason="Gửi nhầm cơ quan", at=AT + timedelta(minutes=30))
    app.assign_incoming(accepted, assignee="Phòng Tổng hợp", due_on=None, at=AT + timedelta(hours=3))
    app.complete_incoming(accepted, at=AT + timedelta(days=3))

    letter = {"doc_type": "CONG_VAN", "urgency": "HOA_TOC"}
    assert metric_points(reader, SENT) == {labels(**letter): 1}
    assert metric_points(reader, RECEIVED) == {labels(**letter, origin="platform"): 2}
    assert metric_points(reader, PROCESSING, histogram_sums=True) == {
        labels(urgency="HOA_TOC", outcome="accepted"): 2 * 3600,
        labels(urgency="HOA_TOC", outcome="refused"): 30 * 60,
        labels(urgency="HOA_TOC", outcome="done"): 3 * 86400,
    }


def test_a_copy_imported_from_edxml_is_received_from_edxml(app: DocumentsApp, reader: InMemoryMetricReader) -> None:
    imported = IncomingDocument(
        outgoing_id=uuid4(),
        sender_code="000.00.00.G22",
        recipient_code=ACCEPTING,
        doc_type="QUYET_DINH",
        subject="Quyết định",
        code="12/QĐ-VPCP",
        urgency="NORMAL",
        arrived_at=AT,
        edxml_document_id="000.00.00.G22,2026/11/24,12/QĐ-VPCP",
        envelope_sha256="a" * 64,
    )
    app.import_incoming([imported])

    assert metric_points(reader, RECEIVED) == {labels(doc_type="QUYET_DINH", urgency="NORMAL", origin="edxml"): 1}
    assert metric_points(reader, SENT) == {}
