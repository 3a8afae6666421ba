"""The identifier-code parser: any text is a code that prints back as itself, or InvalidIdentifierCode."""

from __future__ import annotations

from fuzz.seeds import VALID_CODES
from lienthong.identifiers.domain.codes import IdentifierCode, InvalidIdentifierCode


def check(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        code = IdentifierCode.parse(text)
    except InvalidIdentifierCode:
        return
    written = str(code)
    if written != text.strip()[:-3] + text.strip()[-3:].upper():
        raise AssertionError(f"{text!r} parsed as {written!r}")
    if IdentifierCode.parse(written) != code:
        raise AssertionError(f"{written!r} does not parse back to itself")
    parent = code.parent
    if parent is not None and not parent.is_ancestor_of(code):
        raise AssertionError(f"{parent} is the parent of {code} but not its ancestor")


def seeds() -> list[bytes]:
    return [code.encode() for code in VALID_CODES]
