"""PAdES signatures on PDFs with pyHanko: sealing a document and verifying every signature on it."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from lienthong.signing.devca import agency_code_of, serial_of
from lienthong.signing.domain.verification import (
    Indication,
    SignatureReport,
    SignerCertificate,
    VerificationReport,
    overall,
)
from lienthong.vietnamese import without_diacritics
from lienthong.vietnamese.calendar import VIETNAM

SEAL_FIELD = "AgencySeal"


class NotAPdf(ValueError):
    """The bytes given are not a readable PDF."""


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: EllipticCurvePrivateKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


def _reader(pdf: bytes) -> PdfFileReader:
    if not pdf.startswith(b"%PDF-"):
        raise NotAPdf("the content is not a PDF (it does not start with %PDF-)")
    try:
        return PdfFileReader(io.BytesIO(pdf))
    except (PdfReadError, ValueError, KeyError) as error:
        raise NotAPdf(f"the PDF cannot be read: {error}") from error


def sign_pdf(
    pdf: bytes,
    *,
    key: EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    chain: list[x509.Certificate],
    reason: str,
) -> tuple[bytes, datetime]:
    """Seal `pdf` (PAdES B-B, incremental update) with a visible stamp naming the signer and the time in
    ISO 8601 with the Vietnam offset; return the signed PDF and the signing time."""
    _reader(pdf)  # refuse what is not a PDF with a clear error before pyHanko does with a cryptic one
    signer = signers.SimpleSigner(
        signing_cert=_asn1(certificate),
        signing_key=_asn1_key(key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),  # type: ignore[no-untyped-call]
    )
    signed_at = datetime.now(UTC)
    field_name = _free_field_name(pdf)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    stamp = TextStampStyle(stamp_text="Signed by: %(signer)s\nTime: %(vn_time)s\nReason: %(why)s")
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        stamp_style=stamp,
        new_field_spec=fields.SigFieldSpec(field_name, box=(330, 40, 565, 110), on_page=0),
    )
    output = io.BytesIO()
    pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        output=output,
        appearance_text_params={
            "vn_time": signed_at.astimezone(VIETNAM).isoformat(timespec="seconds"),
            "why": without_diacritics(reason),
        },
    )
    return output.getvalue(), signed_at


def _free_field_name(pdf: bytes) -> str:
    existing = {sig.field_name for sig in _reader(pdf).embedded_signatures}
    name, counter = SEAL_FIELD, 1
    while name in existing:
        counter += 1
        name = f"{SEAL_FIELD}{counter}"
    return name


def verify_pdf(
    pdf: bytes, *, trust_roots: list[x509.Certificate], expected_agency_code: str | None
) -> VerificationReport:
    """Verify every signature of `pdf` against `trust_roots`, offline (nothing is fetched)."""
    reader = _reader(pdf)
    reports = []
    for embedded in reader.embedded_signatures:
        context = ValidationContext(
            trust_roots=[_asn1(root) for root in trust_roots], allow_fetching=False, revocation_mode="soft-fail"
        )
        status = validate_pdf_signature(embedded, context)
        certificate = x509.load_der_x509_certificate(status.signing_cert.dump())
        intact = bool(status.intact and status.valid)
        trusted = bool(status.trusted)
        if not intact:
            indication, sub = Indication.TOTAL_FAILED, "HASH_FAILURE"
        elif not trusted:
            indication, sub = Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"
        elif not status.bottom_line:
            indication, sub = Indication.TOTAL_FAILED, "DISALLOWED_MODIFICATION"
        else:
            indication, sub = Indication.TOTAL_PASSED, ""
        reports.append(
            SignatureReport(
                field_name=embedded.field_name,
                indication=indication,
                sub_indication=sub,
                intact=intact,
                trusted=trusted,
                certificate=SignerCertificate(
                    serial=serial_of(certificate),
                    subject=certificate.subject.rfc4514_string(),
                    agency_code=agency_code_of(certificate),
                    not_before=certificate.not_valid_before_utc,
                    not_after=certificate.not_valid_after_utc,
                    pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                ),
                signed_at=status.signer_reported_dt,
            )
        )
    return overall(tuple(reports), expected_agency_code)
