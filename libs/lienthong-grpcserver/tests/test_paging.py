"""Paging requests: defaults, bounds and tokens."""

from __future__ import annotations

import pytest

from lienthong.errors import InvalidArgument
from lienthong.grpcserver.paging import Page


def test_an_empty_request_is_the_first_page_of_fifty() -> None:
    assert Page.of(0, "") == Page(50, 0)


def test_the_next_token_follows_on_and_is_empty_on_the_last_page() -> None:
    page = Page.of(20, "40")
    assert (page.next_token(True), page.next_token(False)) == ("60", "")


@pytest.mark.parametrize(
    ("size", "token", "reason"),
    [
        (501, "", "between 1 and 500"),
        (-1, "", "between 1"),
        (10, "abc", "not given by a previous page"),
        (10, "-5", "not given by a previous page"),
    ],
)
def test_out_of_range_sizes_and_foreign_tokens_are_refused(size: int, token: str, reason: str) -> None:
    with pytest.raises(InvalidArgument, match=reason):
        Page.of(size, token)
