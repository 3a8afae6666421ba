"""How per-signature verdicts combine into the verdict on a PDF (pure: no PDF, no certificates)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lienthong.signing.domain.verification import (
    Indication,
    SignatureReport,
    SignerCertificate,
    overall,
)

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def signature(
    field: str, indication: Indication, sub: str = "", agency: str | None = "000.00.12.H41"
) -> SignatureReport:
    signer = SignerCertificate("0abc", "CN=Sở TT&TT", agency, T0, T0 + timedelta(days=365), "")
    return SignatureReport(field, indication, sub, True, indication is Indication.TOTAL_PASSED, signer, T0, "why")


def test_a_pdf_without_signatures_fails() -> None:
    report = overall((), None)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, "NO_SIGNATURE")


def test_a_pdf_passes_when_every_signature_passes() -> None:
    report = overall((signature("A", Indication.TOTAL_PASSED), signature("B", Indication.TOTAL_PASSED)), None)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_PASSED, "")


def test_a_failed_signature_outweighs_an_indeterminate_one() -> None:
    report = overall(
        (
            signature("A", Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"),
            signature("B", Indication.TOTAL_FAILED, "HASH_FAILURE"),
        ),
        None,
    )
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, "HASH_FAILURE")
    assert report.reason == "HASH_FAILURE: signature B did not pass: why"


def test_one_indeterminate_signature_makes_the_pdf_indeterminate() -> None:
    report = overall(
        (signature("A", Indication.TOTAL_PASSED), signature("B", Indication.INDETERMINATE, "REVOKED_NO_POE")),
        "000.00.12.H41",
    )
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, "REVOKED_NO_POE")


def test_the_expected_agency_must_be_among_the_signers() -> None:
    signatures = (signature("A", Indication.TOTAL_PASSED, agency=None), signature("B", Indication.TOTAL_PASSED))
    assert overall(signatures, "000.00.12.H41").indication is Indication.TOTAL_PASSED
    other = overall(signatures, "000.00.00.H41")
    assert (other.indication, other.sub_indication) == (Indication.TOTAL_FAILED, "NOT_SIGNED_BY_EXPECTED_AGENCY")
