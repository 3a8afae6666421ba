"""Benchmark of PAdES signing and verification in process (pyHanko, EC P-256 keys in encrypted files, the
development CA and its TSA): signatures per second at B-B, B-T and B-LT, verifications per second of a
B-B and a B-LT PDF. Writes its figures into bench/results.json under "signing", leaving other sections.

Run with `make bench`. One thread: the figures are per CPU core.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bench_results import record

from lienthong.documents.rendering import render_document_pdf
from lienthong.signing.devca import DevCertificateAuthority
from lienthong.signing.keystore import EncryptedFileKeyStore
from lienthong.signing.pades import Level, TrustData, sign_pdf, verify_pdf

AGENCY = "000.00.12.H41"
# Each figure is measured for about this long, after one warm-up call.
SECONDS = 5.0


def rate(action: Callable[[], object]) -> float:
    """Calls of `action` per second over about SECONDS."""
    action()
    calls, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < SECONDS:
        action()
        calls += 1
    return calls / elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        keys = EncryptedFileKeyStore(Path(directory) / "keys", b"bench passphrase")
        ca = DevCertificateAuthority(Path(directory) / "ca", keys)
        issued = ca.issue_seal(AGENCY, "Sở Thông tin và Truyền thông")
        pdf = render_document_pdf(
            agency_name="Sở Thông tin và Truyền thông",
            code="01/BC-STTTT",
            issued_on=date(2026, 11, 24),
            type_name="Báo cáo",
            subject="Báo cáo tình hình ứng dụng công nghệ thông tin",
        )
        trust = TrustData([ca.root], ca.crls())
        timestamper = ca.timestamper()

        def sign(level: Level) -> bytes:
            signer = keys.signer(
                issued.serial, issued.certificate, ca.chain
            )  # reads and decrypts the key: as the service does
            return sign_pdf(
                pdf,
                signer=signer,
                certificate=issued.certificate,
                reason="Ban hành",
                level=level,
                timestamper=timestamper,
                trust=trust,
            ).pdf

        signed = {level: sign(level) for level in Level}
        figures = {
            "pades_b_b_signatures_per_second": round(rate(lambda: sign(Level.B_B)), 1),
            "pades_b_t_signatures_per_second": round(rate(lambda: sign(Level.B_T)), 1),
            "pades_b_lt_signatures_per_second": round(rate(lambda: sign(Level.B_LT)), 1),
            "verifications_per_second_b_b": round(
                rate(lambda: verify_pdf(signed[Level.B_B], trust=trust, expected_agency_code=AGENCY)), 1
            ),
            "verifications_per_second_b_lt": round(
                rate(lambda: verify_pdf(signed[Level.B_LT], trust=TrustData([ca.root]), strict=True)), 1
            ),
            "pdf_bytes": len(pdf),
        }
    record("signing", figures)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
