"""Who calls: a person of an agency in a role (`<role>@<identifier code>`) or a lienthong service
(`service:<name>`), parsed from the actor string the server records for each request.

Where the actor string comes from (a request header in development, the client certificate under mutual
TLS) is the gRPC server's job; this module never asks.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from lienthong.errors import PermissionDenied

_CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
_SERVICE = re.compile(r"[a-z][a-z0-9-]{0,62}")
SERVICE_PREFIX = "service:"


class Role(enum.Enum):
    """What the person or system acting does for its agency."""

    CLERK = "clerk"  # văn thư: drafts, registers, sends, receives
    OFFICER = "officer"  # chuyên viên: drafts and processes assigned documents
    LEADER = "leader"  # lãnh đạo: approves or returns drafts, besides what an officer does
    AUDITOR = "auditor"  # reads and replays histories and access logs, never changes anything
    OPERATOR = "operator"  # the ICT department (Sở TT&TT): agencies, mailboxes, certificates, reports


@dataclass(frozen=True)
class Identity:
    """A person (or an integrated system such as an iDesk) acting for an agency in a role."""

    agency_code: str
    role: Role

    def __str__(self) -> str:
        return f"{self.role.value}@{self.agency_code}"


@dataclass(frozen=True)
class ServicePrincipal:
    """A lienthong service calling another one (documents asking signing for a seal)."""

    name: str

    def __str__(self) -> str:
        return f"{SERVICE_PREFIX}{self.name}"


Principal = Identity | ServicePrincipal


def parse_principal(text: str) -> Principal:
    """`<role>@<identifier code>` or `service:<name>`; PERMISSION_DENIED for anything else."""
    text = text.strip()
    if text.startswith(SERVICE_PREFIX):
        name = text.removeprefix(SERVICE_PREFIX)
        if not _SERVICE.fullmatch(name):
            raise PermissionDenied(f"caller {text!r} does not name a service: expected service:<name>")
        return ServicePrincipal(name)
    return parse_identity(text)


def parse_identity(text: str) -> Identity:
    """`<role>@<identifier code>`, e.g. `clerk@000.00.12.H41`; PERMISSION_DENIED for anything else."""
    role, _, code = text.strip().partition("@")
    roles = ", ".join(r.value for r in Role)
    if not _CODE.fullmatch(code):
        raise PermissionDenied(
            f"caller {text!r} does not name the agency it acts for: expected <role>@<identifier code>, "
            f"e.g. clerk@000.00.12.H41"
        )
    try:
        return Identity(code, Role(role.lower()))
    except ValueError:
        raise PermissionDenied(f"caller {text!r} has no role lienthong knows; roles are {roles}") from None
