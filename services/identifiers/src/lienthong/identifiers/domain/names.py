"""Agency names folded for search: "Sở Nội vụ", "SO NOI VU" and "so noi vu" are found by the same words."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lowercase, without Vietnamese diacritics (đ → d), single-spaced."""
    text = text.replace("Đ", "D").replace("đ", "d")
    plain = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(plain.lower().split())
