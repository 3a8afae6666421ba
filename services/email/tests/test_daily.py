"""Preferences, reminders and digests: who is told of what and how, documents due tomorrow or overdue reminded
once per deadline, and a leader's digest of the day mailed the next morning."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from google.protobuf.struct_pb2 import Struct

from lienthong.consumer import LocalFollower
from lienthong.email.adapters.inbound.notifier import ArrivalNotifier
from lienthong.email.adapters.outbound.sink import MailSink, read_mailbox
from lienthong.email.application.app import EmailApp
from lienthong.email.application.delivery import Delivery, SmtpSettings
from lienthong.email.application.dispatch import Dispatcher
from lienthong.email.application.recipients import Recipient, recipients_of
from lienthong.email.application.reminders import DailyRound
from lienthong.email.domain.digest import id_of_digest
from lienthong.email.domain.mailbox import Mailbox as OfficialMailbox
from lienthong.email.domain.notification import Notification
from lienthong.email.projections.deadlines import Deadlines
from lienthong.email.projections.mailboxes import MailboxRow, MailRegistry
from lienthong.email.projections.outbox import Outbox
from lienthong.errors import FailedPrecondition, InvalidArgument, NotFound
from lienthong.events.v1 import events_pb2
from lienthong.eventstore import store_environment
from lienthong.identifiers_client import AgencyInfo
from lienthong.vietnamese.calendar import VIETNAM

SENDER, RECIPIENT = "000.00.12.H41", "000.00.00.H41"
OFFICIAL = "vanthu@khanhhoa.gov.vn"
STAFF = "chuyenvien.a@khanhhoa.gov.vn"
LEADER = "chutich@khanhhoa.gov.vn"
DAY = date(2026, 11, 24)


def row(address: str, *, state: str = "active", kinds: str = "arrived,overdue", digest: bool = False) -> MailboxRow:
    return MailboxRow(address, RECIPIENT, "", state, datetime.now(UTC), kinds, digest)


def test_a_mailbox_chooses_what_it_is_told_and_how() -> None:
    mailbox = OfficialMailbox(LEADER, RECIPIENT, "Chủ tịch")
    mailbox.set_preferences(["overdue", "arrived", "arrived"], digest=True)
    assert (mailbox.kinds, mailbox.digest) == (["arrived", "overdue"], True)
    with pytest.raises(InvalidArgument, match="unknown notification kinds"):
        mailbox.set_preferences(["birthday"], digest=False)
    mailbox.delete()
    with pytest.raises(FailedPrecondition):
        mailbox.set_preferences(["arrived"], digest=False)


def test_the_official_address_and_each_registered_mailbox_are_told_as_they_prefer() -> None:
    mailboxes = [row(STAFF), row(LEADER, digest=True), row("nghi.phep@khanhhoa.gov.vn", state="suspended")]
    assert recipients_of("arrived", OFFICIAL, mailboxes) == [
        Recipient(OFFICIAL, digest=False, official=True),
        Recipient(STAFF, digest=False, official=False),
        Recipient(LEADER, digest=True, official=False),
    ]
    assert recipients_of("refused", OFFICIAL, mailboxes) == [Recipient(OFFICIAL, digest=False, official=True)]
    assert recipients_of("arrived", OFFICIAL, [row(OFFICIAL, state="suspended")]) == []
    assert recipients_of("arrived", OFFICIAL, [row(OFFICIAL, digest=True)]) == [
        Recipient(OFFICIAL, digest=True, official=True)
    ]


class Agencies:
    """The agency registry as the identifiers service answers it."""

    def get(self, code: str) -> AgencyInfo:
        if code not in (SENDER, RECIPIENT):
            raise NotFound(f"agency {code} is not registered")  # as the identifiers client says it
        return {
            SENDER: AgencyInfo(
                SENDER, "Sở Thông tin và Truyền thông", "STTTT", True, "active", email="vanthu.stttt@khanhhoa.gov.vn"
            ),
            RECIPIENT: AgencyInfo(RECIPIENT, "Ủy ban nhân dân tỉnh Khánh Hòa", "UBND", True, "active", email=OFFICIAL),
        }[code]


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


class World:
    """The email service's parts, in process, at 08:00 Vietnam time on DAY."""

    def __init__(self, database_url: str, sink: MailSink) -> None:
        self.app = EmailApp(store_environment("email", database_url))
        self.mail_dir = sink.directory
        self.clock = Clock(datetime(DAY.year, DAY.month, DAY.day, 8, tzinfo=VIETNAM))
        self.registry = MailRegistry(self.app.engine)
        self.registry_follower = LocalFollower(self.app, self.registry, service="email")
        self.deadlines = Deadlines(self.app.engine)
        self.dispatcher = Dispatcher(self.app, Agencies(), self.registry, self.clock)
        self.round = DailyRound(self.app, self.dispatcher, self.deadlines, self.registry, Agencies(), clock=self.clock)
        outbox = Outbox(self.app.engine)
        smtp = SmtpSettings(sink.host, sink.port, False, None, None, "lienthong@khanhhoa.gov.vn")
        follower = LocalFollower(self.app, outbox, service="email")
        self.delivery = Delivery(self.app, outbox, follower, smtp, self.clock)
        self._positions = itertools.count(1)

    def document_event(self, incoming_id: str, event: str, **data: Any) -> events_pb2.EventEnvelope:
        envelope = events_pb2.EventEnvelope(
            service="documents", aggregate="IncomingDocument", aggregate_id=incoming_id, version=1, event=event
        )
        envelope.occurred_at.FromDatetime(self.clock())
        struct = Struct()
        struct.update(data)
        envelope.data.CopyFrom(struct)
        self.deadlines.process("DOCS", next(self._positions), envelope)
        return envelope

    def arrived(self, incoming_id: str, due_on: date | None = None, sender: str = SENDER) -> events_pb2.EventEnvelope:
        envelope = self.document_event(
            incoming_id,
            "Arrived",
            recipient_code=RECIPIENT,
            sender_code=sender,
            code=f"{incoming_id[-2:]}/BC-STTTT",
            subject=f"Báo cáo {incoming_id}",
            arrived_at=self.clock().isoformat(),
        )
        if due_on is not None:
            self.document_event(incoming_id, "Assigned", due_on=due_on.isoformat(), assignee="Phòng Tổng hợp")
        return envelope

    def provision(self, address: str, kinds: list[str], *, digest: bool) -> None:
        self.app.provision_mailbox(address, RECIPIENT, "Chủ tịch" if digest else "Chuyên viên")
        self.app.set_mailbox_preferences(address, kinds, digest=digest)
        self.registry_follower.catch_up()


@pytest.fixture
def world(database_url: str, sink: MailSink) -> World:
    return World(database_url, sink)


def notified(world: World) -> list[tuple[str, str]]:
    return sorted(
        (str(n.kind), str(n.to_address))
        for record in world.app.recorder.select_notifications(start=1, limit=10_000)
        if record.topic.endswith("Notification.Queued")
        for n in [world.app.repository.get(record.originator_id)]
        if isinstance(n, Notification)
    )


def test_an_arrival_is_mailed_at_once_to_those_who_want_it_and_kept_for_a_leaders_digest(world: World) -> None:
    world.provision(STAFF, ["arrived"], digest=False)
    world.provision(LEADER, ["arrived", "overdue"], digest=True)
    notifier = ArrivalNotifier(world.app, world.dispatcher)

    envelope = world.arrived("doc-01")
    notifier.process("DOCS", 1, envelope)
    notifier.process("DOCS", 1, envelope)  # delivered again: nothing more

    assert notified(world) == [("arrived", STAFF), ("arrived", OFFICIAL)]
    world.clock.now += timedelta(days=1)
    assert world.round.tick() == 1  # the leader's digest of yesterday
    world.delivery.deliver_due()
    [digest] = [m for m in read_mailbox(world.mail_dir) if m["To"] == LEADER]
    assert str(digest["Subject"]) == "Tổng hợp thông báo văn bản: 1 thông báo ngày 24/11/2026"
    text = digest.get_body(preferencelist=("plain",))
    assert text is not None
    assert "[Văn bản đến] 01/BC-STTTT — Báo cáo doc-01" in text.get_content()


def test_a_batch_is_applied_in_one_transaction_reading_its_position_once(world: World) -> None:
    """The consumer hands the notifier a fetched batch: two arrivals for a leader who wants a digest are two
    items of one digest day (loaded once, saved together), an unreadable event among them is passed, and the
    whole batch is redelivered without effect."""
    world.provision(STAFF, ["arrived"], digest=False)
    world.provision(LEADER, ["arrived"], digest=True)
    notifier = ArrivalNotifier(world.app, world.dispatcher)
    unreadable = world.document_event("doc-03", "Arrived", recipient_code=RECIPIENT)  # no sender, code, subject
    batch = [(1, world.arrived("doc-01")), (2, unreadable), (3, world.arrived("doc-02"))]
    reads: list[str] = []
    read_position = world.app.last_tracked_position

    def counted(stream: str) -> int:
        reads.append(stream)
        return read_position(stream)

    world.app.last_tracked_position = counted  # type: ignore[method-assign]
    notifier.process_many("DOCS", batch)
    assert reads == ["DOCS"]
    notifier.process_many("DOCS", batch)  # redelivered: nothing more

    assert notified(world) == [("arrived", STAFF), ("arrived", STAFF), ("arrived", OFFICIAL), ("arrived", OFFICIAL)]
    assert read_position("DOCS") == 3
    digest = world.app.repository.get(id_of_digest(LEADER, DAY))
    assert [item["code"] for item in digest.items] == ["01/BC-STTTT", "02/BC-STTTT"]


def test_an_agency_outside_the_registry_is_named_by_its_code_and_never_told_by_mail(world: World) -> None:
    """A ministry writes over the national axis; the registry holds only the province's agencies. Its arrival
    is told with its code for a name; its refusal is told to nobody here (before, both raised NotFound and
    the email service's consumer of the documents stream retried that event for ever)."""
    notifier = ArrivalNotifier(world.app, world.dispatcher)
    ministry = "000.00.00.G13"
    notifier.process("DOCS", 1, world.arrived("doc-07", sender=ministry))
    refusal = world.document_event(
        "doc-08",
        "Refused",
        sender_code=ministry,
        recipient_code=RECIPIENT,
        code="13/BTTTT-VP",
        subject="Công văn khác",
        at=world.clock().isoformat(),
        reason="Sai nơi nhận",
    )
    notifier.process("DOCS", 2, refusal)

    assert notified(world) == [("arrived", OFFICIAL)]
    [queued] = [r for r in world.app.recorder.select_notifications(start=1, limit=100) if r.topic.endswith("Queued")]
    assert world.app.repository.get(queued.originator_id).sender_name == ministry
    assert world.app.last_tracked_position("DOCS") == 2  # the refusal is passed, not retried


def test_due_tomorrow_and_overdue_are_reminded_once_per_deadline_and_digested(world: World) -> None:
    world.provision(LEADER, ["overdue", "due_tomorrow"], digest=True)
    world.arrived("doc-01", due_on=DAY + timedelta(days=1))  # due tomorrow
    world.arrived("doc-02", due_on=DAY - timedelta(days=1))  # overdue
    world.arrived("doc-03", due_on=DAY - timedelta(days=2))  # overdue but done
    world.document_event("doc-03", "Completed", at=world.clock().isoformat())
    world.arrived("doc-04")  # no deadline

    assert world.round.tick() == 2
    assert world.round.tick() == 0  # once a day
    assert notified(world) == [("due_tomorrow", OFFICIAL), ("overdue", OFFICIAL)]
    world.delivery.deliver_due()
    subjects = sorted(str(m["Subject"]) for m in read_mailbox(world.mail_dir))
    assert subjects == [
        "Văn bản quá hạn xử lý: 02/BC-STTTT — Báo cáo doc-02",
        "Văn bản đến hạn xử lý ngày mai: 01/BC-STTTT — Báo cáo doc-01",
    ]
    bodies = [m.get_body(preferencelist=("plain",)) for m in read_mailbox(world.mail_dir)]
    texts = sorted(body.get_content() for body in bodies if body is not None)
    assert "đã quá hạn xử lý (23/11/2026)" in texts[0] + texts[1]
    assert "có hạn xử lý vào ngày mai (25/11/2026)" in texts[0] + texts[1]

    world.clock.now += timedelta(days=1)  # doc-01 due today, doc-02 still overdue: reminded already
    assert world.round.tick() == 1  # only the leader's digest of yesterday
    world.clock.now += timedelta(days=1)  # doc-01 overdue now
    assert world.round.tick() == 2  # doc-01 overdue at once; the digest of yesterday (doc-02 still overdue)
    assert notified(world).count(("overdue", OFFICIAL)) == 2
    world.delivery.deliver_due()
    first, second = [m.get_body(preferencelist=("plain",)) for m in read_mailbox(world.mail_dir) if m["To"] == LEADER]
    assert first is not None
    assert second is not None
    assert "[Đến hạn ngày mai] 01/BC-STTTT" in first.get_content()
    assert "[Quá hạn] 02/BC-STTTT" in first.get_content()
    assert "[Quá hạn] 02/BC-STTTT" in second.get_content()  # a leader sees it every day it stays overdue
    assert "01/BC-STTTT" not in second.get_content()


def test_nothing_is_reminded_before_the_morning_hour(world: World) -> None:
    world.arrived("doc-01", due_on=DAY - timedelta(days=1))
    world.clock.now = world.clock.now.replace(hour=6)
    assert world.round.tick() == 0
    world.clock.now = world.clock.now.replace(hour=7)
    assert world.round.tick() == 1
