"""The edXML importer's field checks: one element of a well-formed case gets fuzzed text, and the message must
still be read or refused with a result code. Byte-level fuzzing rarely gets past well-formedness; this does."""

from __future__ import annotations

import functools
import re

from lxml import etree

from fuzz import edxml
from fuzz.seeds import edxml_cases

# What XML 1.0 allows in text; lxml refuses to set anything else.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@functools.cache
def _bases() -> tuple[bytes, ...]:
    """The cases that are well-formed UTF-8 without a DTD: each is a message to mutate one field of."""
    bases = []
    for case in edxml_cases():
        try:
            root = etree.fromstring(case, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        except (etree.XMLSyntaxError, ValueError):
            continue
        if not root.getroottree().docinfo.doctype and b"<!" not in case:
            bases.append(case)
    return tuple(bases)


def _leaves(root: etree._Element) -> list[etree._Element]:
    return [element for element in root.iter() if isinstance(element.tag, str) and len(element) == 0]


def check(data: bytes) -> None:
    if len(data) < 3:
        return
    bases = _bases()
    root = etree.fromstring(bases[data[0] % len(bases)])
    leaves = _leaves(root)
    leaves[int.from_bytes(data[1:3], "big") % len(leaves)].text = _NOT_XML.sub("", data[3:].decode(errors="replace"))
    edxml.check(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def seeds() -> list[bytes]:
    """Every field of every base with its own text: the fuzzer starts from values that pass."""
    found = []
    for number, base in enumerate(_bases()):
        for index, leaf in enumerate(_leaves(etree.fromstring(base))):
            found.append(bytes([number]) + index.to_bytes(2, "big") + (leaf.text or "").encode()[:200])
    return found


def dictionary() -> list[bytes]:
    """Shapes the field checks look for: dates, times, codes, numbers and their edges."""
    return [b"2026/11/24", b"2026/02/30", b"2026/11/24 08:00:00", b"000.00.12.H41", b",", b"/", b"0", b"99", b"-1"]
