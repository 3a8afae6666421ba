"""What checking a PDF's signatures gives, shared by the archive verifier and the pyHanko checker it uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SignatureCheck:
    """What a PDF's signatures show: each one intact and valid, by which certificate serials (hex)."""

    serials: tuple[str, ...]
    problem: str = ""


SignatureChecker = Callable[[bytes], SignatureCheck]
