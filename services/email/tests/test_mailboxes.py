"""Official mailboxes: provisioned, suspended, active again, deleted for good; usage counted per period."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lienthong.consumer import LocalFollower
from lienthong.email.application import EmailApp
from lienthong.email.domain.notification import Notification
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.errors import AlreadyExists, FailedPrecondition, InvalidArgument
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
