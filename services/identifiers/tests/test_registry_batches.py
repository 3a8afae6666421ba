"""The registry applied a whole batch at a time, set-based, holds what applying its events one at a time holds."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from lienthong.eventstore import read_events, store_environment
from lienthong.identifiers.application.app import IdentifiersApp
from lienthong.identifiers.domain.agency import AgencyFields, Ending
from lienthong.identifiers.domain.codes import IdentifierCode
from lienthong.identifiers.projections.registry import Registry
from lienthong.launcher.testing import fresh_database
from lienthong.relay import envelope_of

PROVINCE, DEPARTMENT, OFFICE = (IdentifierCode.parse(f"000.00.{n}.H41") for n in ("00", "12", "13"))


def fields(name: str, short: str) -> AgencyFields:
    return AgencyFields(name=name, short_name=short, email="vanthu@khanhhoa.gov.vn")


def rows(registry: Registry) -> list[tuple[Any, ...]]:
    with registry.engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(select(registry.agencies)))


def test_a_batch_of_agency_events_leaves_the_rows_one_at_a_time_leaves(database_url: str, tmp_path: Path) -> None:
    app = IdentifiersApp(store_environment("identifiers", database_url))
    app.register_agency(code=PROVINCE, fields=fields("Ủy ban nhân dân tỉnh Khánh Hòa", "UBND"))
    app.register_agency(code=DEPARTMENT, fields=fields("Sở Thông tin và Truyền thông", "STTTT"))
    app.update_agency(DEPARTMENT, fields("Sở Khoa học và Công nghệ", "SKHCN"))
    app.lock_agency(DEPARTMENT, "kiểm tra")
    app.unlock_agency(DEPARTMENT)
    app.register_agency(code=OFFICE, fields=fields("Văn phòng", "VP"))
    app.lock_agency(OFFICE, "sáp nhập")
    app.reorganise(
        ending=Ending.MERGED,
        sources=[DEPARTMENT, OFFICE],
        targets=[IdentifierCode.parse("000.00.14.H41")],
        new_fields=[fields("Sở Khoa học, Công nghệ và Văn phòng", "SKHCNVP")],
        reason="sáp nhập",
        effective_on=date(2026, 12, 1),
    )
    events = [(record.position, envelope_of("identifiers", record)) for record in read_events(app, 1, 1000)]
    with fresh_database(tmp_path / "one.db") as one_url, fresh_database(tmp_path / "all.db") as all_url:
        one_by_one, batched = Registry(create_engine(one_url)), Registry(create_engine(all_url))
        for event in events:
            one_by_one.process_many("local", [event])
        batched.process_many("local", events)

        assert rows(batched) == rows(one_by_one)
        assert len(rows(batched)) == 4
        department = batched.get(str(DEPARTMENT))
        assert department is not None
        assert (department.name, department.state, department.successors) == (
            "Sở Khoa học và Công nghệ",
            "dissolved",
            "000.00.14.H41",
        )
        assert batched.dead_letter_reasons() == []
