"""Calling an RPC from a command and printing what came back: the one pattern every command shares.

A gRPC error ends the command with its status and reason on standard error (exit 1); a missing client
certificate says how to get one. gRPC itself is imported on the first call, not when the CLI starts,
so that `lienthong --help` answers at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, NoReturn

import typer
from rich.console import Console

from lienthong.cli import clients

console = Console()
err = Console(stderr=True)

# One call's deadline; a stream's is longer (a whole history or an export).
CALL_TIMEOUT = 60
STREAM_TIMEOUT = 600


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` (rich markup) on standard error and end the command with exit `code`."""
    err.print(message)
    raise typer.Exit(code)


def call(
    function: Any, request: Any, agency: str = "", *, tolerate: frozenset[str] = frozenset(), about: str = ""
) -> Any:
    """Call a unary RPC acting for `agency` (or as LIENTHONG_ACTOR says). On a gRPC error whose status is in
    `tolerate`, return None; on any other, print its status (or `about`, what the call was for) and reason,
    and exit 1."""
    import grpc

    from lienthong.grpcserver.tls import TlsNotConfigured

    try:
        return function(request, metadata=clients.actor_metadata(agency), timeout=CALL_TIMEOUT)
    except TlsNotConfigured as error:
        fail(f"[red]no TLS[/red]: {error}")
    except grpc.RpcError as error:
        if _code(error) in tolerate:
            return None
        fail(f"[red]{about or _code(error)}[/red]: {_details(error)}")


def stream(function: Any, request: Any, not_found: str = "") -> Iterator[Any]:
    """The answers of a server-streaming RPC as they come; NOT_FOUND prints `not_found` when given, any other
    gRPC error its status and reason (exit 1)."""
    import grpc

    from lienthong.grpcserver.tls import TlsNotConfigured

    try:
        yield from function(request, metadata=clients.actor_metadata(), timeout=STREAM_TIMEOUT)
    except TlsNotConfigured as error:
        fail(f"[red]no TLS[/red]: {error}")
    except grpc.RpcError as error:
        if not_found and _code(error) == "NOT_FOUND":
            fail(not_found)
        fail(f"[red]{_code(error)}[/red]: {_details(error)}")


def as_dict(message: Any) -> dict[str, Any]:
    """A protobuf message as a dict with the field names of the .proto (for --json)."""
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(message, preserving_proto_field_name=True)


def print_json_lines(messages: Iterable[Any]) -> None:
    """One JSON object per message, on standard output (for --json)."""
    for message in messages:
        print(json.dumps(as_dict(message), ensure_ascii=False))


def _code(error: BaseException) -> str:
    code = getattr(error, "code", None)
    return code().name if callable(code) else "UNKNOWN"


def _details(error: BaseException) -> str:
    details = getattr(error, "details", None)
    return str(details()) if callable(details) else str(error)
