"""`lienthong mail`: official mailboxes, and mail received by the development SMTP sink."""

from __future__ import annotations

import csv
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lienthong.cli import clients
from lienthong.cli.calling import call, console, err
from lienthong.email.v1 import email_pb2 as mail

# A row whose mailbox is provisioned and active already is left as it is.
ALREADY_ACTIVE = frozenset({"ALREADY_EXISTS"})

app = typer.Typer(help="Official mailboxes, and mail received by the development SMTP sink.", no_args_is_help=True)


@app.command("list")
def mail_list(
    mail_dir: Annotated[Path, typer.Option("--dir", help="The SMTP sink's folder")] = Path("var/mail"),
) -> None:
    """Mail the development SMTP sink received, oldest first."""
    table = Table("received", "to", "subject")
    for path in sorted(mail_dir.rglob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        table.add_row(path.stem.split("-")[0], str(message["To"]), str(message["Subject"]))
    console.print(table)


@app.command("provision")
def mail_provision(
    address: str,
    agency: Annotated[str, typer.Option(help="Identifier code of the agency")],
    holder: Annotated[str, typer.Option(help="The person's name; empty for the agency's own mailbox")] = "",
) -> None:
    """Register an official mailbox (or make a suspended one active again)."""
    with clients.email() as stub:
        call(stub.ProvisionMailbox, mail.ProvisionMailboxRequest(address=address, agency_code=agency, holder=holder))
    console.print(f"{address} provisioned for {agency}")


@app.command("suspend")
def mail_suspend(address: str, reason: Annotated[str, typer.Option(help="Why")] = "") -> None:
    """Stop a mailbox from receiving notifications."""
    with clients.email() as stub:
        call(stub.SuspendMailbox, mail.SuspendMailboxRequest(address=address, reason=reason))
    console.print(f"{address} suspended")


@app.command("delete")
def mail_delete(address: str) -> None:
    """End a mailbox for good (its history stays)."""
    with clients.email() as stub:
        call(stub.DeleteMailbox, mail.DeleteMailboxRequest(address=address))
    console.print(f"{address} deleted")


@app.command("import")
def mail_import(file: Annotated[Path, typer.Argument(help="CSV with columns address, agency_code, holder")]) -> None:
    """Provision mailboxes in bulk; rows already provisioned and active are left as they are."""
    with file.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.DictReader(source))
    done = skipped = 0
    from rich.progress import Progress

    with clients.email() as stub, Progress(console=err) as progress:
        task = progress.add_task("provisioning", total=len(rows))
        for row in rows:
            request = mail.ProvisionMailboxRequest(
                address=row.get("address", ""), agency_code=row.get("agency_code", ""), holder=row.get("holder") or ""
            )
            answer = call(stub.ProvisionMailbox, request, tolerate=ALREADY_ACTIVE, about=str(row.get("address")))
            if answer is None:
                skipped += 1
            else:
                done += 1
            progress.advance(task)
    console.print(f"{len(rows)} rows: {done} provisioned, {skipped} already active")


@app.command("mailboxes")
def mail_mailboxes(agency: Annotated[str, typer.Option(help="Identifier code; all when omitted")] = "") -> None:
    """The official mailboxes of an agency."""
    with clients.email() as stub:
        answer = call(stub.ListMailboxes, mail.ListMailboxesRequest(agency_code=agency))
    table = Table("address", "agency", "holder", "state", "notifications")
    for box in answer.mailboxes:
        state = mail.MailboxState.Name(box.state).removeprefix("MAILBOX_STATE_").lower()
        wants = ", ".join(box.kinds) or "none"
        table.add_row(
            box.address, box.agency_code, box.holder, state, f"{wants} ({'digest' if box.digest else 'each'})"
        )
    console.print(table)


@app.command("prefs")
def mail_prefs(
    address: str,
    kinds: Annotated[
        str, typer.Option(help="Comma-separated: arrived, refused, recall_requested, due_tomorrow, overdue")
    ] = "arrived,refused,recall_requested,due_tomorrow,overdue",
    digest: Annotated[bool, typer.Option("--digest/--each", help="One digest each morning, or a mail each")] = False,
) -> None:
    """Choose which notifications a mailbox gets, and whether in a daily digest (for leaders)."""
    wanted = [kind.strip() for kind in kinds.split(",") if kind.strip()]
    with clients.email() as stub:
        request = mail.SetMailboxPreferencesRequest(address=address, kinds=wanted, digest=digest)
        box = call(stub.SetMailboxPreferences, request).mailbox
    console.print(
        f"{box.address}: {', '.join(box.kinds) or 'nothing'}, {'daily digest' if box.digest else 'each at once'}"
    )


@app.command("usage")
def mail_usage(
    agency: Annotated[str, typer.Option(help="Identifier code; the whole platform when omitted")] = "",
    from_day: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
    to_day: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
) -> None:
    """Mailboxes provisioned and active, and notification mails sent, deferred and bounced."""
    with clients.email() as stub:
        usage = call(stub.GetMailUsage, mail.GetMailUsageRequest(agency_code=agency, from_day=from_day, to_day=to_day))
    console.print(
        f"mailboxes: {usage.mailboxes_provisioned} provisioned, {usage.mailboxes_active} active; "
        f"mails: {usage.sent} sent, {usage.deferred} deferred, {usage.bounced} bounced"
    )
