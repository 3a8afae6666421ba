"""Records (hồ sơ): opened, filled with the agency's documents, closed, exported as a verifiable package."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from uuid import UUID

import pytest

from lienthong.archive import ArchiveProblem, SignatureCheck, verify_archive
from lienthong.consumer import LocalFollower
from lienthong.documents.application.recordkeeping import RecordUseCases
from lienthong.documents.application.usecases import DocumentUseCases, NewAttachment
from lienthong.documents.domain.attachments import AttachmentKind
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.documents.domain.records import PERMANENT, Direction, Record, RecordState, retention_text
from lienthong.documents.projections.records import RecordsRegister
from lienthong.errors import AlreadyExists, FailedPrecondition, InvalidArgument, PermissionDenied
from lienthong.eventstore import event_context

AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
SENDER, RECIPIENT = "000.00.12.H41", "000.00.00.H41"


def opened(**overrides: object) -> Record:
    fields: dict[str, object] = {
        "agency_code": SENDER,
        "code": "HS-2026-01",
        "title": "Hồ sơ chuyển đổi số năm 2026",
        "retention_years": 10,
        "opened_at": AT,
    } | overrides
    return Record.open(**fields)  # type: ignore[arg-type]


def test_a_record_is_opened_filled_in_order_and_closed() -> None:
    record = opened()
    assert record.file(document_id="a", direction=Direction.OUTGOING, document_code="01/QĐ-STTTT", at=AT) == 1
    assert record.file(document_id="b", direction=Direction.INCOMING, document_code="05/BC-UBND", at=AT) == 2
    record.close(at=AT)
    assert record.state is RecordState.CLOSED
    assert [type(e).__name__ for e in record.collect_events()] == ["Opened", "DocumentFiled", "DocumentFiled", "Closed"]
    assert (retention_text(10), retention_text(PERMANENT)) == ("10 năm", "Vĩnh viễn")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"code": " "}, "record code"),
        ({"code": "HS 01"}, "without spaces"),
        ({"code": "x" * 51}, "1 to 50"),
        ({"title": ""}, "needs a title"),
        ({"title": "x" * 501}, "the limit is 500"),
        ({"retention_years": 101}, "neither permanent"),
        ({"retention_years": -1}, "neither permanent"),
    ],
)
def test_a_record_without_proper_code_title_or_retention_is_refused(overrides: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidArgument, match=reason):
        opened(**overrides)


def test_a_closed_record_takes_nothing_and_an_empty_one_cannot_close() -> None:
    record = opened()
    with pytest.raises(FailedPrecondition, match="is empty"):
        record.close(at=AT)
    with pytest.raises(FailedPrecondition, match="still open"):
        record.check_exportable()
    record.file(document_id="a", direction=Direction.OUTGOING, document_code="01/QĐ-STTTT", at=AT)
    with pytest.raises(FailedPrecondition, match="already number 1"):
        record.file(document_id="a", direction=Direction.OUTGOING, document_code="01/QĐ-STTTT", at=AT)
    record.close(at=AT)
    for act in (
        lambda: record.file(document_id="b", direction=Direction.OUTGOING, document_code="", at=AT),
        lambda: record.close(at=AT),
    ):
        with pytest.raises(FailedPrecondition, match="is closed"):
            act()
    assert record.id == Record.create_id(SENDER, "HS-2026-01")


@pytest.fixture
def records(usecases: DocumentUseCases, tmp_path: object) -> RecordUseCases:
    app = usecases._app  # the same store as the documents' use cases
    register = RecordsRegister(app.engine)
    return RecordUseCases(app, register, LocalFollower(app, register, service="documents"), usecases._blobs)


async def issue(usecases: DocumentUseCases, subject: str) -> tuple[str, str]:
    with event_context(f"clerk@{SENDER}"):
        draft = await usecases.create_outgoing(
            sender_code=SENDER,
            doc_type=DocumentType.QUYET_DINH,
            subject=subject,
            urgency=Urgency.NORMAL,
            confidentiality=Confidentiality.NORMAL,
            content_pdf=b"",
            attachments=[NewAttachment("phu-luc.txt", "text/plain", AttachmentKind.APPENDIX, subject.encode())],
        )
        await usecases.register_outgoing(UUID(draft.id))
        await usecases.sign_outgoing(UUID(draft.id))
        row = await usecases.send_outgoing(UUID(draft.id), [RECIPIENT])
    return row.id, row.recipients[0].incoming_id


def fake_signatures(pdf: bytes) -> SignatureCheck:
    """The fake seal of conftest: a marker, standing for certificate 0a1b."""
    return SignatureCheck(("0a1b",) if pdf.endswith(b"%%signed by the fake seal\n") else ())


async def closed_record(usecases: DocumentUseCases, records: RecordUseCases) -> tuple[str, bytes]:
    first, _ = await issue(usecases, "Quyết định thành lập tổ công tác")
    second, _ = await issue(usecases, "Quyết định phân công nhiệm vụ")
    with event_context(f"clerk@{SENDER}"):
        record = await records.open_record("", "HS-2026-01", "Hồ sơ chuyển đổi số năm 2026", 10)
        for document_id in (first, second):
            await records.file_document(UUID(record.id), UUID(document_id))
        closed = await records.close_record(UUID(record.id))
        archive, name = await records.export_record(UUID(record.id))
    assert (closed.state, [d.ordinal for d in closed.documents], name) == (
        "closed",
        [1, 2],
        f"{SENDER}_HS-2026-01.zip",
    )
    return record.id, archive


async def test_a_closed_record_exports_a_package_that_verifies(
    usecases: DocumentUseCases, records: RecordUseCases
) -> None:
    _, archive = await closed_record(usecases, records)
    checks = verify_archive(archive, signatures=fake_signatures)
    assert "every file matches its SHA-256 in checksums.sha256 and manifest.json" in checks
    assert sum("PAdES signature(s) intact" in line for line in checks) == 2
    with zipfile.ZipFile(io.BytesIO(archive)) as package:
        metadata = json.loads(package.read("documents/02/metadata.json"))
        manifest = json.loads(package.read("manifest.json"))
    assert (metadata["code"], metadata["type_name"], metadata["record_code"], metadata["ordinal"]) == (
        "02/QĐ-STTTT",
        "Quyết định",
        "HS-2026-01",
        2,
    )
    assert manifest["record"]["retention"] == "10 năm"


async def test_the_recipient_files_its_accepted_copy_with_the_sent_history(
    usecases: DocumentUseCases, records: RecordUseCases
) -> None:
    _, incoming = await issue(usecases, "Quyết định gửi tỉnh")
    with event_context(f"clerk@{RECIPIENT}"):
        record = await records.open_record("", "HS-DEN-01", "Văn bản đến về chuyển đổi số", PERMANENT)
        with pytest.raises(FailedPrecondition, match="only accepted copies are filed"):
            await records.file_document(UUID(record.id), UUID(incoming))
        await usecases.accept_incoming(UUID(incoming))
        await records.file_document(UUID(record.id), UUID(incoming))
        await records.close_record(UUID(record.id))
        archive, _ = await records.export_record(UUID(record.id))
    checks = verify_archive(archive, signatures=fake_signatures)
    assert any("01/QĐ-STTTT" in line for line in checks)
    with zipfile.ZipFile(io.BytesIO(archive)) as package:
        history = json.loads(package.read("documents/01/history.json"))
        metadata = json.loads(package.read("documents/01/metadata.json"))
    assert [e["event"] for e in history] == ["Arrived", "Accepted", "Drafted", "Registered", "Signed", "Sent"]
    assert (metadata["arrival_number"], metadata["receiving_agency_code"]) == (1, RECIPIENT)


async def test_records_are_the_agencys_own(usecases: DocumentUseCases, records: RecordUseCases) -> None:
    document_id, incoming = await issue(usecases, "Quyết định")
    with event_context(f"clerk@{SENDER}"):
        record = await records.open_record("", "HS-01", "Hồ sơ", 5)
        with pytest.raises(AlreadyExists, match="already has a record with code HS-01"):
            await records.open_record("", "HS-01", "Hồ sơ khác", 5)
        with pytest.raises(FailedPrecondition, match=f"arrived at {RECIPIENT}"):
            await records.file_document(UUID(record.id), UUID(incoming))
        with pytest.raises(PermissionDenied):
            await records.open_record(RECIPIENT, "HS-02", "Hồ sơ của tỉnh", 5)
        with pytest.raises(FailedPrecondition, match="still open"):
            await records.export_record(UUID(record.id))
    with event_context(f"clerk@{RECIPIENT}"):
        for act in (
            lambda: records.file_document(UUID(record.id), UUID(document_id)),
            lambda: records.close_record(UUID(record.id)),
            lambda: records.export_record(UUID(record.id)),
            lambda: records.list_records(SENDER, "", 50, 0),
        ):
            with pytest.raises(PermissionDenied, match=SENDER):
                await act()
        assert await records.list_records("", "", 50, 0) == ([], False)
    with event_context(f"clerk@{SENDER}"):
        listed, more = await records.list_records("", "open", 50, 0)
    assert ([r.code for r in listed], more) == (["HS-01"], False)


def rewritten(archive: bytes, path: str, change: object) -> bytes:
    """The package with one member's bytes changed by `change(bytes) -> bytes`, everything else as it was."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info, change(content) if info.filename == path else content)  # type: ignore[operator]
    return out.getvalue()


def flip_one_byte(content: bytes) -> bytes:
    middle = len(content) // 2
    return content[:middle] + bytes([content[middle] ^ 0x01]) + content[middle + 1 :]


async def test_one_changed_byte_in_any_part_fails_verification(
    usecases: DocumentUseCases, records: RecordUseCases
) -> None:
    _, archive = await closed_record(usecases, records)
    with zipfile.ZipFile(io.BytesIO(archive)) as package:
        members = package.namelist()
    assert {"manifest.json", "checksums.sha256", "record/history.json", "documents/01/document.pdf"} <= set(members)
    assert any("/attachments/" in m for m in members)
    for member in members:
        with pytest.raises(ArchiveProblem) as caught:
            verify_archive(rewritten(archive, member, flip_one_byte), signatures=fake_signatures)
        named = "checksums.sha256" if member == "checksums.sha256" else member
        assert named in str(caught.value) or "JSON" in str(caught.value) or "line" in str(caught.value), caught.value
    raw = bytearray(archive)
    raw[len(raw) // 3] ^= 0x01
    with pytest.raises(ArchiveProblem):
        verify_archive(bytes(raw), signatures=fake_signatures)
