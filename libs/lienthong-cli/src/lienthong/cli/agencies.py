"""`lienthong agencies`: the agency registry (identifier codes of QĐ 20/2020)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from google.protobuf.json_format import MessageToDict
from rich.table import Table

from lienthong.cli import clients
from lienthong.cli.agency_files import AgencyFileError, read_rows, write_rows
from lienthong.cli.calling import call, console, err, fail, stream
from lienthong.cli.instants import when
from lienthong.identifiers.v1 import identifiers_pb2 as ids

app = typer.Typer(help="The agency registry (identifier codes of QĐ 20/2020).", no_args_is_help=True)


@app.command("list")
def agencies_list() -> None:
    """List the registered agencies."""
    with clients.identifiers() as stub:
        response = call(stub.ListAgencies, ids.ListAgenciesRequest())
    _agency_table(response.agencies)


def _agency_table(agencies: Any) -> None:
    table = Table("code", "short name", "name", "e-mail", "state")
    for agency in agencies:
        state = ids.AgencyState.Name(agency.state).removeprefix("AGENCY_STATE_").lower()
        table.add_row(agency.code, agency.short_name, agency.name, agency.email, state)
    console.print(table)


@app.command("import")
def agencies_import(
    file: Annotated[Path, typer.Argument(help="CSV or JSON: code, name, short_name, address, email, contact")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only print what would change")] = False,
    batch: Annotated[int, typer.Option(help="Rows per request")] = 500,
) -> None:
    """Register new agencies and update changed ones; importing the same file twice changes nothing."""
    try:
        rows = read_rows(file)
    except (OSError, AgencyFileError) as error:
        fail(f"[red]{error}[/red]", 2)
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    changes: list[ids.ImportChange] = []
    # A dry run goes in one request: children may depend on parents that are only in the file.
    size = len(rows) if dry_run else batch
    from rich.progress import Progress

    with clients.identifiers() as stub, Progress(console=err) as progress:
        task = progress.add_task("dry run" if dry_run else "importing", total=len(rows))
        for start in range(0, len(rows), max(size, 1)):
            part = rows[start : start + size]
            answer = call(stub.ImportAgencies, ids.ImportAgenciesRequest(rows=part, dry_run=dry_run))
            totals["created"] += answer.created
            totals["updated"] += answer.updated
            totals["unchanged"] += answer.unchanged
            changes.extend(answer.changes)
            progress.advance(task, len(part))
    if dry_run:
        for change in changes:
            what = ids.ImportOutcome.Name(change.outcome).removeprefix("IMPORT_OUTCOME_").lower()
            fields = f" ({', '.join(change.changed_fields)})" if change.changed_fields else ""
            console.print(f"would be {what}: {change.code}{fields}")
    verb = "would be" if dry_run else "were"
    console.print(
        f"{len(rows)} rows: {totals['created']} {verb} created, {totals['updated']} {verb} updated, "
        f"{totals['unchanged']} unchanged"
    )


@app.command("export")
def agencies_export(
    file: Annotated[Path | None, typer.Argument(help="Where to write (standard output when omitted)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of CSV")] = False,
) -> None:
    """The whole registry as CSV (or JSON), ordered by code."""
    with clients.identifiers() as stub:
        agencies = [a for page in stream(stub.ExportAgencies, ids.ExportAgenciesRequest()) for a in page.agencies]
    text = write_rows(agencies, file, as_json)
    if file is None:
        print(text, end="")
    else:
        err.print(f"{len(agencies)} agencies written to {file}")


@app.command("resolve")
def agencies_resolve(code: str) -> None:
    """The agency that now stands for a code (after merges and moves), or why it cannot receive."""
    with clients.identifiers() as stub:
        answer = call(stub.ResolveAgency, ids.ResolveAgencyRequest(code=code))
    console.print(f"{' → '.join(answer.path)}: {answer.agency.name} ({answer.agency.short_name})")


@app.command("search")
def agencies_search(
    query: Annotated[str, typer.Argument(help="Words of the name, with or without diacritics")] = "",
    parent: Annotated[str, typer.Option(help="Only children of this code")] = "",
    limit: Annotated[int, typer.Option(help="At most this many")] = 50,
) -> None:
    """Find agencies by name: "so noi vu" finds "Sở Nội vụ"."""
    with clients.identifiers() as stub:
        answer = call(stub.SearchAgencies, ids.SearchAgenciesRequest(query=query, parent_code=parent, page_size=limit))
    _agency_table(answer.agencies)


@app.command("history")
def agencies_history(code: str) -> None:
    """Every event of an agency in order: registration, updates, locks, reorganisations."""
    with clients.identifiers() as stub:
        answer = call(stub.GetAgencyHistory, ids.GetAgencyHistoryRequest(code=code))
    table = Table("time", "version", "event", "actor", "details")
    for event in answer.events:
        details = json.dumps(MessageToDict(event.data), ensure_ascii=False)
        table.add_row(when(event.occurred_at), str(event.version), event.event, event.actor, details)
    console.print(table)


@app.command("lock")
def agencies_lock(code: str, reason: Annotated[str, typer.Option(help="Why, as senders will be told")] = "") -> None:
    """Stop an agency from receiving documents."""
    with clients.identifiers() as stub:
        call(stub.LockAgency, ids.LockAgencyRequest(code=code, reason=reason))
    console.print(f"{code} locked")


@app.command("unlock")
def agencies_unlock(code: str) -> None:
    """Let a locked agency receive again."""
    with clients.identifiers() as stub:
        call(stub.UnlockAgency, ids.UnlockAgencyRequest(code=code))
    console.print(f"{code} unlocked")


@app.command("dissolve")
def agencies_dissolve(
    code: str,
    reason: Annotated[str, typer.Option(help="Why, as senders will be told")] = "",
    effective_on: Annotated[str, typer.Option(help="YYYY-MM-DD; today when omitted")] = "",
) -> None:
    """End an agency without successor; its code is never given again."""
    with clients.identifiers() as stub:
        call(stub.DissolveAgency, ids.DissolveAgencyRequest(code=code, reason=reason, effective_on=effective_on))
    console.print(f"{code} dissolved")


@app.command("merge")
def agencies_merge(
    sources: Annotated[list[str], typer.Argument(help="Codes of the agencies that merge")],
    into: Annotated[str, typer.Option(help="Code of the receiving agency (registered if --name is given)")],
    name: Annotated[str, typer.Option(help="Name of a new receiving agency")] = "",
    short_name: Annotated[str, typer.Option(help="Short name of a new receiving agency")] = "",
    reason: Annotated[str, typer.Option(help="The decision behind it")] = "",
    effective_on: Annotated[str, typer.Option(help="YYYY-MM-DD; today when omitted")] = "",
) -> None:
    """Merge agencies into one: documents to their old codes go to it."""
    new_fields = [ids.AgencyFields(name=name, short_name=short_name)] if name else []
    request = ids.ReorganiseAgenciesRequest(
        kind=ids.REORGANISATION_MERGED,
        source_codes=sources,
        target_codes=[into],
        new_fields=new_fields,
        reason=reason,
        effective_on=effective_on,
    )
    with clients.identifiers() as stub:
        call(stub.ReorganiseAgencies, request)
    console.print(f"{', '.join(sources)} merged into {into}")


@app.command("move")
def agencies_move(
    source: str,
    to: Annotated[str, typer.Option(help="The new code, under the new parent")],
    reason: Annotated[str, typer.Option(help="The decision behind it")] = "",
) -> None:
    """Move an agency under another parent with a new code; documents to the old code follow it."""
    request = ids.ReorganiseAgenciesRequest(
        kind=ids.REORGANISATION_MOVED, source_codes=[source], target_codes=[to], reason=reason
    )
    with clients.identifiers() as stub:
        call(stub.ReorganiseAgencies, request)
    console.print(f"{source} moved to {to}")


@app.command("add")
def agencies_add(
    code: Annotated[str, typer.Argument(help="Identifier code, NNN.NN.NN.XNN")],
    name: Annotated[str, typer.Argument(help="Full name")],
    short_name: Annotated[str, typer.Argument(help="Short name used in notations, e.g. STTTT")],
    email: Annotated[str, typer.Option(help="Official e-mail address")] = "",
) -> None:
    """Register an agency."""
    with clients.identifiers() as stub:
        response = call(
            stub.RegisterAgency, ids.RegisterAgencyRequest(code=code, name=name, short_name=short_name, email=email)
        )
    console.print(f"registered {response.agency.code} {response.agency.name}")
