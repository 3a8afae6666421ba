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


# Sub-indications: EN 319 102-1 names, plus ours for what the standard does not name. Any other
# EN 319 102-1 name (NO_CERTIFICATE_CHAIN_FOUND, REVOKED_NO_POE, EXPIRED…) passes through from the validator.
HASH_FAILURE = "HASH_FAILURE"
SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
FORMAT_FAILURE = "FORMAT_FAILURE"
REVOKED = "REVOKED"
EXPIRED = "EXPIRED"
NOT_YET_VALID = "NOT_YET_VALID"
NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
DISALLOWED_MODIFICATION = "DISALLOWED_MODIFICATION"  # ours: an update after the signature changed the content
NO_SIGNATURE = "NO_SIGNATURE"  # ours: the PDF carries no signature at all
NOT_SIGNED_BY_EXPECTED_AGENCY = "NOT_SIGNED_BY_EXPECTED_AGENCY"  # ours: valid, but not the agency's seal


@dataclass(frozen=True)
class SignerCertificate:
    """The certificate a signature was made with, as a report shows it."""

    serial: str
    subject: str
    agency_code: str | None
    not_before: datetime
    not_after: datetime
    pem: str
    # The person an individual's certificate is bound to; None for an agency seal.
    person: str | None = None


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature of a PDF; `sub_indication` is empty when it passed."""

    field_name: str
    indication: Indication
    sub_indication: str
    intact: bool
    trusted: bool
    certificate: SignerCertificate | None
    signed_at: datetime | None
    detail: str = ""
    # The time of the signature's trusted timestamp (B-T and up): proof it existed then.
    timestamped_at: datetime | None = None
    # Subjects of the certificate chain, signer first, up to the trusted root; empty when none was found.
    chain: tuple[str, ...] = ()


@dataclass(frozen=True)
class VerificationReport:
    """The verdict on a whole PDF: passed only if every signature passed and the expected agency signed.
    `reason` starts with the deciding sub-indication, then says in words why."""

    indication: Indication
    reason: str
    signatures: tuple[SignatureReport, ...]

    @property
    def sub_indication(self) -> str:
        return "" if self.indication is Indication.TOTAL_PASSED else self.reason.split(":", 1)[0]


# Sub-indication (EN 319 102-1) and verdict for a certificate that was not usable when it signed.
_UNUSABLE = {
    "revoked": (Indication.TOTAL_FAILED, REVOKED),
    "expired": (Indication.TOTAL_FAILED, EXPIRED),
    "not_yet_valid": (Indication.TOTAL_FAILED, NOT_YET_VALID),
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
        signed_at = signature.timestamped_at or signature.signed_at
        if signature.certificate is not None and signed_at is not None:
            state = state_at(signature.certificate.serial, signed_at)
        if signature.indication is Indication.TOTAL_PASSED and state in _UNUSABLE:
            indication, sub = _UNUSABLE[state]
            signature = replace(
                signature,
                indication=indication,
                sub_indication=sub,
                detail=f"the certificate was {state.replace('_', ' ')} when the signature was made",
            )
        judged.append(signature)
    return overall(tuple(judged), expected_agency_code)


def overall(signatures: tuple[SignatureReport, ...], expected_agency_code: str | None) -> VerificationReport:
    """Combine per-signature reports into the PDF's verdict, with the reason a person can act on:
    a failed signature outweighs an indeterminate one, which outweighs a missing agency seal."""
    if not signatures:
        return VerificationReport(Indication.TOTAL_FAILED, f"{NO_SIGNATURE}: the PDF carries no signature", signatures)
    for worst in (Indication.TOTAL_FAILED, Indication.INDETERMINATE):
        for report in signatures:
            if report.indication is worst:
                because = f": {report.detail}" if report.detail else ""
                return VerificationReport(
                    worst,
                    f"{report.sub_indication}: signature {report.field_name} did not pass{because}",
                    signatures,
                )
    if expected_agency_code and not any(
        r.certificate and r.certificate.agency_code == expected_agency_code and r.certificate.person is None
        for r in signatures
    ):
        return VerificationReport(
            Indication.TOTAL_FAILED,
            f"{NOT_SIGNED_BY_EXPECTED_AGENCY}: no signature is by the seal certificate of agency {expected_agency_code}",
            signatures,
        )
    return VerificationReport(Indication.TOTAL_PASSED, "every signature is intact and trusted", signatures)
