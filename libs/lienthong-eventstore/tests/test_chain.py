"""Tamper evidence: altering, deleting or reordering stored events in the database is detected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from eventsourcing.domain import Aggregate, event
from sqlalchemy import text

from lienthong.eventstore import StoredApplication, store_environment
from lienthong.eventstore.chain import ChainSealer, Checkpointer, checkpoint_message, verify_chain, verify_checkpoint


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


# Signed checkpoints: an editor of the database who also recomputes the chain table is still caught.


class PlatformKey:
    """Stands for the signing service: an ECDSA key, and a check that a signature is by it."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.signed: list[tuple[str, int, int, str]] = []

    async def sign(self, service: str, position: int, events: int, head: str) -> tuple[datetime, bytes, str]:
        self.signed.append((service, position, events, head))
        signed_at = datetime.now(UTC).replace(microsecond=0)
        message = checkpoint_message(service, position, events, head, signed_at)
        return signed_at, self.key.sign(message, ec.ECDSA(hashes.SHA256())), "certificate of the test key"

    def check(self, message: bytes, signature: bytes, certificate: str) -> None:
        try:
            self.key.public_key().verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise ValueError("not signed by the platform key") from None


@pytest.fixture
def signer(app: Ledgers) -> PlatformKey:
    signer = PlatformKey()
    assert asyncio.run(Checkpointer(app, "ledgers", signer.sign).checkpoint()) is not None
    return signer


def reseal(app: Ledgers) -> None:
    """What someone who edits events would do next: recompute the chain table so that it matches again."""
    execute(app, "DELETE FROM ledgers_chain")
    ChainSealer(app).seal()
    assert verify_chain(app).intact


def test_a_checkpoint_signs_the_head_of_the_log_and_verifies(app: Ledgers, signer: PlatformKey) -> None:
    assert [(position, events) for _, position, events, _ in signer.signed] == [(8, 8)]
    verdict = verify_checkpoint(app, "ledgers", signer.check)
    assert verdict.intact, verdict.reason
    assert asyncio.run(Checkpointer(app, "ledgers", signer.sign).checkpoint()) is None  # nothing new to sign


def test_a_deleted_event_is_reported_even_when_the_chain_was_recomputed(app: Ledgers, signer: PlatformKey) -> None:
    execute(app, "DELETE FROM ledgers_events WHERE id = 5")
    reseal(app)

    verdict = verify_checkpoint(app, "ledgers", signer.check)

    assert not verdict.intact
    assert "holds 7 events, 8 were signed: events were deleted" in verdict.reason


def test_two_events_swapped_are_reported_even_when_the_chain_was_recomputed(app: Ledgers, signer: PlatformKey) -> None:
    # Swap what events 2 and 3 say ("a0" and "a1" of the same ledger): its own history still reads in order.
    execute(
        app,
        "UPDATE ledgers_events SET state = other.state FROM ledgers_events AS other "
        "WHERE (ledgers_events.id = 2 AND other.id = 3) OR (ledgers_events.id = 3 AND other.id = 2)",
    )
    reseal(app)

    verdict = verify_checkpoint(app, "ledgers", signer.check)

    assert not verdict.intact
    assert "no longer hashes to it" in verdict.reason


def test_the_newest_events_removed_with_their_links_are_reported(app: Ledgers, signer: PlatformKey) -> None:
    execute(app, "DELETE FROM ledgers_events WHERE id > 6")
    execute(app, "DELETE FROM ledgers_chain WHERE position > 6")
    assert verify_chain(app).intact  # the chain alone cannot tell

    verdict = verify_checkpoint(app, "ledgers", signer.check)

    assert "holds 6 events, 8 were signed" in verdict.reason


def test_a_checkpoint_signed_by_another_key_is_refused(app: Ledgers, signer: PlatformKey) -> None:
    forger = PlatformKey()
    execute(app, "DELETE FROM ledgers_checkpoints")
    asyncio.run(Checkpointer(app, "ledgers", forger.sign).checkpoint())

    verdict = verify_checkpoint(app, "ledgers", signer.check)

    assert (verdict.intact, verdict.reason) == (
        False,
        "checkpoint at 8: bad signature (not signed by the platform key)",
    )


def test_every_checkpoint_is_checked_and_the_first_failing_one_bounds_the_change(
    app: Ledgers, signer: PlatformKey
) -> None:
    ledger = Ledger("c")
    ledger.note("c0")
    app.save(ledger)
    ChainSealer(app).seal()
    assert asyncio.run(Checkpointer(app, "ledgers", signer.sign).checkpoint()) is not None  # at 10
    assert verify_checkpoint(app, "ledgers", signer.check).reason == "2 signed checkpoints hold, the newest at 10"
    execute(app, "DELETE FROM ledgers_events WHERE id = 9")
    reseal(app)

    verdict = verify_checkpoint(app, "ledgers", signer.check)

    assert verdict.reason == (
        "the log between positions 8 and 10 (signed checkpoint) holds 9 events, 10 were signed: events were deleted"
    )
