"""Wiring of the email service: event store, outbox read model, document-event consumer, SMTP delivery."""

from __future__ import annotations

import os

from lienthong.audit.service import audit_service
from lienthong.consumer import LocalFollower, StreamConsumer
from lienthong.email.api import EmailServicer
from lienthong.email.application import EmailApp
from lienthong.email.delivery import Delivery, SmtpSettings
from lienthong.email.directory import AgencyMailboxes
from lienthong.email.notifier import NOTIFIED, ArrivalNotifier
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.email.projections.outbox import Outbox
from lienthong.email.v1 import email_pb2, email_pb2_grpc
from lienthong.eventstore import store_environment
from lienthong.eventstore.chain import ChainSealer
from lienthong.grpcserver import Service, Settings, run_service, serve
from lienthong.grpcserver.settings import address_of
from lienthong.relay import EventRelay, NatsLink, StreamNames

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


def main() -> None:
    run_service(SERVICE, run)


async def run(settings: Settings) -> None:
    app = EmailApp(store_environment(SERVICE, settings.database_url))
    outbox = Outbox(app.engine)
    follower = LocalFollower(app, outbox, service=SERVICE)
    registry = MailRegistry(app.engine)
    registry_follower = LocalFollower(app, registry, service=SERVICE)
    mailboxes = AgencyMailboxes(address_of("identifiers"))
    delivery = Delivery(app, outbox, follower, smtp_settings())
    names = StreamNames(settings.instance)
    link = NatsLink(settings.nats_url, name=SERVICE)
    consumer = StreamConsumer(
        link,
        stream=names.stream("documents"),
        durable="email",
        sink=ArrivalNotifier(app, mailboxes, registry),
        filter_subjects=[names.subject("documents", aggregate, event) for aggregate, event in NOTIFIED],
    )
    relay = EventRelay(app, link, service=SERVICE, names=names)
    servicer = EmailServicer(outbox, app, registry, registry_follower, mailboxes)

    async def close() -> None:
        mailboxes.close()
        await link.close()

    await serve(
        settings,
        [
            Service(
                email_pb2.DESCRIPTOR.services_by_name["EmailService"].full_name,
                lambda server: email_pb2_grpc.add_EmailServiceServicer_to_server(servicer, server),
            ),
            audit_service(app, SERVICE),
        ],
        background=[consumer.run, delivery.run, relay.run, registry_follower.run, ChainSealer(app).run],
        cleanup=[close],
    )


if __name__ == "__main__":
    main()
