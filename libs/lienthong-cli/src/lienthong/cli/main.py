"""`lienthong`: run the platform, manage agencies, send and read documents, replay a document's history.

Each command group is a module of its own (agencies, documents, records, audit, mail, certificates); the
commands on their own (`up`, `verify`, `stats`, `report`) live in theirs. Calling an RPC and printing its
error is `calling.call`. No module imports gRPC, the TLS code or the platform when the CLI starts: a command
imports them when it runs, so that `lienthong --help` answers at once (bench/cli.py measures it).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from lienthong.cli import agencies, audit, certificates, documents, mail, records, reports, up, verification

app = typer.Typer(help="lienthong: exchange of signed official documents between state agencies.", no_args_is_help=True)
app.command("up")(up.up)
app.add_typer(agencies.app, name="agencies")
app.add_typer(documents.app, name="docs")
app.add_typer(records.app, name="records")
app.add_typer(audit.app, name="audit")
app.add_typer(mail.app, name="mail")
app.add_typer(certificates.app, name="certs")
app.command("verify")(verification.verify)
app.command("stats")(reports.stats)
app.command("report")(reports.report)


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


if __name__ == "__main__":
    app()
