"""Answering a notification by replying to it (trả lời thư thông báo): the reply token and the reply's intent.

An agency without integration answers an arrived document by replying to its notification. The notification's
Reply-To is `reply+<token>@<reply domain>`; the token names the notification and carries an HMAC-SHA256 over
the notification id, the document id and the recipient agency's code, under a secret only the platform holds,
so that a reply cannot be forged for another document or agency. The first meaningful line of the reply says
what the agency decides: accept (ĐỒNG Ý, TIẾP NHẬN, ACCEPT) or refuse with a reason (TỪ CHỐI: lý do, REFUSE: …),
with or without diacritics, in any case.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from uuid import UUID

from lienthong.errors import InvalidArgument, PermissionDenied
from lienthong.vietnamese import without_diacritics

_MAC_BYTES = 15  # 120 bits, 24 base32 characters: the address's local part stays under 64 characters
_TOKEN = re.compile(r"^reply\+([0-9a-f]{32})\.([a-z2-7]{24})@", re.IGNORECASE)


class MalformedReply(InvalidArgument):
    """The reply says nothing we can act on, or carries no token."""


class ForgedReply(PermissionDenied):
    """The token does not verify, or the reply does not come from the agency's mailbox."""


def _mac(secret: bytes, notification_id: UUID, document_id: str, agency_code: str) -> str:
    signed = f"{notification_id}|{document_id}|{agency_code}".encode()
    digest = hmac.new(secret, signed, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.b32encode(digest).decode().lower()


@dataclass(frozen=True)
class ReplyTokens:
    """Makes and checks reply addresses under `secret` (at least 32 bytes) for `domain`."""

    secret: bytes
    domain: str

    def __post_init__(self) -> None:
        if len(self.secret) < 32:
            raise ValueError("a reply secret has at least 32 bytes")

    def address(self, notification_id: UUID, document_id: str, agency_code: str) -> str:
        """`reply+<notification id>.<mac>@<domain>`."""
        mac = _mac(self.secret, notification_id, document_id, agency_code)
        return f"reply+{notification_id.hex}.{mac}@{self.domain}"

    def check(self, address: str, notification_id: UUID, document_id: str, agency_code: str) -> None:
        """Raise ForgedReply unless `address` carries the token of this notification."""
        found = _TOKEN.match(address.strip())
        expected = _mac(self.secret, notification_id, document_id, agency_code)
        if found is None or not hmac.compare_digest(found[2].lower(), expected):
            raise ForgedReply("the reply token does not verify")


def notification_named(address: str) -> UUID:
    """The notification a reply address names (unverified); MalformedReply when it is no reply address."""
    found = _TOKEN.match(address.strip())
    if found is None:
        raise MalformedReply(f"{address!r} is not a reply address (reply+<token>@…)")
    return UUID(hex=found[1].lower())


@dataclass(frozen=True)
class Intent:
    """What the agency decided: accept, or refuse with a reason."""

    accept: bool
    reason: str = ""


_ACCEPT = ("dong y", "tiep nhan", "accept")
_REFUSE = ("tu choi", "refuse", "reject")


def intent_of(body: str) -> Intent:
    """The decision in the first meaningful line of a reply (quoted text and blank lines skipped)."""
    for line in body.splitlines():
        text = unicodedata.normalize("NFC", line.strip())
        if text and not text.startswith(">"):
            return _intent_of_line(text)
    raise MalformedReply("the reply is empty; write ĐỒNG Ý to accept or TỪ CHỐI: <lý do> to refuse")


def _intent_of_line(line: str) -> Intent:
    # Folded character by character, so that a position in it is the same position in the line.
    folded = "".join((without_diacritics(c).lower() or c)[:1] for c in line)
    if _keyword_end(folded, _ACCEPT) is not None:
        return Intent(accept=True)
    end = _keyword_end(folded, _REFUSE)
    if end is None:
        raise MalformedReply(f"the reply does not say ĐỒNG Ý or TỪ CHỐI: {line[:80]!r}")
    reason = line[end:].lstrip(" :-–—\t").strip()
    if not reason:
        raise MalformedReply("a refusal needs a reason: TỪ CHỐI: <lý do>")
    return Intent(accept=False, reason=reason)


def _keyword_end(folded: str, keywords: tuple[str, ...]) -> int | None:
    """Where the keyword the line starts with ends (a whole word, any spacing), or None."""
    for keyword in keywords:
        found = re.match(r"\s+".join(keyword.split()) + r"(?![a-z0-9])", folded)
        if found:
            return found.end()
    return None
