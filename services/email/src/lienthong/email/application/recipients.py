"""Who in an agency is told of an event: its official address and its registered mailboxes, as each prefers."""

from __future__ import annotations

from dataclasses import dataclass

from lienthong.email.projections.mailboxes import MailboxRow


@dataclass(frozen=True)
class Recipient:
    address: str
    digest: bool  # told in the next morning's digest rather than at once
    official: bool  # the agency's own address from the agency registry


def recipients_of(kind: str, official_address: str, mailboxes: list[MailboxRow]) -> list[Recipient]:
    """The official address (all kinds, at once, unless it is registered with other preferences) and every
    active registered mailbox of the agency that wants `kind`. Suspended or deleted mailboxes are told nothing."""
    registered = {row.address: row for row in mailboxes}
    addresses = [official_address] if official_address else []
    addresses += [row.address for row in mailboxes if row.address != official_address]
    told = []
    for address in addresses:
        row = registered.get(address)
        if row is None:
            told.append(Recipient(address, digest=False, official=True))
        elif row.state == "active" and row.wants(kind):
            told.append(Recipient(address, digest=row.digest, official=address == official_address))
    return told
