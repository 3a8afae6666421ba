"""Official mailboxes: provisioned, suspended, active again, deleted for good; usage counted per period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lienthong.consumer import LocalFollower
from lienthong.email.application.app import EmailApp
from lienthong.email.domain.notification import Notification
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from lienthong.events.v1 import events_pb2
from lienthong.eventstore import store_environment

AGENCY = "000.00.00.H41"


@pytest.fixture
def app(database_url: str) -> EmailApp:
    return EmailApp(store_environment("email", database_url))


def test_a_mailbox_lives_through_its_states(app: EmailApp) -> None:
    registry = MailRegistry(app.engine)
    follower = LocalFollower(app, registry, service="email")
    app.provision_mailbox(" VanThu@KhanhHoa.gov.vn ", AGENCY, "")
    with pytest.raises(AlreadyExists, match="provisioned already"):
        app.provision_mailbox("vanthu@khanhhoa.gov.vn", AGENCY, "")
    app.suspend_mailbox("vanthu@khanhhoa.gov.vn", "nghỉ việc")
    follower.catch_up()
    assert registry.state_of("vanthu@khanhhoa.gov.vn") == "suspended"
    app.provision_mailbox("vanthu@khanhhoa.gov.vn", AGENCY, "")
    app.delete_mailbox("vanthu@khanhhoa.gov.vn")
    with pytest.raises(FailedPrecondition, match="an address is not given again"):
        app.provision_mailbox("vanthu@khanhhoa.gov.vn", AGENCY, "")
    follower.catch_up()
    assert [(m.address, m.state) for m in registry.mailboxes_of(AGENCY)] == [("vanthu@khanhhoa.gov.vn", "deleted")]


def test_an_address_that_is_not_one_is_refused(app: EmailApp) -> None:
    with pytest.raises(InvalidArgument, match="is not a mailbox address"):
        app.provision_mailbox("vanthu at khanhhoa", AGENCY, "")


def test_usage_counts_mailboxes_and_delivery_outcomes(app: EmailApp) -> None:
    registry = MailRegistry(app.engine)
    follower = LocalFollower(app, registry, service="email")
    app.provision_mailbox("vanthu@khanhhoa.gov.vn", AGENCY, "")
    app.provision_mailbox("nguyen.van.a@khanhhoa.gov.vn", AGENCY, "Nguyễn Văn A")
    app.suspend_mailbox("nguyen.van.a@khanhhoa.gov.vn", "")
    now = datetime.now(UTC)
    for n, outcome in enumerate(("sent", "deferred", "bounced")):
        mail = Notification(
            source_event=f"doc-{n}:1",
            agency_code=AGENCY,
            agency_name="UBND",
            to_address="vanthu@khanhhoa.gov.vn",
            sender_name="STTTT",
            code="01/BC-STTTT",
            subject="Báo cáo",
            document_id=f"doc-{n}",
            arrived_at=now,
        )
        app.save(mail)
        {
            "sent": app.record_sent,
            "deferred": lambda i, at: app.record_temporary_failure(i, "451", at),
            "bounced": lambda i, at: app.record_permanent_failure(i, "550", at),
        }[outcome](mail.id, now)
    follower.catch_up()
    usage = registry.usage(AGENCY, None, None)
    assert (usage.mailboxes_provisioned, usage.mailboxes_active) == (2, 1)
    assert (usage.sent, usage.deferred, usage.bounced) == (1, 1, 1)
    assert registry.usage(AGENCY, date(2000, 1, 1), date(2000, 12, 31)).sent == 0


def mailbox_event(registry: MailRegistry, position: int, event: str, at: datetime, **data: str) -> None:
    """A Mailbox event as the registry reads it, at a time of the test's choosing."""
    envelope = events_pb2.EventEnvelope(
        service="email", aggregate="Mailbox", aggregate_id="m-1", version=position, event=event
    )
    envelope.occurred_at.FromDatetime(at)
    envelope.data.update(data)
    registry.process("local", position, envelope)


def test_the_mailboxes_active_are_those_active_at_the_end_of_the_period(app: EmailApp) -> None:
    registry = MailRegistry(app.engine)
    day = date(2026, 11, 1)
    noon = datetime(2026, 11, 1, 5, tzinfo=UTC)  # 12:00 in Vietnam
    mailbox_event(registry, 1, "Provisioned", noon, address="vanthu@khanhhoa.gov.vn", agency_code=AGENCY, holder="")
    mailbox_event(registry, 2, "Suspended", noon + timedelta(days=5), reason="bảo trì")
    mailbox_event(registry, 3, "Reactivated", noon + timedelta(days=10))

    def active(to_day: date | None) -> int:
        return registry.usage(AGENCY, None, to_day).mailboxes_active

    assert [active(day - timedelta(days=1)), active(day), active(day + timedelta(days=4))] == [0, 1, 1]
    assert [active(day + timedelta(days=5)), active(day + timedelta(days=9))] == [0, 0]
    assert [active(day + timedelta(days=10)), active(None)] == [1, 1]
    assert registry.usage(AGENCY, None, day + timedelta(days=7)).mailboxes_provisioned == 1
    assert registry.usage("000.00.99.H41", None, None).mailboxes_active == 0
