"""The mail server's delivery log, as the email service reads it: the Message-IDs the server has taken.

After a crash the outbox may hold an attempt whose outcome it never heard. The log settles it: the mail is
there (do not send again) or not (send again). The development sink writes one line per message it accepted,
before it answers 250; a deployment points `LIENTHONG_SMTP_DELIVERY_LOG` at the same format extracted from
its mail server (Postfix's `message-id=<...>` lines of the maillog, or collected delivery status notices).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

FILE_NAME = "delivered.log"  # in the sink's mail folder


class DeliveryLookup(Protocol):
    """Tells whether the mail server took a message."""

    def was_delivered(self, message_id: str) -> bool: ...


def record_delivered(path: Path, message_id: str) -> None:
    """Append `message_id` and force it to disk, so that an answered 250 is never missing from the log."""
    with path.open("a", encoding="ascii", errors="replace") as log:
        log.write(message_id.strip() + "\n")
        log.flush()
        os.fsync(log.fileno())


class DeliveryLog:
    """A delivery log file with one Message-ID a line (missing file: nothing delivered yet)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def was_delivered(self, message_id: str) -> bool:
        try:
            lines = self.path.read_text(encoding="ascii", errors="replace").splitlines()
        except FileNotFoundError:
            return False
        return message_id.strip() in {line.strip() for line in lines}
