"""Signed checkpoints of the event logs: SignCheckpoint, and `lienthong audit verify` catching edits by hand."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from lienthong.audit.checkpoints import issued_by, signer_of
from lienthong.errors import InvalidArgument
from lienthong.eventstore.chain import ChainSealer, Checkpoint, Checkpointer, verify_chain, verify_checkpoint
from lienthong.signing.adapters.inbound.api import SigningServicer
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.application.app import SigningApp
from lienthong.signing.domain.policy import FailedVerification
from lienthong.signing.v1 import signing_pb2 as pb

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class NoAgencies:
    async def name_of(self, code: str) -> str:
        return code


@pytest.fixture
def servicer(app: SigningApp, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> SigningServicer:
    return SigningServicer(app, ca, keys, NoAgencies(), timestamper=ca.timestamper)  # type: ignore[arg-type]


@pytest.fixture
def logged(app: SigningApp) -> list[FailedVerification]:
    """Five events in the signing service's own log, sealed into its chain."""
    failures = [FailedVerification(f"{n:064x}", "TOTAL-FAILED", "HASH_FAILURE", "000.00.12.H41") for n in range(5)]
    app.save(*failures)
    ChainSealer(app).seal()
    return failures


def checkpoint(app: SigningApp, servicer: SigningServicer) -> Checkpoint | None:
    signer = signer_of(lambda request: servicer.SignCheckpoint(request, None))
    return asyncio.run(Checkpointer(app, "signing", signer).checkpoint())


def test_the_signing_service_signs_a_checkpoint_with_a_certificate_its_ca_issued_for_that(
    app: SigningApp, servicer: SigningServicer, ca: DevCertificateAuthority, logged: list[FailedVerification]
) -> None:
    signed = checkpoint(app, servicer)

    assert signed is not None
    assert (signed.position, signed.events) == (5, 5)
    assert "CN=lienthong audit checkpoints" in _subject(signed.certificate)
    assert verify_checkpoint(app, "signing", issued_by(ca.issuing)).intact
    # A second checkpoint reuses the same certificate (one platform key), once the log has grown.
    app.save(FailedVerification("f" * 64, "TOTAL-FAILED", "HASH_FAILURE", ""))
    ChainSealer(app).seal()
    again = checkpoint(app, servicer)
    assert again is not None
    assert (again.position, again.certificate) == (6, signed.certificate)


def test_a_checkpoint_is_refused_unless_another_ca_s_certificate_signed_it(
    app: SigningApp, servicer: SigningServicer, tmp_path: Path, keys: EncryptedFileKeyStore, logged: object
) -> None:
    checkpoint(app, servicer)
    other = DevCertificateAuthority(tmp_path / "other-ca", keys)

    verdict = verify_checkpoint(app, "signing", issued_by(other.issuing))

    assert not verdict.intact
    assert "not one the platform's CA issued" in verdict.reason


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"position": 5, "events": 5, "head_hash": "ab" * 32}, "service, position and events"),
        ({"service": "documents", "position": 5, "events": 5, "head_hash": "AB" * 32}, "64 lowercase hexadecimal"),
        ({"service": "documents", "position": 0, "events": 5, "head_hash": "ab" * 32}, "both positive"),
    ],
)
def test_a_malformed_checkpoint_is_not_signed(
    servicer: SigningServicer, fields: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidArgument, match=reason):
        asyncio.run(servicer.SignCheckpoint(pb.SignCheckpointRequest(**fields), None))  # type: ignore[arg-type]


def audit_verify(app: SigningApp, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`lienthong audit verify` on the test's database, as an auditor runs it (a wide terminal: no wrapping)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIENTHONG_")}
    env |= {"LIENTHONG_DATABASE_URL": app.engine.url.render_as_string(hide_password=False), "COLUMNS": "400"}
    command = [
        str(Path(sys.executable).parent / "lienthong"),
        "audit",
        "verify",
        "--ca",
        str(tmp_path / "ca" / "issuing.pem"),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def edit(app: SigningApp, statement: str) -> None:
    with app.engine.begin() as connection:
        connection.execute(text(statement))


def reseal(app: SigningApp) -> None:
    """What someone editing events by hand would do next: recompute the chain table so that it matches."""
    edit(app, "DELETE FROM signing_chain")
    ChainSealer(app).seal()
    assert verify_chain(app).intact


def test_editing_one_event_row_by_hand_fails_audit_verify_naming_that_event(
    app: SigningApp, servicer: SigningServicer, tmp_path: Path, logged: list[FailedVerification]
) -> None:
    checkpoint(app, servicer)
    intact = audit_verify(app, tmp_path)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "1 signed checkpoints hold, the newest at 5" in intact.stdout
    forged = '\'{"indication": "TOTAL-PASSED"}\''
    edit(
        app,
        f"UPDATE signing_events SET state = CAST({forged} AS BLOB) WHERE id = 3"
        if app.engine.dialect.name == "sqlite"
        else f"UPDATE signing_events SET state = convert_to({forged}, 'UTF8') WHERE id = 3",
    )

    broken = audit_verify(app, tmp_path)

    assert broken.returncode == 1
    assert f"event 3 (aggregate {logged[2].id}, version 1) does not match its sealed hash" in broken.stdout
    # And when the chain table is recomputed to hide the edit, the signed checkpoint still catches it.
    reseal(app)
    hidden = audit_verify(app, tmp_path)
    assert hidden.returncode == 1
    assert "no longer hashes to it: an event was altered, replaced or reordered" in hidden.stdout


def test_deleting_an_event_row_fails_audit_verify_even_with_the_chain_recomputed(
    app: SigningApp, servicer: SigningServicer, tmp_path: Path, logged: list[FailedVerification]
) -> None:
    checkpoint(app, servicer)
    edit(app, "DELETE FROM signing_events WHERE id = 2")
    reseal(app)

    broken = audit_verify(app, tmp_path)

    assert broken.returncode == 1
    assert "holds 4 events, 5 were signed: events were deleted" in broken.stdout


def test_swapping_two_event_rows_content_fails_audit_verify_even_with_the_chain_recomputed(
    app: SigningApp, servicer: SigningServicer, tmp_path: Path, logged: list[FailedVerification]
) -> None:
    checkpoint(app, servicer)
    edit(
        app,
        "UPDATE signing_events SET state = other.state FROM signing_events AS other "
        "WHERE (signing_events.id = 2 AND other.id = 4) OR (signing_events.id = 4 AND other.id = 2)",
    )
    reseal(app)

    broken = audit_verify(app, tmp_path)

    assert broken.returncode == 1
    assert "no longer hashes to it" in broken.stdout


def _subject(pem: str) -> str:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem.encode()).subject.rfc4514_string()
