"""A signed document travels from one agency to another across the five services, NATS and the database."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import grpc
import nats
import pytest
from nats.errors import Error as NatsError
from nats.js.errors import NotFoundError

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.email.v1 import email_pb2, email_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import stream_messages, wait_for
from lienthong.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from lienthong.signing.v1 import signing_pb2, signing_pb2_grpc

CLERK = (("x-lienthong-actor", "clerk@000.00.12.H41"),)
LEADER = (("x-lienthong-actor", "leader@000.00.12.H41"),)
RECEIVING_CLERK = (("x-lienthong-actor", "clerk@000.00.00.H41"),)  # the province's văn thư
PROVINCE = ids.RegisterAgencyRequest(
    code="000.00.00.H41", name="Ủy ban nhân dân tỉnh Khánh Hòa", short_name="UBND", email="vanthu@khanhhoa.gov.vn"
)
DEPARTMENT = ids.RegisterAgencyRequest(
    code="000.00.12.H41",
    name="Sở Thông tin và Truyền thông tỉnh Khánh Hòa",
    short_name="STTTT",
    email="vanthu.stttt@khanhhoa.gov.vn",
)


@pytest.fixture(scope="module")
def agencies(channels: dict[str, grpc.Channel]) -> identifiers_pb2_grpc.IdentifiersServiceStub:
    stub = identifiers_pb2_grpc.IdentifiersServiceStub(channels["identifiers"])
    stub.RegisterAgency(PROVINCE, metadata=OPERATOR)
    stub.RegisterAgency(DEPARTMENT, metadata=OPERATOR)
    return stub


@pytest.fixture(scope="module")
def documents(channels: dict[str, grpc.Channel]) -> documents_pb2_grpc.DocumentsServiceStub:
    return documents_pb2_grpc.DocumentsServiceStub(channels["documents"])


def draft(documents: documents_pb2_grpc.DocumentsServiceStub, subject: str) -> docs.OutgoingDocument:
    request = docs.CreateOutgoingRequest(sender_code=DEPARTMENT.code, type=docs.DOCUMENT_TYPE_BAO_CAO, subject=subject)
    return documents.CreateOutgoing(request, metadata=CLERK).document


def spans_by_trace(traces_dir: Path) -> dict[str, set[str]]:
    """trace id (32 hex) → names of the services that recorded a span in it."""
    services: dict[str, set[str]] = defaultdict(set)
    for path in traces_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            span = json.loads(line)
            trace_id = span["context"]["trace_id"].removeprefix("0x")
            services[trace_id].add(span["resource"]["attributes"]["service.name"])
    return services


def lienthong_cli(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `lienthong` CLI against the platform as an auditor, on a wide terminal, capturing its output."""
    env = platform.env() | {"COLUMNS": "200", "LIENTHONG_ACTOR": "auditor@000.00.00.F01"}
    return subprocess.run(
        [sys.executable, "-m", "lienthong.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_signed_document_is_exchanged_end_to_end(
    platform: Platform,
    channels: dict[str, grpc.Channel],
    agencies: identifiers_pb2_grpc.IdentifiersServiceStub,
    documents: documents_pb2_grpc.DocumentsServiceStub,
) -> None:
    subject = "Báo cáo tình hình ứng dụng công nghệ thông tin quý IV năm 2026"
    document = draft(documents, subject)
    documents.SubmitOutgoing(docs.SubmitOutgoingRequest(document_id=document.id), metadata=CLERK)
    approved = documents.ApproveOutgoing(
        docs.ApproveOutgoingRequest(document_id=document.id, comment="Đồng ý ban hành"), metadata=LEADER
    )
    assert approved.document.state == docs.OUTGOING_STATE_APPROVED
    registered = documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document.id), metadata=CLERK)
    signed = documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document.id), metadata=CLERK)
    sent = documents.SendOutgoing(
        docs.SendOutgoingRequest(document_id=document.id, recipient_codes=[PROVINCE.code]), metadata=CLERK
    ).document

    # Numbered per agency per year, with a leading zero; sealed by the agency's certificate.
    assert registered.document.number == "01"
    assert registered.document.notation == "BC-STTTT"
    assert signed.document.signer_certificate_serial
    assert sent.state == docs.OUTGOING_STATE_SENT
    assert sent.content_sha256

    # The recipient sees it as arrived (01) and accepts it (03) with arrival number 1.
    incoming = documents.ListIncoming(docs.ListIncomingRequest(recipient_code=PROVINCE.code), metadata=RECEIVING_CLERK)
    arrived = [d for d in incoming.documents if d.outgoing_id == document.id]
    assert [(d.status, d.code, d.sender_code) for d in arrived] == [
        (docs.STATUS_CODE_ARRIVED, "01/BC-STTTT", DEPARTMENT.code)
    ]
    accepted = documents.AcceptIncoming(docs.AcceptIncomingRequest(incoming_id=arrived[0].id), metadata=RECEIVING_CLERK)
    assert (accepted.document.status, accepted.document.arrival_number) == (docs.STATUS_CODE_ACCEPTED, 1)
    tracked = documents.GetOutgoing(docs.GetOutgoingRequest(document_id=document.id), metadata=CLERK).document
    assert [(r.recipient_code, r.status) for r in tracked.recipients] == [(PROVINCE.code, docs.STATUS_CODE_ACCEPTED)]

    # The audit history: every step in order, with who did it. The seal, made at B-T while the clerk waited,
    # became B-LT in a step of its own (LongTermValidated) after the answer: wait for it (a bound, no speed).
    def long_term() -> list[docs.HistoryEvent] | None:
        events = documents.GetHistory(docs.GetHistoryRequest(document_id=document.id), metadata=CLERK).events
        return list(events) if any(e.event == "LongTermValidated" for e in events) else None

    history = wait_for(long_term, timeout=60, what="the seal to be made long-term (B-LT)")

    # The content read is the B-LT PDF (a new blob, the sent B-T one left as it was), once the register shows it:
    # the extension runs beside the clerk, so reading before it may see either, and only after it one of them.
    def extended() -> docs.OutgoingDocument | None:
        now = documents.GetOutgoing(docs.GetOutgoingRequest(document_id=document.id), metadata=CLERK).document
        return now if now.content_sha256 != sent.content_sha256 else None

    long_termed = wait_for(extended, timeout=60, what="the register to show the B-LT content")
    content = documents.GetContent(docs.GetContentRequest(document_id=document.id), metadata=CLERK)
    assert content.content_pdf.startswith(b"%PDF-")
    assert content.sha256 == hashlib.sha256(content.content_pdf).hexdigest() == long_termed.content_sha256
    signed_at = next(i for i, e in enumerate(history) if e.event == "Signed")
    assert next(i for i, e in enumerate(history) if e.event == "LongTermValidated") > signed_at
    steps = [(e.aggregate, e.event) for e in history if e.event != "LongTermValidated"]
    assert steps == [
        ("OutgoingDocument", "Drafted"),
        ("OutgoingDocument", "Submitted"),
        ("OutgoingDocument", "Approved"),
        ("OutgoingDocument", "Registered"),
        ("OutgoingDocument", "Signed"),
        ("OutgoingDocument", "Sent"),
        ("IncomingDocument", "Arrived"),
        ("IncomingDocument", "Accepted"),
        ("OutgoingDocument", "RecipientStatusChanged"),
    ]
    people = {e.actor for e in history if e.event != "LongTermValidated"}
    assert people == {"clerk@000.00.12.H41", "leader@000.00.12.H41", "clerk@000.00.00.H41"}
    # The B-LT step is the platform's own, made by nobody's request.
    assert [e.actor for e in history if e.event == "LongTermValidated"] == ["system"]
    assert next(e.actor for e in history if e.event == "Approved") == "leader@000.00.12.H41"
    assert [e.version for e in history if e.aggregate == "OutgoingDocument"] == [1, 2, 3, 4, 5, 6, 7, 8]

    # The same history from the CLI an auditor uses.
    cli = lienthong_cli(platform, "audit", "history", document.id, "--json")
    assert cli.returncode == 0, cli.stderr
    from_cli = [json.loads(line)["event"] for line in cli.stdout.splitlines()]
    assert [event for event in from_cli if event != "LongTermValidated"] == [event for _, event in steps]

    # The document as it was when registered (before it was signed), and what changed since, from the CLI.
    registered_at = next(e.occurred_at for e in history if e.event == "Registered").ToDatetime(tzinfo=UTC)
    state = lienthong_cli(platform, "audit", "state", document.id, "--at", registered_at.isoformat())
    assert state.returncode == 0, state.stderr
    assert "OutgoingDocument at version 4" in state.stdout
    as_registered = json.loads(state.stdout[state.stdout.index("{") :])
    assert (as_registered["state"], as_registered["number"]) == ("registered", 1)
    since, until = registered_at.isoformat(), datetime.now(UTC).isoformat()
    diff = lienthong_cli(platform, "audit", "diff", document.id, "--from", since, "--to", until)
    assert diff.returncode == 0, diff.stderr
    assert "version 4 → 8" in diff.stdout  # Signed, LongTermValidated, Sent, RecipientStatusChanged
    assert "v5 Signed by" in diff.stdout

    # Who read the content, and who was refused it, from the access log an auditor reads with the CLI.
    with pytest.raises(grpc.RpcError) as refused:
        documents.GetContent(
            docs.GetContentRequest(document_id=document.id), metadata=(("x-lienthong-actor", "clerk@000.00.07.H41"),)
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    access = lienthong_cli(platform, "audit", "access", document.id, "--json")
    assert access.returncode == 0, access.stderr
    logged = [json.loads(line) for line in access.stdout.splitlines()]
    assert [(e["event"], e["actor"]) for e in logged[1:]] == [
        ("Read", "clerk@000.00.12.H41"),
        ("Denied", "clerk@000.00.07.H41"),
    ]
    assert all(e["data"]["peer"] and len(e["trace_id"]) == 32 for e in logged[1:])

    # The hash chain of every service's events verifies from the database.
    verified = lienthong_cli(platform, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count("intact") == 4

    # Every event is on NATS, on its subject, with Nats-Msg-Id = <aggregate id>:<version>.
    instance = platform.config.instance
    stream = stream_messages(platform.nats_url, f"{instance}_DOCUMENTS".upper(), platform.nats_credentials())
    mine = [(m.subject, m.message_id) for m in stream if m.message_id.startswith(document.id)]
    assert [message_id for _, message_id in mine] == [f"{document.id}:{version}" for version in range(1, 9)]
    # The seal's own B-LT step comes after the seal (before or after the sending, whichever was first).
    long_term_subject = f"{instance}.documents.outgoing_document.long_term_validated"
    assert [subject for subject, _ in mine].index(long_term_subject) > 4
    assert [subject for subject, _ in mine if subject != long_term_subject] == [
        f"{instance}.documents.outgoing_document.{event}"
        for event in ("drafted", "submitted", "approved", "registered", "signed", "sent", "recipient_status_changed")
    ]

    # The recipient's official mailbox got exactly one notification, in Vietnamese.
    def mails_to_province() -> list[EmailMessage]:
        found: list[EmailMessage] = []
        for path in sorted(platform.config.mail_dir.rglob("*.eml")):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            assert isinstance(message, EmailMessage)
            if message["To"] == PROVINCE.email and message["X-Lienthong-Document-Id"] in (document.id, arrived[0].id):
                found.append(message)
        return found

    mails = wait_for(mails_to_province, what="the arrival notification in the SMTP sink")
    assert len(mails) == 1
    assert "01/BC-STTTT" in str(mails[0]["Subject"])
    notifications = email_pb2_grpc.EmailServiceStub(channels["email"]).ListNotifications(
        email_pb2.ListNotificationsRequest(agency_code=PROVINCE.code), metadata=RECEIVING_CLERK
    )
    assert [n.state for n in notifications.notifications] == [email_pb2.DELIVERY_STATE_SENT]

    # Reporting counted it for both agencies.
    reporting = reporting_pb2_grpc.ReportingServiceStub(channels["reporting"])

    def counted() -> bool:
        sender = reporting.GetAgencyStats(
            reporting_pb2.GetAgencyStatsRequest(agency_code=DEPARTMENT.code), metadata=CLERK
        )
        recipient = reporting.GetAgencyStats(
            reporting_pb2.GetAgencyStatsRequest(agency_code=PROVINCE.code), metadata=RECEIVING_CLERK
        )
        return (sender.sent, recipient.received) == (1, 1)

    wait_for(counted, what="reporting to count the document")

    # The province's report rolls the department up under it (reporting follows the identifiers stream too),
    # and the CLI writes it as a PDF.
    def rolled_up() -> reporting_pb2.GetReportResponse | None:
        report = reporting.GetReport(reporting_pb2.GetReportRequest(scope_code=PROVINCE.code), metadata=OPERATOR)
        return report if len(report.lines) == 2 else None

    report = wait_for(rolled_up, what="the department under the province in reporting")
    assert [(line.code, line.sent, line.received) for line in report.lines] == [
        (PROVINCE.code, 0, 1),
        (DEPARTMENT.code, 1, 0),
    ]
    assert (report.total.sent, report.total.sent_signed, report.total.received) == (1, 1, 1)

    # Reporting follows the signing and email streams too: the department's seal and its signature, and the
    # notification mailed to the province.
    def signing_and_mail_counted() -> reporting_pb2.GetReportResponse | None:
        report = reporting.GetReport(reporting_pb2.GetReportRequest(scope_code=PROVINCE.code), metadata=OPERATOR)
        total = report.total
        seen = total.certificates.signatures_automatic + total.certificates.signatures_personal
        return report if seen >= 1 and total.mail.sent >= 1 else None

    report = wait_for(signing_and_mail_counted, what="reporting to count the seal, its signature and the mail")
    department = report.lines[1].certificates
    assert (department.organisation, department.active) == (1, 1)
    pdf = platform.config.data_dir / "report.pdf"
    exported = lienthong_cli(platform, "report", PROVINCE.code, "--export", "pdf", "--out", str(pdf))
    assert exported.returncode == 0, exported.stderr
    assert pdf.read_bytes().startswith(b"%PDF")

    # One trace follows the send through documents, identifiers and, over NATS, email and reporting.
    sent_trace = next(e.trace_id for e in history if e.event == "Sent")
    assert sent_trace
    # Sending no longer calls signing (the platform does not verify again a PDF it has just sealed): the
    # sealing call is traced in the trace of the Signed step.
    expected = {"documents", "identifiers", "email", "reporting"}
    wait_for(lambda: expected <= spans_by_trace(platform.config.traces_dir)[sent_trace], what=f"spans of {expected}")
    signed_trace = next(e.trace_id for e in history if e.event == "Signed")
    wait_for(lambda: "signing" in spans_by_trace(platform.config.traces_dir)[signed_trace], what="the sealing span")


def test_attachments_reach_the_recipient_unchanged_and_a_revocation_names_its_document(
    agencies: identifiers_pb2_grpc.IdentifiersServiceStub, documents: documents_pb2_grpc.DocumentsServiceStub
) -> None:
    appendix = "Phụ lục: danh sách đơn vị".encode() * 100
    request = docs.CreateOutgoingRequest(
        sender_code=DEPARTMENT.code,
        type=docs.DOCUMENT_TYPE_QUYET_DINH,
        subject="Quyết định ban hành quy chế",
        attachments=[
            docs.NewAttachment(
                name="../phu-luc-1.txt", content_type="text/plain", kind=docs.ATTACHMENT_KIND_APPENDIX, content=appendix
            )
        ],
    )
    original = documents.CreateOutgoing(request, metadata=CLERK).document
    [attachment] = original.attachments
    assert (attachment.name, attachment.kind, attachment.size) == (
        "phu-luc-1.txt",
        docs.ATTACHMENT_KIND_APPENDIX,
        len(appendix),
    )
    assert attachment.sha256 == hashlib.sha256(appendix).hexdigest()
    sent = send_through(documents, original.id)
    copy_id = sent.recipients[0].incoming_id
    fetched = documents.GetAttachment(
        docs.GetAttachmentRequest(document_id=copy_id, sha256=attachment.sha256), metadata=RECEIVING_CLERK
    )
    assert fetched.content == appendix

    revocation = documents.CreateOutgoing(
        docs.CreateOutgoingRequest(
            sender_code=DEPARTMENT.code,
            type=docs.DOCUMENT_TYPE_QUYET_DINH,
            subject="Quyết định thu hồi",
            business_type=docs.BUSINESS_TYPE_REVOKE,
            relates_to=original.id,
        ),
        metadata=CLERK,
    ).document
    revoked = send_through(documents, revocation.id)
    arrived = documents.ListIncoming(docs.ListIncomingRequest(recipient_code=PROVINCE.code), metadata=RECEIVING_CLERK)
    [copy] = [d for d in arrived.documents if d.outgoing_id == revoked.id]
    assert (copy.business_type, copy.relates_to_code) == (docs.BUSINESS_TYPE_REVOKE, f"{sent.number}/{sent.notation}")


def send_through(documents: documents_pb2_grpc.DocumentsServiceStub, document_id: str) -> docs.OutgoingDocument:
    documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document_id), metadata=CLERK)
    documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document_id), metadata=CLERK)
    return documents.SendOutgoing(
        docs.SendOutgoingRequest(document_id=document_id, recipient_codes=[PROVINCE.code]), metadata=CLERK
    ).document


def test_a_refusal_is_mailed_to_the_sender_and_a_recall_to_the_recipient(
    platform: Platform,
    agencies: identifiers_pb2_grpc.IdentifiersServiceStub,
    documents: documents_pb2_grpc.DocumentsServiceStub,
) -> None:
    refused = send_through(documents, draft(documents, "Tờ trình xin ý kiến").id)
    documents.RefuseIncoming(
        docs.RefuseIncomingRequest(incoming_id=refused.recipients[0].incoming_id, reason="Không đúng thẩm quyền"),
        metadata=RECEIVING_CLERK,
    )
    recalled = send_through(documents, draft(documents, "Kế hoạch tháng 12").id)
    documents.RecallOutgoing(
        docs.RecallOutgoingRequest(document_id=recalled.id, reason="Ban hành nhầm"), metadata=CLERK
    )

    def mails(prefix: str, to: str) -> list[EmailMessage]:
        found = []
        for path in sorted(platform.config.mail_dir.rglob("*.eml")):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            assert isinstance(message, EmailMessage)
            if str(message["Subject"]).startswith(prefix) and message["To"] == to:
                found.append(message)
        return found

    [refusal] = wait_for(lambda: mails("Văn bản bị từ chối", DEPARTMENT.email), what="the refusal mail")
    body = refusal.get_body(preferencelist=("plain",))
    assert body is not None
    assert "Không đúng thẩm quyền" in body.get_content()
    [recall] = wait_for(lambda: mails("Yêu cầu lấy lại văn bản", PROVINCE.email), what="the recall mail")
    assert f"{recalled.number}/{recalled.notation}" in str(recall["Subject"])


def test_a_revoked_seal_still_vouches_for_what_it_signed_and_is_replaced_for_new_documents(
    channels: dict[str, grpc.Channel],
    agencies: identifiers_pb2_grpc.IdentifiersServiceStub,
    documents: documents_pb2_grpc.DocumentsServiceStub,
) -> None:
    signing = signing_pb2_grpc.SigningServiceStub(channels["signing"])
    earlier = draft(documents, "Công văn ký trước khi thu hồi chứng thư")
    documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=earlier.id), metadata=CLERK)
    sealed = documents.SignOutgoing(docs.SignOutgoingRequest(document_id=earlier.id), metadata=CLERK).document
    old_serial = sealed.signer_certificate_serial

    signing.SuspendCertificate(
        signing_pb2.SuspendCertificateRequest(serial=old_serial, reason="mất token"), metadata=OPERATOR
    )
    blocked = draft(documents, "Công văn trong lúc tạm dừng")
    documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=blocked.id), metadata=CLERK)
    with pytest.raises(grpc.RpcError) as caught:
        documents.SignOutgoing(docs.SignOutgoingRequest(document_id=blocked.id), metadata=CLERK)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "is suspended" in str(caught.value.details())

    signing.RevokeCertificate(
        signing_pb2.RevokeCertificateRequest(serial=old_serial, reason="lộ khóa bí mật"), metadata=OPERATOR
    )
    sent = documents.SendOutgoing(  # signed before the revocation: still valid
        docs.SendOutgoingRequest(document_id=earlier.id, recipient_codes=[PROVINCE.code]), metadata=CLERK
    ).document
    assert sent.state == docs.OUTGOING_STATE_SENT

    renewed = documents.SignOutgoing(docs.SignOutgoingRequest(document_id=blocked.id), metadata=CLERK).document
    assert renewed.signer_certificate_serial not in ("", old_serial)


def test_an_auditor_verifies_a_signed_pdf_with_the_cli(
    platform: Platform,
    agencies: identifiers_pb2_grpc.IdentifiersServiceStub,
    documents: documents_pb2_grpc.DocumentsServiceStub,
    tmp_path: Path,
) -> None:
    document = draft(documents, "Báo cáo để kiểm tra chữ ký")
    documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document.id), metadata=CLERK)
    documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document.id), metadata=CLERK)
    pdf = documents.GetContent(docs.GetContentRequest(document_id=document.id), metadata=CLERK).content_pdf
    signed, tampered = tmp_path / "signed.pdf", tmp_path / "tampered.pdf"
    signed.write_bytes(pdf)
    tampered.write_bytes(pdf.replace(b"Bao cao de kiem tra", b"Bao cao da sua doi!", 1))

    def verify(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lienthong.cli.main", "verify", str(path), "--agency", DEPARTMENT.code],
            env=platform.env() | {"COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    good, bad = verify(signed), verify(tampered)
    assert (good.returncode, good.stdout.split(":")[0]) == (0, "TOTAL_PASSED")
    assert (bad.returncode, bad.stdout.split(":")[0]) == (1, "TOTAL_FAILED")
    assert "HASH_FAILURE" in bad.stdout


def test_a_service_cannot_publish_another_services_events_on_the_platforms_nats(platform: Platform) -> None:
    """On the NATS `make run` starts (TLS, one user per service), documents' own credentials cannot put an
    event in identifiers' stream, and a client without credentials is not let in at all."""
    if platform.nats_security is None:
        pytest.skip("the machine's NATS (LIENTHONG_TEST_NATS_URL) has no users")
    stream = f"{platform.config.instance}_IDENTIFIERS".upper()
    subject = f"{platform.config.instance}.identifiers.agency.dissolved"

    async def stored() -> int:
        credentials = platform.nats_credentials()
        assert credentials is not None
        nc = await nats.connect(platform.nats_url, **credentials.connect_options())
        try:
            return int((await nc.jetstream().stream_info(stream)).state.messages)
        except NotFoundError:
            return 0
        finally:
            await nc.close()

    async def forge() -> None:
        credentials = platform.nats_credentials("documents")
        assert credentials is not None
        nc = await nats.connect(platform.nats_url, allow_reconnect=False, **credentials.connect_options())
        try:
            with pytest.raises((NatsError, TimeoutError)):
                await nc.jetstream(timeout=2).publish(subject, b"forged", headers={"Nats-Msg-Id": "forged:1"})
        finally:
            await nc.close()

    before = asyncio.run(stored())
    asyncio.run(forge())
    assert asyncio.run(stored()) == before
    with pytest.raises((NatsError, OSError)):
        asyncio.run(nats.connect(platform.nats_url, allow_reconnect=False, max_reconnect_attempts=0))
