"""The agency importers: a CSV or JSON file (first byte chooses) gives rows or AgencyFileError; each row then
passes the identifiers service's import check or gets InvalidArgument."""

from __future__ import annotations

import contextlib

from fuzz.seeds import AGENCY_CSV, AGENCY_JSON
from lienthong.cli.agency_files import COLUMNS, AgencyFileError, rows_of
from lienthong.errors import InvalidArgument
from lienthong.identifiers.adapters.inbound.api import checked_rows


def check(data: bytes) -> None:
    as_json = bool(data) and data[0] % 2 == 1
    try:
        rows = rows_of(data[1:], "fuzzed", as_json=as_json)
    except AgencyFileError:
        return
    with contextlib.suppress(InvalidArgument):
        checked_rows(rows)


def seeds() -> list[bytes]:
    return [b"\x00" + AGENCY_CSV.encode(), b"\x01" + AGENCY_JSON.encode()]


def dictionary() -> list[bytes]:
    """Column names as JSON keys and CSV headers, and the escapes and quotes both formats treat specially."""
    keys = [f'"{column}":'.encode() for column in COLUMNS]
    return [*keys, b",".join(column.encode() for column in COLUMNS), b"\\ud800", b"\\u0000", b'""', b"\r\n", b"null"]
