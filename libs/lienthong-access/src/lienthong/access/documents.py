"""Who may do what with a document, given its parties: the per-document half of the policy, pure.

Every call acts for one agency. An agency sees only the documents it sent or received, and acts only on
its own: the sender on its outgoing documents, a recipient on its own incoming copy. A leader approves or
returns; an auditor reads the history and metadata of any document but changes nothing. A confidential
document (mật and above) is seen only by its sender and its named recipients, auditors included. Operators
run the platform and handle no documents.

The coarse half (which roles may call which RPC at all) is `lienthong.access.methods`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from lienthong.access.principals import Identity, Role
from lienthong.errors import PermissionDenied


@dataclass(frozen=True)
class DocumentParties:
    """Who a document concerns: its sender, its named recipients, and whether it is confidential."""

    sender_code: str
    recipient_codes: frozenset[str]
    confidential: bool

    @classmethod
    def of(cls, sender_code: str, recipient_codes: Collection[str], confidentiality: str) -> DocumentParties:
        return cls(sender_code, frozenset(recipient_codes), confidentiality not in ("", "NORMAL"))


def _no_operator(identity: Identity, action: str) -> None:
    if identity.role is Role.OPERATOR:
        raise PermissionDenied(f"{identity} is an operator of the platform and cannot {action}; agencies' staff do")


def act_for(identity: Identity, agency_code: str, action: str) -> None:
    """Refuse unless the caller acts for `agency_code` in a role that changes things."""
    if identity.role is Role.AUDITOR:
        raise PermissionDenied(f"{identity} is an auditor and cannot {action}")
    _no_operator(identity, action)
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
    """An agency's registers (lists, searches, arrivals, records) are read by that agency only."""
    _no_operator(identity, f"read {what}")
    if identity.agency_code != agency_code:
        raise PermissionDenied(
            f"{identity} acts for agency {identity.agency_code} and cannot read {what} of {agency_code}"
        )


def see_document(identity: Identity, parties: DocumentParties, what: str, *, as_auditor: bool = False) -> None:
    """The sender and the named recipients see a document; with `as_auditor`, an auditor too, unless the
    document is confidential."""
    _no_operator(identity, f"read {what}")
    if identity.agency_code == parties.sender_code or identity.agency_code in parties.recipient_codes:
        return
    if as_auditor and identity.role is Role.AUDITOR:
        if parties.confidential:
            raise PermissionDenied(
                f"{what} is confidential: only its sender and named recipients may read it, not {identity}"
            )
        return
    raise PermissionDenied(f"{identity} is neither the sender nor a recipient and cannot read {what}")
