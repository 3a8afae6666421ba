"""Verifying an archive package offline, stopping at the first problem.

What is checked, in order:
1. the zip reads, its paths stay inside it, and every member's CRC holds;
2. every file is listed in `checksums.sha256` and in `manifest.json` with the SHA-256 it has, and nothing
   listed is missing;
3. the record's history is whole (versions 1, 2, … of one aggregate), opened with the manifest's code, title
   and retention period, files exactly the manifest's documents in order, and ends closed;
4. each document's history is whole, belongs to the document, and its events name the digests of the PDF
   (the last content digest recorded: drafted, registered or signed) and of every attachment in the package;
   its metadata carries the number and notation the history registered;
5. with pyHanko: every PAdES signature of each PDF is intact (the signed bytes unchanged) and cryptographically
   valid, and a document the history says was signed carries a signature by the certificate it names.
   Whether the certificate chains to the Government's CA and was not revoked is not judged offline here.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from typing import Any

from lienthong.archive.checks import SignatureChecker
from lienthong.archive.package import CHECKSUMS, FORMAT, MANIFEST, RECORD_HISTORY, sha256_hex

_CHECKSUM_LINE = re.compile(r"([0-9a-f]{64})  (.+)")


class ArchiveProblem(Exception):
    """The first thing found wrong with a package."""


def verify_archive(data: bytes, signatures: SignatureChecker | None = None) -> list[str]:
    """The checks passed, one line each; ArchiveProblem with the first problem found. `signatures` checks a
    PDF's signatures (default: pyHanko when importable, else signatures are not checked and the result says so)."""
    checker = signatures if signatures is not None else _default_checker()
    files = _read(data)
    done = [f"{len(files)} files read from the zip"]
    manifest = _json(files, MANIFEST)
    if manifest.get("format") != FORMAT:
        raise ArchiveProblem(f"{MANIFEST} has format {manifest.get('format')!r}, expected {FORMAT!r}")
    _check_digests(files, manifest)
    done.append(f"every file matches its SHA-256 in {CHECKSUMS} and {MANIFEST}")
    record = manifest["record"]
    _check_record_history(_json(files, RECORD_HISTORY), record, manifest["documents"])
    done.append(f"record {record['code']}: history whole, {len(manifest['documents'])} documents filed, closed")
    for listed in manifest["documents"]:
        done += _check_document(files, listed, checker)
    if checker is None:
        done.append("PAdES signatures NOT checked: pyHanko is not installed")
    return done


def _read(data: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
            if len(names) != len(set(names)):
                raise ArchiveProblem("the zip holds two members with the same name")
            for name in names:
                if name.startswith("/") or ".." in name.split("/") or "\\" in name:
                    raise ArchiveProblem(f"member {name!r} would leave the archive's folder")
            return {name: package.read(name) for name in names}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
        raise ArchiveProblem(f"not a readable zip archive (a member is damaged): {error}") from error


def _json(files: dict[str, bytes], path: str) -> Any:
    if path not in files:
        raise ArchiveProblem(f"{path} is missing")
    try:
        return json.loads(files[path].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveProblem(f"{path} is not valid JSON: {error}") from error


def _check_digests(files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    if CHECKSUMS not in files:
        raise ArchiveProblem(f"{CHECKSUMS} is missing")
    listed: dict[str, str] = {}
    for number, line in enumerate(files[CHECKSUMS].decode("utf-8", "replace").splitlines(), start=1):
        match = _CHECKSUM_LINE.fullmatch(line)
        if not match:
            raise ArchiveProblem(f"{CHECKSUMS} line {number} is not '<sha256>  <path>'")
        listed[match.group(2)] = match.group(1)
    for path, content in sorted(files.items()):
        if path == CHECKSUMS:
            continue
        if path not in listed:
            raise ArchiveProblem(f"{path} is in the zip but not in {CHECKSUMS}")
        if sha256_hex(content) != listed[path]:
            raise ArchiveProblem(f"{path} does not match its SHA-256 in {CHECKSUMS}: it was changed")
    for path in listed:
        if path not in files:
            raise ArchiveProblem(f"{path} is listed in {CHECKSUMS} but missing from the zip")
    in_manifest = manifest.get("files", {})
    expected = {p: d for p, d in listed.items() if p != MANIFEST}
    for path, digest in sorted(expected.items()):
        if in_manifest.get(path) != digest:
            raise ArchiveProblem(f"{path}: {MANIFEST} records another SHA-256 than the file has")
    extra = set(in_manifest) - set(expected)
    if extra:
        raise ArchiveProblem(f"{MANIFEST} lists {sorted(extra)[0]}, which is not in the zip")


def _check_whole(events: list[dict[str, Any]], where: str) -> dict[str, list[dict[str, Any]]]:
    """Events by aggregate id, each aggregate's versions 1, 2, … without a gap."""
    by_aggregate: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_aggregate.setdefault(str(event["aggregate_id"]), []).append(event)
    for aggregate_id, own in by_aggregate.items():
        versions = sorted(int(e["version"]) for e in own)
        if versions != list(range(1, len(versions) + 1)):
            raise ArchiveProblem(f"{where}: events of {aggregate_id} have versions {versions}; one is missing")
    return by_aggregate


def _check_record_history(events: list[dict[str, Any]], record: dict[str, Any], documents: list[Any]) -> None:
    where = RECORD_HISTORY
    if len(_check_whole(events, where)) != 1:
        raise ArchiveProblem(f"{where} holds events of more than one record")
    names = [e["event"] for e in events]
    if not names or names[0] != "Opened" or names[-1] != "Closed":
        raise ArchiveProblem(f"{where} must start with Opened and end with Closed, has {names}")
    opened = events[0]["data"]
    for key in ("code", "title", "retention_years", "agency_code"):
        if opened.get(key) != record.get(key):
            raise ArchiveProblem(
                f"{where}: the record was opened with {key} {opened.get(key)!r}, {MANIFEST} says {record.get(key)!r}"
            )
    filed = [
        (e["data"]["ordinal"], e["data"]["document_id"], e["data"]["direction"])
        for e in events
        if e["event"] == "DocumentFiled"
    ]
    listed = [(d["ordinal"], d["document_id"], d["direction"]) for d in documents]
    if filed != listed:
        raise ArchiveProblem(f"{where} files {filed}, but {MANIFEST} lists {listed}")


def _check_document(files: dict[str, bytes], listed: dict[str, Any], checker: SignatureChecker | None) -> list[str]:
    folder = listed["folder"]
    metadata = _json(files, f"{folder}/metadata.json")
    events = _json(files, f"{folder}/history.json")
    where = f"{folder}/history.json"
    by_aggregate = _check_whole(events, where)
    document_id = listed["document_id"]
    if metadata.get("document_id") != document_id or document_id not in by_aggregate:
        raise ArchiveProblem(f"{folder}: metadata and history are not those of document {document_id}")
    outgoing = [e for e in events if e["aggregate"] == "OutgoingDocument"]
    if listed["direction"] == "incoming":
        arrived = [e for e in by_aggregate[document_id] if e["event"] == "Arrived"]
        if not arrived or not outgoing or arrived[0]["data"]["outgoing_id"] != outgoing[0]["aggregate_id"]:
            raise ArchiveProblem(f"{where}: the copy's arrival does not name the sent document in the history")
    registered = [e["data"] for e in outgoing if e["event"] == "Registered"]
    if registered and metadata.get("code") != registered[-1]["code"]:
        raise ArchiveProblem(
            f"{folder}/metadata.json has code {metadata.get('code')!r}, the history registered {registered[-1]['code']!r}"
        )
    digests = [e["data"]["content_sha256"] for e in outgoing if e["data"].get("content_sha256")]
    pdf_path = f"{folder}/document.pdf"
    pdf = files.get(pdf_path, b"")
    if not digests or sha256_hex(pdf) != digests[-1]:
        raise ArchiveProblem(f"{pdf_path} is not the PDF whose SHA-256 the history records")
    drafted = [e["data"] for e in outgoing if e["event"] == "Drafted"]
    recorded = sorted((a["name"], a["sha256"]) for a in (drafted[0].get("attachments", []) if drafted else []))
    packed = sorted((a["name"], sha256_hex(files.get(a["path"], b""))) for a in listed["attachments"])
    if recorded != packed:
        raise ArchiveProblem(f"{folder}: the attachments' digests differ from those the history recorded")
    code = metadata.get("code") or document_id
    done = [f"document {listed['ordinal']:02d} ({code}): PDF and {len(packed)} attachment(s) match the history"]
    if checker is not None:
        done.append(_check_signatures(folder, code, pdf, outgoing, checker))
    return done


def _check_signatures(
    folder: str, code: str, pdf: bytes, outgoing: list[dict[str, Any]], checker: SignatureChecker
) -> str:
    found = checker(pdf)
    if found.problem:
        raise ArchiveProblem(f"{folder}/document.pdf: {found.problem}")
    signed = [e["data"]["certificate_serial"] for e in outgoing if e["event"] == "Signed"]
    if signed and signed[-1].lower() not in found.serials:
        raise ArchiveProblem(
            f"{folder}/document.pdf carries no signature by certificate {signed[-1]}, which the history says sealed it"
        )
    return f"document {code}: {len(found.serials)} PAdES signature(s) intact and valid" + (
        f", sealed by certificate {signed[-1]} as the history records" if signed else ""
    )


def _default_checker() -> SignatureChecker | None:
    try:
        from lienthong.archive.signatures import check_pdf_signatures
    except ImportError:  # pragma: no cover - pyHanko is a dependency; a trimmed install may lack it
        return None
    return check_pdf_signatures
