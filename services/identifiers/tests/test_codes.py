"""Identifier codes of QĐ 20/2020: every malformed shape is refused with its reason; valid ones round-trip."""

from __future__ import annotations

import grpc
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lienthong.errors import InvalidArgument
from lienthong.identifiers.domain.codes import LEVEL1_LETTERS, IdentifierCode, InvalidIdentifierCode

LETTERS = "ABCDEFGHIJK"


@st.composite
def codes(draw: st.DrawFn) -> IdentifierCode:
    """Any valid code: a level-1 body, then 0 to 3 lower levels filled right to left."""
    code = IdentifierCode.parse(f"000.00.00.{draw(st.sampled_from(LETTERS))}{draw(st.integers(1, 99)):02d}")
    for _ in range(draw(st.integers(0, 3))):
        limit = 999 if code.level == 3 else 99
        code = code.child(draw(st.integers(1, limit)))
    return code


@st.composite
def code_texts(draw: st.DrawFn) -> str:
    """The canonical text of any valid code, built from the grammar rather than from IdentifierCode."""
    level = draw(st.integers(1, 4))
    level2 = draw(st.integers(1, 99)) if level >= 2 else 0
    level3 = draw(st.integers(1, 99)) if level >= 3 else 0
    level4 = draw(st.integers(1, 999)) if level >= 4 else 0
    letter = draw(st.sampled_from(LETTERS))
    return f"{level4:03d}.{level3:02d}.{level2:02d}.{letter}{draw(st.integers(1, 99)):02d}"


# --- refusals, one per rule, each with its reason ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "identifier code '' has 0 characters; it must have 13 (NNN.NN.NN.XNN)"),
        ("   ", "identifier code '   ' has 0 characters; it must have 13 (NNN.NN.NN.XNN)"),
        ("000.00.12.H4", "identifier code '000.00.12.H4' has 12 characters; it must have 13 (NNN.NN.NN.XNN)"),
        ("000.00.12.H411", "identifier code '000.00.12.H411' has 14 characters; it must have 13 (NNN.NN.NN.XNN)"),
        ("0000012H41", "identifier code '0000012H41' has 10 characters; it must have 13 (NNN.NN.NN.XNN)"),
    ],
)
def test_a_code_of_the_wrong_length_is_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse(text)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "text",
    [
        "000-00-12-H41",  # no dots at all
        "000.00-12.H41",  # a dot replaced
        "000.00.123H41",  # a dot missing, the length kept
        "000.00.12.H.1",  # an extra dot
        "0.0.00.12.H41",  # an extra dot
    ],
)
def test_a_code_without_exactly_three_dots_is_refused(text: str) -> None:
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse(text)
    assert caught.value.reason == f"identifier code {text!r} must have four groups separated by dots (NNN.NN.NN.XNN)"


def test_three_dots_in_the_wrong_places_leave_a_group_of_the_wrong_size() -> None:
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse("00000.12.H41.")
    assert caught.value.reason == "identifier code '00000.12.H41.': the level-4 group '00000' must be 3 digits"


@pytest.mark.parametrize(
    ("text", "level", "group", "width"),
    [
        ("0a0.00.12.H41", 4, "0a0", 3),
        ("000.0x.12.H41", 3, "0x", 2),
        ("000.00.1 .H41", 2, "1 ", 2),
        ("000.00.+1.H41", 2, "+1", 2),
        ("000.0.012.H41", 3, "0", 2),
        ("0000.0.12.H41", 4, "0000", 3),
        ("00.000.12.H41", 4, "00", 3),
        ("000.00.012.H4", 2, "012", 2),
        ("٠٠٠.00.12.H41", 4, "٠٠٠", 3),  # Arabic-Indic digits are digits to Python, not to the decision
    ],
)
def test_a_lower_group_that_is_not_its_width_in_digits_is_refused(
    text: str, level: int, group: str, width: int
) -> None:
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse(text)
    assert caught.value.reason == (
        f"identifier code {text!r}: the level-{level} group {group!r} must be {width} digits"
    )


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("000.00.12.441", "441"),
        ("000.00.12.4H1", "4H1"),
        ("000.00.12.H4A", "H4A"),
        ("000.00.12.HH1", "HH1"),
        ("000.00.12.H٤١", "H٤١"),  # non-ASCII digits
        ("000.00.12.ı41", "ı41"),  # dotless i, which str.upper() would turn into "I"
        ("000.00.12.Đ41", "Đ41"),
    ],
)
def test_a_level1_group_that_is_not_a_letter_and_two_digits_is_refused(text: str, group: str) -> None:
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse(text)
    assert caught.value.reason == (
        f"identifier code {text!r}: the level-1 group {group!r} must be a letter and two digits"
    )


@pytest.mark.parametrize("letter", [*"LMNOPQRSTUVWXYZ", "l", "z"])
def test_a_level1_letter_past_k_is_refused(letter: str) -> None:
    text = f"000.00.12.{letter}41"
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse(text)
    assert caught.value.reason == f"identifier code {text!r}: unknown level-1 letter {letter.upper()!r} (A to K)"


def test_level1_number_00_is_refused() -> None:
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse("000.00.00.H00")
    assert caught.value.reason == "identifier code '000.00.00.H00': the level-1 number must not be 00"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("000.01.00.H41", 3),  # level 3 set under an empty level 2
        ("001.00.12.H41", 4),  # level 4 set under an empty level 3
        ("001.00.00.H41", 4),
        ("001.01.00.H41", 3),
    ],
)
def test_a_lower_level_set_under_an_empty_higher_one_is_refused(text: str, level: int) -> None:
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse(text)
    assert caught.value.reason == (
        f"identifier code {text!r}: level {level} is set while level {level - 1} above it is zero"
    )


def test_the_reason_quotes_the_text_as_given_before_stripping() -> None:
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse(" 000.00.12.L41\n")
    assert caught.value.reason == "identifier code ' 000.00.12.L41\\n': unknown level-1 letter 'L' (A to K)"


def test_an_invalid_code_is_an_invalid_argument_for_the_grpc_layer() -> None:
    with pytest.raises(InvalidArgument) as caught:
        IdentifierCode.parse("nonsense")
    assert isinstance(caught.value, InvalidIdentifierCode)
    assert caught.value.status == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    ("letter", "number", "groups", "reason"),
    [
        ("L", 41, (0, 0, 12), "unknown level-1 letter 'L'"),
        ("h", 41, (0, 0, 12), "unknown level-1 letter 'h'"),
        ("H", 0, (0, 0, 12), "the level-1 number must not be 00"),
        ("H", 100, (0, 0, 12), "the level-1 number must be between 01 and 99, got 100"),
        ("H", 41, (0, 0, 100), "the level-2 number must be between 0 and 99, got 100"),
        ("H", 41, (1000, 1, 12), "the level-4 number must be between 0 and 999, got 1000"),
        ("H", 41, (0, -1, 12), "the level-3 number must be between 0 and 99, got -1"),
        ("H", 41, (0, 1, 0), "level 3 is set while level 2 above it is zero"),
    ],
)
def test_a_code_cannot_be_built_from_parts_that_break_a_rule(
    letter: str, number: int, groups: tuple[int, int, int], reason: str
) -> None:
    with pytest.raises(InvalidIdentifierCode, match=reason):
        IdentifierCode(letter, number, groups)


# --- what a valid code says --------------------------------------------------------------------------------


def test_spaces_and_a_lowercase_letter_are_normalised() -> None:
    assert str(IdentifierCode.parse("  000.00.12.h41 ")) == "000.00.12.H41"
    assert IdentifierCode.parse("\t000.00.12.h41\n") == IdentifierCode.parse("000.00.12.H41")


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


def test_a_level4_code_has_all_four_groups_and_its_parent_drops_the_leftmost() -> None:
    code = IdentifierCode.parse("120.03.12.H41")
    assert code.level == 4
    assert str(code.parent) == "000.03.12.H41"
    assert code.own_number == 120


def test_the_own_number_is_the_lowest_set_group() -> None:
    assert IdentifierCode.parse("000.00.00.H41").own_number == 41
    assert IdentifierCode.parse("000.00.12.H41").own_number == 12
    assert IdentifierCode.parse("000.07.12.H41").own_number == 7


def test_the_level1_letters_are_a_to_k_with_their_meanings() -> None:
    assert "".join(sorted(LEVEL1_LETTERS)) == LETTERS
    assert LEVEL1_LETTERS["A"] == "Party bodies"
    assert LEVEL1_LETTERS["B"] == "Office of the President"
    assert LEVEL1_LETTERS["C"] == "National Assembly"
    assert LEVEL1_LETTERS["D"] == "Supreme People's Court"
    assert LEVEL1_LETTERS["E"] == "Supreme People's Procuracy"
    assert LEVEL1_LETTERS["F"] == "State Audit"
    assert LEVEL1_LETTERS["G"].startswith("ministries")
    assert LEVEL1_LETTERS["H"] == "provinces and centrally-run cities"
    assert LEVEL1_LETTERS["I"] == LEVEL1_LETTERS["J"] == "other central organisations"
    assert LEVEL1_LETTERS["K"] == "provincial People's Councils"


def test_the_level1_letters_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        LEVEL1_LETTERS["L"] = "something new"  # type: ignore[index]


def test_a_code_is_immutable_and_hashable() -> None:
    code = IdentifierCode.parse("000.00.12.H41")
    with pytest.raises(AttributeError):
        code.letter = "G"  # type: ignore[misc]
    assert len({code, IdentifierCode.parse("000.00.12.h41"), IdentifierCode.parse("000.00.13.H41")}) == 2


# --- children ----------------------------------------------------------------------------------------------


def test_children_fill_the_next_group_to_the_left() -> None:
    province = IdentifierCode.parse("000.00.00.H41")
    assert str(province.child(12)) == "000.00.12.H41"
    assert str(province.child(12).child(3)) == "000.03.12.H41"
    assert str(province.child(12).child(3).child(120)) == "120.03.12.H41"


@pytest.mark.parametrize(
    ("parent", "number", "reason"),
    [
        ("000.00.00.H41", 0, "a level-2 number must be between 1 and 99, got 0"),
        ("000.00.00.H41", 100, "a level-2 number must be between 1 and 99, got 100"),
        ("000.00.12.H41", 0, "a level-3 number must be between 1 and 99, got 0"),
        ("000.00.12.H41", 100, "a level-3 number must be between 1 and 99, got 100"),
        ("000.03.12.H41", 0, "a level-4 number must be between 1 and 999, got 0"),
        ("000.03.12.H41", 1000, "a level-4 number must be between 1 and 999, got 1000"),
        ("000.03.12.H41", -5, "a level-4 number must be between 1 and 999, got -5"),
    ],
)
def test_a_child_number_out_of_its_range_is_refused(parent: str, number: int, reason: str) -> None:
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse(parent).child(number)
    assert caught.value.reason == reason


@pytest.mark.parametrize(("parent", "limit"), [("000.00.00.H41", 99), ("000.00.12.H41", 99), ("000.03.12.H41", 999)])
def test_the_first_and_last_child_numbers_are_allowed(parent: str, limit: int) -> None:
    code = IdentifierCode.parse(parent)
    assert code.child(1).own_number == 1
    assert code.child(limit).own_number == limit


def test_a_level4_code_has_no_children() -> None:
    with pytest.raises(InvalidIdentifierCode) as caught:
        IdentifierCode.parse("001.01.12.H41").child(1)
    assert caught.value.reason == "identifier code 001.01.12.H41 is at level 4; it has no lower level"


# --- ancestry and order -------------------------------------------------------------------------------------


def test_no_code_is_its_own_ancestor() -> None:
    code = IdentifierCode.parse("000.01.12.H41")
    assert not code.is_ancestor_of(code)


def test_siblings_cousins_and_other_provinces_are_not_ancestors() -> None:
    department = IdentifierCode.parse("000.00.12.H41")
    assert not department.is_ancestor_of(IdentifierCode.parse("000.00.13.H41"))
    assert not department.is_ancestor_of(IdentifierCode.parse("000.01.13.H41"))
    assert not department.is_ancestor_of(IdentifierCode.parse("000.01.12.H42"))
    assert not department.is_ancestor_of(IdentifierCode.parse("000.01.12.G41"))


def test_codes_sort_each_parent_before_its_subtree() -> None:
    texts = ["000.00.13.H41", "001.01.12.H41", "000.00.00.H41", "000.02.12.H41", "000.01.12.H41", "000.00.12.H41"]
    assert [str(c) for c in sorted(IdentifierCode.parse(t) for t in texts)] == [
        "000.00.00.H41",
        "000.00.12.H41",
        "000.01.12.H41",
        "001.01.12.H41",
        "000.02.12.H41",
        "000.00.13.H41",
    ]


# --- properties over every valid code -----------------------------------------------------------------------


@given(codes())
def test_formatting_then_parsing_gives_the_same_code(code: IdentifierCode) -> None:
    assert IdentifierCode.parse(str(code)) == code
    assert len(str(code)) == 13


@given(code_texts())
def test_parsing_then_formatting_gives_the_same_text(text: str) -> None:
    assert str(IdentifierCode.parse(text)) == text


@given(code_texts(), st.text(" \t\n", max_size=3), st.text(" \t\n", max_size=3), st.booleans())
def test_surrounding_whitespace_and_letter_case_do_not_change_the_code(
    text: str, before: str, after: str, lower: bool
) -> None:
    variant = before + (text.lower() if lower else text) + after
    assert IdentifierCode.parse(variant) == IdentifierCode.parse(text)


@given(code_texts())
def test_the_level_counts_the_set_groups_and_the_letter_is_the_level1_one(text: str) -> None:
    code = IdentifierCode.parse(text)
    assert code.level == 1 + sum(1 for group in text.split(".")[:3] if int(group))
    assert code.level1_letter == text[10]
    assert code.level1_letter in LEVEL1_LETTERS


@given(codes())
def test_the_parent_is_one_level_up_with_the_lowest_group_zeroed(code: IdentifierCode) -> None:
    parent = code.parent
    if code.level == 1:
        assert parent is None
        return
    assert parent is not None
    assert parent.level == code.level - 1
    assert parent.child(code.own_number) == code
    assert parent.level1_letter == code.level1_letter
    changed = [i for i, (a, b) in enumerate(zip(str(code), str(parent), strict=True)) if a != b]
    assert changed, "the parent differs from its child"
    assert all(str(parent)[i] == "0" for i in changed)


@given(codes(), st.data())
def test_a_child_is_one_level_down_and_its_parent_is_the_code(code: IdentifierCode, data: st.DataObject) -> None:
    assume(code.level < 4)
    number = data.draw(st.integers(1, 999 if code.level == 3 else 99))
    child = code.child(number)
    assert child.level == code.level + 1
    assert child.parent == code
    assert child.own_number == number
    assert code.is_ancestor_of(child)


@given(codes())
def test_every_ancestor_is_one_level_up_the_parent_chain(code: IdentifierCode) -> None:
    ancestors = []
    parent = code.parent
    while parent is not None:
        ancestors.append(parent)
        parent = parent.parent
    assert [a.level for a in ancestors] == list(range(code.level - 1, 0, -1))
    assert all(a.is_ancestor_of(code) for a in ancestors)


@given(codes(), codes())
def test_ancestry_is_the_parent_chain_and_never_both_ways(a: IdentifierCode, b: IdentifierCode) -> None:
    chain = []
    parent = b.parent
    while parent is not None:
        chain.append(parent)
        parent = parent.parent
    assert a.is_ancestor_of(b) == (a in chain)
    assert not (a.is_ancestor_of(b) and b.is_ancestor_of(a))
    if a.is_ancestor_of(b):
        assert a.level < b.level
        assert a < b


@given(st.lists(codes(), min_size=2, max_size=12, unique=True))
def test_sorted_codes_keep_each_subtree_together(items: list[IdentifierCode]) -> None:
    ordered = sorted(items)
    for i, first in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            if first.is_ancestor_of(ordered[j]):
                # everything between an ancestor and its descendant lies in the ancestor's subtree
                assert all(first.is_ancestor_of(between) for between in ordered[i + 1 : j])


@given(st.text(alphabet="0123456789.ABHKLZahz٤ı -\t", min_size=0, max_size=16) | st.text(max_size=16))
def test_any_text_either_parses_to_its_canonical_form_or_is_refused(text: str) -> None:
    outcome = _parse_or_reason(text)
    if isinstance(outcome, IdentifierCode):
        assert str(outcome) == text.strip().upper()
    else:
        assert repr(text) in outcome


def _parse_or_reason(text: str) -> IdentifierCode | str:
    """The parsed code, or the reason it was refused; any other exception escapes and fails the test."""
    try:
        return IdentifierCode.parse(text)
    except InvalidIdentifierCode as error:
        return error.reason


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
