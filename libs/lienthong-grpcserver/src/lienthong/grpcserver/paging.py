"""Pages of list and search results: page_size and an opaque page_token, the same in every API."""

from __future__ import annotations

from dataclasses import dataclass

from lienthong.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    """Which results a request asks for."""

    size: int
    offset: int

    @classmethod
    def of(cls, page_size: int, page_token: str) -> Page:
        """The page a request names; INVALID_ARGUMENT for a size out of range or a token we did not give."""
        size = page_size or DEFAULT_PAGE_SIZE
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise InvalidArgument(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {size}")
        try:
            offset = int(page_token or "0")
        except ValueError:
            raise InvalidArgument(f"page_token {page_token!r} was not given by a previous page") from None
        if offset < 0:
            raise InvalidArgument(f"page_token {page_token!r} was not given by a previous page")
        return cls(size, offset)

    def next_token(self, more: bool) -> str:
        """The token of the following page, "" when this one is the last."""
        return str(self.offset + self.size) if more else ""
