"""Identifier codes of QĐ 20/2020: every malformed shape is refused with its reason; valid ones round-trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.identifiers.domain.codes import LEVEL1_LETTERS, IdentifierCode, InvalidIdentifierCode


@st.composite
def codes(draw: st.DrawFn) -> IdentifierCode:
    """Any valid code: a level-1 body, then 0 to 3 lower levels filled right to left."""
    code = IdentifierCode.parse(
        f"000.00.00.{draw(st.sampled_from(sorted(LEVEL1_LETTERS)))}{draw(st.integers(1, 99)):02d}"
    )
    for _ in range(draw(st.integers(0, 3))):
        limit = 999 if code.level == 3 else 99
        code = code.child(draw(st.integers(1, limit)))
    return code


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("000.00.12.H4", "has 12 characters; it must have 13"),
        ("000.00.12.H411", "has 14 characters"),
        ("000-00-12-H41", "four groups separated by dots"),
        ("000.0.012.H41", "the level-3 group '0' must be 2 digits"),
        ("0a0.00.12.H41", "the level-4 group '0a0' must be 3 digits"),
        ("000.00.12.441", "the level-1 group '441' must be a letter and two digits"),
        ("000.00.12.L41", "unknown level-1 letter 'L'"),
        ("000.00.12.H00", "the level-1 number must not be 00"),
        ("000.01.00.H41", "level 3 is set while level 2 above it is zero"),
        ("001.00.12.H41", "level 4 is set while level 3 above it is zero"),
    ],
)
def test_a_malformed_code_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifierCode, match=reason) as caught:
        IdentifierCode.parse(text)
    assert text in caught.value.reason


def test_the_examples_of_the_domain_parse_to_their_levels_and_parents() -> None:
    province = IdentifierCode.parse("000.00.00.H41")
    department = IdentifierCode.parse("000.00.12.H41")
    unit = IdentifierCode.parse("000.01.12.H41")
    assert [c.level for c in (province, department, unit)] == [1, 2, 3]
    assert unit.parent == department
    assert department.parent == province
    assert province.parent is None
    assert province.is_ancestor_of(unit)
    assert not unit.is_ancestor_of(province)
    assert IdentifierCode.parse("000.00.04.G14").level1_letter == "G"


def test_spaces_and_a_lowercase_letter_are_normalised() -> None:
    assert str(IdentifierCode.parse("  000.00.12.h41 ")) == "000.00.12.H41"


def test_children_are_numbered_within_their_level() -> None:
    department = IdentifierCode.parse("000.00.12.H41")
    assert str(department.child(3)) == "000.03.12.H41"
    assert str(department.child(3).child(120)) == "120.03.12.H41"
    with pytest.raises(InvalidIdentifierCode, match="between 1 and 99"):
        department.child(100)
    with pytest.raises(InvalidIdentifierCode, match="no lower level"):
        IdentifierCode.parse("001.01.12.H41").child(1)


@given(codes())
def test_formatting_then_parsing_gives_the_same_code(code: IdentifierCode) -> None:
    assert IdentifierCode.parse(str(code)) == code
    assert len(str(code)) == 13


@given(codes())
def test_every_ancestor_is_one_level_up_the_parent_chain(code: IdentifierCode) -> None:
    ancestors = []
    parent = code.parent
    while parent is not None:
        ancestors.append(parent)
        parent = parent.parent
    assert [a.level for a in ancestors] == list(range(code.level - 1, 0, -1))
    assert all(a.is_ancestor_of(code) for a in ancestors)


MUTATIONS = [
    "drop a character",
    "add a character",
    "dot to dash",
    "letter in a digit group",
    "unknown letter",
    "level-1 number 00",
    "skip a level",
]


@given(codes(), st.sampled_from(MUTATIONS), st.data())
def test_every_mutation_that_breaks_a_rule_is_refused_with_its_reason(
    code: IdentifierCode, mutation: str, data: st.DataObject
) -> None:
    text = str(code)
    groups = text.split(".")
    if mutation == "drop a character":
        position = data.draw(st.integers(0, 12))
        broken, reason = text[:position] + text[position + 1 :], "has 12 characters"
    elif mutation == "add a character":
        position = data.draw(st.integers(0, 13))
        broken, reason = text[:position] + "0" + text[position:], "has 14 characters"
    elif mutation == "dot to dash":
        dot = data.draw(st.sampled_from([3, 6, 9]))
        broken, reason = text[:dot] + "-" + text[dot + 1 :], "four groups separated by dots"
    elif mutation == "letter in a digit group":
        index = data.draw(st.integers(0, 2))
        groups[index] = "X" + groups[index][1:]
        broken, reason = ".".join(groups), f"level-{4 - index} group"
    elif mutation == "unknown letter":
        groups[3] = data.draw(st.sampled_from("LMNOPQRSTUVWXYZ")) + groups[3][1:]
        broken, reason = ".".join(groups), "unknown level-1 letter"
    elif mutation == "level-1 number 00":
        groups[3] = groups[3][0] + "00"
        broken, reason = ".".join(groups), "level-1 number must not be 00"
    else:  # a lower level set while the level above it is zero
        groups[0], groups[1], groups[2] = "001", "00", data.draw(st.sampled_from(["00", "05"]))
        broken, reason = ".".join(groups), "is set while level"
    with pytest.raises(InvalidIdentifierCode, match=reason):
        IdentifierCode.parse(broken)
