"""Agency identifier codes (mã định danh) of QĐ 20/2020/QĐ-TTg: `NNN.NN.NN.XNN`."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lienthong.errors import InvalidArgument

LEVEL1_LETTERS: Mapping[str, str] = MappingProxyType(
    {
        "A": "Party bodies",
        "B": "Office of the President",
        "C": "National Assembly",
        "D": "Supreme People's Court",
        "E": "Supreme People's Procuracy",
        "F": "State Audit",
        "G": "ministries and ministerial-level bodies",
        "H": "provinces and centrally-run cities",
        "I": "other central organisations",
        "J": "other central organisations",
        "K": "provincial People's Councils",
    }
)
"""What the level-1 letter (cấp 1) says about the body: G14 is a ministry, H41 a province."""

CODE_LENGTH = 13
# Width of each group, left to right: level 4, level 3, level 2, then level 1 (a letter and two digits).
_WIDTHS = (3, 2, 2)
_LEVELS = (4, 3, 2)
# ASCII only: `\d` and str.upper() would let Arabic-Indic digits or a dotless "ı" through as "I".
_DIGITS = re.compile(r"[0-9]+")
_LEVEL1 = re.compile(r"([A-Za-z])([0-9]{2})")


class InvalidIdentifierCode(InvalidArgument):
    """A text that is not a well-formed identifier code; the message says exactly why."""


def _broken_rule(letter: str, number: int, groups: tuple[int, int, int]) -> str | None:
    """The rule of QĐ 20/2020 that these parts break, or None when they make a valid code."""
    if letter not in LEVEL1_LETTERS:
        return f"unknown level-1 letter {letter!r} (A to K)"
    if number == 0:
        return "the level-1 number must not be 00"
    if not 1 <= number <= 99:
        return f"the level-1 number must be between 01 and 99, got {number}"
    for group, width, level in zip(groups, _WIDTHS, _LEVELS, strict=True):
        if not 0 <= group < 10**width:
            return f"the level-{level} number must be between 0 and {10**width - 1}, got {group}"
    # A lower level is only set under a set higher level: 000.01.00.H41 skips level 2.
    for lower, higher, level in ((groups[0], groups[1], 4), (groups[1], groups[2], 3)):
        if lower and not higher:
            return f"level {level} is set while level {level - 1} above it is zero"
    return None


@functools.total_ordering
@dataclass(frozen=True)
class IdentifierCode:
    """A well-formed identifier code (mã định danh điện tử) of an agency.

    Level 1 (cấp 1) is the rightmost group, a letter A–K and two digits; each lower level fills the next
    group to the left (level 2 the `NN` next to it, level 3 the next `NN`, level 4 the leading `NNN`);
    unused groups are zeros. `groups` holds the numbers of levels 4, 3 and 2 (0 when unused), `letter`
    and `number` level 1. Codes sort parent first, then its children in number order, each followed by
    its own subtree.
    """

    letter: str
    number: int
    groups: tuple[int, int, int]

    def __post_init__(self) -> None:
        reason = _broken_rule(self.letter, self.number, self.groups)
        if reason is not None:
            raise InvalidIdentifierCode(
                f"identifier code with letter {self.letter!r}, number {self.number} and groups {self.groups}: {reason}"
            )

    @classmethod
    def parse(cls, text: str) -> IdentifierCode:
        """The code written as `text`, or InvalidIdentifierCode saying which rule the text breaks.

        Surrounding whitespace is stripped and a lowercase level-1 letter is accepted, normalised to
        uppercase: `" 000.00.12.h41 "` is `000.00.12.H41`. Anything else must be exact: 13 characters,
        four groups separated by dots, digits only in the three left groups.
        """
        raw = text
        text = text.strip()
        if len(text) != CODE_LENGTH:
            raise InvalidIdentifierCode(
                f"identifier code {raw!r} has {len(text)} characters; it must have {CODE_LENGTH} (NNN.NN.NN.XNN)"
            )
        parts = text.split(".")
        if len(parts) != 4:
            raise InvalidIdentifierCode(
                f"identifier code {raw!r} must have four groups separated by dots (NNN.NN.NN.XNN)"
            )
        for part, width, level in zip(parts[:3], _WIDTHS, _LEVELS, strict=True):
            if len(part) != width or not _DIGITS.fullmatch(part):
                raise InvalidIdentifierCode(
                    f"identifier code {raw!r}: the level-{level} group {part!r} must be {width} digits"
                )
        match = _LEVEL1.fullmatch(parts[3])
        if match is None:
            raise InvalidIdentifierCode(
                f"identifier code {raw!r}: the level-1 group {parts[3]!r} must be a letter and two digits"
            )
        letter, number = match.group(1).upper(), int(match.group(2))
        groups = (int(parts[0]), int(parts[1]), int(parts[2]))
        reason = _broken_rule(letter, number, groups)
        if reason is not None:
            raise InvalidIdentifierCode(f"identifier code {raw!r}: {reason}")
        return cls(letter=letter, number=number, groups=groups)

    def __str__(self) -> str:
        return f"{self.groups[0]:03d}.{self.groups[1]:02d}.{self.groups[2]:02d}.{self.letter}{self.number:02d}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, IdentifierCode):
            return NotImplemented
        return self._sort_key < other._sort_key

    @property
    def _sort_key(self) -> tuple[str, int, int, int, int]:
        # Highest level first; an unused group (0) sorts before any child, so parents precede children.
        return (self.letter, self.number, self.groups[2], self.groups[1], self.groups[0])

    @property
    def level(self) -> int:
        """1 for a level-1 body (e.g. a province, H41), up to 4."""
        return 1 + sum(1 for group in self.groups if group)

    @property
    def own_number(self) -> int:
        """The number this code was given by its parent (the lowest set group); level 1's own number."""
        if self.level == 1:
            return self.number
        return self.groups[4 - self.level]

    @property
    def level1_letter(self) -> str:
        """The level-1 letter, a key of LEVEL1_LETTERS: "H" for a province's agencies, "G" for a ministry's."""
        return self.letter

    @property
    def parent(self) -> IdentifierCode | None:
        """The code of the level above (the lowest set group zeroed); None at level 1."""
        if self.level == 1:
            return None
        index = 4 - self.level  # position of the lowest set group in `groups`
        groups = list(self.groups)
        groups[index] = 0
        return IdentifierCode(self.letter, self.number, (groups[0], groups[1], groups[2]))

    def child(self, number: int) -> IdentifierCode:
        """The code of this agency's child numbered `number` at the next level.

        Levels 2 and 3 number from 1 to 99, level 4 from 1 to 999; a level-4 code has no children.
        """
        if self.level == 4:
            raise InvalidIdentifierCode(f"identifier code {self} is at level 4; it has no lower level")
        index = 3 - self.level  # the group the next level fills
        limit = 10 ** _WIDTHS[index] - 1
        if not 1 <= number <= limit:
            raise InvalidIdentifierCode(f"a level-{self.level + 1} number must be between 1 and {limit}, got {number}")
        groups = list(self.groups)
        groups[index] = number
        return IdentifierCode(self.letter, self.number, (groups[0], groups[1], groups[2]))

    def is_ancestor_of(self, other: IdentifierCode) -> bool:
        """Whether `other` lies strictly below this code in the hierarchy (a code is not its own ancestor)."""
        parent = other.parent
        while parent is not None:
            if parent == self:
                return True
            parent = parent.parent
        return False
