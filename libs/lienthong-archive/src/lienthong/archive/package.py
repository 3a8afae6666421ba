"""The archive package of a closed record (hồ sơ nộp lưu): one zip, the same bytes for the same record.

Layout:

    manifest.json                    format, the record's metadata, its documents, the SHA-256 of every file
    record/history.json              every event of the record (opened, documents filed, closed)
    documents/NN/metadata.json       the document's metadata (Phụ lục VI, NĐ 30/2020)
    documents/NN/history.json        every event of the document (for an incoming copy: the copy's, and the
                                     sender's up to sending)
    documents/NN/document.pdf        the document as issued, with its PAdES signatures
    documents/NN/attachments/KK-name the appendixes and attachments
    checksums.sha256                 `sha256sum -c` lines for every other file, manifest.json included

NN is the document's ordinal in the record (số thứ tự văn bản trong hồ sơ).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

FORMAT = "lienthong-record-archive/1"
MANIFEST = "manifest.json"
CHECKSUMS = "checksums.sha256"
RECORD_HISTORY = "record/history.json"
# Every member carries this time so that the same record always gives the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ArchivedFile:
    """An attachment of a document: its name as recorded and its bytes."""

    name: str
    content: bytes


@dataclass(frozen=True)
class ArchivedDocument:
    """One filed document with everything the archive keeps of it."""

    ordinal: int
    document_id: str
    direction: str  # "outgoing" or "incoming"
    metadata: dict[str, Any]
    history: list[dict[str, Any]]
    pdf: bytes
    attachments: list[ArchivedFile] = field(default_factory=list)


@dataclass(frozen=True)
class RecordArchive:
    """A closed record: its metadata, its own events, and its documents in filing order."""

    record: dict[str, Any]
    history: list[dict[str, Any]]
    documents: list[ArchivedDocument]


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def document_folder(ordinal: int) -> str:
    return f"documents/{ordinal:02d}"


def as_json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_archive(archive: RecordArchive) -> bytes:
    """The zip of `archive`, laid out as the module says."""
    files: dict[str, bytes] = {RECORD_HISTORY: as_json(archive.history)}
    listed = []
    for document in archive.documents:
        folder = document_folder(document.ordinal)
        attachments = []
        for index, attachment in enumerate(document.attachments, start=1):
            path = f"{folder}/attachments/{index:02d}-{attachment.name}"
            files[path] = attachment.content
            attachments.append({"path": path, "name": attachment.name, "sha256": sha256_hex(attachment.content)})
        files[f"{folder}/metadata.json"] = as_json(document.metadata)
        files[f"{folder}/history.json"] = as_json(document.history)
        files[f"{folder}/document.pdf"] = document.pdf
        listed.append(
            {
                "ordinal": document.ordinal,
                "document_id": document.document_id,
                "direction": document.direction,
                "folder": folder,
                "attachments": attachments,
            }
        )
    manifest = {
        "format": FORMAT,
        "record": archive.record,
        "documents": listed,
        "files": {path: sha256_hex(content) for path, content in sorted(files.items())},
    }
    files[MANIFEST] = as_json(manifest)
    files[CHECKSUMS] = "".join(f"{sha256_hex(c)}  {p}\n" for p, c in sorted(files.items())).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for path in [MANIFEST, CHECKSUMS, *sorted(p for p in files if p not in (MANIFEST, CHECKSUMS))]:
            package.writestr(zipfile.ZipInfo(path, date_time=_ZIP_TIME), files[path], zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
