"""Who is acting: the actor of the request being handled, recorded with every event it causes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_actor: ContextVar[str] = ContextVar("lienthong_actor", default="system")


def current_actor() -> str:
    """The identity on whose behalf the current request runs ("system" outside any request)."""
    return _actor.get()


@contextmanager
def event_context(actor: str) -> Iterator[None]:
    """Record `actor` on every event stored inside this block."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)
