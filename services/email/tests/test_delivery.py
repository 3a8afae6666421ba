"""The outbox against the real SMTP sink: retries with back-off on 4xx, a bounce on 5xx, each state an event,
and an attempt a crash left in doubt settled from the server's delivery log instead of sent blindly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from uuid import UUID

import pytest

from lienthong.consumer import LocalFollower
from lienthong.email.adapters.outbound.deliverylog import DeliveryLog
from lienthong.email.adapters.outbound.sink import MailSink, read_mailbox
from lienthong.email.adapters.outbound.smtp import TemporaryDeliveryError, send_message
from lienthong.email.application.app import EmailApp
from lienthong.email.application.delivery import IN_DOUBT_AFTER, Delivery, SmtpSettings
from lienthong.email.domain.notification import Notification
from lienthong.email.domain.replies import ReplyTokens
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.email.projections.outbox import Outbox
from lienthong.eventstore import store_environment

AGENCY = "000.00.00.H41"
START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def app(database_url: str) -> EmailApp:
    return EmailApp(store_environment("email", database_url))


def delivery(
    app: EmailApp, sink: MailSink, clock: Clock, *, log: bool = True, replies: ReplyTokens | None = None
) -> Delivery:
    outbox = Outbox(app.engine)
    smtp = SmtpSettings(sink.host, sink.port, False, None, None, "lienthong@khanhhoa.gov.vn")
    return Delivery(
        app,
        outbox,
        LocalFollower(app, outbox, service="email"),
        smtp,
        clock,
        delivery_log=DeliveryLog(sink.delivery_log) if log else None,
        replies=replies,
    )


def queued(app: EmailApp, number: int = 1) -> Notification:
    mail = Notification(
        source_event=f"doc-{number}:1",
        agency_code=AGENCY,
        agency_name="Ủy ban nhân dân tỉnh Khánh Hòa",
        to_address="vanthu@khanhhoa.gov.vn",
        sender_name="Sở Thông tin và Truyền thông",
        code=f"{number:02d}/BC-STTTT",
        subject="Báo cáo tình hình ứng dụng công nghệ thông tin",
        document_id=f"doc-{number}",
        arrived_at=START,
    )
    app.save(mail)
    return mail


def events_of(app: EmailApp, notification_id: UUID) -> list[str]:
    return [stored.topic.rsplit(".", 1)[1] for stored in app.recorder.select_events(notification_id)]


def test_temporary_refusals_are_retried_with_back_off_until_delivered(app: EmailApp, sink: MailSink) -> None:
    clock = Clock()
    outbox = delivery(app, sink, clock)
    mail = queued(app)
    sink.fail_next(451, count=2)

    assert outbox.deliver_due() == 1  # refused once: deferred 30 s
    assert outbox.deliver_due() == 0  # not due yet
    clock.now += timedelta(seconds=30)
    assert outbox.deliver_due() == 1  # refused again: deferred 1 min
    clock.now += timedelta(seconds=59)
    assert outbox.deliver_due() == 0
    clock.now += timedelta(seconds=1)
    assert outbox.deliver_due() == 1

    assert events_of(app, mail.id) == [
        "Queued",
        "AttemptStarted",
        "Deferred",
        "AttemptStarted",
        "Deferred",
        "AttemptStarted",
        "Sent",
    ]
    [received] = read_mailbox(sink.directory)
    assert received["Message-ID"] == mail.message_id
    registry = MailRegistry(app.engine)
    LocalFollower(app, registry, service="email").catch_up()
    usage = registry.usage(AGENCY, None, None)
    assert (usage.sent, usage.deferred, usage.bounced) == (1, 2, 0)


def test_a_permanent_refusal_is_a_bounce_and_is_not_retried(app: EmailApp, sink: MailSink) -> None:
    clock = Clock()
    outbox = delivery(app, sink, clock)
    mail = queued(app)
    sink.fail_next(550)

    assert outbox.deliver_due() == 1
    clock.now += timedelta(days=1)
    assert outbox.deliver_due() == 0

    assert events_of(app, mail.id) == ["Queued", "AttemptStarted", "Bounced"]
    assert read_mailbox(sink.directory) == []


def crashed_after_the_server_took_it(app: EmailApp, sink: MailSink, mail: Notification) -> None:
    """What a process killed between the server's 250 and recording it leaves: an attempt started, the mail
    in the server."""
    app.start_attempt(mail.id, START)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "lienthong@khanhhoa.gov.vn", mail.to_address, "x"
    message["Message-ID"] = mail.message_id
    message.set_content("x")
    send_message(message, host=sink.host, port=sink.port)


def test_an_attempt_the_server_took_before_a_crash_is_confirmed_not_sent_again(app: EmailApp, sink: MailSink) -> None:
    mail = queued(app)
    crashed_after_the_server_took_it(app, sink, mail)

    assert delivery(app, sink, Clock(START + IN_DOUBT_AFTER)).deliver_due() == 0

    assert events_of(app, mail.id) == ["Queued", "AttemptStarted", "DeliveryConfirmed"]
    assert [m["Message-ID"] for m in read_mailbox(sink.directory)] == [mail.message_id]
    assert Outbox(app.engine).of_agency(AGENCY)[0].state == "sent"


def test_an_attempt_the_server_never_took_is_sent_again(app: EmailApp, sink: MailSink) -> None:
    mail = queued(app)
    app.start_attempt(mail.id, START)  # killed before the server stored it

    assert delivery(app, sink, Clock(START + IN_DOUBT_AFTER)).deliver_due() == 1

    assert events_of(app, mail.id) == ["Queued", "AttemptStarted", "Interrupted", "AttemptStarted", "Sent"]
    assert [m["Message-ID"] for m in read_mailbox(sink.directory)] == [mail.message_id]


def test_without_a_delivery_log_an_attempt_in_doubt_is_sent_again_with_the_same_message_id(
    app: EmailApp, sink: MailSink
) -> None:
    mail = queued(app)
    crashed_after_the_server_took_it(app, sink, mail)

    assert delivery(app, sink, Clock(START + IN_DOUBT_AFTER), log=False).deliver_due() == 1

    # The documented at-least-once case: the receiver can tell the copies apart by their one Message-ID.
    assert events_of(app, mail.id) == ["Queued", "AttemptStarted", "Interrupted", "AttemptStarted", "Sent"]
    assert [m["Message-ID"] for m in read_mailbox(sink.directory)] == [mail.message_id] * 2


def test_an_attempt_in_progress_in_another_replica_is_left_alone(app: EmailApp, sink: MailSink) -> None:
    mail = queued(app)
    other_replica = EmailApp(app.env)  # the same store, another process
    other_replica.start_attempt(mail.id, START)
    clock = Clock(START + IN_DOUBT_AFTER - timedelta(seconds=1))
    this_replica = delivery(app, sink, clock)

    assert this_replica.deliver_due() == 0  # not due (being sent), not yet in doubt
    assert events_of(app, mail.id) == ["Queued", "AttemptStarted"]
    assert read_mailbox(sink.directory) == []
    clock.now += timedelta(seconds=1)  # the other replica never finished: now it is in doubt
    assert this_replica.deliver_due() == 1
    assert events_of(app, mail.id)[-3:] == ["Interrupted", "AttemptStarted", "Sent"]


def test_the_sink_logs_every_message_it_stored_and_none_it_refused(sink: MailSink) -> None:
    log = DeliveryLog(sink.delivery_log)
    assert not log.was_delivered("<a@lienthong>")
    for message_id in ("<a@lienthong>", "<b@lienthong>"):
        message = EmailMessage()
        message["From"], message["To"], message["Message-ID"] = "a@b.vn", "c@d.vn", message_id
        message.set_content("x")
        if message_id == "<b@lienthong>":
            sink.fail_next(451)
            with pytest.raises(TemporaryDeliveryError):
                send_message(message, host=sink.host, port=sink.port)
        else:
            send_message(message, host=sink.host, port=sink.port)
    assert log.was_delivered("<a@lienthong>")
    assert not log.was_delivered("<b@lienthong>")


def test_an_arrival_notification_carries_a_reply_address_that_names_it(app: EmailApp, sink: MailSink) -> None:
    tokens = ReplyTokens(b"k" * 32, "reply.khanhhoa.gov.vn")
    mail = queued(app)

    delivery(app, sink, Clock(), replies=tokens).deliver_due()

    [received] = read_mailbox(sink.directory)
    reply_to = str(received["Reply-To"])
    assert reply_to == tokens.address(mail.id, mail.document_id, AGENCY)
    assert reply_to.startswith(f"reply+{mail.id.hex}.")
    text = received.get_body(preferencelist=("plain",))
    assert text is not None
    assert "TỪ CHỐI: <lý do>" in text.get_content()
