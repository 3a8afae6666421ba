"""Resetting the relays makes each publish its whole log again; other saved positions are left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from lienthong.relay.positions import PositionTable
from lienthong.relay.republish import PUBLISHERS, reset_relays
from lienthong.relay.streams import StreamNames


def test_every_relay_goes_back_to_zero_and_says_where_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", url)
    names = StreamNames("drill")
    engine = create_engine(url)
    for number, service in enumerate(PUBLISHERS, start=1):
        positions = PositionTable(engine, prefix=service)
        positions.write(f"relay:{names.stream(service)}", 10 * number)
        positions.write("local", 7)  # a projection's own position, not the relay's
    previous = reset_relays(names)

    assert previous == {"identifiers": 10, "documents": 20, "signing": 30, "email": 40}
    for service in PUBLISHERS:
        positions = PositionTable(engine, prefix=service)
        assert positions.read(f"relay:{names.stream(service)}") == 0
        assert positions.read("local") == 7
    engine.dispose()
