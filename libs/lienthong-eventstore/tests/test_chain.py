"""Tamper evidence: altering, deleting or reordering stored events in the database is detected."""

from __future__ import annotations

import pytest
from eventsourcing.domain import Aggregate, event
from sqlalchemy import text

from lienthong.eventstore import StoredApplication, store_environment
from lienthong.eventstore.chain import ChainSealer, verify_chain


class Ledger(Aggregate):
    @event("Opened")
    def __init__(self, owner: str) -> None:
        self.owner = owner

    @event("Noted")
    def note(self, line: str) -> None:
        self.last = line


class Ledgers(StoredApplication):
    name = "Ledgers"


@pytest.fixture
def app(database_url: str) -> Ledgers:
    ledgers = Ledgers(store_environment("ledgers", database_url))
    for owner in ("a", "b"):
        ledger = Ledger(owner)
        for n in range(3):
            ledger.note(f"{owner}{n}")
        ledgers.save(ledger)
    assert ChainSealer(ledgers).seal() == 8
    return ledgers


def execute(app: Ledgers, statement: str) -> None:
    with app.engine.begin() as connection:
        connection.execute(text(statement))


def test_an_untouched_log_verifies(app: Ledgers) -> None:
    verdict = verify_chain(app)
    assert (verdict.intact, verdict.checked) == (True, 8)


def test_sealing_again_adds_only_new_events(app: Ledgers) -> None:
    ledger = Ledger("c")
    app.save(ledger)
    assert ChainSealer(app).seal() == 1
    assert verify_chain(app).checked == 9


def test_an_altered_event_is_the_first_broken_link(app: Ledgers) -> None:
    execute(
        app,
        'UPDATE ledgers_events SET state = CAST(\'{"line": "forged"}\' AS BLOB) WHERE id = 3'
        if app.engine.dialect.name == "sqlite"
        else "UPDATE ledgers_events SET state = convert_to('{\"line\": \"forged\"}', 'UTF8') WHERE id = 3",
    )
    verdict = verify_chain(app)
    assert (verdict.broken_at, verdict.checked) == (3, 2)
    assert "altered or moved" in verdict.reason


def test_a_deleted_event_is_reported(app: Ledgers) -> None:
    execute(app, "DELETE FROM ledgers_events WHERE id = 5")
    verdict = verify_chain(app)
    assert verdict.broken_at == 5
    assert "no longer stored" in verdict.reason


def test_an_event_overwritten_with_another_s_content_is_detected(app: Ledgers) -> None:
    execute(app, "UPDATE ledgers_events SET state = (SELECT state FROM ledgers_events WHERE id = 7) WHERE id = 6")
    assert verify_chain(app).broken_at == 6
