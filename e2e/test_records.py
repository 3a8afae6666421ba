"""A record (hồ sơ) filled with signed documents, closed, exported, and verified offline with the CLI."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import grpc
import pytest

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc, records_pb2_grpc
from lienthong.documents.v1 import records_pb2 as rec
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform

SENDER, RECIPIENT = "000.00.08.H48", "000.00.00.H48"
CLERK = (("x-lienthong-actor", f"clerk@{SENDER}"),)
OTHER_CLERK = (("x-lienthong-actor", f"clerk@{RECIPIENT}"),)


@pytest.fixture(scope="module")
def stubs(
    channels: dict[str, grpc.Channel],
) -> tuple[documents_pb2_grpc.DocumentsServiceStub, records_pb2_grpc.RecordsServiceStub]:
    agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channels["identifiers"])
    for code, name, short in ((RECIPIENT, "UBND tỉnh", "UBND"), (SENDER, "Sở Xây dựng", "SXD")):
        agencies.RegisterAgency(ids.RegisterAgencyRequest(code=code, name=name, short_name=short), metadata=OPERATOR)
    return (
        documents_pb2_grpc.DocumentsServiceStub(channels["documents"]),
        records_pb2_grpc.RecordsServiceStub(channels["documents"]),
    )


def verify(platform: Platform, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lienthong.cli.main", "records", "verify", str(path)],
        env=platform.env() | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_closed_record_is_exported_and_verified_offline(
    platform: Platform,
    stubs: tuple[documents_pb2_grpc.DocumentsServiceStub, records_pb2_grpc.RecordsServiceStub],
    tmp_path: Path,
) -> None:
    documents, records = stubs
    sent = [
        documents.SendDocument(
            docs.SendDocumentRequest(
                document=docs.CreateOutgoingRequest(
                    sender_code=SENDER,
                    type=docs.DOCUMENT_TYPE_QUYET_DINH,
                    subject=subject,
                    attachments=[
                        docs.NewAttachment(
                            name="phu-luc.txt", kind=docs.ATTACHMENT_KIND_APPENDIX, content=subject.encode()
                        )
                    ],
                ),
                recipient_codes=[RECIPIENT],
            ),
            metadata=CLERK,
        ).document
        for subject in ("Quyết định cấp phép xây dựng", "Quyết định gia hạn giấy phép")
    ]
    record = records.OpenRecord(
        rec.OpenRecordRequest(code="HS-XD-2026-01", title="Hồ sơ cấp phép xây dựng", retention_years=20),
        metadata=CLERK,
    ).record
    for document in sent:
        records.FileDocument(rec.FileDocumentRequest(record_id=record.id, document_id=document.id), metadata=CLERK)
    with pytest.raises(grpc.RpcError) as caught:
        records.ExportRecord(rec.ExportRecordRequest(record_id=record.id), metadata=CLERK)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    closed = records.CloseRecord(rec.CloseRecordRequest(record_id=record.id), metadata=CLERK).record
    assert (closed.state, [d.code for d in closed.documents]) == (
        rec.RECORD_STATE_CLOSED,
        [f"{d.number}/{d.notation}" for d in sent],
    )
    with pytest.raises(grpc.RpcError) as caught:
        records.ExportRecord(rec.ExportRecordRequest(record_id=record.id), metadata=OTHER_CLERK)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    listed = records.ListRecords(rec.ListRecordsRequest(state=rec.RECORD_STATE_CLOSED), metadata=CLERK).records
    assert [r.id for r in listed] == [record.id]

    exported = records.ExportRecord(rec.ExportRecordRequest(record_id=record.id), metadata=CLERK)
    package = tmp_path / exported.file_name
    package.write_bytes(exported.archive)
    good = verify(platform, package)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.count("PAdES signature(s) intact and valid, sealed by certificate") == 2

    # One byte of a signed PDF changed: the CLI exits 1 naming the file.
    tampered = tmp_path / "tampered.zip"
    source = zipfile.ZipFile(io.BytesIO(exported.archive))
    with zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "documents/01/document.pdf":
                content = content[:100] + bytes([content[100] ^ 1]) + content[101:]
            target.writestr(info, content)
    bad = verify(platform, tampered)
    assert bad.returncode == 1
    assert "documents/01/document.pdf" in bad.stderr
