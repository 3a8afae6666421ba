"""`lienthong verify`: every signature of a PDF, with a readable report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lienthong.cli import clients
from lienthong.cli.calling import call, console, fail
from lienthong.cli.instants import when
from lienthong.signing.v1 import signing_pb2 as sig


def verify(
    file: Annotated[Path, typer.Argument(help="A signed PDF")],
    agency: Annotated[str, typer.Option(help="Require a seal signature of this agency")] = "",
    trust: Annotated[
        Path | None,
        typer.Option(help="Verify offline against these CA certificates (PEM), without the platform"),
    ] = None,
) -> None:
    """Verify every signature of a PDF and print a readable report; exits 1 unless TOTAL_PASSED.

    Without --trust the signing service verifies it (the platform must run); with --trust CA.pem the same
    verification runs here, offline, trusting only the CA certificates in CA.pem and the validation data the
    PDF carries (B-LT), as an auditor who received the PDF elsewhere would check it."""
    if trust is not None:
        report = _verify_offline(file, trust, agency)
    else:
        with clients.signing() as stub:
            report = call(stub.VerifyPdf, sig.VerifyPdfRequest(pdf=file.read_bytes(), expected_agency_code=agency))
    verdict = sig.Indication.Name(report.indication).removeprefix("INDICATION_")
    colour = "green" if report.indication == sig.INDICATION_TOTAL_PASSED else "red"
    console.print(f"[{colour}]{verdict}[/{colour}]: {report.reason}")
    table = Table(
        "signature", "verdict", "signer", "agency", "certificate", "signed at", "timestamp", "intact", "trusted"
    )
    for s in report.signatures:
        table.add_row(
            s.field_name,
            sig.Indication.Name(s.indication).removeprefix("INDICATION_")
            + (f" ({s.sub_indication})" if s.sub_indication else ""),
            s.certificate.subject,
            s.certificate.agency_code + (" (entitled)" if s.entitled else ""),
            s.certificate.serial,
            when(s.signed_at),
            when(s.timestamped_at) if s.HasField("timestamped_at") else "none (B-B)",
            "yes" if s.intact else "no",
            "yes" if s.trusted else "no",
        )
    console.print(table)
    for s in report.signatures:
        console.print(f"{s.field_name}: {s.detail}")
        for depth, subject in enumerate(s.chain):
            console.print(f"  {'  ' * depth}{'└ ' if depth else ''}{subject}")
    if report.indication != sig.INDICATION_TOTAL_PASSED:
        raise typer.Exit(1)


def _verify_offline(file: Path, trust: Path, agency: str) -> sig.VerifyPdfResponse:
    from cryptography import x509

    from lienthong.signing.adapters.inbound.api import verification_message
    from lienthong.signing.adapters.outbound.pades import NotAPdf, TrustData, verify_pdf

    try:
        roots = x509.load_pem_x509_certificates(trust.read_bytes())
        pdf = file.read_bytes()
    except (OSError, ValueError) as error:
        fail(f"[red]cannot read[/red]: {error}", 2)
    try:
        judged = verify_pdf(pdf, trust=TrustData(roots=roots), expected_agency_code=agency or None)
    except NotAPdf as error:
        fail(f"[red]not a PDF lienthong can read[/red]: {error}")
    return verification_message(judged, agency or None)
