"""Notifications: one per event and agency, retried with back-off on temporary failures, bounced on permanent ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from lienthong.email.application.app import EmailApp
from lienthong.email.domain.notification import (
    MAX_ATTEMPTS,
    DeliveryState,
    Notification,
    id_of_notification,
    retry_delay,
)
from lienthong.eventstore import store_environment

AT = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def notification(source_event: str = "doc-1:1") -> Notification:
    return Notification(
        source_event=source_event,
        agency_code="000.00.00.H41",
        agency_name="Ủy ban nhân dân tỉnh Khánh Hòa",
        to_address="vanthu@khanhhoa.gov.vn",
        sender_name="Sở Thông tin và Truyền thông",
        code="05/BC-STTTT",
        subject="Báo cáo",
        document_id="doc-1",
        arrived_at=AT,
    )


def test_the_id_and_message_id_follow_from_the_event_and_agency() -> None:
    first, again = notification(), notification()
    assert first.id == again.id == id_of_notification("doc-1:1", "000.00.00.H41")
    assert first.message_id == f"<{first.id}@lienthong>"
    assert notification("doc-1:2").id != first.id


def test_temporary_failures_back_off_exponentially_then_bounce() -> None:
    mail = notification()
    mail.record_temporary_failure("451 try later", AT)
    assert (mail.state, mail.next_attempt_at) == (DeliveryState.DEFERRED, AT + timedelta(seconds=30))
    mail.record_temporary_failure("451 try later", AT)
    assert mail.next_attempt_at == AT + timedelta(minutes=1)
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    while mail.state is DeliveryState.DEFERRED:
        mail.record_temporary_failure("451 try later", AT)
    assert (mail.state, mail.attempts) == (DeliveryState.BOUNCED, MAX_ATTEMPTS)


def test_a_permanent_failure_bounces_at_once() -> None:
    mail = notification()
    mail.record_permanent_failure("550 no such mailbox", AT)
    assert (mail.state, mail.attempts) == (DeliveryState.BOUNCED, 1)


def test_queueing_is_idempotent_on_the_consumed_position(database_url: str) -> None:
    app = EmailApp(store_environment("email", database_url))
    assert app.queue([notification()], stream="LT_DOCUMENTS", position=7) is True
    # The same event delivered again (same position), or the same notification at a later position.
    assert app.queue([notification()], stream="LT_DOCUMENTS", position=7) is False
    assert app.queue([notification()], stream="LT_DOCUMENTS", position=9) is False
    assert app.last_tracked_position("LT_DOCUMENTS") == 9
    assert app.queue([], stream="LT_DOCUMENTS", position=10) is False
    assert app.last_tracked_position("LT_DOCUMENTS") == 10
    stored = app.recorder.select_events(id_of_notification("doc-1:1", "000.00.00.H41"))
    assert [s.topic.rsplit(".", 1)[1] for s in stored] == ["Queued"]


def test_a_position_recorded_twice_is_refused_by_the_database(database_url: str) -> None:
    app = EmailApp(store_environment("email", database_url))
    app.save_tracked(tracking=Tracking(application_name="S", notification_id=3))
    with pytest.raises(IntegrityError):
        app.save_tracked(tracking=Tracking(application_name="S", notification_id=3))
