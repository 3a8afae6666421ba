"""An archive package verifies offline, and fails at the first problem even when a forger re-hashes the files."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from lienthong.archive import (
    ArchivedDocument,
    ArchivedFile,
    ArchiveProblem,
    RecordArchive,
    verify_archive,
    write_archive,
)

RECORD_ID, DOCUMENT_ID = "7d1c2b4e-0000-4000-8000-000000000001", "7d1c2b4e-0000-4000-8000-000000000002"


def blank_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def sealed(pdf: bytes) -> tuple[bytes, str]:
    """`pdf` with a PAdES signature by a fresh self-signed seal certificate, and that certificate's serial."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Sở Thông tin và Truyền thông")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    asn1_cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    signer = signers.SimpleSigner(
        signing_cert=asn1_cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert]),
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), signers.PdfSignatureMetadata(field_name="AgencySeal"), signer=signer
    )
    return out.getvalue(), format(certificate.serial_number, "x")


def event(aggregate: str, aggregate_id: str, version: int, name: str, **data: Any) -> dict[str, Any]:
    return {
        "aggregate": aggregate,
        "aggregate_id": aggregate_id,
        "version": version,
        "event": name,
        "occurred_at": "2026-11-24T10:00:00+07:00",
        "actor": "clerk@000.00.12.H41",
        "data": data,
    }


def archive_of(pdf: bytes, serial: str, appendix: bytes = b"Phu luc 1") -> RecordArchive:
    attachment = {"name": "phu-luc.txt", "sha256": hashlib.sha256(appendix).hexdigest(), "size": len(appendix)}
    record = {"agency_code": "000.00.12.H41", "code": "HS-01", "title": "Hồ sơ", "retention_years": 10}
    return RecordArchive(
        record=record,
        history=[
            event("Record", RECORD_ID, 1, "Opened", **record),
            event("Record", RECORD_ID, 2, "DocumentFiled", ordinal=1, document_id=DOCUMENT_ID, direction="outgoing"),
            event("Record", RECORD_ID, 3, "Closed"),
        ],
        documents=[
            ArchivedDocument(
                ordinal=1,
                document_id=DOCUMENT_ID,
                direction="outgoing",
                metadata={"document_id": DOCUMENT_ID, "code": "01/QĐ-STTTT"},
                history=[
                    event("OutgoingDocument", DOCUMENT_ID, 1, "Drafted", content_sha256="", attachments=[attachment]),
                    event(
                        "OutgoingDocument", DOCUMENT_ID, 2, "Registered", code="01/QĐ-STTTT", content_sha256="0" * 64
                    ),
                    event(
                        "OutgoingDocument",
                        DOCUMENT_ID,
                        3,
                        "Signed",
                        content_sha256=hashlib.sha256(pdf).hexdigest(),
                        certificate_serial=serial,
                    ),
                ],
                pdf=pdf,
                attachments=[ArchivedFile("phu-luc.txt", appendix)],
            )
        ],
    )


@pytest.fixture(scope="module")
def signed() -> tuple[bytes, str]:
    return sealed(blank_pdf())


def test_a_whole_package_verifies_with_its_pades_signature(signed: tuple[bytes, str]) -> None:
    pdf, serial = signed
    package = write_archive(archive_of(pdf, serial))
    checks = verify_archive(package)
    assert (
        checks[-1]
        == f"document 01/QĐ-STTTT: 1 PAdES signature(s) intact and valid, sealed by certificate {serial} as the history records"
    )
    assert write_archive(archive_of(pdf, serial)) == package  # the same record gives the same bytes


def test_a_forger_who_rehashes_everything_is_caught_by_the_history(signed: tuple[bytes, str]) -> None:
    pdf, serial = signed
    forged = archive_of(pdf.replace(b"/MediaBox [0 0 595 842]", b"/MediaBox [0 0 595 843]"), serial)
    good = archive_of(pdf, serial)
    # The forged PDF in a package whose checksums and manifest are recomputed, but whose history is the real one.
    document = forged.documents[0]
    tampered = RecordArchive(
        good.record,
        good.history,
        [
            ArchivedDocument(
                1,
                DOCUMENT_ID,
                "outgoing",
                document.metadata,
                good.documents[0].history,
                document.pdf,
                document.attachments,
            )
        ],
    )
    with pytest.raises(ArchiveProblem, match="is not the PDF whose SHA-256 the history records"):
        verify_archive(write_archive(tampered))


def test_a_forger_who_rewrites_the_history_too_is_caught_by_the_signature(signed: tuple[bytes, str]) -> None:
    pdf, serial = signed
    changed = pdf.replace(b"/MediaBox [0 0 595 842]", b"/MediaBox [0 0 595 843]")
    assert changed != pdf
    with pytest.raises(ArchiveProblem, match="signed bytes were changed after signing"):
        verify_archive(write_archive(archive_of(changed, serial)))


def test_a_signature_by_another_certificate_than_the_history_names_fails(signed: tuple[bytes, str]) -> None:
    pdf, _ = signed
    with pytest.raises(ArchiveProblem, match="no signature by certificate abc123"):
        verify_archive(write_archive(archive_of(pdf, "abc123")))


def test_an_attachment_swapped_for_another_fails(signed: tuple[bytes, str]) -> None:
    pdf, serial = signed
    honest = archive_of(pdf, serial)
    swapped = archive_of(pdf, serial, appendix=b"Phu luc da sua")
    document = swapped.documents[0]
    tampered = RecordArchive(
        honest.record,
        honest.history,
        [
            ArchivedDocument(
                1, DOCUMENT_ID, "outgoing", document.metadata, honest.documents[0].history, pdf, document.attachments
            )
        ],
    )
    with pytest.raises(ArchiveProblem, match="attachments' digests differ"):
        verify_archive(write_archive(tampered))


def test_a_missing_event_or_a_document_not_filed_fails(signed: tuple[bytes, str]) -> None:
    pdf, serial = signed
    honest = archive_of(pdf, serial)
    gap = RecordArchive(honest.record, [honest.history[0], honest.history[2]], honest.documents)
    with pytest.raises(ArchiveProblem, match="one is missing"):
        verify_archive(write_archive(gap))
    retitled = RecordArchive(honest.record | {"title": "Hồ sơ khác"}, honest.history, honest.documents)
    with pytest.raises(ArchiveProblem, match="opened with title"):
        verify_archive(write_archive(retitled))


def test_garbage_is_not_an_archive() -> None:
    with pytest.raises(ArchiveProblem, match="not a readable zip"):
        verify_archive(b"PK\x03\x04 not really")
