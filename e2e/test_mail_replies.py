"""An agency without integration answers a document by replying to its arrival notification: the right
token from its mailbox accepts (or refuses) the document; a forged token or another sender changes nothing."""

from __future__ import annotations

import email.policy
import smtplib
from email.message import EmailMessage
from email.parser import BytesParser

import grpc
import pytest

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import stream_messages, wait_for

CLERK = (("x-lienthong-actor", "clerk@000.00.12.H44"),)
RECIPIENT_CLERK = (("x-lienthong-actor", "clerk@000.00.00.H44"),)
SENDER = ids.RegisterAgencyRequest(
    code="000.00.12.H44", name="Sở Nội vụ tỉnh thử nghiệm", short_name="SNV", email="vanthu.snv@h44.gov.vn"
)
RECIPIENT = ids.RegisterAgencyRequest(
    code="000.00.00.H44", name="Ủy ban nhân dân tỉnh thử nghiệm", short_name="UBND", email="vanthu@h44.gov.vn"
)


@pytest.fixture(scope="module")
def documents(channels: dict[str, grpc.Channel]) -> documents_pb2_grpc.DocumentsServiceStub:
    agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channels["identifiers"])
    agencies.RegisterAgency(RECIPIENT, metadata=OPERATOR)
    agencies.RegisterAgency(SENDER, metadata=OPERATOR)
    return documents_pb2_grpc.DocumentsServiceStub(channels["documents"])


def send(documents: documents_pb2_grpc.DocumentsServiceStub, subject: str) -> docs.OutgoingDocument:
    request = docs.CreateOutgoingRequest(sender_code=SENDER.code, type=docs.DOCUMENT_TYPE_BAO_CAO, subject=subject)
    return documents.SendDocument(
        docs.SendDocumentRequest(document=request, recipient_codes=[RECIPIENT.code]), metadata=CLERK
    ).document


def notification_of(platform: Platform, incoming_id: str) -> EmailMessage:
    def found() -> EmailMessage | None:
        for path in platform.config.mail_dir.glob("*.eml"):
            message = BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
            assert isinstance(message, EmailMessage)
            if message["X-Lienthong-Document-Id"] == incoming_id:
                return message
        return None

    return wait_for(found, what="the arrival notification")


def reply(platform: Platform, notification: EmailMessage, body: str, *, sender: str, to: str = "") -> int:
    """Reply as a mail client would (To: the Reply-To, In-Reply-To: the Message-ID); the SMTP answer code."""
    message = EmailMessage()
    message["From"], message["To"] = sender, to or str(notification["Reply-To"])
    message["Subject"] = f"Re: {notification['Subject']}"
    message["In-Reply-To"] = str(notification["Message-ID"])
    message.set_content(f"{body}\n\n> {notification['Subject']}\n")
    with smtplib.SMTP("127.0.0.1", platform.config.inbound_smtp_port) as client:
        try:
            client.send_message(message)
        except smtplib.SMTPResponseException as error:
            return error.smtp_code
    return 250


def statuses(documents: documents_pb2_grpc.DocumentsServiceStub, sent: docs.OutgoingDocument) -> tuple[int, int]:
    """(the incoming copy's status, the status the sender sees)."""
    incoming = documents.ListIncoming(docs.ListIncomingRequest(recipient_code=RECIPIENT.code), metadata=RECIPIENT_CLERK)
    [copy] = [d for d in incoming.documents if d.outgoing_id == sent.id]
    outgoing = documents.GetOutgoing(docs.GetOutgoingRequest(document_id=sent.id), metadata=CLERK).document
    return copy.status, outgoing.recipients[0].status


def history(documents: documents_pb2_grpc.DocumentsServiceStub, sent: docs.OutgoingDocument) -> list[tuple[str, str]]:
    """The document's events but for LongTermValidated (the seal's own B-LT step, made whenever it is done)."""
    events = documents.GetHistory(docs.GetHistoryRequest(document_id=sent.id), metadata=CLERK).events
    return [(e.event, e.actor) for e in events if e.event != "LongTermValidated"]


def test_a_reply_with_the_right_token_accepts_and_forged_ones_change_nothing(
    platform: Platform, documents: documents_pb2_grpc.DocumentsServiceStub
) -> None:
    sent = send(documents, "Báo cáo kết quả cải cách hành chính")
    notification = notification_of(platform, sent.recipients[0].incoming_id)
    reply_to = str(notification["Reply-To"])
    assert reply_to.startswith("reply+")
    before = history(documents, sent)

    local, domain = reply_to.split("@")
    forged = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain
    assert reply(platform, notification, "ĐỒNG Ý", sender=RECIPIENT.email, to=forged) == 550
    assert reply(platform, notification, "ĐỒNG Ý", sender="ke.gia.mao@example.com") == 550
    assert reply(platform, notification, "Cảm ơn", sender=RECIPIENT.email) == 550

    assert history(documents, sent) == before  # nothing happened to the document
    assert statuses(documents, sent) == (docs.STATUS_CODE_ARRIVED, docs.STATUS_CODE_ARRIVED)
    rejected = f"{platform.config.instance}.email.reply.rejected"
    wait_for(
        lambda: sum(
            m.subject == rejected
            for m in stream_messages(platform.nats_url, email_stream(platform), platform.nats_credentials())
        )
        == 3,
        what="three rejected replies recorded",
    )

    assert reply(platform, notification, "Đồng ý", sender=RECIPIENT.email) == 250

    assert statuses(documents, sent) == (docs.STATUS_CODE_ACCEPTED, docs.STATUS_CODE_ACCEPTED)
    assert history(documents, sent)[len(before) :] == [
        ("Accepted", f"clerk@{RECIPIENT.code}"),
        ("RecipientStatusChanged", f"clerk@{RECIPIENT.code}"),
    ]


def test_a_reply_refusing_sends_the_document_back_with_its_reason(
    platform: Platform, documents: documents_pb2_grpc.DocumentsServiceStub
) -> None:
    sent = send(documents, "Tờ trình xin chủ trương")
    notification = notification_of(platform, sent.recipients[0].incoming_id)

    assert reply(platform, notification, "TỪ CHỐI: Không đúng thẩm quyền", sender=RECIPIENT.email) == 250

    assert statuses(documents, sent) == (docs.STATUS_CODE_REFUSED, docs.STATUS_CODE_REFUSED)
    # A second decision by reply is refused by the documents service and changes nothing.
    assert reply(platform, notification, "ĐỒNG Ý", sender=RECIPIENT.email) == 550
    assert statuses(documents, sent) == (docs.STATUS_CODE_REFUSED, docs.STATUS_CODE_REFUSED)


def email_stream(platform: Platform) -> str:
    return f"{platform.config.instance}_EMAIL".upper()
