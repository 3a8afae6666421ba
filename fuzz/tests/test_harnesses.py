"""Every harness stays importable and passes its seeds and a few hostile inputs (a smoke test, not fuzzing)."""

from __future__ import annotations

import importlib

import pytest

from fuzz.targets import HARNESSES

HOSTILE = (b"", b"\x00", b"\xff\xfe", b"<", b"\x01[", b"\x00code\n", b"." * 300, "ạ".encode() * 200)


@pytest.mark.parametrize("name", HARNESSES)
def test_the_harness_passes_its_seeds_and_hostile_inputs(name: str) -> None:
    harness = importlib.import_module(f"fuzz.{name}")
    seeds = harness.seeds()

    for data in (*seeds, *HOSTILE):
        harness.check(data)

    assert seeds, f"{name} has no seed corpus"


def test_a_harness_lets_through_what_is_not_the_documented_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = importlib.import_module("fuzz.identifier_codes")

    def broken(text: str) -> None:
        raise KeyError(text)

    monkeypatch.setattr(harness.IdentifierCode, "parse", broken)

    with pytest.raises(KeyError):
        harness.check(b"000.00.00.H41")
