"""PAdES signatures of an archived PDF checked offline with pyHanko: intact and valid, and by whom."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext

from lienthong.archive.checks import SignatureCheck


def check_pdf_signatures(pdf: bytes) -> SignatureCheck:
    """Every signature (not document timestamps) must be intact and valid; trust is not judged (no roots,
    no network). A PDF without signatures passes with no serials; the caller decides whether it needed one."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = [e for e in reader.embedded_signatures if e.sig_object_type == "/Sig"]
    except (PdfError, ValueError, KeyError, TypeError) as error:
        return SignatureCheck((), f"the PDF cannot be read: {error}")
    serials = []
    for signature in embedded:
        context = ValidationContext(trust_roots=[], allow_fetching=False, revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(signature, context)
        except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as error:
            return SignatureCheck((), f"signature {signature.field_name} cannot be validated: {error}")
        if not status.intact:
            return SignatureCheck((), f"signature {signature.field_name}: the signed bytes were changed after signing")
        if not status.valid:
            return SignatureCheck((), f"signature {signature.field_name}: the signature value does not match the key")
        serials.append(format(status.signing_cert.serial_number, "x"))
    return SignatureCheck(tuple(serials))
