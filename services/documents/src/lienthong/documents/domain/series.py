"""Number series (sổ đăng ký): numbers handed out in order, each once, never reused."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_SERIES_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/number-series")


class NumberSeries(Aggregate):
    """One register's counter, e.g. outgoing numbers of one agency in one calendar year.

    Its id derives from its key, so two clerks registering at once load the same series and the event
    store refuses the second save: no number is ever given twice.
    """

    @staticmethod
    def create_id(key: str) -> UUID:
        return id_of_series(key)

    @event("Opened")
    def __init__(self, key: str) -> None:
        self.key = key
        self.last_number = 0

    def take(self) -> int:
        """The next number (1 for the first one of the year)."""
        self._taken(self.last_number + 1)
        return self.last_number

    @event("NumberTaken")
    def _taken(self, number: int) -> None:
        self.last_number = number


def id_of_series(key: str) -> UUID:
    """The aggregate id of the series named `key`."""
    return uuid5(_SERIES_NAMESPACE, key)
