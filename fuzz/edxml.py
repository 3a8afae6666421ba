"""The edXML importer: any bytes are a message or an EdxmlRejected with a result code, nothing else."""

from __future__ import annotations

import contextlib
import re

from fuzz.seeds import edxml_cases
from lienthong.documents.adapters.inbound.edxml.parser import parse_message
from lienthong.documents.adapters.inbound.edxml.results import EdxmlRejected


def check(data: bytes) -> None:
    with contextlib.suppress(EdxmlRejected):
        parse_message(data)


def seeds() -> list[bytes]:
    return edxml_cases()


def dictionary() -> list[bytes]:
    """The opening and closing tags of every element in the seeds: libFuzzer splices them in whole."""
    names = {name for seed in seeds() for name in re.findall(rb"<([A-Za-z][\w:]*)", seed)}
    return sorted(token for name in names for token in (b"<" + name + b">", b"</" + name + b">"))
