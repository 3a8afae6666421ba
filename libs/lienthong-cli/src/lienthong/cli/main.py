"""`lienthong`: run the platform, manage agencies, send and read documents, replay a document's history."""

from __future__ import annotations

import csv
import enum
import json
import os
import signal
import threading
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Annotated, Any

import grpc
import typer
from google.protobuf.json_format import MessageToDict
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from lienthong.access.accesslog import id_of_access_log
from lienthong.audit.v1 import audit_pb2 as aud
from lienthong.cli import clients
from lienthong.cli.agency_files import AgencyFileError, read_rows, write_rows
from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import records_pb2 as rec
from lienthong.email.v1 import email_pb2 as mail
from lienthong.grpcserver.tls import TlsNotConfigured
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.reporting.v1 import reporting_pb2 as rep
from lienthong.signing.v1 import signing_pb2 as sig
from lienthong.vietnamese.calendar import VIETNAM

app = typer.Typer(help="lienthong: exchange of signed official documents between state agencies.", no_args_is_help=True)
agencies_app = typer.Typer(help="The agency registry (identifier codes of QĐ 20/2020).", no_args_is_help=True)
docs_app = typer.Typer(
    help="Outgoing and incoming documents. Each call acts for one agency: a clerk of the agency a command "
    "names, or --as / LIENTHONG_ACTOR=<role>@<identifier code> (roles: clerk, officer, leader, auditor, operator).",
    no_args_is_help=True,
)
audit_app = typer.Typer(
    help="For auditors (--as auditor@<identifier code>): histories, states as of an instant, diffs, "
    "and the tamper-evident chain.",
    no_args_is_help=True,
)
mail_app = typer.Typer(help="Official mailboxes, and mail received by the development SMTP sink.", no_args_is_help=True)
certs_app = typer.Typer(help="Certificates held by the signing service.", no_args_is_help=True)
app.add_typer(agencies_app, name="agencies")
records_app = typer.Typer(help="Records (hồ sơ) and their archive packages.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
app.add_typer(records_app, name="records")
app.add_typer(audit_app, name="audit")
app.add_typer(mail_app, name="mail")
app.add_typer(certs_app, name="certs")

console = Console()
err = Console(stderr=True)


@app.callback()
def main(
    acting_as: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Act as this principal (<role>@<identifier code>, e.g. clerk@000.00.12.H41): the CLI presents "
            "its client certificate (issued by the development CA of `make run`). Same as LIENTHONG_ACTOR.",
        ),
    ] = None,
) -> None:
    """Exchange of signed official documents between state agencies."""
    if acting_as:
        os.environ["LIENTHONG_ACTOR"] = acting_as


def _when(stamp: Timestamp) -> str:
    if not stamp.seconds and not stamp.nanos:
        return ""
    return stamp.ToDatetime(tzinfo=UTC).astimezone().isoformat(timespec="seconds")


def _call(function: Any, request: Any, agency: str = "") -> Any:
    """Call an RPC acting for `agency` (or as LIENTHONG_ACTOR says); on a gRPC error print its status and
    reason and exit 1."""
    try:
        return function(request, metadata=clients.actor_metadata(agency), timeout=60)
    except TlsNotConfigured as error:
        err.print(f"[red]no TLS[/red]: {error}")
        raise typer.Exit(1) from None
    except grpc.RpcError as error:
        code = error.code().name if hasattr(error, "code") else "UNKNOWN"
        details = error.details() if hasattr(error, "details") else str(error)
        err.print(f"[red]{code}[/red]: {details}")
        raise typer.Exit(1) from None


# ---- up ---------------------------------------------------------------------------------------------


@app.command()
def up(
    data_dir: Annotated[Path, typer.Option(help="Where embedded state lives.")] = Path("var"),
    seed: Annotated[bool, typer.Option(help="Seed two demo agencies and one exchanged document.")] = True,
) -> None:
    """Run the whole platform locally (what `make run` calls); Ctrl-C stops it cleanly.

    Set LIENTHONG_NATS_URL to use an existing NATS and LIENTHONG_DATABASE_URL an existing PostgreSQL.
    """
    from lienthong.launcher.demo import seed_demo
    from lienthong.launcher.platform import Platform, PlatformConfig

    config = PlatformConfig(
        data_dir=data_dir.resolve(),
        nats_url=os.environ.get("LIENTHONG_NATS_URL") or None,
        database_url=os.environ.get("LIENTHONG_DATABASE_URL") or None,
        instance=os.environ.get("LIENTHONG_INSTANCE", "lienthong"),
    )
    platform = Platform(config)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with console.status("starting NATS, the SMTP sink and five services…"):
        try:
            platform.start()
        except Exception as error:
            platform.stop()
            err.print(f"[red]the platform did not start[/red]: {error}")
            raise typer.Exit(1) from None
    table = Table(title="lienthong is running", show_header=True)
    table.add_column("part")
    table.add_column("where")
    for service in ("identifiers", "documents", "signing", "email", "reporting"):
        table.add_row(service, f"grpcs://{config.address(service)} (mutual TLS)")
    security = platform.nats_security
    if security is not None:  # the embedded NATS: TLS, and one user per service (`admin` for operators' tools)
        table.add_row("nats", f"{platform.nats_url} (TLS; users' passwords in {security.directory})")
    else:
        table.add_row("nats", platform.nats_url)
    table.add_row("smtp sink", f"smtp://127.0.0.1:{config.smtp_port} → {config.mail_dir}")
    table.add_row("replies by mail", f"smtp://127.0.0.1:{config.inbound_smtp_port}")
    table.add_row("dev CA (TSA, CRLs)", f"http://127.0.0.1:{config.tsa_port}/tsa, /crl, /root-crl")
    table.add_row("database", config.database_url or f"SQLite files in {config.data_dir}")
    table.add_row("logs, traces", f"{config.logs_dir}, {config.traces_dir}")
    table.add_row("TLS certificates", f"{platform.tls.path} (dev CA: {config.data_dir / 'signing' / 'ca'})")
    console.print(table)
    if seed:
        result = seed_demo(platform.callers)
        verb = "exchanged" if result.seeded else "already there"
        console.print(f"demo document [bold]{result.code}[/bold] {verb}: {result.outgoing_id}")
        console.print("try:")
        console.print("  .venv/bin/lienthong agencies list")
        console.print("  .venv/bin/lienthong docs list --agency 000.00.00.H41 --incoming")
        console.print(f"  .venv/bin/lienthong --as auditor@000.00.00.H41 audit history {result.outgoing_id}")
        console.print("  .venv/bin/lienthong mail list")
        console.print("  .venv/bin/lienthong report 000.00.00.H41 --export pdf")
    console.print("Ctrl-C stops everything.")
    stop.wait()
    with console.status("stopping…"):
        codes = platform.stop()
    failed = {name: code for name, code in codes.items() if code not in (0, None)}
    console.print("stopped" + (f" (non-zero exits: {failed})" if failed else " cleanly"))


# ---- agencies ---------------------------------------------------------------------------------------


@agencies_app.command("list")
def agencies_list() -> None:
    """List the registered agencies."""
    with clients.identifiers() as stub:
        response = _call(stub.ListAgencies, ids.ListAgenciesRequest())
    _agency_table(response.agencies)


def _agency_table(agencies: Any) -> None:
    table = Table("code", "short name", "name", "e-mail", "state")
    for agency in agencies:
        state = ids.AgencyState.Name(agency.state).removeprefix("AGENCY_STATE_").lower()
        table.add_row(agency.code, agency.short_name, agency.name, agency.email, state)
    console.print(table)


@agencies_app.command("import")
def agencies_import(
    file: Annotated[Path, typer.Argument(help="CSV or JSON: code, name, short_name, address, email, contact")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only print what would change")] = False,
    batch: Annotated[int, typer.Option(help="Rows per request")] = 500,
) -> None:
    """Register new agencies and update changed ones; importing the same file twice changes nothing."""
    try:
        rows = read_rows(file)
    except (OSError, AgencyFileError) as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    changes: list[ids.ImportChange] = []
    # A dry run goes in one request: children may depend on parents that are only in the file.
    size = len(rows) if dry_run else batch
    with clients.identifiers() as stub, Progress(console=err) as progress:
        task = progress.add_task("dry run" if dry_run else "importing", total=len(rows))
        for start in range(0, len(rows), max(size, 1)):
            part = rows[start : start + size]
            answer = _call(stub.ImportAgencies, ids.ImportAgenciesRequest(rows=part, dry_run=dry_run))
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


@agencies_app.command("export")
def agencies_export(
    file: Annotated[Path | None, typer.Argument(help="Where to write (standard output when omitted)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of CSV")] = False,
) -> None:
    """The whole registry as CSV (or JSON), ordered by code."""
    with clients.identifiers() as stub:
        try:
            agencies = [
                a
                for page in stub.ExportAgencies(ids.ExportAgenciesRequest(), metadata=clients.actor_metadata())
                for a in page.agencies
            ]
        except grpc.RpcError as error:
            err.print(f"[red]{error.code().name}[/red]: {error.details()}")
            raise typer.Exit(1) from None
    text = write_rows(agencies, file, as_json)
    if file is None:
        print(text, end="")
    else:
        err.print(f"{len(agencies)} agencies written to {file}")


@agencies_app.command("resolve")
def agencies_resolve(code: str) -> None:
    """The agency that now stands for a code (after merges and moves), or why it cannot receive."""
    with clients.identifiers() as stub:
        answer = _call(stub.ResolveAgency, ids.ResolveAgencyRequest(code=code))
    console.print(f"{' → '.join(answer.path)}: {answer.agency.name} ({answer.agency.short_name})")


@agencies_app.command("search")
def agencies_search(
    query: Annotated[str, typer.Argument(help="Words of the name, with or without diacritics")] = "",
    parent: Annotated[str, typer.Option(help="Only children of this code")] = "",
    limit: Annotated[int, typer.Option(help="At most this many")] = 50,
) -> None:
    """Find agencies by name: "so noi vu" finds "Sở Nội vụ"."""
    with clients.identifiers() as stub:
        answer = _call(stub.SearchAgencies, ids.SearchAgenciesRequest(query=query, parent_code=parent, page_size=limit))
    _agency_table(answer.agencies)


@agencies_app.command("history")
def agencies_history(code: str) -> None:
    """Every event of an agency in order: registration, updates, locks, reorganisations."""
    with clients.identifiers() as stub:
        answer = _call(stub.GetAgencyHistory, ids.GetAgencyHistoryRequest(code=code))
    table = Table("time", "version", "event", "actor", "details")
    for event in answer.events:
        details = json.dumps(MessageToDict(event.data), ensure_ascii=False)
        table.add_row(_when(event.occurred_at), str(event.version), event.event, event.actor, details)
    console.print(table)


@agencies_app.command("lock")
def agencies_lock(code: str, reason: Annotated[str, typer.Option(help="Why, as senders will be told")] = "") -> None:
    """Stop an agency from receiving documents."""
    with clients.identifiers() as stub:
        _call(stub.LockAgency, ids.LockAgencyRequest(code=code, reason=reason))
    console.print(f"{code} locked")


@agencies_app.command("unlock")
def agencies_unlock(code: str) -> None:
    """Let a locked agency receive again."""
    with clients.identifiers() as stub:
        _call(stub.UnlockAgency, ids.UnlockAgencyRequest(code=code))
    console.print(f"{code} unlocked")


@agencies_app.command("dissolve")
def agencies_dissolve(
    code: str,
    reason: Annotated[str, typer.Option(help="Why, as senders will be told")] = "",
    effective_on: Annotated[str, typer.Option(help="YYYY-MM-DD; today when omitted")] = "",
) -> None:
    """End an agency without successor; its code is never given again."""
    with clients.identifiers() as stub:
        _call(stub.DissolveAgency, ids.DissolveAgencyRequest(code=code, reason=reason, effective_on=effective_on))
    console.print(f"{code} dissolved")


@agencies_app.command("merge")
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
        _call(stub.ReorganiseAgencies, request)
    console.print(f"{', '.join(sources)} merged into {into}")


@agencies_app.command("move")
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
        _call(stub.ReorganiseAgencies, request)
    console.print(f"{source} moved to {to}")


@agencies_app.command("add")
def agencies_add(
    code: Annotated[str, typer.Argument(help="Identifier code, NNN.NN.NN.XNN")],
    name: Annotated[str, typer.Argument(help="Full name")],
    short_name: Annotated[str, typer.Argument(help="Short name used in notations, e.g. STTTT")],
    email: Annotated[str, typer.Option(help="Official e-mail address")] = "",
) -> None:
    """Register an agency."""
    with clients.identifiers() as stub:
        response = _call(
            stub.RegisterAgency, ids.RegisterAgencyRequest(code=code, name=name, short_name=short_name, email=email)
        )
    console.print(f"registered {response.agency.code} {response.agency.name}")


# ---- docs -------------------------------------------------------------------------------------------


@docs_app.command("send")
def docs_send(
    sender: Annotated[str, typer.Option("--from", help="Identifier code of the issuing agency")],
    recipients: Annotated[list[str], typer.Option("--to", help="Identifier code of a recipient (repeatable)")],
    subject: Annotated[str, typer.Option(help="Subject (trích yếu)")],
    doc_type: Annotated[str, typer.Option("--type", help="Document type, e.g. BAO_CAO, CONG_VAN")] = "CONG_VAN",
    pdf: Annotated[Path | None, typer.Option(help="The PDF; rendered from the metadata when omitted")] = None,
) -> None:
    """Draft, register, seal-sign and send a document in one go."""
    try:
        type_value = docs.DocumentType.Value(f"DOCUMENT_TYPE_{doc_type.upper()}")
    except ValueError:
        err.print(f"[red]unknown document type {doc_type}[/red]")
        raise typer.Exit(2) from None
    with clients.documents() as stub:
        created = _call(
            stub.CreateOutgoing,
            docs.CreateOutgoingRequest(
                sender_code=sender, type=type_value, subject=subject, content_pdf=pdf.read_bytes() if pdf else b""
            ),
            sender,
        ).document
        registered = _call(stub.RegisterOutgoing, docs.RegisterOutgoingRequest(document_id=created.id), sender)
        if registered.document.state == docs.OUTGOING_STATE_REGISTERED:  # not sealed at registration by policy
            _call(stub.SignOutgoing, docs.SignOutgoingRequest(document_id=created.id), sender)
        sent = _call(
            stub.SendOutgoing, docs.SendOutgoingRequest(document_id=created.id, recipient_codes=recipients), sender
        )
    document = sent.document
    delivered = ", ".join(r.recipient_code for r in document.recipients)
    console.print(f"sent {document.number}/{document.notation} ({document.id}) to {delivered}")


@docs_app.command("list")
def docs_list(
    agency: Annotated[str, typer.Option(help="Identifier code of the agency")],
    incoming: Annotated[bool, typer.Option("--incoming/--outgoing", help="Incoming or outgoing register")] = False,
) -> None:
    """An agency's outgoing or incoming register."""
    with clients.documents() as stub:
        if incoming:
            response = _call(stub.ListIncoming, docs.ListIncomingRequest(recipient_code=agency), agency)
            table = Table("id", "code", "from", "subject", "status", "arrival no.", "arrived")
            for d in response.documents:
                table.add_row(
                    d.id,
                    d.code,
                    d.sender_code,
                    d.subject,
                    docs.StatusCode.Name(d.status)[12:],
                    str(d.arrival_number or ""),
                    _when(d.arrived_at),
                )
        else:
            response = _call(stub.ListOutgoing, docs.ListOutgoingRequest(sender_code=agency), agency)
            table = Table("id", "code", "state", "subject", "recipients")
            for d in response.documents:
                code = f"{d.number}/{d.notation}" if d.number else ""
                state = docs.OutgoingState.Name(d.state).removeprefix("OUTGOING_STATE_").lower()
                listed = ", ".join(f"{r.recipient_code}:{docs.StatusCode.Name(r.status)[12:]}" for r in d.recipients)
                table.add_row(d.id, code, state, d.subject, listed)
    console.print(table)


@docs_app.command("show")
def docs_show(document_id: str) -> None:
    """One outgoing document, as JSON."""
    with clients.documents() as stub:
        response = _call(stub.GetOutgoing, docs.GetOutgoingRequest(document_id=document_id))
    console.print_json(json.dumps(MessageToDict(response.document), ensure_ascii=False))


@docs_app.command("submit")
def docs_submit(document_id: str) -> None:
    """Submit a draft (or a corrected returned document) for approval."""
    with clients.documents() as stub:
        _call(stub.SubmitOutgoing, docs.SubmitOutgoingRequest(document_id=document_id))
    console.print(f"{document_id} submitted for approval")


@docs_app.command("approve")
def docs_approve(document_id: str, comment: Annotated[str, typer.Option(help="Kept with the approval")] = "") -> None:
    """Approve a submitted document (the leader)."""
    with clients.documents() as stub:
        _call(stub.ApproveOutgoing, docs.ApproveOutgoingRequest(document_id=document_id, comment=comment))
    console.print(f"{document_id} approved")


@docs_app.command("return")
def docs_return(document_id: str, comments: Annotated[str, typer.Option(help="What to correct")]) -> None:
    """Send a submitted document back to its drafter with comments."""
    with clients.documents() as stub:
        _call(stub.ReturnOutgoing, docs.ReturnOutgoingRequest(document_id=document_id, comments=comments))
    console.print(f"{document_id} returned")


@docs_app.command("accept")
def docs_accept(incoming_id: str) -> None:
    """Accept an arrived document (status 03) with the next arrival number."""
    with clients.documents() as stub:
        response = _call(stub.AcceptIncoming, docs.AcceptIncomingRequest(incoming_id=incoming_id))
    console.print(f"accepted {response.document.code} with arrival number {response.document.arrival_number}")


class EdxmlLayout(enum.StrEnum):
    """How an exported edXML message is laid out (docs/edxml.md)."""

    axis = "axis"
    envelope = "envelope"


EdxmlLayoutOption = Annotated[
    EdxmlLayout,
    typer.Option(
        help="axis: as the national axis' SDK writes it (root edXML, files after the envelope); "
        "envelope: lienthong's first layout (root edXMLEnvelope), for platforms that still exchange it"
    ),
]


def _edxml_layout(layout: EdxmlLayout) -> docs.EdxmlLayout.ValueType:
    return docs.EdxmlLayout.Value(f"EDXML_LAYOUT_{layout.name.upper()}")


@docs_app.command("export-edxml")
def docs_export_edxml(
    document_id: str,
    file: Annotated[Path, typer.Argument(help="Where to write the signed edXML envelope")],
    recipients: Annotated[
        list[str] | None, typer.Option("--to", help="Recipient code, for a document not sent yet (repeatable)")
    ] = None,
    xades: Annotated[bool, typer.Option(help="Seal with XAdES-BES instead of a plain XMLDSig")] = False,
    layout: EdxmlLayoutOption = EdxmlLayout.axis,
) -> None:
    """Write a signed outgoing document as an edXML envelope sealed by its agency."""
    request = docs.ExportEdxmlRequest(
        document_id=document_id, recipient_codes=recipients or [], xades=xades, layout=_edxml_layout(layout)
    )
    with clients.documents() as stub:
        response = _call(stub.ExportEdxml, request)
    file.write_bytes(response.edxml)
    console.print(f"wrote {file} ({len(response.edxml)} bytes)")


@docs_app.command("export-status-edxml")
def docs_export_status_edxml(
    incoming_id: str,
    file: Annotated[Path, typer.Argument(help="Where to write the signed status message")],
    layout: EdxmlLayoutOption = EdxmlLayout.axis,
) -> None:
    """Write the status of an incoming copy as an edXML status message for its sender."""
    request = docs.ExportStatusEdxmlRequest(incoming_id=incoming_id, layout=_edxml_layout(layout))
    with clients.documents() as stub:
        response = _call(stub.ExportStatusEdxml, request)
    file.write_bytes(response.edxml)
    console.print(f"wrote {file} ({len(response.edxml)} bytes)")


@docs_app.command("import-edxml")
def docs_import_edxml(file: Annotated[Path, typer.Argument(help="An edXML envelope or status message")]) -> None:
    """Import an edXML document (it arrives at its recipients) or status message (the sender's tracking)."""
    with clients.documents() as stub:
        response = _call(stub.ImportEdxml, docs.ImportEdxmlRequest(edxml=file.read_bytes()))
    if response.kind == docs.EDXML_KIND_STATUS:
        status = docs.StatusCode.Name(response.status).removeprefix("STATUS_CODE_").lower()
        console.print(f"result 0: document {response.outgoing_id} is now {status} at the sender")
    else:
        console.print(f"result 0: arrived as {', '.join(response.incoming_ids)}")


# ---- records ----------------------------------------------------------------------------------------


@records_app.command("export")
def records_export(
    record_id: str,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the zip; the name the service gives when omitted")
    ] = None,
) -> None:
    """Write the archive package of a closed record (acting as --as / LIENTHONG_ACTOR, a clerk of its agency)."""
    with clients.records() as stub:
        response = _call(stub.ExportRecord, rec.ExportRecordRequest(record_id=record_id))
    path = out or Path(response.file_name)
    path.write_bytes(response.archive)
    console.print(f"wrote {path} ({len(response.archive)} bytes, SHA-256 {response.sha256})")


@records_app.command("verify")
def records_verify(archive: Annotated[Path, typer.Argument(help="The zip ExportRecord gave")]) -> None:
    """Verify an archive package offline: every file's SHA-256, the record's and each document's event history
    against the files, and each PDF's PAdES signatures (intact, valid, by the certificate the history names;
    trust in the certificate is not judged offline). Exits 1 at the first problem."""
    from lienthong.archive import ArchiveProblem, verify_archive

    try:
        checks = verify_archive(archive.read_bytes())
    except (OSError, ArchiveProblem) as problem:
        err.print(f"[red]FAILED[/red]: {problem}")
        raise typer.Exit(1) from None
    for line in checks:
        console.print(f"[green]ok[/green] {line}")
    console.print(f"{archive}: verified")


# ---- audit ------------------------------------------------------------------------------------------


@audit_app.command("history")
def audit_history(
    document_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event")] = False,
) -> None:
    """Every event of a document (and its incoming copies) in order: time, actor, version, event."""
    with clients.documents() as stub:
        response = _call(stub.GetHistory, docs.GetHistoryRequest(document_id=document_id))
    if as_json:
        for event in response.events:
            print(json.dumps(MessageToDict(event, preserving_proto_field_name=True), ensure_ascii=False))
        return
    table = Table("time", "aggregate", "version", "event", "actor", "trace id")
    for event in response.events:
        table.add_row(
            _when(event.occurred_at),
            f"{event.aggregate} {event.aggregate_id[:8]}",
            str(event.version),
            event.event,
            event.actor,
            event.trace_id,
        )
    console.print(table)


@audit_app.command("verify")
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


def _instant(text: str) -> Timestamp:
    """An ISO 8601 instant from the command line (without an offset: Vietnam time, +07:00)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        err.print(f"[red]not an ISO 8601 instant[/red]: {text!r} (e.g. 2026-11-25T09:30:00+07:00)")
        raise typer.Exit(2) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _audited_service(service: str) -> str:
    if service not in clients.AUDITED_SERVICES:
        err.print(f"[red]--service must be one of {', '.join(clients.AUDITED_SERVICES)}[/red], got {service!r}")
        raise typer.Exit(2)
    return service


@audit_app.command("events")
def audit_events(
    aggregate_id: str,
    service: ServiceOption = "documents",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event")] = False,
) -> None:
    """Every event of any aggregate (agency, certificate, mailbox, document copy), streamed in order."""
    table = Table("time", "aggregate", "version", "event", "actor", "trace id")
    with clients.audit(_audited_service(service)) as stub:
        request = aud.StreamHistoryRequest(aggregate_id=aggregate_id)
        try:
            for response in stub.StreamHistory(request, metadata=clients.actor_metadata(), timeout=600):
                event = response.event
                if as_json:
                    print(json.dumps(MessageToDict(event, preserving_proto_field_name=True), ensure_ascii=False))
                    continue
                table.add_row(
                    _when(event.occurred_at),
                    event.aggregate,
                    str(event.version),
                    event.event,
                    event.actor,
                    event.trace_id,
                )
        except grpc.RpcError as error:
            err.print(f"[red]{error.code().name}[/red]: {error.details()}")
            raise typer.Exit(1) from None
    if not as_json:
        console.print(table)


@audit_app.command("access")
def audit_access(
    subject: Annotated[str, typer.Argument(help="A document or record id, an identifier code, or a caller")],
    service: ServiceOption = "documents",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event")] = False,
) -> None:
    """The access log of a subject: every read of a document's content or files, and every call refused
    (PERMISSION_DENIED) that named it: when, who, from where, trace id, what or why."""
    table = Table("time", "event", "actor", "from", "trace id", "what / why")
    with clients.audit(_audited_service(service)) as stub:
        request = aud.StreamHistoryRequest(aggregate_id=str(id_of_access_log(subject)))
        try:
            for response in stub.StreamHistory(request, metadata=clients.actor_metadata(), timeout=600):
                event = response.event
                if as_json:
                    print(json.dumps(MessageToDict(event, preserving_proto_field_name=True), ensure_ascii=False))
                elif event.event != "Opened":
                    data = MessageToDict(event.data)
                    what = data.get("what") or f"{data.get('method', '').rsplit('/', 1)[-1]}: {data.get('reason', '')}"
                    table.add_row(
                        _when(event.occurred_at), event.event, event.actor, data.get("peer", ""), event.trace_id, what
                    )
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                err.print(f"no access to {subject} was recorded by {service}")
                raise typer.Exit(1) from None
            err.print(f"[red]{error.code().name}[/red]: {error.details()}")
            raise typer.Exit(1) from None
    if not as_json:
        console.print(table)


@audit_app.command("state")
def audit_state(
    aggregate_id: str,
    at: Annotated[str, typer.Option(help="ISO 8601 instant; without an offset it is Vietnam time")],
    service: ServiceOption = "documents",
) -> None:
    """The aggregate as it was at an instant (its events up to then replayed), as JSON."""
    with clients.audit(_audited_service(service)) as stub:
        response = _call(stub.GetStateAt, aud.GetStateAtRequest(aggregate_id=aggregate_id, at=_instant(at)))
    if not response.version:
        console.print(f"{response.aggregate} {aggregate_id} did not exist yet at {at}")
        return
    console.print(f"{response.aggregate} at version {response.version}, last changed {_when(response.last_changed_at)}")
    print(json.dumps(MessageToDict(response.state), ensure_ascii=False, indent=2, sort_keys=True))


@audit_app.command("diff")
def audit_diff(
    aggregate_id: str,
    since: Annotated[str, typer.Option("--from", help="The earlier ISO 8601 instant")],
    until: Annotated[str, typer.Option("--to", help="The later ISO 8601 instant")],
    service: ServiceOption = "documents",
) -> None:
    """What changed in an aggregate between two instants: each field before and after, and the events."""
    request = aud.DiffStatesRequest(aggregate_id=aggregate_id, to=_instant(until))
    getattr(request, "from").CopyFrom(_instant(since))
    with clients.audit(_audited_service(service)) as stub:
        response = _call(stub.DiffStates, request)
    console.print(f"version {response.from_version} → {response.to_version}")
    table = Table("field", "before", "after")
    for change in response.changes:
        before, after = MessageToDict(change.before), MessageToDict(change.after)
        table.add_row(change.field, json.dumps(before, ensure_ascii=False), json.dumps(after, ensure_ascii=False))
    console.print(table)
    for event in response.events:
        console.print(f"  {_when(event.occurred_at)}  v{event.version} {event.event} by {event.actor}")


# ---- mail and stats ---------------------------------------------------------------------------------


@mail_app.command("list")
def mail_list(
    mail_dir: Annotated[Path, typer.Option("--dir", help="The SMTP sink's folder")] = Path("var/mail"),
) -> None:
    """Mail the development SMTP sink received, oldest first."""
    table = Table("received", "to", "subject")
    for path in sorted(mail_dir.rglob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        table.add_row(path.stem.split("-")[0], str(message["To"]), str(message["Subject"]))
    console.print(table)


@mail_app.command("provision")
def mail_provision(
    address: str,
    agency: Annotated[str, typer.Option(help="Identifier code of the agency")],
    holder: Annotated[str, typer.Option(help="The person's name; empty for the agency's own mailbox")] = "",
) -> None:
    """Register an official mailbox (or make a suspended one active again)."""
    with clients.email() as stub:
        _call(stub.ProvisionMailbox, mail.ProvisionMailboxRequest(address=address, agency_code=agency, holder=holder))
    console.print(f"{address} provisioned for {agency}")


@mail_app.command("suspend")
def mail_suspend(address: str, reason: Annotated[str, typer.Option(help="Why")] = "") -> None:
    """Stop a mailbox from receiving notifications."""
    with clients.email() as stub:
        _call(stub.SuspendMailbox, mail.SuspendMailboxRequest(address=address, reason=reason))
    console.print(f"{address} suspended")


@mail_app.command("delete")
def mail_delete(address: str) -> None:
    """End a mailbox for good (its history stays)."""
    with clients.email() as stub:
        _call(stub.DeleteMailbox, mail.DeleteMailboxRequest(address=address))
    console.print(f"{address} deleted")


@mail_app.command("import")
def mail_import(file: Annotated[Path, typer.Argument(help="CSV with columns address, agency_code, holder")]) -> None:
    """Provision mailboxes in bulk; rows already provisioned and active are left as they are."""
    with file.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.DictReader(source))
    done = skipped = 0
    with clients.email() as stub, Progress(console=err) as progress:
        task = progress.add_task("provisioning", total=len(rows))
        for row in rows:
            request = mail.ProvisionMailboxRequest(
                address=row.get("address", ""), agency_code=row.get("agency_code", ""), holder=row.get("holder") or ""
            )
            try:
                stub.ProvisionMailbox(request, metadata=clients.actor_metadata(), timeout=60)
                done += 1
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.ALREADY_EXISTS:
                    err.print(f"[red]{row.get('address')}[/red]: {error.details()}")
                    raise typer.Exit(1) from None
                skipped += 1
            progress.advance(task)
    console.print(f"{len(rows)} rows: {done} provisioned, {skipped} already active")


@mail_app.command("mailboxes")
def mail_mailboxes(agency: Annotated[str, typer.Option(help="Identifier code; all when omitted")] = "") -> None:
    """The official mailboxes of an agency."""
    with clients.email() as stub:
        answer = _call(stub.ListMailboxes, mail.ListMailboxesRequest(agency_code=agency))
    table = Table("address", "agency", "holder", "state", "notifications")
    for box in answer.mailboxes:
        state = mail.MailboxState.Name(box.state).removeprefix("MAILBOX_STATE_").lower()
        wants = ", ".join(box.kinds) or "none"
        table.add_row(
            box.address, box.agency_code, box.holder, state, f"{wants} ({'digest' if box.digest else 'each'})"
        )
    console.print(table)


@mail_app.command("prefs")
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
        box = _call(stub.SetMailboxPreferences, request).mailbox
    console.print(
        f"{box.address}: {', '.join(box.kinds) or 'nothing'}, {'daily digest' if box.digest else 'each at once'}"
    )


@mail_app.command("usage")
def mail_usage(
    agency: Annotated[str, typer.Option(help="Identifier code; the whole platform when omitted")] = "",
    from_day: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
    to_day: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
) -> None:
    """Mailboxes provisioned and active, and notification mails sent, deferred and bounced."""
    with clients.email() as stub:
        usage = _call(stub.GetMailUsage, mail.GetMailUsageRequest(agency_code=agency, from_day=from_day, to_day=to_day))
    console.print(
        f"mailboxes: {usage.mailboxes_provisioned} provisioned, {usage.mailboxes_active} active; "
        f"mails: {usage.sent} sent, {usage.deferred} deferred, {usage.bounced} bounced"
    )


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="A signed PDF")],
    agency: Annotated[str, typer.Option(help="Require a seal signature of this agency")] = "",
) -> None:
    """Verify every signature of a PDF and print a readable report; exits 1 unless TOTAL_PASSED."""
    with clients.signing() as stub:
        report = _call(stub.VerifyPdf, sig.VerifyPdfRequest(pdf=file.read_bytes(), expected_agency_code=agency))
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
            _when(s.signed_at),
            _when(s.timestamped_at) if s.HasField("timestamped_at") else "none (B-B)",
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


@certs_app.command("suspend")
def certs_suspend(serial: str, reason: Annotated[str, typer.Option(help="Why")] = "") -> None:
    """Stop a certificate from signing until it is reactivated."""
    with clients.signing() as stub:
        _call(stub.SuspendCertificate, sig.SuspendCertificateRequest(serial=serial, reason=reason))
    console.print(f"certificate {serial} suspended")


@certs_app.command("reactivate")
def certs_reactivate(serial: str) -> None:
    """Let a suspended certificate sign again."""
    with clients.signing() as stub:
        _call(stub.ReactivateCertificate, sig.ReactivateCertificateRequest(serial=serial))
    console.print(f"certificate {serial} active again")


@certs_app.command("revoke")
def certs_revoke(serial: str, reason: Annotated[str, typer.Option(help="Why")] = "") -> None:
    """Revoke a certificate for good (signatures made before stay valid)."""
    with clients.signing() as stub:
        _call(stub.RevokeCertificate, sig.RevokeCertificateRequest(serial=serial, reason=reason))
    console.print(f"certificate {serial} revoked")


_KINDS = {
    "individual": sig.CERTIFICATE_KIND_INDIVIDUAL,
    "organisation": sig.CERTIFICATE_KIND_ORGANISATION,
    "sim-pki": sig.CERTIFICATE_KIND_SIM_PKI,
}


def _kind(name: str) -> sig.CertificateKind.ValueType:
    if name not in _KINDS:
        raise typer.BadParameter(f"kind must be one of {', '.join(_KINDS)}")
    return _KINDS[name]


def _print_request(request: sig.RegistrationRequest) -> None:
    state = sig.RegistrationState.Name(request.state).removeprefix("REGISTRATION_STATE_").lower()
    lead = f", lead time {request.lead_time.ToTimedelta()}" if request.HasField("lead_time") else ""
    console.print(f"request {request.id}: {state}{f', certificate {request.serial}' if request.serial else ''}{lead}")


@certs_app.command("request")
def certs_request(
    agency: Annotated[str, typer.Option(help="Identifier code of the agency")],
    kind: Annotated[str, typer.Option(help="individual, organisation or sim-pki")] = "organisation",
    person_name: Annotated[str, typer.Option(help="The person's name (individual, sim-pki)")] = "",
    person_id: Annotated[str, typer.Option(help="The person's identifier (individual, sim-pki)")] = "",
    reason: Annotated[str, typer.Option(help="Why")] = "",
) -> None:
    """Record a certificate registration request; its lead time runs until a certificate fulfils it."""
    with clients.signing() as stub:
        response = _call(
            stub.RequestCertificate,
            sig.RequestCertificateRequest(
                kind=_kind(kind), agency_code=agency, person_name=person_name, person_id=person_id, reason=reason
            ),
        )
    _print_request(response.request)


@certs_app.command("issue")
def certs_issue(request_id: str) -> None:
    """Fulfil a registration request with a certificate of the development CA."""
    with clients.signing() as stub:
        response = _call(stub.IssueRequestedCertificate, sig.IssueRequestedCertificateRequest(request_id=request_id))
    _print_request(response.request)


@certs_app.command("import")
def certs_import(
    file: Annotated[Path, typer.Argument(help="PEM, DER, or PKCS#12 (.p12/.pfx) with its key")],
    kind: Annotated[str, typer.Option(help="individual, organisation or sim-pki")] = "organisation",
    agency: Annotated[str, typer.Option(help="Identifier code; default: the certificate's own")] = "",
    password: Annotated[str, typer.Option(help="PKCS#12 password")] = "",
    request_id: Annotated[str, typer.Option(help="The registration request it fulfils")] = "",
) -> None:
    """Register a certificate a CA delivered."""
    with clients.signing() as stub:
        response = _call(
            stub.ImportCertificate,
            sig.ImportCertificateRequest(
                data=file.read_bytes(), password=password, kind=_kind(kind), agency_code=agency, request_id=request_id
            ),
        )
    key = " with its private key" if response.key_imported else ""
    console.print(f"certificate {response.certificate.serial} of {response.certificate.agency_code} imported{key}")


@certs_app.command("import-crl")
def certs_import_crl(file: Annotated[Path, typer.Argument(help="A CA's CRL, PEM or DER")]) -> None:
    """Apply a CA's CRL: every registered certificate it lists is revoked as of the CRL's time."""
    with clients.signing() as stub:
        response = _call(stub.ImportCrl, sig.ImportCrlRequest(crl=file.read_bytes()))
    console.print(
        f"{len(response.revoked_serials)} certificate(s) newly revoked: {', '.join(response.revoked_serials)}"
    )


@certs_app.command("show")
def certs_show(serial: str) -> None:
    """A registered certificate and its state now."""
    with clients.signing() as stub:
        certificate = _call(stub.GetCertificate, sig.GetCertificateRequest(serial=serial)).certificate
    console.print_json(data=MessageToDict(certificate, preserving_proto_field_name=True))


@certs_app.command("policy")
def certs_policy(
    agency: Annotated[str, typer.Argument(help="Identifier code of the agency")],
    automatic_seal: Annotated[
        bool, typer.Option("--automatic-seal/--no-automatic-seal", help="Let the seal sign at registration")
    ],
    reason: Annotated[str, typer.Option(help="Why (kept with the policy's history)")],
) -> None:
    """Set whether the agency's seal may sign documents unattended, at registration time."""
    with clients.signing() as stub:
        request = sig.SetSigningPolicyRequest(agency_code=agency, automatic_seal=automatic_seal, reason=reason)
        policy = _call(stub.SetSigningPolicy, request).policy
    state = "allowed" if policy.automatic_seal else "not allowed"
    console.print(f"{policy.name}: automatic seal signatures {state} ({policy.reason})")


@app.command()
def stats(
    agency: Annotated[str, typer.Argument(help="Identifier code of the agency")],
    from_day: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
    to_day: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
) -> None:
    """Documents sent and received per day (from the reporting read model)."""
    with clients.reporting() as stub:
        response = _call(
            stub.GetAgencyStats, rep.GetAgencyStatsRequest(agency_code=agency, from_day=from_day, to_day=to_day)
        )
        processing = _call(
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


@app.command()
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
                err.print(f"[red]--export must be one of {', '.join(REPORT_FORMATS)}[/red], got {export!r}")
                raise typer.Exit(2)
            request = rep.ExportReportRequest(
                scope_code=scope, from_day=from_day, to_day=to_day, format=REPORT_FORMATS[export]
            )
            exported = _call(stub.ExportReport, request)
            target = out or Path(exported.file_name)
            target.write_bytes(exported.content)
            console.print(f"wrote {target} ({len(exported.content):,} bytes, {exported.content_type})")
            return
        response = _call(stub.GetReport, rep.GetReportRequest(scope_code=scope, from_day=from_day, to_day=to_day))
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


if __name__ == "__main__":
    app()
