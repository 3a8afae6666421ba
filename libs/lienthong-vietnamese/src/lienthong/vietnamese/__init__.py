"""Vietnamese text without its diacritics: "Quyết Định" → "Quyet Dinh" for ASCII output, "quyet dinh" for search."""

from __future__ import annotations

import unicodedata


def without_diacritics(text: str) -> str:
    """The same text with its tone and vowel marks removed and Đ/đ written D/d; case is kept."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """The form search compares: without diacritics, lowercase, single-spaced."""
    return " ".join(without_diacritics(text).lower().split())
