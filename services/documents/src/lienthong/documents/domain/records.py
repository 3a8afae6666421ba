"""Records (hồ sơ): an agency's file of the documents of one task, opened, filled, closed for the archive.

A record has a code (mã hồ sơ) unique within its agency, a title (tiêu đề), a retention period (thời hạn bảo
quản: permanent or N years), an opening and a closing date. Documents are filed in order (the ordinal is
"số thứ tự trong hồ sơ"); once closed nothing is filed or removed: a correction is a new event elsewhere.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from lienthong.errors import FailedPrecondition, InvalidArgument

CODE_LIMIT = 50
TITLE_LIMIT = 500
PERMANENT = 0  # retention_years for "vĩnh viễn"
MAX_RETENTION_YEARS = 100
_RECORD_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/records")


class RecordState(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class Direction(enum.Enum):
    """Which register a filed document comes from."""

    OUTGOING = "outgoing"  # văn bản đi, issued by the record's agency
    INCOMING = "incoming"  # văn bản đến, the agency's accepted copy


def id_of_record(agency_code: str, code: str) -> UUID:
    """The record `code` of `agency_code`: one id per code, so a code is never opened twice."""
    return uuid5(_RECORD_NAMESPACE, f"{agency_code}/{code}")


def retention_text(retention_years: int) -> str:
    """The retention period as written on the record's cover: "Vĩnh viễn" or "10 năm"."""
    return "Vĩnh viễn" if retention_years == PERMANENT else f"{retention_years} năm"


class Record(Aggregate):
    """A file (hồ sơ) of one agency."""

    @staticmethod
    def create_id(agency_code: str, code: str, **_: Any) -> UUID:
        return id_of_record(agency_code, code)

    @event("Opened")
    def __init__(self, agency_code: str, code: str, title: str, retention_years: int, opened_at: datetime) -> None:
        self.agency_code = agency_code
        self.code = code
        self.title = title
        self.retention_years = retention_years
        self.opened_at = opened_at
        self.closed_at: datetime | None = None
        self.state = RecordState.OPEN
        self.documents: list[dict[str, Any]] = []  # {document_id, direction, document_code, ordinal}

    @classmethod
    def open(cls, *, agency_code: str, code: str, title: str, retention_years: int, opened_at: datetime) -> Record:
        """Open a record, checking its code (≤ 50 characters, no spaces), title (≤ 500) and retention period
        (0 for permanent, else 1 to 100 years)."""
        code, title = code.strip(), title.strip()
        if not code or len(code) > CODE_LIMIT or any(c.isspace() or not c.isprintable() for c in code):
            raise InvalidArgument(f"record code {code!r} must be 1 to {CODE_LIMIT} printable characters without spaces")
        if not title:
            raise InvalidArgument("a record needs a title (tiêu đề hồ sơ)")
        if len(title) > TITLE_LIMIT:
            raise InvalidArgument(f"record title has {len(title)} characters; the limit is {TITLE_LIMIT}")
        if not (retention_years == PERMANENT or 1 <= retention_years <= MAX_RETENTION_YEARS):
            raise InvalidArgument(
                f"retention period {retention_years} is neither permanent (0) nor 1 to {MAX_RETENTION_YEARS} years"
            )
        return cls(agency_code, code, title, retention_years, opened_at)

    def _require_open(self, action: str) -> None:
        if self.state is RecordState.CLOSED:
            raise FailedPrecondition(f"record {self.code} is closed; nothing can be {action}")

    def file(self, *, document_id: str, direction: Direction, document_code: str, at: datetime) -> int:
        """File a document; return its ordinal in the record (1, 2, …)."""
        self._require_open("filed in it")
        for filed in self.documents:
            if filed["document_id"] == document_id:
                raise FailedPrecondition(
                    f"document {document_code or document_id} is already number {filed['ordinal']} of record {self.code}"
                )
        ordinal = len(self.documents) + 1
        self._filed(document_id, direction.value, document_code, ordinal, at)
        return ordinal

    @event("DocumentFiled")
    def _filed(self, document_id: str, direction: str, document_code: str, ordinal: int, at: datetime) -> None:
        self.documents.append(
            {"document_id": document_id, "direction": direction, "document_code": document_code, "ordinal": ordinal}
        )

    def close(self, *, at: datetime) -> None:
        """Close the record for the archive; an empty record has nothing to hand over."""
        self._require_open("closed again")
        if not self.documents:
            raise FailedPrecondition(f"record {self.code} is empty; file a document before closing it")
        self._closed(at)

    @event("Closed")
    def _closed(self, at: datetime) -> None:
        self.closed_at = at
        self.state = RecordState.CLOSED

    def check_exportable(self) -> None:
        """Only a closed record is handed to the archive."""
        if self.state is not RecordState.CLOSED:
            raise FailedPrecondition(f"record {self.code} is still open; close it before exporting it to the archive")
