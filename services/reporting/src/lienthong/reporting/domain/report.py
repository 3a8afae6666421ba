"""A periodic report of a province, a department or any agency: pure computation over read-model rows.

The scope is an agency and everything under it in the identifier hierarchy (DOMAIN.md §5, §7): one row per
direct unit (rolled up over its own subtree), one for the scope agency's own documents, and the total.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from lienthong.vietnamese.calendar import vietnam_date

# Processing time from arrival to done, in the buckets the periodic reports use.
HOUR_BUCKETS: tuple[tuple[str, float], ...] = (
    ("≤ 1 ngày", 24),
    ("1–3 ngày", 72),
    ("3–7 ngày", 168),
    ("7–15 ngày", 360),
    ("> 15 ngày", float("inf")),
)


@dataclass(frozen=True)
class Counts:
    """Document counters of one agency on one day (the read model's daily row)."""

    agency_code: str
    day: date
    sent: int = 0
    sent_signed: int = 0
    received: int = 0
    refused: int = 0
    recalled: int = 0


@dataclass(frozen=True)
class ProcessingRecord:
    """One incoming copy: when it arrived, its deadline, when it was done (None: still open)."""

    agency_code: str
    arrived_at: datetime
    due_on: date | None
    completed_at: datetime | None


@dataclass(frozen=True)
class Processing:
    """How documents that arrived in a period were handled (DOMAIN.md §7)."""

    received: int
    done: int
    done_on_time: int
    done_late: int
    open: int
    open_overdue: int
    average_hours: float
    p90_hours: float


def processing_summary(records: Sequence[ProcessingRecord], today: date) -> Processing:
    done = [r for r in records if r.completed_at is not None]
    late = [r for r in done if r.due_on is not None and r.completed_at and vietnam_date(r.completed_at) > r.due_on]
    still_open = [r for r in records if r.completed_at is None]
    hours = processing_hours(records)
    return Processing(
        received=len(records),
        done=len(done),
        done_on_time=len(done) - len(late),
        done_late=len(late),
        open=len(still_open),
        open_overdue=sum(1 for r in still_open if r.due_on is not None and today > r.due_on),
        average_hours=round(sum(hours) / len(hours), 2) if hours else 0.0,
        p90_hours=round(hours[min(len(hours) - 1, int(len(hours) * 0.9))], 2) if hours else 0.0,
    )


def processing_hours(records: Iterable[ProcessingRecord]) -> list[float]:
    """Hours from arrival to done of every done copy, shortest first."""
    return sorted((r.completed_at - r.arrived_at).total_seconds() / 3600 for r in records if r.completed_at)


@dataclass(frozen=True)
class ReportRow:
    """One line of the report: an agency with everything under it."""

    code: str
    name: str
    agencies: int  # how many agencies the line covers
    sent: int
    sent_signed: int
    received: int
    refused: int
    recalled: int
    processing: Processing

    @property
    def signed_share(self) -> float:
        """Share of sent documents that were digitally signed, 0..1 (0 when nothing was sent)."""
        return self.sent_signed / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class Report:
    scope_code: str
    scope_name: str
    from_day: date | None
    to_day: date | None
    rows: tuple[ReportRow, ...]  # the scope's own line first, then each direct unit with its subtree
    total: ReportRow
    months: tuple[tuple[str, int, int], ...]  # (YYYY-MM, sent, received) over the whole scope
    processing_buckets: tuple[tuple[str, int], ...]
    registry_changes: Mapping[str, int] = field(default_factory=dict)  # issued, changed, locked, ...


def subtree(parents: Mapping[str, str], code: str) -> set[str]:
    """`code` and every agency under it, given each agency's parent code."""
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found, stack = set(), [code]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return found


def build_report(
    *,
    scope_code: str,
    names: Mapping[str, str],
    parents: Mapping[str, str],
    counts: Sequence[Counts],
    processing: Sequence[ProcessingRecord],
    today: date,
    from_day: date | None = None,
    to_day: date | None = None,
    registry_changes: Mapping[str, int] | None = None,
) -> Report:
    """The report of `scope_code` from rows already restricted to its subtree and period."""
    units = sorted(code for code, parent in parents.items() if parent == scope_code and code != scope_code)
    groups = [(scope_code, {scope_code})] + [(unit, subtree(parents, unit)) for unit in units]
    everything = subtree(parents, scope_code)

    def line(code: str, codes: set[str]) -> ReportRow:
        mine = [c for c in counts if c.agency_code in codes]
        return ReportRow(
            code=code,
            name=names.get(code, code),
            agencies=len(codes),
            sent=sum(c.sent for c in mine),
            sent_signed=sum(c.sent_signed for c in mine),
            received=sum(c.received for c in mine),
            refused=sum(c.refused for c in mine),
            recalled=sum(c.recalled for c in mine),
            processing=processing_summary([p for p in processing if p.agency_code in codes], today),
        )

    months: Counter[tuple[str, str]] = Counter()
    for c in counts:
        if c.agency_code in everything:
            months[(c.day.strftime("%Y-%m"), "sent")] += c.sent
            months[(c.day.strftime("%Y-%m"), "received")] += c.received
    hours = processing_hours(p for p in processing if p.agency_code in everything)
    buckets = [0] * len(HOUR_BUCKETS)
    for value in hours:
        buckets[next(i for i, (_, limit) in enumerate(HOUR_BUCKETS) if value <= limit)] += 1
    return Report(
        scope_code=scope_code,
        scope_name=names.get(scope_code, scope_code),
        from_day=from_day,
        to_day=to_day,
        rows=tuple(line(code, codes) for code, codes in groups),
        total=line(scope_code, everything),
        months=tuple(
            (month, months[(month, "sent")], months[(month, "received")]) for month in sorted({m for m, _ in months})
        ),
        processing_buckets=tuple((label, n) for (label, _), n in zip(HOUR_BUCKETS, buckets, strict=True)),
        registry_changes=dict(registry_changes or {}),
    )
