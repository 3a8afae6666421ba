"""Notification mails through a real SMTP sink: Vietnamese subjects encoded, 4xx and 5xx told apart."""

from __future__ import annotations

import email.policy
import ipaddress
import re
import signal
import ssl
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lienthong.email.adapters.outbound.ports import free_port
from lienthong.email.adapters.outbound.rendering import SUBJECT_LIMIT, render_arrival_notification
from lienthong.email.adapters.outbound.sink import MailSink, read_mailbox
from lienthong.email.adapters.outbound.smtp import PermanentDeliveryError, TemporaryDeliveryError, send_message

SUBJECT = "Báo cáo tình hình ứng dụng công nghệ thông tin quý IV"


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
    send_message(notification(), host=sink.host, port=sink.port)

    [received] = read_mailbox(sink.directory)
    assert received["Subject"] == f"Văn bản đến: 05/BC-STTTT — {SUBJECT}"
    assert received["Message-ID"] == "<n-1@lienthong>"
    assert received["X-Lienthong-Document-Id"] == "2b1e7a1c-0000-4000-8000-000000000001"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "Ủy ban nhân dân tỉnh Khánh Hòa" in text.get_content()
    assert "09:30 ngày 24/11/2026" in text.get_content()  # Vietnam time
    assert "Sở Thông tin và Truyền thông" in html.get_content()


def test_the_headers_on_the_wire_are_ascii_with_an_encoded_subject(sink: MailSink) -> None:
    send_message(notification(), host=sink.host, port=sink.port)

    [stored] = sink.directory.glob("*.eml")
    raw = stored.read_bytes()
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    assert head.isascii()
    raw_subject = BytesParser(policy=email.policy.compat32).parsebytes(raw, headersonly=True)["Subject"]
    assert "=?utf-8?" in raw_subject.lower()


def test_a_long_multi_line_subject_becomes_one_shortened_line() -> None:
    subject = "Về việc triển khai\r\nKế hoạch chuyển đổi số " + "năm 2026 và các năm tiếp theo " * 10

    message = notification(subject)

    header = str(message["Subject"])
    assert "\n" not in header
    assert "\r" not in header
    assert header.startswith("Văn bản đến: 05/BC-STTTT — Về việc triển khai Kế hoạch chuyển đổi số năm 2026")
    assert header.endswith("…")
    assert len(header) <= len("Văn bản đến: 05/BC-STTTT — ") + SUBJECT_LIMIT
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "năm 2026 và các năm tiếp theo " * 10 in text.get_content()  # the mail carries it whole


def test_the_mailbox_reads_oldest_first(sink: MailSink) -> None:
    for number in range(5):
        send_message(notification(f"Văn bản số {number}"), host=sink.host, port=sink.port)

    subjects = [str(message["Subject"]) for message in read_mailbox(sink.directory)]

    assert subjects == [f"Văn bản đến: 05/BC-STTTT — Văn bản số {number}" for number in range(5)]


def test_a_mailbox_never_written_is_empty(tmp_path: Path) -> None:
    assert read_mailbox(tmp_path / "nothing") == []


def test_the_html_part_escapes_markup_from_a_subject(sink: MailSink) -> None:
    send_message(notification("<script>alert(1)</script>"), host=sink.host, port=sink.port)
    [received] = read_mailbox(sink.directory)
    html = received.get_body(preferencelist=("html",))
    text = received.get_body(preferencelist=("plain",))
    assert html is not None
    assert text is not None
    assert "<script>" not in html.get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.get_content()
    assert "<script>alert(1)</script>" in text.get_content()  # plain text is not HTML: left as written


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


def test_the_sink_refuses_as_many_messages_as_told(sink: MailSink) -> None:
    sink.fail_next(421, count=2)
    for _ in range(2):
        with pytest.raises(TemporaryDeliveryError):
            send_message(notification(), host=sink.host, port=sink.port)
    send_message(notification(), host=sink.host, port=sink.port)
    assert len(read_mailbox(sink.directory)) == 1


def test_the_sink_only_refuses_with_a_refusal_code(sink: MailSink) -> None:
    with pytest.raises(ValueError, match="4xx or 5xx"):
        sink.fail_next(250)


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


@pytest.mark.timeout(30)
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_sink_runs_from_the_command_line_until_told_to_stop(tmp_path: Path, stop_signal: signal.Signals) -> None:
    command = [
        sys.executable,
        "-m",
        "lienthong.email.adapters.outbound.sink",
        "--port",
        "0",
        "--dir",
        str(tmp_path / "mail"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()  # printed once it listens
        listening = re.search(r"127\.0\.0\.1:(\d+),", banner)
        assert listening is not None, banner
        send_message(notification(), host="127.0.0.1", port=int(listening[1]))
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert len(read_mailbox(tmp_path / "mail")) == 1
