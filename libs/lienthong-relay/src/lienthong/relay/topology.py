"""Who publishes and who reads what on NATS: the one list the services' wiring and the server's permissions share.

Each service publishes its own events on `<instance>.<service>.>` into its own stream (reporting publishes
nothing); email and reporting read other services' streams through durable pull consumers whose names are
listed here; documents listens to identifiers' subjects (plain subscription) to forget its agency cache.
`lienthong.relay.permissions` turns this into the NATS server's users and subject permissions, so a consumer
or durable not listed here is refused by the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The user operators' tools (republish, restore drill, tests) connect as: the JetStream API, no event subject.
ADMIN = "admin"


def inbox_prefix(user: str) -> str:
    """The reply subject prefix a user's client uses; only that user may subscribe under it."""
    return f"_INBOX_{user}"


# Durable consumers, by reading service.
EMAIL_NOTIFICATIONS = "email"
EMAIL_DEADLINES = "email-deadlines"
REPORTING = "reporting"
REPORTING_REBUILD = "reporting-rebuild"


@dataclass(frozen=True)
class NatsRole:
    """What one service does on NATS."""

    service: str
    publishes: bool = True  # publishes its events into its own stream
    consumes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # stream's service → durable names
    listens: tuple[str, ...] = ()  # services whose subjects it subscribes to without JetStream


_REPORTED = ("identifiers", "documents", "signing", "email")

ROLES: dict[str, NatsRole] = {
    "identifiers": NatsRole("identifiers"),
    "documents": NatsRole("documents", listens=("identifiers",)),
    "signing": NatsRole("signing"),
    "email": NatsRole("email", consumes={"documents": (EMAIL_NOTIFICATIONS, EMAIL_DEADLINES)}),
    "reporting": NatsRole(
        "reporting", publishes=False, consumes={service: (REPORTING, REPORTING_REBUILD) for service in _REPORTED}
    ),
}

# The services whose events a relay publishes, in the platform's start order.
PUBLISHERS = tuple(service for service, role in ROLES.items() if role.publishes)
