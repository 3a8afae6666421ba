"""`lienthong audit`: histories, states as of an instant, diffs, access logs and the tamper-evident chain."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from google.protobuf.json_format import MessageToDict
from rich.table import Table

from lienthong.audit.v1 import audit_pb2 as aud
from lienthong.cli import clients
from lienthong.cli.calling import call, console, fail, print_json_lines, stream
from lienthong.cli.instants import instant, when
from lienthong.documents.v1 import documents_pb2 as docs

app = typer.Typer(
    help="For auditors (--as auditor@<identifier code>): histories, states as of an instant, diffs, "
    "and the tamper-evident chain.",
    no_args_is_help=True,
)


@app.command("history")
def audit_history(
    document_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event")] = False,
) -> None:
    """Every event of a document (and its incoming copies) in order: time, actor, version, event."""
    with clients.documents() as stub:
        response = call(stub.GetHistory, docs.GetHistoryRequest(document_id=document_id))
    if as_json:
        print_json_lines(response.events)
        return
    table = Table("time", "aggregate", "version", "event", "actor", "trace id")
    for event in response.events:
        table.add_row(
            when(event.occurred_at),
            f"{event.aggregate} {event.aggregate_id[:8]}",
            str(event.version),
            event.event,
            event.actor,
            event.trace_id,
        )
    console.print(table)


@app.command("verify")
def audit_verify(
    data_dir: Annotated[
        Path, typer.Option(help="Where the SQLite files are, when no database URL is set", envvar="LIENTHONG_DATA_DIR")
    ] = Path("var"),
    ca: Annotated[
        Path | None,
        typer.Option(help="The CA certificate that issued the checkpoint certificate (default: the development CA's)"),
    ] = None,
) -> None:
    """Re-compute the hash chain of every service's events from the database; report the first broken link.

    Then check the newest signed checkpoint of each log: its signature (by the certificate the CA issued for
    checkpoints) and that the events up to it still hash to it, which catches deleted or reordered events even
    when the chain table was recomputed to match. Reads LIENTHONG_DATABASE_URL (PostgreSQL) when set, else the
    SQLite files under --data-dir. Exits 1 when any chain or checkpoint is broken.
    """
    from cryptography import x509

    from lienthong.audit.checkpoints import issued_by
    from lienthong.eventstore import StoredApplication, store_environment
    from lienthong.eventstore.chain import SignatureCheck, verify_chain, verify_checkpoint

    shared = os.environ.get("LIENTHONG_DATABASE_URL")
    issuing = ca or data_dir / "signing" / "ca" / "issuing.pem"

    def unchecked(message: bytes, signature: bytes, certificate: str) -> None:
        raise ValueError(f"no CA certificate at {issuing} to check it against (give --ca)")

    check: SignatureCheck = (
        issued_by(x509.load_pem_x509_certificate(issuing.read_bytes())) if issuing.is_file() else unchecked
    )
    failures: list[str] = []
    table = Table("service", "events checked", "verdict", "signed checkpoint")
    for service in ("identifiers", "documents", "signing", "email"):
        url = shared or f"sqlite:///{data_dir / service}.db"
        app_class = type(service.capitalize(), (StoredApplication,), {"name": service.capitalize()})
        app = app_class(store_environment(service, url))
        verdict = verify_chain(app)
        checkpoint = verify_checkpoint(app, service, check)
        failures += [f"{service}: {v.reason}" for v in (verdict, checkpoint) if not v.intact]
        table.add_row(
            service,
            str(verdict.checked),
            "[green]intact[/green]" if verdict.intact else f"[red]{verdict.reason}[/red]",
            _checkpoint_cell(
                checkpoint.intact, checkpoint.checkpoint is None and verdict.checked > 0, checkpoint.reason
            ),
        )
    console.print(table)
    for failure in failures:  # one whole line each (a table cell wraps), so that the event ids can be copied
        console.print(f"[red]BROKEN[/red] {failure}", soft_wrap=True, highlight=False)
    if failures:
        raise typer.Exit(1)


def _checkpoint_cell(intact: bool, missing: bool, reason: str) -> str:
    """A log with events and no signed checkpoint is not proof of tampering, but cannot rule it out: warn."""
    if missing:
        return f"[yellow]{reason}: a rewritten chain could hide deleted events[/yellow]"
    return f"[green]{reason}[/green]" if intact else f"[red]{reason}[/red]"


ServiceOption = Annotated[
    str, typer.Option("--service", help=f"Whose event store holds the aggregate: {', '.join(clients.AUDITED_SERVICES)}")
]


def _audited_service(service: str) -> str:
    if service not in clients.AUDITED_SERVICES:
        fail(f"[red]--service must be one of {', '.join(clients.AUDITED_SERVICES)}[/red], got {service!r}", 2)
    return service


@app.command("events")
def audit_events(
    aggregate_id: str,
    service: ServiceOption = "documents",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event")] = False,
) -> None:
    """Every event of any aggregate (agency, certificate, mailbox, document copy), streamed in order."""
    table = Table("time", "aggregate", "version", "event", "actor", "trace id")
    with clients.audit(_audited_service(service)) as stub:
        request = aud.StreamHistoryRequest(aggregate_id=aggregate_id)
        for response in stream(stub.StreamHistory, request):
            event = response.event
            if as_json:
                print_json_lines([event])
                continue
            table.add_row(
                when(event.occurred_at), event.aggregate, str(event.version), event.event, event.actor, event.trace_id
            )
    if not as_json:
        console.print(table)


@app.command("access")
def audit_access(
    subject: Annotated[str, typer.Argument(help="A document or record id, an identifier code, or a caller")],
    service: ServiceOption = "documents",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event")] = False,
) -> None:
    """The access log of a subject: every read of a document's content or files, and every call refused
    (PERMISSION_DENIED) that named it: when, who, from where, trace id, what or why."""
    from lienthong.access.accesslog import id_of_access_log  # lienthong.access imports gRPC

    table = Table("time", "event", "actor", "from", "trace id", "what / why")
    with clients.audit(_audited_service(service)) as stub:
        request = aud.StreamHistoryRequest(aggregate_id=str(id_of_access_log(subject)))
        for response in stream(
            stub.StreamHistory, request, not_found=f"no access to {subject} was recorded by {service}"
        ):
            event = response.event
            if as_json:
                print_json_lines([event])
            elif event.event != "Opened":
                data = MessageToDict(event.data)
                what = data.get("what") or f"{data.get('method', '').rsplit('/', 1)[-1]}: {data.get('reason', '')}"
                table.add_row(
                    when(event.occurred_at), event.event, event.actor, data.get("peer", ""), event.trace_id, what
                )
    if not as_json:
        console.print(table)


@app.command("state")
def audit_state(
    aggregate_id: str,
    at: Annotated[str, typer.Option(help="ISO 8601 instant; without an offset it is Vietnam time")],
    service: ServiceOption = "documents",
) -> None:
    """The aggregate as it was at an instant (its events up to then replayed), as JSON."""
    with clients.audit(_audited_service(service)) as stub:
        response = call(stub.GetStateAt, aud.GetStateAtRequest(aggregate_id=aggregate_id, at=instant(at)))
    if not response.version:
        console.print(f"{response.aggregate} {aggregate_id} did not exist yet at {at}")
        return
    console.print(f"{response.aggregate} at version {response.version}, last changed {when(response.last_changed_at)}")
    print(json.dumps(MessageToDict(response.state), ensure_ascii=False, indent=2, sort_keys=True))


@app.command("diff")
def audit_diff(
    aggregate_id: str,
    since: Annotated[str, typer.Option("--from", help="The earlier ISO 8601 instant")],
    until: Annotated[str, typer.Option("--to", help="The later ISO 8601 instant")],
    service: ServiceOption = "documents",
) -> None:
    """What changed in an aggregate between two instants: each field before and after, and the events."""
    request = aud.DiffStatesRequest(aggregate_id=aggregate_id, to=instant(until))
    getattr(request, "from").CopyFrom(instant(since))
    with clients.audit(_audited_service(service)) as stub:
        response = call(stub.DiffStates, request)
    console.print(f"version {response.from_version} → {response.to_version}")
    table = Table("field", "before", "after")
    for change in response.changes:
        before, after = MessageToDict(change.before), MessageToDict(change.after)
        table.add_row(change.field, json.dumps(before, ensure_ascii=False), json.dumps(after, ensure_ascii=False))
    console.print(table)
    for event in response.events:
        console.print(f"  {when(event.occurred_at)}  v{event.version} {event.event} by {event.actor}")
