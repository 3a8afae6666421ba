"""Who may do what with a document: one policy, taking an identity (agency code + role), pure.

Every call acts for one agency. An agency sees only the documents it sent or received, and acts only on
its own: the sender on its outgoing documents, a recipient on its own incoming copy. A leader approves or
returns; an auditor reads the history and metadata of any document but changes nothing. A confidential
document (mật and above) is seen only by its sender and its named recipients, auditors included.

Where the identity comes from (a request header today, the client certificate under mutual TLS) is
`lienthong.documents.identity`'s job; this module never asks.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection
from dataclasses import dataclass

from lienthong.errors import PermissionDenied

_CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")


class Role(enum.Enum):
    """What the person or system acting does for its agency."""

    CLERK = "clerk"  # văn thư: drafts, registers, sends, receives
    OFFICER = "officer"  # chuyên viên: drafts and processes assigned documents
    LEADER = "leader"  # lãnh đạo: approves or returns drafts, besides what an officer does
    AUDITOR = "auditor"  # reads and replays histories, never changes anything


@dataclass(frozen=True)
class Identity:
    """The caller: the agency it acts for and its role there."""

    agency_code: str
    role: Role

    def __str__(self) -> str:
        return f"{self.role.value}@{self.agency_code}"


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


@dataclass(frozen=True)
class DocumentParties:
    """Who a document concerns: its sender, its named recipients, and whether it is confidential."""

    sender_code: str
    recipient_codes: frozenset[str]
    confidential: bool

    @classmethod
    def of(cls, sender_code: str, recipient_codes: Collection[str], confidentiality: str) -> DocumentParties:
        return cls(sender_code, frozenset(recipient_codes), confidentiality not in ("", "NORMAL"))


def act_for(identity: Identity, agency_code: str, action: str) -> None:
    """Refuse unless the caller acts for `agency_code` in a role that changes things."""
    if identity.role is Role.AUDITOR:
        raise PermissionDenied(f"{identity} is an auditor and cannot {action}")
    if identity.agency_code != agency_code:
        raise PermissionDenied(
            f"{identity} acts for agency {identity.agency_code} and cannot {action} of {agency_code}"
        )


def approve_for(identity: Identity, agency_code: str, action: str) -> None:
    """Approving or returning a draft is a leader's decision (trình ký), in the leader's own agency."""
    act_for(identity, agency_code, action)
    if identity.role is not Role.LEADER:
        raise PermissionDenied(f"{identity} is a {identity.role.value}; only a leader may {action}")


def read_register(identity: Identity, agency_code: str, what: str) -> None:
    """An agency's registers (lists, searches, arrivals) are read by that agency only."""
    if identity.agency_code != agency_code:
        raise PermissionDenied(
            f"{identity} acts for agency {identity.agency_code} and cannot read {what} of {agency_code}"
        )


def see_document(identity: Identity, parties: DocumentParties, what: str, *, as_auditor: bool = False) -> None:
    """The sender and the named recipients see a document; with `as_auditor`, an auditor too, unless the
    document is confidential."""
    if identity.agency_code == parties.sender_code or identity.agency_code in parties.recipient_codes:
        return
    if as_auditor and identity.role is Role.AUDITOR:
        if parties.confidential:
            raise PermissionDenied(
                f"{what} is confidential: only its sender and named recipients may read it, not {identity}"
            )
        return
    raise PermissionDenied(f"{identity} is neither the sender nor a recipient and cannot read {what}")
