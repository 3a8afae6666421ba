"""The outgoing document's life: each command checks its rule and records one event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lienthong.documents.domain.incoming import IncomingDocument
from lienthong.documents.domain.outgoing import Confidentiality, OutgoingDocument, OutgoingState, Urgency
from lienthong.documents.domain.series import NumberSeries, id_of_series
from lienthong.errors import FailedPrecondition, InvalidArgument

NOON = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def drafted(subject: str = "Báo cáo tháng 11") -> OutgoingDocument:
    return OutgoingDocument.draft(
        sender_code="000.00.12.H41",
        doc_type="BAO_CAO",
        subject=subject,
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.NORMAL,
        content_sha256="",
    )


def registered() -> OutgoingDocument:
    document = drafted()
    document.register(number=5, notation="BC-STTTT", code="05/BC-STTTT", issued_at=NOON, content_sha256="a" * 64)
    return document


def signed() -> OutgoingDocument:
    document = registered()
    document.sign(content_sha256="b" * 64, certificate_serial="0a1b", signed_at=NOON)
    return document


def test_a_draft_records_drafted_with_its_fields() -> None:
    document = drafted("  Báo cáo tháng 11  ")
    events = document.collect_events()
    assert [type(e).__name__ for e in events] == ["Drafted"]
    assert (document.subject, document.state) == ("Báo cáo tháng 11", OutgoingState.DRAFT)


@pytest.mark.parametrize(("subject", "reason"), [("   ", "required"), ("x" * 501, "501 characters; the limit is 500")])
def test_a_draft_without_a_proper_subject_is_refused(subject: str, reason: str) -> None:
    with pytest.raises(InvalidArgument, match=reason):
        drafted(subject)


def test_registration_gives_number_and_notation_once() -> None:
    document = registered()
    assert (document.number, document.code, document.state) == (5, "05/BC-STTTT", OutgoingState.REGISTERED)
    with pytest.raises(FailedPrecondition, match="already registered as 05/BC-STTTT"):
        document.register(number=6, notation="BC-STTTT", code="06/BC-STTTT", issued_at=NOON, content_sha256="c" * 64)


def test_a_draft_cannot_be_signed() -> None:
    with pytest.raises(FailedPrecondition, match="register it"):
        drafted().sign(content_sha256="b" * 64, certificate_serial="0a1b", signed_at=NOON)


@pytest.mark.parametrize(
    ("make", "reason"),
    [(drafted, "is not registered"), (registered, "is not signed")],
)
def test_only_a_signed_document_can_be_sent(make: object, reason: str) -> None:
    document = make()  # type: ignore[operator]
    with pytest.raises(FailedPrecondition, match=reason):
        document.send(recipients={"000.00.00.H41": "x"}, sent_at=NOON)


def test_sending_records_every_recipient_as_arrived() -> None:
    document = signed()
    document.send(recipients={"000.00.00.H41": "i-1", "000.00.07.H41": "i-2"}, sent_at=NOON)
    assert document.state == OutgoingState.SENT
    assert document.recipient_status == {"000.00.00.H41": ("01", NOON), "000.00.07.H41": ("01", NOON)}
    with pytest.raises(FailedPrecondition, match="already been sent"):
        document.send(recipients={"000.00.00.H41": "i-3"}, sent_at=NOON)


def test_a_document_is_not_sent_to_its_own_agency_or_to_nobody() -> None:
    with pytest.raises(InvalidArgument, match="to itself"):
        signed().send(recipients={"000.00.12.H41": "i"}, sent_at=NOON)
    with pytest.raises(InvalidArgument, match="at least one recipient"):
        signed().send(recipients={}, sent_at=NOON)


def test_an_incoming_copy_is_accepted_once() -> None:
    copy = IncomingDocument(
        outgoing_id=signed().id,
        sender_code="000.00.12.H41",
        recipient_code="000.00.00.H41",
        doc_type="BAO_CAO",
        subject="Báo cáo",
        code="05/BC-STTTT",
        urgency="NORMAL",
        arrived_at=NOON,
    )
    copy.accept(arrival_number=1, accepted_at=NOON)
    assert (copy.status.value, copy.arrival_number) == ("03", 1)
    with pytest.raises(FailedPrecondition, match=r"status 03 \(accepted\)"):
        copy.accept(arrival_number=2, accepted_at=NOON)


def test_a_number_series_hands_out_consecutive_numbers_and_has_a_stable_id() -> None:
    series = NumberSeries("outgoing:000.00.12.H41:2026")
    assert [series.take() for _ in range(3)] == [1, 2, 3]
    assert series.id == id_of_series("outgoing:000.00.12.H41:2026")
    assert id_of_series("outgoing:000.00.12.H41:2027") != series.id


def test_a_document_addressed_to_old_codes_records_where_it_was_routed() -> None:
    document = signed()
    document.send(
        recipients={"000.00.33.H41": "i-1"},
        addressed={"000.00.31.H41": "000.00.33.H41", "000.00.32.H41": "000.00.33.H41"},
        sent_at=NOON,
    )
    [recipient] = document.collect_events()[-1].recipients  # type: ignore[attr-defined]
    assert recipient == {
        "recipient_code": "000.00.33.H41",
        "incoming_id": "i-1",
        "addressed_to": ["000.00.31.H41", "000.00.32.H41"],
    }


def test_approval_comes_before_registration_and_a_returned_draft_is_submitted_again() -> None:
    document = drafted()
    document.submit(by="clerk", at=NOON)
    with pytest.raises(FailedPrecondition, match="waiting for approval"):
        document.register(number=1, notation="BC-STTTT", code="01/BC-STTTT", issued_at=NOON, content_sha256="a" * 64)
    with pytest.raises(InvalidArgument, match="needs comments"):
        document.return_with_comments(by="leader", comments=" ", at=NOON)
    document.return_with_comments(by="leader", comments="Sửa số liệu mục 2", at=NOON)
    with pytest.raises(FailedPrecondition, match="returned with comments; correct it and submit it again"):
        document.register(number=1, notation="BC-STTTT", code="01/BC-STTTT", issued_at=NOON, content_sha256="a" * 64)
    with pytest.raises(FailedPrecondition, match="only a submitted document is approved"):
        document.approve(by="leader", comment="", at=NOON)
    document.submit(by="clerk", at=NOON)
    document.approve(by="leader", comment="Đồng ý", at=NOON)
    document.register(number=1, notation="BC-STTTT", code="01/BC-STTTT", issued_at=NOON, content_sha256="a" * 64)
    events = [type(e).__name__ for e in document.collect_events()]
    assert events == ["Drafted", "Submitted", "Returned", "Submitted", "Approved", "Registered"]


def test_file_names_lose_directories_and_reserved_characters() -> None:
    from lienthong.documents.domain.attachments import safe_file_name

    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("C:\\Users\\x\\Phụ lục 1.pdf") == "Phụ lục 1.pdf"
    assert safe_file_name('bảng"kê?.xlsx') == "bảng_kê_.xlsx"
    with pytest.raises(InvalidArgument, match="no usable characters"):
        safe_file_name("../..")


def test_a_long_vietnamese_file_name_is_cut_to_255_bytes_keeping_its_extension() -> None:
    from lienthong.documents.domain.attachments import MAX_FILE_NAME_BYTES, safe_file_name

    name = safe_file_name("Báo cáo tổng hợp " * 30 + ".docx")

    assert len(name.encode()) <= MAX_FILE_NAME_BYTES
    assert name.endswith(".docx")
    assert name.startswith("Báo cáo tổng hợp")
    assert safe_file_name(name) == name


def test_a_file_name_found_by_the_fuzzer_stays_within_255_bytes() -> None:
    # fuzz/file_names.py: 255 characters of U+FFFD (three bytes each) came back as 765 bytes.
    from lienthong.documents.domain.attachments import MAX_FILE_NAME_BYTES, safe_file_name

    name = safe_file_name("." + "\ufffd" * 54 + "`" + "\ufffd" * 200)

    assert len(name.encode()) <= MAX_FILE_NAME_BYTES
    assert not name.startswith(".")
    assert safe_file_name(name) == name


def test_an_attachment_over_50_mib_is_refused_and_one_of_exactly_50_mib_is_not() -> None:
    from lienthong.documents.domain.attachments import MAX_ATTACHMENT_BYTES, check_attachment

    check_attachment("phu-luc.pdf", bytes(MAX_ATTACHMENT_BYTES))
    with pytest.raises(InvalidArgument, match=f"has {MAX_ATTACHMENT_BYTES + 1} bytes; the limit is"):
        check_attachment("phu-luc.pdf", bytes(MAX_ATTACHMENT_BYTES + 1))


def test_a_revocation_names_a_sent_document_of_the_same_agency() -> None:
    from lienthong.documents.domain.attachments import BusinessType

    earlier = signed()
    with pytest.raises(FailedPrecondition, match="has not been sent"):
        OutgoingDocument.draft(
            sender_code="000.00.12.H41",
            doc_type="QUYET_DINH",
            subject="Thu hồi",
            urgency=Urgency.NORMAL,
            confidentiality=Confidentiality.NORMAL,
            content_sha256="",
            business_type=BusinessType.REVOKE,
            relates_to=earlier,
        )
    earlier.send(recipients={"000.00.00.H41": "i-1"}, sent_at=NOON)
    with pytest.raises(InvalidArgument, match="names the earlier document"):
        OutgoingDocument.draft(
            sender_code="000.00.12.H41",
            doc_type="QUYET_DINH",
            subject="Thu hồi",
            urgency=Urgency.NORMAL,
            confidentiality=Confidentiality.NORMAL,
            content_sha256="",
            business_type=BusinessType.REVOKE,
        )
    revocation = OutgoingDocument.draft(
        sender_code="000.00.12.H41",
        doc_type="QUYET_DINH",
        subject="Thu hồi",
        urgency=Urgency.NORMAL,
        confidentiality=Confidentiality.NORMAL,
        content_sha256="",
        business_type=BusinessType.REVOKE,
        relates_to=earlier,
    )
    assert (revocation.business_type, revocation.relates_to, revocation.relates_to_code) == (
        "REVOKE",
        str(earlier.id),
        "05/BC-STTTT",
    )
