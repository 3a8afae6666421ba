"""The email service killed (kill -9) in the middle of sending a batch of arrival notifications, and started
again: every recipient gets its mail exactly once, including the one the kill caught inside the SMTP
conversation, which the restarted service settles from the mail server's delivery log."""

from __future__ import annotations

import asyncio
import dataclasses
import email.policy
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.email.adapters.outbound.sink import MailSink
from lienthong.email.v1 import email_pb2, email_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import (
    delete_streams,
    fresh_database,
    isolated_platform_config,
    stream_messages,
    wait_for,
)

CLERK = (("x-lienthong-actor", "clerk@000.00.00.H46"),)
SENDER = "000.00.00.H46"
RECIPIENTS = [f"000.00.{d:02d}.H46" for d in range(1, 100)] + [f"000.{u:02d}.01.H46" for u in range(1, 100)]


def mailbox_of(code: str) -> str:
    return f"vanthu.{code.replace('.', '-').lower()}@h46.gov.vn"


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    """The SMTP sink in this process, so that the test can hold a message inside its SMTP conversation."""
    running = MailSink(tmp_path_factory.mktemp("platform-mail") / "mail")
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, nats_url: str, sink: MailSink) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("platform")
    with fresh_database(data_dir / "unused.db") as database_url:
        config = isolated_platform_config(data_dir, nats_url, database_url)
        config = dataclasses.replace(config, smtp_port=sink.port, start_smtp_sink=False)
        running = Platform(config)
        # The services read the sink's delivery log where the sink writes it, and take an attempt without an
        # outcome for 3 s as interrupted (not 90: the test need not wait; one replica runs).
        running.config.extra_env = {
            **config.extra_env,
            "LIENTHONG_SMTP_DELIVERY_LOG": str(sink.delivery_log),
            "LIENTHONG_SMTP_IN_DOUBT_AFTER": "3",
        }
        try:
            running.start()
            with running.callers.acting("identifiers") as channel:
                agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
                for code in [SENDER, *RECIPIENTS]:
                    fields = {"code": code, "name": f"Cơ quan {code}", "short_name": f"CQ{code[4:9]}"}
                    agencies.RegisterAgency(
                        ids.RegisterAgencyRequest(**fields, email=mailbox_of(code)), metadata=OPERATOR
                    )
            yield running
        finally:
            running.stop()
            asyncio.run(delete_streams(nats_url, running.config.instance))


def mails_about(sink: MailSink, incoming_ids: set[str]) -> list[EmailMessage]:
    parser = BytesParser(policy=email.policy.default)
    found = []
    for path in sorted(sink.directory.glob("*.eml")):
        message = parser.parsebytes(path.read_bytes(), headersonly=True)
        assert isinstance(message, EmailMessage)
        if message["X-Lienthong-Document-Id"] in incoming_ids:
            found.append(message)
    return found


def email_events(platform: Platform, notification_id: str) -> list[str]:
    stream = f"{platform.config.instance}_EMAIL".upper()
    messages = stream_messages(platform.nats_url, stream, platform.nats_credentials())
    return [m.subject.rsplit(".", 1)[1] for m in messages if m.message_id.startswith(notification_id + ":")]


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("stored", "settled_by"),
    [
        (True, ["queued", "attempt_started", "delivery_confirmed"]),
        (False, ["queued", "attempt_started", "interrupted", "attempt_started", "sent"]),
    ],
    ids=["killed-after-the-server-stored-it", "killed-before-the-server-stored-it"],
)
def test_killed_mid_batch_and_restarted_it_sends_each_mail_exactly_once(
    platform: Platform, sink: MailSink, stored: bool, settled_by: list[str]
) -> None:
    with platform.callers.acting("documents") as channel:
        documents = documents_pb2_grpc.DocumentsServiceStub(channel)
        request = docs.CreateOutgoingRequest(
            sender_code=SENDER, type=docs.DOCUMENT_TYPE_CONG_VAN, subject=f"Công văn gửi các đơn vị ({stored})"
        )
        sent = documents.SendDocument(
            docs.SendDocumentRequest(document=request, recipient_codes=RECIPIENTS), metadata=CLERK
        ).document
    incoming_ids = {r.incoming_id for r in sent.recipients}
    assert len(incoming_ids) == len(RECIPIENTS)

    # Mid-batch: some mails delivered, then one held inside its SMTP conversation while the service dies.
    wait_for(lambda: len(mails_about(sink, incoming_ids)) >= 40, timeout=120, what="the batch to be sending")
    hold = sink.hold_next(stored=stored)
    assert hold.reached.wait(60), "no mail reached the sink after the hold was set"
    before_kill = len(mails_about(sink, incoming_ids))
    platform.kill_service("email")
    hold.released.set()
    assert before_kill < len(RECIPIENTS), "the kill came after the batch; it proves nothing"
    platform.start_service("email")

    mails = wait_for(
        lambda: (found := mails_about(sink, incoming_ids)) and len(found) >= len(RECIPIENTS) and found,
        timeout=300,
        what="every recipient's mail",
    )
    with platform.callers.acting("email") as channel:
        stub = email_pb2_grpc.EmailServiceStub(channel)

        def all_sent() -> bool:
            listed = stub.ListNotifications(email_pb2.ListNotificationsRequest(), metadata=OPERATOR).notifications
            mine = [n for n in listed if n.document_id in incoming_ids]
            return len(mine) == len(RECIPIENTS) and all(n.state == email_pb2.DELIVERY_STATE_SENT for n in mine)

        wait_for(all_sent, timeout=120, what="every notification recorded as sent")
    mails = mails_about(sink, incoming_ids)  # nothing more arrived while they were recorded

    per_message_id = Counter(str(m["Message-ID"]) for m in mails)
    assert [mid for mid, count in per_message_id.items() if count > 1] == []
    assert len(per_message_id) == len(RECIPIENTS)
    assert sorted(str(m["To"]) for m in mails) == sorted(mailbox_of(code) for code in RECIPIENTS)
    # Each Subject travels RFC 2047-encoded (ASCII on the wire) and reads back in Vietnamese.
    assert {str(m["Subject"]) for m in mails} == {f"Văn bản đến: {sent.number}/{sent.notation} — {request.subject}"}
    assert all(path.read_bytes().split(b"\r\n\r\n", 1)[0].isascii() for path in sink.directory.glob("*.eml"))
    # The attempt the kill caught was settled as the server's delivery log says, not blindly.
    held_id = hold.message_id.strip("<>").split("@")[0]
    wait_for(lambda: len(email_events(platform, held_id)) >= len(settled_by), timeout=60, what="the held mail's events")
    assert email_events(platform, held_id) == settled_by
