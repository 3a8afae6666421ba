"""A TUYỆT MẬT document goes from one agency to another and its secret is nowhere in the platform in clear:
not in a database row, a stored file, a log line, a NATS message, a trace span or a mail; the recipient
still reads subject, content and attachment, and a third agency reads none of them."""

from __future__ import annotations

import asyncio
import base64
import unicodedata
import uuid
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import grpc
import nats
import psycopg
import pytest
from google.protobuf.json_format import MessageToDict
from sqlalchemy.engine import make_url

from lienthong.documents.adapters.outbound.rendering import ascii_text, render_document_pdf
from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import wait_for
from lienthong.relay.credentials import NatsCredentials
from lienthong.signing.v1 import signing_pb2, signing_pb2_grpc

SENDER = ids.RegisterAgencyRequest(
    code="000.00.31.H41", name="Công an tỉnh Khánh Hòa", short_name="CA", email="vanthu.ca@khanhhoa.gov.vn"
)
RECIPIENT = ids.RegisterAgencyRequest(
    code="000.00.00.H41", name="Ủy ban nhân dân tỉnh Khánh Hòa", short_name="UBND", email="vanthu@khanhhoa.gov.vn"
)
STRANGER = ids.RegisterAgencyRequest(
    code="000.00.07.H41", name="Sở Nội vụ tỉnh Khánh Hòa", short_name="SNV", email="vanthu.snv@khanhhoa.gov.vn"
)


def acting(role: str, agency: ids.RegisterAgencyRequest) -> tuple[tuple[str, str]]:
    return (("x-lienthong-actor", f"{role}@{agency.code}"),)


def forms_of(marker: str) -> list[bytes]:
    """Every way the marker could sit in bytes: UTF-8 as composed (NFC) and decomposed (NFD), UTF-16-LE,
    the ASCII of the rendered PDF, and its unique hex part alone (which any of those contains)."""
    hex_part = marker.rsplit("-", 1)[1]
    texts = {marker, unicodedata.normalize("NFD", marker), ascii_text(marker), hex_part}
    return sorted({form for text in texts for form in (text.encode(), text.encode("utf-16-le"))})


def found_in(data: bytes, forms: list[bytes]) -> bool:
    return any(form in data for form in forms)


def files_holding(root: Path, forms: list[bytes]) -> list[str]:
    """Files under `root` (databases, blobs, logs, traces, keys, mails) whose bytes hold the marker; a mail
    also with its headers and parts decoded (RFC 2047, base64, quoted-printable)."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # a database's rollback journal, gone with its transaction
            continue
        if path.suffix == ".eml":
            message = BytesParser(policy=policy.default).parsebytes(data)
            assert isinstance(message, EmailMessage)
            decoded = [str(value).encode() for value in message.values()]
            for part in message.walk():
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    decoded.append(payload)
            data += b"\n".join(decoded)
        if found_in(data, forms):
            found.append(str(path.relative_to(root)))
    return found


def rows_holding(database_url: str, forms: list[bytes]) -> list[str]:
    """Tables of the platform's PostgreSQL database with a value (text, or bytes as stored) holding the marker."""
    url = make_url(database_url)
    found = []
    with psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=url.database,
    ) as connection:
        tables = connection.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            for row in connection.execute(f'SELECT * FROM "{schema}"."{table}"'):
                values = [v if isinstance(v, bytes) else str(v).encode() for v in row if v is not None]
                if any(found_in(value, forms) for value in values):
                    found.append(f"{schema}.{table}")
                    break
    return found


def messages_holding(platform: Platform, forms: list[bytes]) -> tuple[int, list[str]]:
    """How many messages the platform's streams hold, and the subjects of those holding the marker (read as
    the operators' NATS user where the platform's NATS has users)."""
    instance = platform.config.instance

    async def read() -> tuple[int, list[str]]:
        nc = await nats.connect(
            platform.nats_url, **(platform.nats_credentials() or NatsCredentials()).connect_options()
        )
        try:
            js = nc.jetstream()
            count, found = 0, []
            for info in await js.streams_info():
                if not (info.config.name or "").startswith(instance.upper() + "_"):
                    continue
                for seq in range(info.state.first_seq, info.state.last_seq + 1):
                    message = await js.get_msg(info.config.name or "", seq)
                    count += 1
                    headers = "".join(f"{k}:{v}" for k, v in (message.headers or {}).items()).encode()
                    if found_in((message.data or b"") + headers, forms):
                        found.append(str(message.subject))
            return count, found
        finally:
            await nc.close()

    return asyncio.run(read())


def mails_to(platform: Platform, address: str) -> list[EmailMessage]:
    """The mails in the platform's SMTP sink addressed to `address`."""
    found = []
    for path in platform.config.mail_dir.rglob("*.eml"):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        if message["To"] == address:
            found.append(message)
    return found


@pytest.fixture(scope="module")
def documents(platform: Platform, channels: dict[str, grpc.Channel]) -> documents_pb2_grpc.DocumentsServiceStub:
    agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channels["identifiers"])
    for agency in (RECIPIENT, SENDER, STRANGER):  # the province first: it is the others' parent
        agencies.RegisterAgency(agency, metadata=acting("operator", SENDER))
    return documents_pb2_grpc.DocumentsServiceStub(channels["documents"])


def test_a_tuyet_mat_document_is_stored_and_sent_encrypted_and_its_recipient_reads_it(
    platform: Platform, channels: dict[str, grpc.Channel], documents: documents_pb2_grpc.DocumentsServiceStub
) -> None:
    marker = f"tuyệt-mật-{uuid.uuid4().hex}"
    subject = f"Kế hoạch bảo vệ mục tiêu {marker}"
    attachment = f"Danh sách lực lượng {marker}\n".encode()
    pdf = render_document_pdf(
        agency_name=SENDER.name, code="", issued_on=date(2026, 11, 25), type_name="Kế hoạch", subject=marker
    )
    assert ascii_text(marker).encode() in pdf  # the PDF given holds the marker in clear

    sent = documents.SendDocument(
        docs.SendDocumentRequest(
            document=docs.CreateOutgoingRequest(
                sender_code=SENDER.code,
                type=docs.DOCUMENT_TYPE_KE_HOACH,
                subject=subject,
                confidentiality=docs.CONFIDENTIALITY_TUYET_MAT,
                content_pdf=pdf,
                attachments=[
                    docs.NewAttachment(
                        name=f"danh-sach-{marker}.txt",
                        content_type="text/plain",
                        kind=docs.ATTACHMENT_KIND_APPENDIX,
                        content=attachment,
                    )
                ],
            ),
            recipient_codes=[RECIPIENT.code],
        ),
        metadata=acting("clerk", SENDER),
    ).document
    assert sent.state == docs.OUTGOING_STATE_SENT
    assert sent.subject == subject  # the sender reads its own document in clear
    incoming_id = sent.recipients[0].incoming_id

    # The recipient's clerk reads subject, file name, attachment and PDF in clear.
    clerk = acting("clerk", RECIPIENT)
    read = documents.GetOutgoing(docs.GetOutgoingRequest(document_id=sent.id), metadata=clerk).document
    assert read.subject == subject
    assert [a.name for a in read.attachments] == [f"danh-sach-{marker}.txt"]
    got = documents.GetAttachment(
        docs.GetAttachmentRequest(document_id=incoming_id, sha256=read.attachments[0].sha256), metadata=clerk
    )
    assert got.content == attachment
    content = documents.GetContent(docs.GetContentRequest(document_id=sent.id), metadata=clerk).content_pdf
    assert content.startswith(pdf)  # the sender's PDF, with the seal's signature appended
    arrived = documents.ListIncoming(docs.ListIncomingRequest(recipient_code=RECIPIENT.code), metadata=clerk)
    assert [d.subject for d in arrived.documents if d.id == incoming_id] == [subject]

    # A third agency reads nothing of it, and cannot have the recipient's data key opened.
    stranger = acting("clerk", STRANGER)
    sha = read.attachments[0].sha256
    for call in (
        lambda: documents.GetOutgoing(docs.GetOutgoingRequest(document_id=sent.id), metadata=stranger),
        lambda: documents.GetContent(docs.GetContentRequest(document_id=sent.id), metadata=stranger),
        lambda: documents.GetAttachment(docs.GetAttachmentRequest(document_id=sent.id, sha256=sha), metadata=stranger),
        lambda: documents.GetHistory(docs.GetHistoryRequest(document_id=sent.id), metadata=stranger),
    ):
        with pytest.raises(grpc.RpcError) as refused:
            call()
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    history = documents.GetHistory(docs.GetHistoryRequest(document_id=incoming_id), metadata=clerk).events
    sealed = MessageToDict(next(e for e in history if e.event == "Arrived").data)["sealed"]
    wrapped = sealed["keys"][RECIPIENT.code]
    signing = signing_pb2_grpc.SigningServiceStub(channels["signing"])
    with pytest.raises(grpc.RpcError) as refused:
        signing.UnwrapDataKey(
            signing_pb2.UnwrapDataKeyRequest(agency_code=RECIPIENT.code, wrapped_key=base64.b64decode(wrapped)),
            metadata=stranger,
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED

    # Everything the platform did has reached its stores: the recipient's notification is in the sink,
    # without the subject.
    def notification() -> list[EmailMessage]:
        return [
            m for m in mails_to(platform, RECIPIENT.email) if m["X-Lienthong-Document-Id"] in (sent.id, incoming_id)
        ]

    mails = wait_for(notification, what="the arrival notification of the confidential document")
    assert "[TUYỆT MẬT]" in str(mails[0]["Subject"])

    # A normal document sent alongside, with a marker of its own, is found by the same scan where its
    # confidential twin is not: the scan reaches the stores it claims to.
    control = f"bình-thường-{uuid.uuid4().hex}"
    normal = documents.SendDocument(
        docs.SendDocumentRequest(
            document=docs.CreateOutgoingRequest(
                sender_code=SENDER.code, type=docs.DOCUMENT_TYPE_KE_HOACH, subject=f"Kế hoạch {control}"
            ),
            recipient_codes=[RECIPIENT.code],
        ),
        metadata=acting("clerk", SENDER),
    ).document
    wait_for(
        lambda: any(
            str(m["X-Lienthong-Document-Id"]) in (normal.id, normal.recipients[0].incoming_id)
            for m in mails_to(platform, RECIPIENT.email)
        ),
        what="the arrival notification of the normal document",
    )
    seen = forms_of(control)
    assert any(path.startswith("mail/") for path in files_holding(platform.config.data_dir, seen))
    assert any(path.startswith("blobs/") for path in files_holding(platform.config.data_dir, seen))
    if platform.config.database_url:
        assert rows_holding(platform.config.database_url, seen)
    else:
        holding_control = files_holding(platform.config.data_dir, seen)
        assert any(".db" in path for path in holding_control), holding_control
    assert messages_holding(platform, seen)[1]

    # Now the scan: the confidential document's marker is nowhere.
    forms = forms_of(marker)
    assert files_holding(platform.config.data_dir, forms) == []
    if platform.config.database_url:
        assert rows_holding(platform.config.database_url, forms) == []
    else:
        assert list(platform.config.data_dir.rglob("*.db")), "the embedded platform keeps SQLite files"
    count, holding = messages_holding(platform, forms)
    assert count > 0
    assert holding == []
    assert list(platform.config.traces_dir.glob("*.jsonl")), "traces were recorded and scanned"
    assert list(platform.config.logs_dir.glob("*.log")), "logs were written and scanned"
    # Every opening of a data key is on the custodian's record: whose key, for whom.
    custodian_log = (platform.config.logs_dir / "signing.log").read_text()
    assert (
        f"data key of document {sent.id} unwrapped for agency {RECIPIENT.code}, asked by service:documents on behalf of clerk@{RECIPIENT.code}"
        in custodian_log
    )


def test_the_scan_finds_a_marker_that_is_there(tmp_path: Path) -> None:
    """The scan is not blind: a marker in any of its forms, in a file or a mail, is found."""
    marker = f"tuyệt-mật-{uuid.uuid4().hex}"
    forms = forms_of(marker)
    (tmp_path / "nfd.bin").write_bytes(unicodedata.normalize("NFD", f"x {marker} y").encode())
    (tmp_path / "utf16.bin").write_bytes(f"x {marker} y".encode("utf-16-le"))
    mail = EmailMessage()
    mail["Subject"] = f"Văn bản {marker}"  # RFC 2047 encoded when written
    mail.set_content(f"Trích yếu: {marker}", charset="utf-8", cte="base64")
    (tmp_path / "mail.eml").write_bytes(mail.as_bytes())
    (tmp_path / "clean.txt").write_bytes(b"nothing here")
    assert uuid.UUID(marker.rsplit("-", 1)[1]).hex.encode() not in mail.as_bytes().split(b"\n\n", 1)[1]
    assert files_holding(tmp_path, forms) == ["mail.eml", "nfd.bin", "utf16.bin"]
