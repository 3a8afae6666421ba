"""`lienthong stats` and `lienthong report`: figures from the reporting read model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lienthong.cli import clients
from lienthong.cli.calling import call, console, fail
from lienthong.reporting.v1 import reporting_pb2 as rep


def stats(
    agency: Annotated[str, typer.Argument(help="Identifier code of the agency")],
    from_day: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
    to_day: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
) -> None:
    """Documents sent and received per day (from the reporting read model)."""
    with clients.reporting() as stub:
        response = call(
            stub.GetAgencyStats, rep.GetAgencyStatsRequest(agency_code=agency, from_day=from_day, to_day=to_day)
        )
        processing = call(
            stub.GetProcessingStats,
            rep.GetProcessingStatsRequest(agency_code=agency, from_day=from_day, to_day=to_day),
        )
    table = Table("day", "sent", "received", title=f"{agency}: {response.sent} sent, {response.received} received")
    for day in response.days:
        table.add_row(day.day, str(day.sent), str(day.received))
    console.print(table)
    console.print(
        f"processing of {processing.received} received: {processing.done_on_time} done on time, "
        f"{processing.done_late} late, {processing.open} open ({processing.open_overdue} overdue); "
        f"time to done {processing.average_hours} h on average, {processing.p90_hours} h at p90"
    )


REPORT_FORMATS = {"csv": rep.REPORT_FORMAT_CSV, "xlsx": rep.REPORT_FORMAT_XLSX, "pdf": rep.REPORT_FORMAT_PDF}


def report(
    scope: Annotated[str, typer.Argument(help="Identifier code of the agency reported on, with everything under it")],
    from_day: Annotated[str, typer.Option(help="YYYY-MM-DD (Vietnam calendar), inclusive")] = "",
    to_day: Annotated[str, typer.Option(help="YYYY-MM-DD (Vietnam calendar), inclusive")] = "",
    export: Annotated[str, typer.Option(help="Write a file instead of printing: csv, xlsx or pdf")] = "",
    out: Annotated[
        Path | None, typer.Option(help="Where to write the file (default: the name the service gives)")
    ] = None,
) -> None:
    """The periodic report of an agency: its own documents, each direct unit rolled up, and the total."""
    with clients.reporting() as stub:
        if export:
            if export not in REPORT_FORMATS:
                fail(f"[red]--export must be one of {', '.join(REPORT_FORMATS)}[/red], got {export!r}", 2)
            request = rep.ExportReportRequest(
                scope_code=scope, from_day=from_day, to_day=to_day, format=REPORT_FORMATS[export]
            )
            exported = call(stub.ExportReport, request)
            target = out or Path(exported.file_name)
            target.write_bytes(exported.content)
            console.print(f"wrote {target} ({len(exported.content):,} bytes, {exported.content_type})")
            return
        response = call(stub.GetReport, rep.GetReportRequest(scope_code=scope, from_day=from_day, to_day=to_day))
    table = Table(
        "code",
        "agency",
        "sent",
        "signed",
        "received",
        "refused",
        "recalled",
        "done",
        "late",
        "open",
        "p90 h",
        title=f"{response.scope_name} ({response.scope_code}) {from_day or '…'} → {to_day or '…'}",
    )
    for line in [*response.lines, response.total]:
        p = line.processing
        table.add_row(
            line.code,
            line.name if line is not response.total else "[bold]total[/bold]",
            str(line.sent),
            f"{line.signed_share:.1%}",
            str(line.received),
            str(line.refused),
            str(line.recalled),
            str(p.done),
            str(p.done_late),
            str(p.open),
            f"{p.p90_hours:g}",
        )
    console.print(table)
    certificates = Table(
        "code",
        "requested",
        "not yet active",
        "active",
        "suspended",
        "revoked",
        "expired",
        "issued",
        "lead p90 d",
        "auto / person signatures",
        "failed verifications",
        "mailboxes active",
        "mails sent / deferred / bounced",
        title="certificates (states at the end of the period) and official mail",
    )
    for line in [*response.lines, response.total]:
        c, m = line.certificates, line.mail
        certificates.add_row(
            line.code if line is not response.total else "[bold]total[/bold]",
            *(str(n) for n in (c.requested, c.not_yet_active, c.active, c.suspended, c.revoked, c.expired, c.issued)),
            f"{c.lead_time_p90_days:g}",
            f"{c.signatures_automatic} / {c.signatures_personal}",
            str(c.verifications_failed),
            str(m.active),
            f"{m.sent} / {m.deferred} / {m.bounced}",
        )
    console.print(certificates)
    changes = ", ".join(f"{n} {change}" for change, n in sorted(response.registry_changes.items()))
    console.print(f"identifier codes in the period: {changes or 'no change'}")
