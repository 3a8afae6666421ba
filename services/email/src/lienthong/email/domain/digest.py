"""A leader's daily digest (thư tổng hợp hằng ngày): what a mailbox that prefers one mail a day was told of."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_DIGEST_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/digests")


def id_of_digest(address: str, day: date) -> UUID:
    return uuid5(_DIGEST_NAMESPACE, f"{address}/{day.isoformat()}")


class DigestDay(Aggregate):
    """The items of one Vietnamese calendar day for one mailbox; mailed the next morning."""

    @staticmethod
    def create_id(address: str, agency_code: str, day: str) -> UUID:
        return id_of_digest(address, date.fromisoformat(day))

    @event("Opened")
    def __init__(self, address: str, agency_code: str, day: str) -> None:
        self.address = address
        self.agency_code = agency_code
        self.day = day
        self.items: list[dict[str, str]] = []

    def add(self, item: dict[str, str]) -> None:
        """Add an item (its `key` names the event it tells of; an item already there is not added again)."""
        if any(existing["key"] == item["key"] for existing in self.items):
            return
        self._item_added(dict(item))

    @event("ItemAdded")
    def _item_added(self, item: dict[str, str]) -> None:
        self.items.append(item)
