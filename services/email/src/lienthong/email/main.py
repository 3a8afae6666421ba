"""Wiring of the email service: event store, outbox read model, document-event consumer, SMTP delivery."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from lienthong.audit.accesslog import AccessLogBook
from lienthong.audit.checkpoints import SignedCheckpoints
from lienthong.audit.service import audit_service
from lienthong.consumer import LocalFollower, StreamConsumer
from lienthong.consumer.pipeline import Reader, operations_service
from lienthong.email.adapters.inbound.api import EmailServicer
from lienthong.email.adapters.inbound.notifier import NOTIFIED, ArrivalNotifier
from lienthong.email.adapters.inbound.replies import ReplyDesk, ReplyListener, load_reply_secret
from lienthong.email.adapters.outbound.channels import BlockingChannel
from lienthong.email.adapters.outbound.deliverylog import DeliveryLog
from lienthong.email.adapters.outbound.documents import IncomingDocuments
from lienthong.email.application.app import EmailApp
from lienthong.email.application.delivery import Delivery, SmtpSettings
from lienthong.email.application.dispatch import Dispatcher
from lienthong.email.application.reminders import DailyRound
from lienthong.email.domain.replies import ReplyTokens
from lienthong.email.projections.deadlines import DEADLINE_EVENTS, Deadlines
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.email.projections.outbox import Outbox
from lienthong.email.v1 import email_pb2, email_pb2_grpc
from lienthong.eventstore import store_environment
from lienthong.eventstore.chain import ChainSealer
from lienthong.grpcserver import Service, Settings, run_service, serve
from lienthong.grpcserver.settings import address_of
from lienthong.identifiers_client import BlockingAgencyRegistry
from lienthong.leases import Fence, SingleActive, lease_for
from lienthong.relay import EventRelay, NatsLink, StreamNames
from lienthong.relay.topology import EMAIL_DEADLINES, EMAIL_NOTIFICATIONS

SERVICE = "email"


def smtp_settings() -> SmtpSettings:
    """`LIENTHONG_SMTP_HOST` (127.0.0.1), `_PORT` (2525), `_STARTTLS` (no), `_USERNAME`, `_PASSWORD`,
    `_CA_FILE` (CAs to trust for STARTTLS, else the system's), and `LIENTHONG_MAIL_FROM` (the sender address)."""
    return SmtpSettings(
        host=os.environ.get("LIENTHONG_SMTP_HOST", "127.0.0.1"),
        port=int(os.environ.get("LIENTHONG_SMTP_PORT", "2525")),
        starttls=os.environ.get("LIENTHONG_SMTP_STARTTLS", "no").lower() in ("1", "yes", "true"),
        username=os.environ.get("LIENTHONG_SMTP_USERNAME") or None,
        password=os.environ.get("LIENTHONG_SMTP_PASSWORD") or None,
        from_address=os.environ.get("LIENTHONG_MAIL_FROM", "lienthong@localhost"),
        ca_file=os.environ.get("LIENTHONG_SMTP_CA_FILE") or None,
    )


def delivery_log() -> DeliveryLog | None:
    """`LIENTHONG_SMTP_DELIVERY_LOG`: the mail server's delivery log (one Message-ID a line), read to settle
    an attempt a crash left in doubt; unset, such an attempt is sent again (see `delivery`)."""
    path = os.environ.get("LIENTHONG_SMTP_DELIVERY_LOG")
    return DeliveryLog(Path(path)) if path else None


@dataclass(frozen=True)
class InboundSettings:
    tokens: ReplyTokens
    host: str
    port: int


def inbound_settings(settings: Settings) -> InboundSettings | None:
    """`LIENTHONG_MAIL_INBOUND_ADDR` (host:port; unset: replies are not received, nor invited), the reply
    domain `LIENTHONG_MAIL_REPLY_DOMAIN` (`reply.lienthong.localhost`) and the secret tokens are signed with,
    `LIENTHONG_MAIL_REPLY_SECRET_FILE` (`<data dir>/email-reply.key`, created when missing)."""
    address = os.environ.get("LIENTHONG_MAIL_INBOUND_ADDR")
    if not address:
        return None
    host, _, port = address.rpartition(":")
    secret_file = os.environ.get("LIENTHONG_MAIL_REPLY_SECRET_FILE") or str(settings.data_dir / "email-reply.key")
    domain = os.environ.get("LIENTHONG_MAIL_REPLY_DOMAIN", "reply.lienthong.localhost")
    return InboundSettings(ReplyTokens(load_reply_secret(Path(secret_file)), domain), host, int(port))


def main() -> None:
    run_service(SERVICE, run)


async def run(settings: Settings) -> None:
    app = EmailApp(store_environment(SERVICE, settings.database_url))
    outbox = Outbox(app.engine)
    follower = LocalFollower(app, outbox, service=SERVICE)
    registry = MailRegistry(app.engine)
    registry_follower = LocalFollower(app, registry, service=SERVICE)
    identifiers = BlockingChannel(address_of("identifiers"))
    mailboxes = BlockingAgencyRegistry(identifiers.channel)
    inbound = inbound_settings(settings)
    tokens = inbound.tokens if inbound else None
    delivery = Delivery(
        app,
        outbox,
        follower,
        smtp_settings(),
        delivery_log=delivery_log(),
        replies=tokens,
        in_doubt_after=timedelta(seconds=float(os.environ.get("LIENTHONG_SMTP_IN_DOUBT_AFTER", "90"))),
    )
    dispatcher = Dispatcher(app, mailboxes, registry)
    names = StreamNames(settings.instance)
    link = NatsLink(settings.nats_url, name=SERVICE)
    notifier = ArrivalNotifier(app, dispatcher)
    consumer = StreamConsumer(
        link,
        stream=names.stream("documents"),
        durable=EMAIL_NOTIFICATIONS,
        sink=notifier,
        filter_subjects=[names.subject("documents", aggregate, event) for aggregate, event in NOTIFIED],
    )
    deadlines = Deadlines(app.engine)
    deadline_consumer = StreamConsumer(
        link,
        stream=names.stream("documents"),
        durable=EMAIL_DEADLINES,
        sink=deadlines,
        filter_subjects=[names.subject("documents", "IncomingDocument", event) for event in DEADLINE_EVENTS],
    )
    daily = DailyRound(
        app, dispatcher, deadlines, registry, mailboxes, hour=int(os.environ.get("LIENTHONG_MAIL_DAILY_HOUR", "7"))
    )
    # One replica at a time consumes the document streams (in order), delivers mail, runs the daily round,
    # relays, seals and has the chain signed: the holder of the service's lease.
    fence = Fence(lease_for(app.engine, SERVICE))
    relay = EventRelay(app, link, service=SERVICE, names=names, guard=fence.check)
    single = SingleActive(
        fence,
        [
            consumer.run,
            deadline_consumer.run,
            daily.run,
            delivery.run,
            relay.run,
            ChainSealer(app, fence.check).run,
            SignedCheckpoints(app, SERVICE, guard=fence.check).run,
        ],
        name=SERVICE,
    )
    servicer = EmailServicer(outbox, app, registry, registry_follower, mailboxes)

    listener = None
    documents = IncomingDocuments(address_of("documents"))
    if inbound is not None:
        desk = ReplyDesk(app, inbound.tokens, registry, documents)
        listener = ReplyListener(desk, inbound.tokens.domain, inbound.host, inbound.port)
        listener.start()

    async def close() -> None:
        if listener is not None:
            listener.stop()
        documents.close()
        identifiers.close()
        await link.close()

    await serve(
        settings,
        [
            Service(
                email_pb2.DESCRIPTOR.services_by_name["EmailService"].full_name,
                lambda server: email_pb2_grpc.add_EmailServiceServicer_to_server(servicer, server),
            ),
            audit_service(app, SERVICE),
            operations_service(
                SERVICE,
                [
                    Reader(outbox.name, outbox),
                    Reader(registry.name, registry),
                    Reader(EMAIL_NOTIFICATIONS, notifier, names.stream("documents"), EMAIL_NOTIFICATIONS),
                    Reader(deadlines.name, deadlines, names.stream("documents"), EMAIL_DEADLINES),
                ],
                app=app,
                relay=relay,
                link=link,
            ),
        ],
        background=[single.run, registry_follower.run],
        cleanup=[close],
        record_denial=AccessLogBook(app).denied,
    )


if __name__ == "__main__":
    main()
