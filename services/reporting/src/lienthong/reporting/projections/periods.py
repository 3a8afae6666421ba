"""A period of days as a condition on a query of the read models."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select

Query = TypeVar("Query", bound=Select[Any])


def within(query: Query, day: ColumnElement[date], from_day: date | None, to_day: date | None) -> Query:
    """`query` restricted to rows whose `day` lies from `from_day` to `to_day`, inclusive (None: unbounded)."""
    if from_day is not None:
        query = query.where(day >= from_day)
    if to_day is not None:
        query = query.where(day <= to_day)
    return query
