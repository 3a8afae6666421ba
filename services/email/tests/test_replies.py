"""Replies to notifications: tokens that cannot be forged, decisions read in Vietnamese or ASCII, and a desk
that applies a good reply once and rejects every other (recorded, nothing else changed)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from lienthong.consumer import LocalFollower
from lienthong.email.adapters.inbound.replies import ReplyDesk, ReplyListener, load_reply_secret
from lienthong.email.application.app import EmailApp
from lienthong.email.domain.notification import Notification
from lienthong.email.domain.replies import (
    ForgedReply,
    Intent,
    MalformedReply,
    ReplyTokens,
    intent_of,
    notification_named,
)
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.errors import FailedPrecondition, Unavailable
from lienthong.eventstore import store_environment

AGENCY = "000.00.00.H41"
MAILBOX = "vanthu@khanhhoa.gov.vn"
TOKENS = ReplyTokens(b"s" * 32, "reply.khanhhoa.gov.vn")
NOTIFICATION = UUID("2b1e7a1c-0000-4000-8000-000000000001")


def test_a_reply_address_names_its_notification_and_verifies() -> None:
    address = TOKENS.address(NOTIFICATION, "doc-1", AGENCY)
    assert len(address.split("@")[0]) <= 64  # an address's local part
    assert notification_named(address) == NOTIFICATION
    TOKENS.check(address, NOTIFICATION, "doc-1", AGENCY)
    TOKENS.check(address.upper(), NOTIFICATION, "doc-1", AGENCY)  # mail software may change the case


@pytest.mark.parametrize(
    ("document", "agency", "secret"),
    [("doc-2", AGENCY, b"s" * 32), ("doc-1", "000.00.12.H41", b"s" * 32), ("doc-1", AGENCY, b"t" * 32)],
)
def test_a_token_does_not_verify_for_another_document_agency_or_secret(
    document: str, agency: str, secret: bytes
) -> None:
    address = ReplyTokens(secret, TOKENS.domain).address(NOTIFICATION, document, agency)
    with pytest.raises(ForgedReply):
        TOKENS.check(address, NOTIFICATION, "doc-1", AGENCY)


def test_an_address_without_a_token_is_malformed() -> None:
    with pytest.raises(MalformedReply):
        notification_named("vanthu@khanhhoa.gov.vn")


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        ReplyTokens(b"short", "x.vn")


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("ĐỒNG Ý", Intent(accept=True)),
        ("dong y\n\n> Kính gửi ...", Intent(accept=True)),
        ("  Tiếp nhận.", Intent(accept=True)),
        ("ACCEPT", Intent(accept=True)),
        ("TỪ CHỐI: Không đúng thẩm quyền", Intent(accept=False, reason="Không đúng thẩm quyền")),
        ("> quoted\n\nTu choi - gui nham co quan", Intent(accept=False, reason="gui nham co quan")),
        ("Refuse: wrong agency", Intent(accept=False, reason="wrong agency")),
    ],
)
def test_the_decision_is_read_from_the_first_meaningful_line(body: str, intent: Intent) -> None:
    assert intent_of(body) == intent


@pytest.mark.parametrize("body", ["", "> only a quote", "Cảm ơn", "ĐỒNG Ýxx", "TỪ CHỐI", "Từ chối:   "])
def test_a_reply_that_decides_nothing_is_malformed(body: str) -> None:
    with pytest.raises(MalformedReply):
        intent_of(body)


def test_the_reply_secret_is_created_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "email-reply.key"
    first = load_reply_secret(path)
    assert len(first) >= 32
    assert path.stat().st_mode & 0o077 == 0
    assert load_reply_secret(path) == first


class Documents:
    """Records the decisions it is given; can be told to fail."""

    def __init__(self) -> None:
        self.decisions: list[tuple[str, ...]] = []
        self.failure: Exception | None = None

    def accept(self, incoming_id: str, agency_code: str) -> None:
        self._decide("accept", incoming_id, agency_code)

    def refuse(self, incoming_id: str, reason: str, agency_code: str) -> None:
        self._decide("refuse", incoming_id, reason, agency_code)

    def _decide(self, *decision: str) -> None:
        if self.failure is not None:
            raise self.failure
        self.decisions.append(decision)


@pytest.fixture
def app(database_url: str) -> EmailApp:
    return EmailApp(store_environment("email", database_url))


@pytest.fixture
def documents() -> Documents:
    return Documents()


@pytest.fixture
def listener(app: EmailApp, documents: Documents) -> Iterator[ReplyListener]:
    registry = MailRegistry(app.engine)
    LocalFollower(app, registry, service="email").catch_up()
    running = ReplyListener(ReplyDesk(app, TOKENS, registry, documents), TOKENS.domain, "127.0.0.1", 0)
    running.start()
    yield running
    running.stop()


def arrival(app: EmailApp, kind: str = "arrived") -> Notification:
    mail = Notification(
        source_event=f"{uuid4()}:1",
        agency_code=AGENCY,
        agency_name="UBND tỉnh Khánh Hòa",
        to_address=MAILBOX,
        sender_name="Sở TT&TT",
        code="05/BC-STTTT",
        subject="Báo cáo",
        document_id=str(uuid4()),
        arrived_at=datetime.now(UTC),
        kind=kind,
    )
    app.save(mail)
    return mail


def reply(listener: ReplyListener, to: str, body: str, sender: str = MAILBOX) -> tuple[int, str]:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, "Re: Văn bản đến"
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", listener.port) as client:
        try:
            client.send_message(message)
        except smtplib.SMTPResponseException as error:
            return error.smtp_code, error.smtp_error.decode()
    return 250, ""


def replies(app: EmailApp) -> list[str]:
    """The events of every Reply stored, in order."""
    found = []
    for record in app.recorder.select_notifications(start=1, limit=1000):
        aggregate, event = record.topic.rsplit(":", 1)[1].rsplit(".", 1)
        if aggregate == "Reply":
            found.append(event)
    return found


def test_a_reply_with_its_token_from_the_agency_accepts_the_document(
    app: EmailApp, listener: ReplyListener, documents: Documents
) -> None:
    mail = arrival(app)
    assert reply(listener, TOKENS.address(mail.id, mail.document_id, AGENCY), "ĐỒNG Ý") == (250, "")
    assert documents.decisions == [("accept", mail.document_id, AGENCY)]
    assert replies(app) == ["Received", "Applied"]


def test_a_refusal_by_reply_carries_its_reason(app: EmailApp, listener: ReplyListener, documents: Documents) -> None:
    mail = arrival(app)
    reply(listener, TOKENS.address(mail.id, mail.document_id, AGENCY), "TỪ CHỐI: Không đúng thẩm quyền")
    assert documents.decisions == [("refuse", mail.document_id, "Không đúng thẩm quyền", AGENCY)]


@pytest.mark.parametrize(
    "forgery",
    ["forged token", "token of another document", "wrong sender", "not an arrival", "no decision"],
)
def test_a_spoofed_forged_or_malformed_reply_is_rejected_and_changes_nothing(
    app: EmailApp, listener: ReplyListener, documents: Documents, forgery: str
) -> None:
    mail = arrival(app, kind="refused" if forgery == "not an arrival" else "arrived")
    address, body, sender = TOKENS.address(mail.id, mail.document_id, AGENCY), "ĐỒNG Ý", MAILBOX
    if forgery == "forged token":
        local, domain = address.split("@")
        address = local[:-4] + ("aaaa" if not local.endswith("aaaa") else "bbbb") + "@" + domain
    elif forgery == "token of another document":
        other = arrival(app)
        address = TOKENS.address(mail.id, other.document_id, AGENCY)
    elif forgery == "wrong sender":
        sender = "attacker@example.com"
    elif forgery == "no decision":
        body = "Cảm ơn quý cơ quan"

    code, answer = reply(listener, address, body, sender)

    assert code == 550
    assert "reply rejected" in answer
    assert documents.decisions == []
    assert replies(app) == ["Received", "Rejected"]


def test_a_reply_to_someone_else_is_refused_at_the_envelope(app: EmailApp, listener: ReplyListener) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        reply(listener, "vanthu@khanhhoa.gov.vn", "ĐỒNG Ý")
    assert replies(app) == []


def test_a_documents_refusal_rejects_the_reply_and_an_outage_asks_to_try_later(
    app: EmailApp, listener: ReplyListener, documents: Documents
) -> None:
    mail = arrival(app)
    address = TOKENS.address(mail.id, mail.document_id, AGENCY)
    documents.failure = Unavailable("documents service failed")
    assert reply(listener, address, "ĐỒNG Ý")[0] == 451
    assert replies(app) == []  # nothing recorded: the sender's server tries again
    documents.failure = FailedPrecondition("incoming document has status 03 (accepted)")
    code, answer = reply(listener, address, "ĐỒNG Ý")
    assert code == 550
    assert "status 03" in answer
    assert replies(app) == ["Received", "Rejected"]
