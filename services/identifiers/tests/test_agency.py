"""Registering agencies: fields checked, parent first, one code once."""

from __future__ import annotations

import re

import pytest

from lienthong.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from lienthong.eventstore import store_environment
from lienthong.identifiers.application import IdentifiersApp
from lienthong.identifiers.domain.agency import Agency
from lienthong.identifiers.domain.codes import IdentifierCode

PROVINCE = IdentifierCode.parse("000.00.00.H41")
DEPARTMENT = IdentifierCode.parse("000.00.12.H41")


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
        Agency.register(code=DEPARTMENT, name="Sở TT&TT", short_name=short_name, email=email)


def test_an_agency_knows_its_parent_and_level() -> None:
    agency = Agency.register(code=DEPARTMENT, name="Sở TT&TT", short_name="STTTT", email="vt@khanhhoa.gov.vn")
    assert (agency.parent_code, agency.level) == ("000.00.00.H41", 2)


def test_the_parent_is_registered_first_and_a_code_only_once(database_url: str) -> None:
    app = IdentifiersApp(store_environment("identifiers", database_url))
    with pytest.raises(
        FailedPrecondition, match=re.escape("parent agency 000.00.00.H41 of 000.00.12.H41 is not registered")
    ):
        app.register_agency(code=DEPARTMENT, name="Sở TT&TT", short_name="STTTT", email="")
    app.register_agency(code=PROVINCE, name="UBND tỉnh", short_name="UBND", email="")
    app.register_agency(code=DEPARTMENT, name="Sở TT&TT", short_name="STTTT", email="")
    with pytest.raises(AlreadyExists, match=re.escape("000.00.12.H41 is already registered")):
        app.register_agency(code=DEPARTMENT, name="Other", short_name="X", email="")
