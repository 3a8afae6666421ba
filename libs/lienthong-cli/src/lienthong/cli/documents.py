"""`lienthong docs`: outgoing and incoming documents, and their edXML messages."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import typer
from google.protobuf.json_format import MessageToDict
from rich.table import Table

from lienthong.cli import clients
from lienthong.cli.calling import call, console, fail
from lienthong.cli.instants import when
from lienthong.documents.v1 import documents_pb2 as docs

app = typer.Typer(
    help="Outgoing and incoming documents. Each call acts for one agency: a clerk of the agency a command "
    "names, or --as / LIENTHONG_ACTOR=<role>@<identifier code> (roles: clerk, officer, leader, auditor, operator).",
    no_args_is_help=True,
)


@app.command("send")
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
        fail(f"[red]unknown document type {doc_type}[/red]", 2)
    with clients.documents() as stub:
        created = call(
            stub.CreateOutgoing,
            docs.CreateOutgoingRequest(
                sender_code=sender, type=type_value, subject=subject, content_pdf=pdf.read_bytes() if pdf else b""
            ),
            sender,
        ).document
        registered = call(stub.RegisterOutgoing, docs.RegisterOutgoingRequest(document_id=created.id), sender)
        if registered.document.state == docs.OUTGOING_STATE_REGISTERED:  # not sealed at registration by policy
            call(stub.SignOutgoing, docs.SignOutgoingRequest(document_id=created.id), sender)
        sent = call(
            stub.SendOutgoing, docs.SendOutgoingRequest(document_id=created.id, recipient_codes=recipients), sender
        )
    document = sent.document
    delivered = ", ".join(r.recipient_code for r in document.recipients)
    console.print(f"sent {document.number}/{document.notation} ({document.id}) to {delivered}")


@app.command("list")
def docs_list(
    agency: Annotated[str, typer.Option(help="Identifier code of the agency")],
    incoming: Annotated[bool, typer.Option("--incoming/--outgoing", help="Incoming or outgoing register")] = False,
) -> None:
    """An agency's outgoing or incoming register."""
    with clients.documents() as stub:
        if incoming:
            response = call(stub.ListIncoming, docs.ListIncomingRequest(recipient_code=agency), agency)
            table = Table("id", "code", "from", "subject", "status", "arrival no.", "arrived")
            for d in response.documents:
                table.add_row(
                    d.id,
                    d.code,
                    d.sender_code,
                    d.subject,
                    docs.StatusCode.Name(d.status)[12:],
                    str(d.arrival_number or ""),
                    when(d.arrived_at),
                )
        else:
            response = call(stub.ListOutgoing, docs.ListOutgoingRequest(sender_code=agency), agency)
            table = Table("id", "code", "state", "subject", "recipients")
            for d in response.documents:
                code = f"{d.number}/{d.notation}" if d.number else ""
                state = docs.OutgoingState.Name(d.state).removeprefix("OUTGOING_STATE_").lower()
                listed = ", ".join(f"{r.recipient_code}:{docs.StatusCode.Name(r.status)[12:]}" for r in d.recipients)
                table.add_row(d.id, code, state, d.subject, listed)
    console.print(table)


@app.command("show")
def docs_show(document_id: str) -> None:
    """One outgoing document, as JSON."""
    with clients.documents() as stub:
        response = call(stub.GetOutgoing, docs.GetOutgoingRequest(document_id=document_id))
    console.print_json(json.dumps(MessageToDict(response.document), ensure_ascii=False))


@app.command("submit")
def docs_submit(document_id: str) -> None:
    """Submit a draft (or a corrected returned document) for approval."""
    with clients.documents() as stub:
        call(stub.SubmitOutgoing, docs.SubmitOutgoingRequest(document_id=document_id))
    console.print(f"{document_id} submitted for approval")


@app.command("approve")
def docs_approve(document_id: str, comment: Annotated[str, typer.Option(help="Kept with the approval")] = "") -> None:
    """Approve a submitted document (the leader)."""
    with clients.documents() as stub:
        call(stub.ApproveOutgoing, docs.ApproveOutgoingRequest(document_id=document_id, comment=comment))
    console.print(f"{document_id} approved")


@app.command("return")
def docs_return(document_id: str, comments: Annotated[str, typer.Option(help="What to correct")]) -> None:
    """Send a submitted document back to its drafter with comments."""
    with clients.documents() as stub:
        call(stub.ReturnOutgoing, docs.ReturnOutgoingRequest(document_id=document_id, comments=comments))
    console.print(f"{document_id} returned")


@app.command("accept")
def docs_accept(incoming_id: str) -> None:
    """Accept an arrived document (status 03) with the next arrival number."""
    with clients.documents() as stub:
        response = call(stub.AcceptIncoming, docs.AcceptIncomingRequest(incoming_id=incoming_id))
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


@app.command("export-edxml")
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
        response = call(stub.ExportEdxml, request)
    file.write_bytes(response.edxml)
    console.print(f"wrote {file} ({len(response.edxml)} bytes)")


@app.command("export-status-edxml")
def docs_export_status_edxml(
    incoming_id: str,
    file: Annotated[Path, typer.Argument(help="Where to write the signed status message")],
    layout: EdxmlLayoutOption = EdxmlLayout.axis,
) -> None:
    """Write the status of an incoming copy as an edXML status message for its sender."""
    request = docs.ExportStatusEdxmlRequest(incoming_id=incoming_id, layout=_edxml_layout(layout))
    with clients.documents() as stub:
        response = call(stub.ExportStatusEdxml, request)
    file.write_bytes(response.edxml)
    console.print(f"wrote {file} ({len(response.edxml)} bytes)")


@app.command("import-edxml")
def docs_import_edxml(file: Annotated[Path, typer.Argument(help="An edXML envelope or status message")]) -> None:
    """Import an edXML document (it arrives at its recipients) or status message (the sender's tracking)."""
    with clients.documents() as stub:
        response = call(stub.ImportEdxml, docs.ImportEdxmlRequest(edxml=file.read_bytes()))
    if response.kind == docs.EDXML_KIND_STATUS:
        status = docs.StatusCode.Name(response.status).removeprefix("STATUS_CODE_").lower()
        console.print(f"result 0: document {response.outgoing_id} is now {status} at the sender")
    else:
        console.print(f"result 0: arrived as {', '.join(response.incoming_ids)}")
