"""What a sink says when one event can never be applied, so that it does not block the events after it."""

from __future__ import annotations


class UnprocessableEvent(Exception):
    """Applying the event at `position` failed for a reason that retrying will not change (bad data, a bug).

    The consumer puts such an event aside (a dead letter, kept with its reason) and goes on; transient
    failures (database or NATS unreachable) are not this: they are retried, in order, until they pass.
    """

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"event at position {position} cannot be applied: {reason}")
        self.position = position
        self.reason = reason
