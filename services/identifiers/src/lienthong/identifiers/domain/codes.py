"""Agency identifier codes (mã định danh) of QĐ 20/2020/QĐ-TTg: `NNN.NN.NN.XNN`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lienthong.errors import InvalidArgument

LEVEL1_LETTERS = {
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
# Width of each group, left to right: level 4, level 3, level 2, then level 1 (a letter and two digits).
_WIDTHS = (3, 2, 2)
_LEVEL1 = re.compile(r"^([A-Z])(\d{2})$")


class InvalidIdentifierCode(InvalidArgument):
    """A text that is not a well-formed identifier code; the message says exactly why."""


@dataclass(frozen=True, order=True)
class IdentifierCode:
    """A well-formed code. Level 1 is the rightmost group; each lower level fills the next group to the left.

    `groups` holds the numbers of levels 4, 3 and 2 (0 when unused) and `letter`/`number` level 1.
    Parsing strips surrounding spaces and accepts a lowercase letter, normalised to uppercase.
    """

    letter: str
    number: int
    groups: tuple[int, int, int]

    @classmethod
    def parse(cls, text: str) -> IdentifierCode:
        """The code written as `text`, or InvalidIdentifierCode with the reason."""
        raw = text
        text = text.strip()
        if len(text) != 13:
            raise InvalidIdentifierCode(
                f"identifier code {raw!r} has {len(text)} characters; it must have 13 (NNN.NN.NN.XNN)"
            )
        parts = text.split(".")
        if len(parts) != 4:
            raise InvalidIdentifierCode(
                f"identifier code {raw!r} must have four groups separated by dots (NNN.NN.NN.XNN)"
            )
        for part, width, level in zip(parts[:3], _WIDTHS, (4, 3, 2), strict=True):
            if len(part) != width or not part.isdigit() or not part.isascii():
                raise InvalidIdentifierCode(
                    f"identifier code {raw!r}: the level-{level} group {part!r} must be {width} digits"
                )
        match = _LEVEL1.match(parts[3].upper())
        if match is None:
            raise InvalidIdentifierCode(
                f"identifier code {raw!r}: the level-1 group {parts[3]!r} must be a letter and two digits"
            )
        letter, number = match.group(1), int(match.group(2))
        if letter not in LEVEL1_LETTERS:
            raise InvalidIdentifierCode(f"identifier code {raw!r}: unknown level-1 letter {letter!r} (A to K)")
        if number == 0:
            raise InvalidIdentifierCode(f"identifier code {raw!r}: the level-1 number must not be 00")
        groups = (int(parts[0]), int(parts[1]), int(parts[2]))
        # A lower level is only set under a set higher level: 000.01.00.H41 skips level 2.
        for lower, higher, level in ((groups[0], groups[1], 4), (groups[1], groups[2], 3)):
            if lower and not higher:
                raise InvalidIdentifierCode(
                    f"identifier code {raw!r}: level {level} is set while level {level - 1} above it is zero"
                )
        return cls(letter=letter, number=number, groups=groups)

    def __str__(self) -> str:
        return f"{self.groups[0]:03d}.{self.groups[1]:02d}.{self.groups[2]:02d}.{self.letter}{self.number:02d}"

    @property
    def level(self) -> int:
        """1 for a level-1 body (e.g. a province), up to 4."""
        return 1 + sum(1 for group in self.groups if group)

    @property
    def own_number(self) -> int:
        """The number this code was given by its parent (the lowest set group)."""
        if self.level == 1:
            return self.number
        return self.groups[4 - self.level]

    @property
    def level1_letter(self) -> str:
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
        """The code of this agency's child numbered `number` at the next level."""
        if self.level == 4:
            raise InvalidIdentifierCode(f"identifier code {self} is at level 4; it has no lower level")
        index = 3 - self.level  # the group the next level fills
        limit = 999 if index == 0 else 99
        if not 1 <= number <= limit:
            raise InvalidIdentifierCode(f"a level-{self.level + 1} number must be between 1 and {limit}, got {number}")
        groups = list(self.groups)
        groups[index] = number
        return IdentifierCode(self.letter, self.number, (groups[0], groups[1], groups[2]))

    def is_ancestor_of(self, other: IdentifierCode) -> bool:
        """Whether `other` lies below this code in the hierarchy."""
        parent = other.parent
        while parent is not None:
            if parent == self:
                return True
            parent = parent.parent
        return False
