"""`lienthong records`: records (hồ sơ) and their archive packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lienthong.cli import clients
from lienthong.cli.calling import call, console, fail
from lienthong.documents.v1 import records_pb2 as rec

app = typer.Typer(help="Records (hồ sơ) and their archive packages.", no_args_is_help=True)


@app.command("export")
def records_export(
    record_id: str,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the zip; the name the service gives when omitted")
    ] = None,
) -> None:
    """Write the archive package of a closed record (acting as --as / LIENTHONG_ACTOR, a clerk of its agency)."""
    with clients.records() as stub:
        response = call(stub.ExportRecord, rec.ExportRecordRequest(record_id=record_id))
    path = out or Path(response.file_name)
    path.write_bytes(response.archive)
    console.print(f"wrote {path} ({len(response.archive)} bytes, SHA-256 {response.sha256})")


@app.command("verify")
def records_verify(archive: Annotated[Path, typer.Argument(help="The zip ExportRecord gave")]) -> None:
    """Verify an archive package offline: every file's SHA-256, the record's and each document's event history
    against the files, and each PDF's PAdES signatures (intact, valid, by the certificate the history names;
    trust in the certificate is not judged offline). Exits 1 at the first problem."""
    from lienthong.archive import ArchiveProblem, verify_archive

    try:
        checks = verify_archive(archive.read_bytes())
    except (OSError, ArchiveProblem) as problem:
        fail(f"[red]FAILED[/red]: {problem}")
    for line in checks:
        console.print(f"[green]ok[/green] {line}")
    console.print(f"{archive}: verified")
