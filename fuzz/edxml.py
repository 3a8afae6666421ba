"""The edXML importer: any bytes are a message or an EdxmlRejected with a result code, nothing else."""

from __future__ import annotations

import contextlib

from fuzz.seeds import edxml_cases
from lienthong.documents.edxml.parser import parse_message
from lienthong.documents.edxml.results import EdxmlRejected


def check(data: bytes) -> None:
    with contextlib.suppress(EdxmlRejected):
        parse_message(data)


def seeds() -> list[bytes]:
    return edxml_cases()
