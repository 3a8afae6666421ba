"""`lienthong up`: the whole platform on this machine (what `make run` calls)."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lienthong.cli.calling import console, fail


def up(
    data_dir: Annotated[Path, typer.Option(help="Where embedded state lives.")] = Path("var"),
    seed: Annotated[bool, typer.Option(help="Seed two demo agencies and one exchanged document.")] = True,
) -> None:
    """Run the whole platform locally (what `make run` calls); Ctrl-C stops it cleanly.

    Set LIENTHONG_NATS_URL to use an existing NATS and LIENTHONG_DATABASE_URL an existing PostgreSQL.
    """
    from lienthong.launcher.demo import seed_demo
    from lienthong.launcher.platform import DEFAULT_CONSOLE_PORT, Platform, PlatformConfig

    config = PlatformConfig(
        data_dir=data_dir.resolve(),
        nats_url=os.environ.get("LIENTHONG_NATS_URL") or None,
        database_url=os.environ.get("LIENTHONG_DATABASE_URL") or None,
        instance=os.environ.get("LIENTHONG_INSTANCE", "lienthong"),
        console_port=DEFAULT_CONSOLE_PORT,
    )
    platform = Platform(config)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with console.status("starting NATS, the SMTP sink, five services and the web console…"):
        try:
            platform.start()
        except Exception as error:
            platform.stop()
            fail(f"[red]the platform did not start[/red]: {error}")
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
    table.add_row("web console", f"{config.console_url} (sign in as e.g. auditor@000.00.00.H41)")
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
