"""Verification verdicts, ETSI-style (EN 319 102-1): an indication and, when not passed, a sub-indication."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime


class Indication(enum.Enum):
    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


@dataclass(frozen=True)
class SignerCertificate:
    """The certificate a signature was made with, as a report shows it."""

    serial: str
    subject: str
    agency_code: str | None
    not_before: datetime
    not_after: datetime
    pem: str


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature of a PDF."""

    field_name: str
    indication: Indication
    sub_indication: str
    intact: bool
    trusted: bool
    certificate: SignerCertificate | None
    signed_at: datetime | None


@dataclass(frozen=True)
class VerificationReport:
    """The verdict on a whole PDF: passed only if every signature passed and the expected agency signed."""

    indication: Indication
    reason: str
    signatures: tuple[SignatureReport, ...]


# Sub-indication (EN 319 102-1) and verdict for a certificate that was not usable when it signed.
_UNUSABLE = {
    "revoked": (Indication.TOTAL_FAILED, "REVOKED"),
    "expired": (Indication.TOTAL_FAILED, "EXPIRED"),
    "not_yet_valid": (Indication.TOTAL_FAILED, "NOT_YET_VALID"),
    "suspended": (Indication.INDETERMINATE, "REVOKED_NO_POE"),
}


def judged_by_registry(
    report: VerificationReport,
    state_at: Callable[[str, datetime], str | None],
    expected_agency_code: str | None,
) -> VerificationReport:
    """The report with each signature judged by its certificate's state in the registry at signing time:
    a certificate revoked after the signature leaves it passing, one revoked before makes it fail.
    `state_at(serial, moment)` answers None for a certificate the registry does not know."""
    judged = []
    for signature in report.signatures:
        state = None
        if signature.certificate is not None and signature.signed_at is not None:
            state = state_at(signature.certificate.serial, signature.signed_at)
        if signature.indication is Indication.TOTAL_PASSED and state in _UNUSABLE:
            indication, sub = _UNUSABLE[state]
            signature = replace(signature, indication=indication, sub_indication=sub)
        judged.append(signature)
    return overall(tuple(judged), expected_agency_code)


def overall(signatures: tuple[SignatureReport, ...], expected_agency_code: str | None) -> VerificationReport:
    """Combine per-signature reports into the PDF's verdict, with the reason a person can act on."""
    if not signatures:
        return VerificationReport(Indication.TOTAL_FAILED, "NO_SIGNATURE: the PDF carries no signature", signatures)
    for report in signatures:
        if report.indication is not Indication.TOTAL_PASSED:
            return VerificationReport(
                report.indication,
                f"{report.sub_indication}: signature {report.field_name} did not pass",
                signatures,
            )
    if expected_agency_code and not any(
        r.certificate and r.certificate.agency_code == expected_agency_code for r in signatures
    ):
        return VerificationReport(
            Indication.TOTAL_FAILED,
            f"NOT_SIGNED_BY_EXPECTED_AGENCY: no signature is by the seal certificate of agency {expected_agency_code}",
            signatures,
        )
    return VerificationReport(Indication.TOTAL_PASSED, "every signature is intact and trusted", signatures)
