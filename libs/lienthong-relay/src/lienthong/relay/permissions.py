"""The NATS server's users and their subject permissions, generated from `lienthong.relay.topology`.

A service may publish only its own events (`<instance>.<service>.>`), manage only its own stream, create,
read and acknowledge only its own durable consumers on the streams it reads, and receive replies only on its
own inbox prefix (`_INBOX_<service>.>`, which its client sets), so it can neither forge another service's
events nor read, delete or steal messages from streams it has no business with. Passwords are never part of
the configuration: each user's password is the server's environment variable `password_variable(user)`
(filled from the password files by `make run`, from Kubernetes Secrets by the NATS chart).

`python -m lienthong.relay.permissions [--instance NAME] [--format conf|helm]` prints the `authorization`
block for nats-server, or the same as values of the NATS Helm chart (dependencies/nats-values.yaml).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

from lienthong.relay.streams import StreamNames
from lienthong.relay.topology import ADMIN, ROLES, NatsRole, inbox_prefix


@dataclass(frozen=True)
class UserPermissions:
    """One NATS user: the subjects it may publish to and subscribe to (everything else is denied)."""

    user: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


def password_variable(user: str) -> str:
    """The nats-server environment variable that holds a user's password."""
    return f"LIENTHONG_NATS_PASSWORD_{user.upper().replace('-', '_')}"


def service_permissions(role: NatsRole, names: StreamNames) -> UserPermissions:
    """The least a service needs (found by tracing its clients against nats-server 2.15): publishing its
    events and creating (or updating) its stream; deleting, creating, reading and pulling from its durable
    consumers and acknowledging their messages; replies on its own inbox; the subjects it listens to."""
    publish: list[str] = []
    if role.publishes:
        own = names.stream(role.service)
        publish += [names.subjects(role.service), f"$JS.API.STREAM.CREATE.{own}", f"$JS.API.STREAM.UPDATE.{own}"]
    for service, durables in role.consumes.items():
        for durable in durables:
            consumer = f"{names.stream(service)}.{durable}"
            publish += [
                f"$JS.API.CONSUMER.{action}.{consumer}" for action in ("CREATE", "DELETE", "INFO", "MSG.NEXT")
            ] + [f"$JS.ACK.{consumer}.>"]
    subscribe = [f"{inbox_prefix(role.service)}.>"] + [names.subjects(service) for service in role.listens]
    return UserPermissions(role.service, tuple(publish), tuple(subscribe))


def admin_permissions() -> UserPermissions:
    """Operators' tools: the whole JetStream API (list, read, delete streams), but no event subject."""
    return UserPermissions(ADMIN, ("$JS.API.>",), (f"{inbox_prefix(ADMIN)}.>",))


def all_permissions(names: StreamNames) -> list[UserPermissions]:
    """Every user of an instance: one per service, and the operators' one."""
    return [service_permissions(role, names) for role in ROLES.values()] + [admin_permissions()]


def users() -> list[str]:
    """Every NATS user name."""
    return [*ROLES, ADMIN]


def _quoted(subjects: tuple[str, ...]) -> str:
    return "[" + ", ".join(json.dumps(subject) for subject in subjects) + "]"


def server_authorization(names: StreamNames) -> str:
    """The `authorization` block of nats-server's configuration (passwords from environment variables)."""
    lines = ["authorization {", "  users = ["]
    for user in all_permissions(names):
        lines += [
            f"    {{user: {json.dumps(user.user)}, password: ${password_variable(user.user)},",
            f"     permissions: {{publish: {{allow: {_quoted(user.publish)}}},",
            f"                   subscribe: {{allow: {_quoted(user.subscribe)}}}}}}}",
        ]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def helm_authorization(names: StreamNames) -> str:
    """The same users as values of the NATS Helm chart: `config.merge.authorization`, passwords from the
    environment the chart's `container.env` fills from Kubernetes Secrets."""
    lines = ["    authorization:", "      users:"]
    for user in all_permissions(names):
        lines += [
            f"        - user: {user.user}",
            f"          password: << ${password_variable(user.user)} >>",
            "          permissions:",
            f"            publish: {{allow: {_quoted(user.publish)}}}",
            f"            subscribe: {{allow: {_quoted(user.subscribe)}}}",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", default="lienthong")
    parser.add_argument("--format", choices=("conf", "helm"), default="conf")
    args = parser.parse_args(argv)
    names = StreamNames(args.instance)
    print(server_authorization(names) if args.format == "conf" else helm_authorization(names), end="")


if __name__ == "__main__":
    main()
