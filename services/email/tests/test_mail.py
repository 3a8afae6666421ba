"""Notification mails through a real SMTP sink: Vietnamese subjects encoded, 4xx and 5xx told apart."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lienthong.email.rendering import render_arrival_notification
from lienthong.email.sink import MailSink, read_mailbox
from lienthong.email.smtp import PermanentDeliveryError, TemporaryDeliveryError, send_message
from lienthong.launcher.ports import free_port

SUBJECT = "Báo cáo tình hình ứng dụng công nghệ thông tin quý IV"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    running = MailSink(tmp_path / "mail")
    running.start()
    yield running
    running.stop()


def notification(subject: str = SUBJECT) -> EmailMessage:
    return render_arrival_notification(
        agency_name="Ủy ban nhân dân tỉnh Khánh Hòa",
        to_address="vanthu@khanhhoa.gov.vn",
        from_address="lienthong@khanhhoa.gov.vn",
        sender_name="Sở Thông tin và Truyền thông",
        code="05/BC-STTTT",
        subject=subject,
        document_id="2b1e7a1c-0000-4000-8000-000000000001",
        arrived_at=datetime(2026, 11, 24, 2, 30, tzinfo=UTC),
        message_id="<n-1@lienthong>",
    )


def test_a_vietnamese_notification_arrives_intact(sink: MailSink) -> None:
    message = notification()
    raw_subject = message.as_bytes().split(b"\r\nSubject: ", 1)[1].split(b"\r\n", 1)[0]
    assert raw_subject.isascii()
    assert b"=?utf-8?" in raw_subject.lower()

    send_message(message, host=sink.host, port=sink.port)

    [received] = read_mailbox(sink.directory)
    assert received["Subject"] == f"Văn bản đến: 05/BC-STTTT — {SUBJECT}"
    assert received["Message-ID"] == "<n-1@lienthong>"
    text = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "Ủy ban nhân dân tỉnh Khánh Hòa" in text.get_content()
    assert "09:30 ngày 24/11/2026" in text.get_content()  # Vietnam time
    assert "Sở Thông tin và Truyền thông" in html.get_content()


def test_the_html_part_escapes_markup_from_a_subject(sink: MailSink) -> None:
    send_message(notification("<script>alert(1)</script>"), host=sink.host, port=sink.port)
    [received] = read_mailbox(sink.directory)
    html = received.get_body(preferencelist=("html",))
    assert html is not None
    assert "<script>" not in html.get_content()
    assert "&lt;script&gt;" in html.get_content()


def test_a_temporary_refusal_is_temporary_and_a_retry_succeeds(sink: MailSink) -> None:
    sink.fail_next(451)
    with pytest.raises(TemporaryDeliveryError) as caught:
        send_message(notification(), host=sink.host, port=sink.port)
    assert caught.value.code == 451
    send_message(notification(), host=sink.host, port=sink.port)
    assert len(read_mailbox(sink.directory)) == 1


def test_a_permanent_refusal_is_permanent(sink: MailSink) -> None:
    sink.fail_next(550)
    with pytest.raises(PermanentDeliveryError) as caught:
        send_message(notification(), host=sink.host, port=sink.port)
    assert caught.value.code == 550
    assert read_mailbox(sink.directory) == []


def test_no_server_is_a_temporary_failure() -> None:
    with pytest.raises(TemporaryDeliveryError, match="cannot deliver"):
        send_message(notification(), host="127.0.0.1", port=free_port(), timeout=2)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as PEM files (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def test_starttls_and_login_are_used_when_the_server_asks_for_them(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    cert_file, key_file = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    sink = MailSink(tmp_path / "secure", tls=context, credentials=("lienthong", "s3cret"))
    sink.start()
    try:
        with pytest.raises(PermanentDeliveryError):  # no STARTTLS: the server refuses
            send_message(notification(), host=sink.host, port=sink.port)
        with pytest.raises(PermanentDeliveryError) as wrong:
            send_message(
                notification(),
                host=sink.host,
                port=sink.port,
                starttls=True,
                ca_file=str(cert_file),
                username="lienthong",
                password="wrong",
            )
        assert wrong.value.code == 535
        send_message(
            notification(),
            host=sink.host,
            port=sink.port,
            starttls=True,
            ca_file=str(cert_file),
            username="lienthong",
            password="s3cret",
        )
    finally:
        sink.stop()
    assert len(read_mailbox(sink.directory)) == 1
