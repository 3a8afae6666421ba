"""The agency registry: fields checked, parents first, codes never reused, reorganisations and imports."""

from __future__ import annotations

import re
from datetime import date

import pytest

from lienthong.consumer import LocalFollower
from lienthong.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from lienthong.eventstore import store_environment
from lienthong.identifiers.application.app import IdentifiersApp
from lienthong.identifiers.domain.agency import Agency, AgencyFields, AgencyState, Ending
from lienthong.identifiers.domain.codes import IdentifierCode
from lienthong.identifiers.domain.resolution import resolve
from lienthong.identifiers.projections.registry import Registry

PROVINCE = IdentifierCode.parse("000.00.00.H41")
DEPARTMENT = IdentifierCode.parse("000.00.12.H41")
TODAY = date(2026, 11, 24)


def fields(name: str = "Sở Thông tin và Truyền thông", short: str = "STTTT") -> AgencyFields:
    return AgencyFields(name=name, short_name=short, email="vanthu@khanhhoa.gov.vn")


@pytest.mark.parametrize(
    ("short_name", "email", "reason"),
    [
        ("S-TTTT", "", "without spaces, '-' or '/'"),
        ("S TTTT", "", "without spaces"),
        ("", "", "must be 1 to 20 characters"),
        ("STTTT", "not-an-address", "is not valid"),
    ],
)
def test_fields_that_would_break_notations_or_mail_are_refused(short_name: str, email: str, reason: str) -> None:
    with pytest.raises(InvalidArgument, match=reason):
        AgencyFields(name="Sở TT&TT", short_name=short_name, email=email)


def test_an_agency_knows_its_parent_and_level() -> None:
    agency = Agency.register(code=DEPARTMENT, fields=fields())
    assert (agency.parent_code, agency.level, agency.state) == ("000.00.00.H41", 2, AgencyState.ACTIVE)


def test_a_dissolved_agency_cannot_change_or_be_locked() -> None:
    agency = Agency.register(code=DEPARTMENT, fields=fields())
    agency.dissolve(ending=Ending.DISSOLVED, successors=[], reason="giải thể", effective_on=TODAY)
    with pytest.raises(FailedPrecondition, match="is dissolved and cannot be locked"):
        agency.lock("x")
    with pytest.raises(FailedPrecondition, match="is dissolved and cannot be updated"):
        agency.update(fields("Tên mới"))


def test_a_merge_has_one_successor_and_a_split_several() -> None:
    with pytest.raises(InvalidArgument, match=re.escape("merged agency has 1..1 successors")):
        Agency.register(code=DEPARTMENT, fields=fields()).dissolve(
            ending=Ending.MERGED, successors=[], reason="", effective_on=TODAY
        )
    with pytest.raises(InvalidArgument, match=re.escape("split agency has 2..99 successors")):
        Agency.register(code=DEPARTMENT, fields=fields()).dissolve(
            ending=Ending.SPLIT, successors=["000.00.13.H41"], reason="", effective_on=TODAY
        )


@pytest.fixture
def app(database_url: str) -> IdentifiersApp:
    registry_app = IdentifiersApp(store_environment("identifiers", database_url))
    registry_app.register_agency(code=PROVINCE, fields=fields("Ủy ban nhân dân tỉnh Khánh Hòa", "UBND"))
    return registry_app


def test_the_parent_is_registered_first_and_a_code_only_once(database_url: str) -> None:
    app = IdentifiersApp(store_environment("identifiers", database_url))
    with pytest.raises(FailedPrecondition, match=re.escape("parent agency 000.00.00.H41 of 000.00.12.H41 is not")):
        app.register_agency(code=DEPARTMENT, fields=fields())
    app.register_agency(code=PROVINCE, fields=fields("UBND tỉnh", "UBND"))
    app.register_agency(code=DEPARTMENT, fields=fields())
    with pytest.raises(AlreadyExists, match=re.escape("000.00.12.H41 is already registered")):
        app.register_agency(code=DEPARTMENT, fields=fields("Other", "X"))


def test_the_next_free_number_follows_given_numbers_and_is_never_reused(app: IdentifiersApp) -> None:
    app.register_agency(code=DEPARTMENT, fields=fields())  # number 12, given
    first = app.register_agency(code=None, parent=PROVINCE, fields=fields("Sở Nội vụ", "SNV"))
    assert first.code == "000.00.13.H41"
    app.dissolve_agency(IdentifierCode.parse(first.code), "giải thể", TODAY)
    second = app.register_agency(code=None, parent=PROVINCE, fields=fields("Sở Tư pháp", "STP"))
    assert second.code == "000.00.14.H41"


def test_old_codes_resolve_to_their_successor_after_a_merge_and_a_move(app: IdentifiersApp) -> None:
    registry = Registry(app.engine)
    follower = LocalFollower(app, registry, service="identifiers")
    district_a, district_b, town = (IdentifierCode.parse(f"000.00.{n}.H41") for n in ("31", "32", "33"))
    app.register_agency(code=district_a, fields=fields("UBND huyện A", "UBNDA"))
    app.register_agency(code=district_b, fields=fields("UBND huyện B", "UBNDB"))
    app.reorganise(
        ending=Ending.MERGED,
        sources=[district_a, district_b],
        targets=[town],
        new_fields=[fields("UBND thị xã AB", "UBNDAB")],
        reason="sáp nhập",
        effective_on=TODAY,
    )
    follower.catch_up()
    entry, path = resolve("000.00.31.H41", lambda code: (row.entry if (row := registry.get(code)) else None))
    assert (entry.code, path) == ("000.00.33.H41", ["000.00.31.H41", "000.00.33.H41"])

    moved = IdentifierCode.parse("000.01.12.H41")
    app.register_agency(code=DEPARTMENT, fields=fields())
    app.reorganise(
        ending=Ending.MOVED, sources=[town], targets=[moved], new_fields=[None], reason="", effective_on=TODAY
    )
    follower.catch_up()
    entry, path = resolve("000.00.31.H41", lambda code: (row.entry if (row := registry.get(code)) else None))
    assert path == ["000.00.31.H41", "000.00.33.H41", "000.01.12.H41"]
    assert registry.get("000.01.12.H41").name == "UBND thị xã AB"  # type: ignore[union-attr]


def test_split_locked_and_dissolved_codes_are_refused_with_the_reason(app: IdentifiersApp) -> None:
    registry_app = app
    registry = Registry(registry_app.engine)
    follower = LocalFollower(registry_app, registry, service="identifiers")
    source = IdentifierCode.parse("000.00.40.H41")
    registry_app.register_agency(code=source, fields=fields("Sở A", "SA"))
    registry_app.reorganise(
        ending=Ending.SPLIT,
        sources=[source],
        targets=[IdentifierCode.parse("000.00.41.H41"), IdentifierCode.parse("000.00.42.H41")],
        new_fields=[fields("Sở B", "SB"), fields("Sở C", "SC")],
        reason="chia tách",
        effective_on=TODAY,
    )
    registry_app.lock_agency(IdentifierCode.parse("000.00.41.H41"), "bảo trì")
    registry_app.dissolve_agency(IdentifierCode.parse("000.00.42.H41"), "giải thể", TODAY)
    follower.catch_up()

    def lookup(code: str):  # type: ignore[no-untyped-def]
        row = registry.get(code)
        return row.entry if row else None

    with pytest.raises(
        FailedPrecondition, match=re.escape("was split on 2026-11-24 into 000.00.41.H41, 000.00.42.H41")
    ):
        resolve("000.00.40.H41", lookup)
    with pytest.raises(FailedPrecondition, match="is locked and cannot receive documents: bảo trì"):
        resolve("000.00.41.H41", lookup)
    with pytest.raises(FailedPrecondition, match="was dissolved on 2026-11-24 and has no successor"):
        resolve("000.00.42.H41", lookup)
    with pytest.raises(NotFound, match="is not registered"):
        resolve("000.00.43.H41", lookup)


def test_importing_the_same_rows_twice_changes_nothing(app: IdentifiersApp) -> None:
    registry = Registry(app.engine)
    follower = LocalFollower(app, registry, service="identifiers")
    follower.catch_up()
    rows = [(DEPARTMENT, fields())] + [(DEPARTMENT.child(n), fields(f"Phòng {n}", f"P{n}")) for n in range(1, 21)]

    first = app.import_rows(rows, dry_run=False, current=registry.fields_of)
    follower.catch_up()
    assert [r.outcome for r in first] == ["created"] * 21
    position = app.recorder.max_notification_id()
    second = app.import_rows(rows, dry_run=False, current=registry.fields_of)
    assert [r.outcome for r in second] == ["unchanged"] * 21
    assert app.recorder.max_notification_id() == position

    renamed = [(DEPARTMENT, fields("Sở Khoa học, Công nghệ và Thông tin", "SKHCN"))]
    dry = app.import_rows(renamed, dry_run=True, current=registry.fields_of)
    assert [(r.outcome, r.changed_fields) for r in dry] == [("updated", ("name", "short_name"))]
    assert app.recorder.max_notification_id() == position


def test_each_replica_finds_an_agency_the_other_registered_and_changed(database_url: str) -> None:
    """Two identifiers processes on one database: whichever applies the events to the shared table, the
    other's in-memory copy (GetAgency, ResolveAgency) finds the new agency and its change."""
    replicas = [IdentifiersApp(store_environment("identifiers", database_url)) for _ in range(2)]
    registries = [Registry(app.engine) for app in replicas]
    followers = [LocalFollower(a, r, service="identifiers") for a, r in zip(replicas, registries, strict=True)]
    for follower in followers:
        follower.catch_up()
    assert registries[1].get(str(PROVINCE)) is None  # the in-memory copy is loaded now, before the writes

    replicas[0].register_agency(code=PROVINCE, fields=fields("Ủy ban nhân dân tỉnh Khánh Hòa", "UBND"))
    followers[0].catch_up()
    # before replica 1's next catch-up: a code its memory lacks is looked up in the shared table
    province = registries[1].get(str(PROVINCE))
    assert province is not None
    assert province.name == "Ủy ban nhân dân tỉnh Khánh Hòa"
    replicas[0].register_agency(code=DEPARTMENT, fields=fields())
    replicas[0].lock_agency(DEPARTMENT, "kiểm tra")
    followers[0].catch_up()  # replica 0 applied every event; replica 1 applied none
    followers[1].catch_up()

    row = registries[1].get(str(DEPARTMENT))
    assert row is not None
    assert (row.name, row.state, row.lock_reason) == ("Sở Thông tin và Truyền thông", "locked", "kiểm tra")
    assert registries[1].get(str(PROVINCE)) is not None
