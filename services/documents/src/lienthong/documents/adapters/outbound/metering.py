"""Document metrics: how many documents were sent and received, and how long recipients took to process them.

Counted from the events the documents application stores (it tells `DocumentMetrics.observe` after each
save), so every way in — the gRPC API, an edXML import — is counted once, by the replica that stored it.
Labels are low-cardinality: document type (29), urgency (4), origin, outcome; never agencies or ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import DomainEventProtocol
from opentelemetry import metrics

from lienthong.documents.domain.incoming import IncomingDocument
from lienthong.documents.domain.outgoing import OutgoingDocument
from lienthong.eventstore import SavedChanges

SENT = "lienthong.documents.sent"
RECEIVED = "lienthong.documents.received"
PROCESSING = "lienthong.documents.processing.duration"
# From minutes (a clerk accepting at once) to weeks (a document processed by its deadline).
PROCESSING_BUCKETS = (60, 300, 900, 3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400)
# The event of an incoming copy that ends a step of its processing → the outcome it is measured as.
_OUTCOMES = {"Accepted": "accepted", "Refused": "refused", "Completed": "done"}


class DocumentMetrics:
    """Counts sent and received documents and measures processing times from stored events."""

    def __init__(self, meter: metrics.Meter | None = None) -> None:
        meter = meter or metrics.get_meter("lienthong.documents")
        self._sent = meter.create_counter(
            SENT, unit="{document}", description="Outgoing documents sent, by document type and urgency"
        )
        self._received = meter.create_counter(
            RECEIVED,
            unit="{document}",
            description="Incoming copies arrived, by document type, urgency and origin (platform or edxml)",
        )
        self._processing = meter.create_histogram(
            PROCESSING,
            unit="s",
            description="Time from a copy's arrival to its acceptance, refusal or completion (outcome), by urgency",
            explicit_bucket_boundaries_advisory=PROCESSING_BUCKETS,
        )

    def observe(self, changes: SavedChanges) -> None:
        for aggregate, events in changes:
            for event in events:
                self._count(aggregate, event)

    def _count(self, aggregate: Any, event: DomainEventProtocol[Any]) -> None:
        name = type(event).__name__
        if isinstance(aggregate, OutgoingDocument) and name == "Sent":
            self._sent.add(1, {"doc_type": aggregate.doc_type, "urgency": aggregate.urgency})
        elif isinstance(aggregate, IncomingDocument) and name == "Arrived":
            origin = "edxml" if aggregate.imported else "platform"
            self._received.add(1, {"doc_type": aggregate.doc_type, "urgency": aggregate.urgency, "origin": origin})
        elif isinstance(aggregate, IncomingDocument) and name in _OUTCOMES:
            ended: datetime = vars(event).get("accepted_at") or vars(event)["at"]
            self._processing.record(
                max((ended - aggregate.arrived_at).total_seconds(), 0.0),
                {"urgency": aggregate.urgency, "outcome": _OUTCOMES[name]},
            )
