"""The documents service's stream as the reporting tests see it: real envelopes on real JetStream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from google.protobuf import struct_pb2
from nats.js.api import PubAck

from lienthong.consumer import StreamConsumer
from lienthong.events.v1 import events_pb2
from lienthong.relay import NatsLink, StreamNames, ensure_stream
from lienthong.reporting.projections.activity import DocumentActivity


class DocumentEvents:
    """Builds the documents service's events as its relay publishes them, between two agencies."""

    sender = "000.00.12.H41"
    recipient = "000.00.00.H41"

    @staticmethod
    def envelope(
        aggregate: str, event: str, aggregate_id: str, version: int = 1, **data: Any
    ) -> events_pb2.EventEnvelope:
        payload = struct_pb2.Struct()
        payload.update(data)
        return events_pb2.EventEnvelope(
            service="documents",
            aggregate=aggregate,
            aggregate_id=aggregate_id,
            version=version,
            event=event,
            data=payload,
        )

    def sent(self, n: int, at: str, sender: str | None = None) -> events_pb2.EventEnvelope:
        """Outgoing document `out-<n>` sent to the recipient at `at`."""
        recipients = [{"recipient_code": self.recipient, "incoming_id": f"in-{n}", "addressed_to": [self.recipient]}]
        return self.envelope(
            "OutgoingDocument",
            "Sent",
            f"out-{n}",
            version=5,
            sender_code=sender or self.sender,
            recipients=recipients,
            sent_at=at,
        )

    def arrived(self, n: int, at: str, recipient: str | None = None) -> events_pb2.EventEnvelope:
        """Incoming copy `in-<n>` of `out-<n>` arrived at the recipient at `at`."""
        return self.envelope(
            "IncomingDocument",
            "Arrived",
            f"in-{n}",
            outgoing_id=f"out-{n}",
            sender_code=self.sender,
            recipient_code=recipient or self.recipient,
            doc_type="CV",
            subject="Về việc báo cáo số liệu",
            code=f"{n}/UBND-VP",
            urgency="normal",
            arrived_at=at,
        )

    def drafted(self, n: int, sender: str | None = None) -> events_pb2.EventEnvelope:
        """Outgoing document `out-<n>` drafted."""
        return self.envelope(
            "OutgoingDocument", "Drafted", f"out-{n}", sender_code=sender or self.sender, doc_type="BC"
        )

    def signed(self, n: int) -> events_pb2.EventEnvelope:
        """Outgoing document `out-<n>` signed with the agency's seal."""
        return self.envelope("OutgoingDocument", "Signed", f"out-{n}", version=4, certificate_serial="1f")

    def refused(self, n: int, at: str) -> events_pb2.EventEnvelope:
        """Incoming copy `in-<n>` refused by the recipient."""
        data = {"sender_code": self.sender, "recipient_code": self.recipient, "reason": "sai nơi nhận", "at": at}
        return self.envelope("IncomingDocument", "Refused", f"in-{n}", version=2, **data)

    def completed(self, n: int, at: str) -> events_pb2.EventEnvelope:
        """Incoming copy `in-<n>` done (processed) at `at`."""
        return self.envelope("IncomingDocument", "Completed", f"in-{n}", version=5, at=at)

    def recalled(self, n: int, at: str) -> events_pb2.EventEnvelope:
        """Incoming copy `in-<n>` given back on its sender's recall."""
        return self.envelope("IncomingDocument", "Recalled", f"in-{n}", version=4, at=at)

    @staticmethod
    def agency(code: str, parent_code: str, name: str) -> events_pb2.EventEnvelope:
        """The identifiers service's `Registered` event of an agency (published on its own stream)."""
        envelope = DocumentEvents.envelope(
            "Agency", "Registered", f"agency-{code}", code=code, parent_code=parent_code, name=name, level=2.0
        )
        envelope.service = "identifiers"
        envelope.occurred_at.FromJsonString("2026-11-20T03:00:00Z")
        return envelope

    def registered(self, n: int) -> events_pb2.EventEnvelope:
        """An event reporting does not count (numbers arrive as floats, as in any Struct)."""
        return self.envelope("OutgoingDocument", "Registered", f"out-{n}", version=3, number=float(n))


class SigningEvents:
    """Builds the signing service's events as its relay publishes them (certificate `cert-<n>`)."""

    @staticmethod
    def envelope(
        aggregate: str, event: str, aggregate_id: str, version: int, occurred_at: str, **data: Any
    ) -> events_pb2.EventEnvelope:
        envelope = DocumentEvents.envelope(aggregate, event, aggregate_id, version, **data)
        envelope.service = "signing"
        envelope.occurred_at.FromJsonString(occurred_at.replace("+00:00", "Z"))
        return envelope

    def issued(
        self, n: int, agency: str, at: str, kind: str = "organisation", not_before: str = "", not_after: str = ""
    ) -> events_pb2.EventEnvelope:
        """Certificate `cert-<n>` issued at `at` for `agency`, valid from `not_before` (default: `at`) for a year
        (or to `not_after`)."""
        return self.envelope(
            "Certificate",
            "Issued",
            f"cert-{n}",
            1,
            at,
            serial=f"{n:x}",
            agency_code=agency,
            kind=kind,
            subject=f"CN=certificate {n}",
            not_before=not_before or at,
            not_after=not_after or "2027-11-20T00:00:00+00:00",
            pem="-----BEGIN CERTIFICATE-----",
            origin="issued",
        )

    def changed(self, n: int, version: int, event: str, at: str) -> events_pb2.EventEnvelope:
        """Certificate `cert-<n>` Suspended, Reactivated or Revoked at `at`."""
        return self.envelope("Certificate", event, f"cert-{n}", version, at, reason="mất thiết bị", at=at)

    def signature(self, n: int, version: int, at: str, policy: str = "") -> events_pb2.EventEnvelope:
        """A signature made with `cert-<n>` at `at` (automatic when `policy` names the policy that allowed it)."""
        return self.envelope(
            "Certificate",
            "SignatureMade",
            f"cert-{n}",
            version,
            at,
            document_sha256="ab" * 32,
            signed_sha256="cd" * 32,
            reason="Ban hành",
            signed_at=at,
            policy=policy,
        )

    def requested(self, n: int, agency: str, at: str, kind: str = "individual") -> events_pb2.EventEnvelope:
        """Registration request `request-<n>` of a certificate for a person of `agency`."""
        return self.envelope(
            "RegistrationRequest",
            "Requested",
            f"request-{n}",
            1,
            at,
            kind=kind,
            agency_code=agency,
            person_name="Nguyễn Văn A",
            person_id="001099000001",
            reason="cán bộ mới",
            requested_at=at,
        )

    def fulfilled(self, n: int, issued_at: str, active_from: str) -> events_pb2.EventEnvelope:
        return self.envelope(
            "RegistrationRequest",
            "Fulfilled",
            f"request-{n}",
            2,
            issued_at,
            serial=f"{n:x}",
            issued_at=issued_at,
            active_from=active_from,
        )

    def failed(self, n: int, agency: str, at: str) -> events_pb2.EventEnvelope:
        """A verification that failed for a document expected from `agency`."""
        return self.envelope(
            "FailedVerification",
            "Recorded",
            f"failure-{n}",
            1,
            at,
            document_sha256="ef" * 32,
            indication="TOTAL-FAILED",
            sub_indication="HASH_FAILURE",
            expected_agency_code=agency,
        )


class EmailEvents:
    """Builds the email service's events as its relay publishes them (mailbox `mailbox-<n>`, notification
    `mail-<n>`)."""

    @staticmethod
    def envelope(
        aggregate: str, event: str, aggregate_id: str, version: int, occurred_at: str, **data: Any
    ) -> events_pb2.EventEnvelope:
        envelope = SigningEvents.envelope(aggregate, event, aggregate_id, version, occurred_at, **data)
        envelope.service = "email"
        return envelope

    def provisioned(self, n: int, agency: str, at: str) -> events_pb2.EventEnvelope:
        data = {"address": f"hopthu{n}@khanhhoa.gov.vn", "agency_code": agency, "holder": "Văn phòng"}
        return self.envelope("Mailbox", "Provisioned", f"mailbox-{n}", 1, at, **data)

    def mailbox(self, n: int, version: int, event: str, at: str) -> events_pb2.EventEnvelope:
        """Mailbox `mailbox-<n>` Suspended, Reactivated or Deleted at `at`."""
        return self.envelope("Mailbox", event, f"mailbox-{n}", version, at, reason="nghỉ hưu")

    def queued(self, n: int, agency: str, at: str) -> events_pb2.EventEnvelope:
        return self.envelope(
            "Notification",
            "Queued",
            f"mail-{n}",
            1,
            at,
            source_event=f"in-{n}:1",
            agency_code=agency,
            agency_name="Sở TTTT",
            to_address="vanthu@khanhhoa.gov.vn",
            sender_name="UBND tỉnh",
            code=f"{n}/UBND-VP",
            subject="Về việc báo cáo",
            document_id=f"in-{n}",
            arrived_at=at,
        )

    def outcome(self, n: int, version: int, event: str, at: str) -> events_pb2.EventEnvelope:
        """Notification `mail-<n>` Sent, DeliveryConfirmed, Deferred or Bounced at `at`."""
        return self.envelope("Notification", event, f"mail-{n}", version, at, at=at, reason="452 mailbox full")


class DocumentsStream:
    """Publishes to, and consumes from, the `documents` stream of one test's NATS instance."""

    def __init__(self, nats_url: str, instance: str) -> None:
        self.nats_url = nats_url
        self.names = StreamNames(instance)
        self.stream = self.names.stream("documents")

    async def publish(self, *events: events_pb2.EventEnvelope, message_id: str | None = None) -> list[PubAck]:
        """Publish as the relay does: on the event's subject, `Nats-Msg-Id` = `<aggregate id>:<version>`."""
        nc = await nats.connect(self.nats_url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, self.names, "documents")
            acks = []
            for event in events:
                subject = self.names.subject("documents", event.aggregate, event.event)
                headers = {"Nats-Msg-Id": message_id or f"{event.aggregate_id}:{event.version}"}
                acks.append(await js.publish(subject, event.SerializeToString(), headers=headers))
            return acks
        finally:
            await nc.close()

    async def stored(self) -> int:
        """How many messages the stream holds."""
        nc = await nats.connect(self.nats_url)
        try:
            return int((await nc.jetstream().stream_info(self.stream)).state.messages)
        finally:
            await nc.close()

    @contextlib.asynccontextmanager
    async def consuming(self, activity: DocumentActivity) -> AsyncIterator[StreamConsumer]:
        """A consumer feeding `activity` as the service runs it (durable `reporting`), stopped on exit."""
        link = NatsLink(self.nats_url, "reporting-test")
        consumer = StreamConsumer(link, stream=self.stream, durable="reporting", sink=activity, fetch_timeout=0.2)
        task = asyncio.create_task(consumer.run())
        try:
            yield consumer
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await link.close()


@pytest.fixture
def events() -> DocumentEvents:
    return DocumentEvents()


@pytest.fixture
def signing() -> SigningEvents:
    return SigningEvents()


@pytest.fixture
def email() -> EmailEvents:
    return EmailEvents()


@pytest.fixture
def documents(nats_url: str, instance: str) -> DocumentsStream:
    return DocumentsStream(nats_url, instance)
