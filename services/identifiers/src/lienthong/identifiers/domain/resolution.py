"""Where a document addressed to a code goes now: the rules of routing after reorganisations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lienthong.errors import FailedPrecondition, NotFound


@dataclass(frozen=True)
class RegistryEntry:
    """What resolution needs of an agency."""

    code: str
    state: str  # active, locked, dissolved
    ending: str  # "" unless dissolved: dissolved, merged, split, moved
    successors: tuple[str, ...]
    ended_on: str
    lock_reason: str = ""


MAX_HOPS = 32  # a chain of reorganisations longer than this is a loop in the data


def resolve(code: str, lookup: Callable[[str], RegistryEntry | None]) -> tuple[RegistryEntry, list[str]]:
    """The current agency for `code` and the path of codes to it; NotFound or FailedPrecondition with the reason."""
    entry = lookup(code)
    if entry is None:
        raise NotFound(f"agency {code} is not registered")
    path = [code]
    while entry.state == "dissolved":
        if entry.ending in ("merged", "moved") and len(entry.successors) == 1:
            successor = lookup(entry.successors[0])
            if successor is None or len(path) > MAX_HOPS:
                raise FailedPrecondition(f"agency {entry.code} was {entry.ending} but its successor cannot be found")
            entry = successor
            path.append(entry.code)
        elif entry.ending == "split":
            raise FailedPrecondition(
                f"agency {entry.code} was split on {entry.ended_on} into {', '.join(entry.successors)}; "
                "address the document to one of them"
            )
        else:
            raise FailedPrecondition(f"agency {entry.code} was dissolved on {entry.ended_on} and has no successor")
    if entry.state == "locked":
        reason = f": {entry.lock_reason}" if entry.lock_reason else ""
        raise FailedPrecondition(f"agency {entry.code} is locked and cannot receive documents{reason}")
    return entry, path
