"""Two replicas of the signing application on one database: what one changes, the other sees at once,
although each keeps the aggregates it has read in its cache (read forward from the version it holds)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from lienthong.errors import FailedPrecondition
from lienthong.eventstore import store_environment
from lienthong.launcher.testing import fresh_database
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.application.app import SigningApp
from lienthong.signing.domain.certificate import CertificateState

AGENCY = "000.00.31.H41"


def test_each_replica_sees_the_others_signatures_and_revocation_at_once(
    tmp_path: Path, ca: DevCertificateAuthority
) -> None:
    with fresh_database(tmp_path / "signing.db") as url:
        first = SigningApp(store_environment("signing", url))
        second = SigningApp(store_environment("signing", url))
        seal = first.issue_seal(ca, AGENCY, "Sở Tài chính")
        at = datetime.now(UTC)
        first.record_signature(seal.serial, document=b"a", signed=b"a signed", reason="one", at=at)
        # Both replicas now hold the certificate in their caches.
        assert _signatures(second) == _signatures(first) == 1

        second.record_signature(seal.serial, document=b"b", signed=b"b signed", reason="two", at=at)
        # The first replica's cached copy is behind: it records on top of the second's, without a conflict.
        first.record_signature(seal.serial, document=b"c", signed=b"c signed", reason="three", at=at)
        assert _signatures(first) == _signatures(second) == 3

        second.change_certificate(seal.serial, lambda c: c.revoke(reason="key compromised", at=datetime.now(UTC)))
        seen = first.seal_of(AGENCY)
        assert seen is not None
        assert seen.state_at(datetime.now(UTC)) is CertificateState.REVOKED
        with pytest.raises(FailedPrecondition, match="revoked"):
            first.record_signature(seal.serial, document=b"d", signed=b"d", reason="four", at=datetime.now(UTC))


def _signatures(app: SigningApp) -> int:
    seal = app.seal_of(AGENCY)
    assert seal is not None
    return seal.signatures
