"""A report rolls an agency's subtree up through the identifier hierarchy, line by direct unit (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lienthong.reporting.domain.report import Counts, ProcessingRecord, build_report, subtree

PROVINCE, DEPARTMENT, UNIT, DISTRICT, ELSEWHERE = (
    "000.00.00.H41",
    "000.00.12.H41",
    "000.01.12.H41",
    "000.00.31.H41",
    "000.00.00.H40",
)
PARENTS = {PROVINCE: "", DEPARTMENT: PROVINCE, UNIT: DEPARTMENT, DISTRICT: PROVINCE, ELSEWHERE: ""}
NAMES = {PROVINCE: "UBND tỉnh", DEPARTMENT: "Sở TTTT", UNIT: "Phòng BCVT", DISTRICT: "UBND huyện"}


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_subtree_holds_the_agency_and_everything_under_it() -> None:
    assert subtree(PARENTS, DEPARTMENT) == {DEPARTMENT, UNIT}
    assert subtree(PARENTS, PROVINCE) == {PROVINCE, DEPARTMENT, UNIT, DISTRICT}


def test_lines_roll_each_direct_unit_up_and_the_total_covers_the_scope() -> None:
    counts = [
        Counts(PROVINCE, date(2026, 10, 30), sent=1, received=4),
        Counts(DEPARTMENT, date(2026, 11, 2), sent=10, sent_signed=9, received=2, refused=1),
        Counts(UNIT, date(2026, 11, 3), sent=5, sent_signed=5, recalled=1),
        Counts(DISTRICT, date(2026, 11, 3), sent=4, sent_signed=2, received=3),
        Counts(ELSEWHERE, date(2026, 11, 3), sent=100),  # outside the scope: never counted
    ]
    processing = [
        ProcessingRecord(DEPARTMENT, at(2), date(2026, 11, 3), at(2, 12)),  # 12 h, on time
        ProcessingRecord(UNIT, at(2), date(2026, 11, 2), at(6)),  # 96 h, late
        ProcessingRecord(DISTRICT, at(2), None, None),  # open
    ]
    report = build_report(
        scope_code=PROVINCE,
        names=NAMES,
        parents=PARENTS,
        counts=counts,
        processing=processing,
        today=date(2026, 11, 10),
    )

    lines = [(r.code, r.agencies, r.sent, r.sent_signed, r.received, r.refused, r.recalled) for r in report.rows]
    assert lines == [
        (PROVINCE, 1, 1, 0, 4, 0, 0),
        (DEPARTMENT, 2, 15, 14, 2, 1, 1),
        (DISTRICT, 1, 4, 2, 3, 0, 0),
    ]
    total = report.total
    assert (total.agencies, total.sent, total.sent_signed, total.received) == (4, 20, 16, 9)
    assert total.signed_share == 0.8
    assert (total.processing.done, total.processing.done_late, total.processing.open) == (2, 1, 1)
    assert report.rows[1].processing.average_hours == 54.0
    assert report.months == (("2026-10", 1, 4), ("2026-11", 19, 5))
    assert dict(report.processing_buckets) == {
        "≤ 1 ngày": 1,
        "1–3 ngày": 0,
        "3–7 ngày": 1,
        "7–15 ngày": 0,
        "> 15 ngày": 0,
    }


def test_an_agency_without_units_or_documents_has_one_empty_line() -> None:
    report = build_report(
        scope_code=DISTRICT, names=NAMES, parents=PARENTS, counts=[], processing=[], today=date(2026, 11, 10)
    )
    assert [(r.code, r.name, r.sent, r.signed_share) for r in report.rows] == [(DISTRICT, "UBND huyện", 0, 0.0)]
    assert (report.total.sent, report.months) == (0, ())
