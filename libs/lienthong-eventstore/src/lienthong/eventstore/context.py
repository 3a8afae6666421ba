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


_peer: ContextVar[str] = ContextVar("lienthong_peer", default="")


def current_peer() -> str:
    """Where the current request comes from (the gRPC peer, e.g. `ipv4:10.0.0.7:51234`; "" outside any)."""
    return _peer.get()


@contextmanager
def peer_context(peer: str) -> Iterator[None]:
    """Name `peer` as where the requests handled inside this block come from, for the access log."""
    token = _peer.set(peer)
    try:
        yield
    finally:
        _peer.reset(token)
