"""Fixtures of the signing tests: a key store and a development CA in the test's own directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pytest

from lienthong.documents.adapters.outbound.rendering import render_document_pdf
from lienthong.eventstore import store_environment
from lienthong.launcher.testing import fresh_database
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority, IssuedCertificate
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore, KeyStore
from lienthong.signing.adapters.outbound.pades import Level, TrustData, sign_pdf
from lienthong.signing.adapters.outbound.pkcs11store import Pkcs11KeyStore
from lienthong.signing.application.app import SigningApp

# How far back `old_ca` was created: room for certificates issued, used and expired in the past.
CA_AGE = timedelta(days=5 * 365)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SigningApp]:
    """The signing application on a fresh database: PostgreSQL when LIENTHONG_TEST_DATABASE_URL is set."""
    with fresh_database(tmp_path / "signing.db") as url:
        yield SigningApp(store_environment("signing", url))


@pytest.fixture
def offline() -> list[str]:
    """A command prefix that cuts the network: a fresh network namespace with no interfaces but loopback
    down. Fails (never skips) where namespaces are unavailable, since the claim "offline" is then unproven."""
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed to run the validator without a network"
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, check=False)
    assert probe.returncode == 0, f"cannot create a network namespace: {probe.stderr.decode()}"
    return [unshare, "-n"]


@pytest.fixture
def pyhanko_cli() -> Path:
    """pyHanko's own command-line tool, of this environment."""
    return Path(sys.executable).with_name("pyhanko")


@pytest.fixture
def keys(tmp_path: Path) -> EncryptedFileKeyStore:
    return EncryptedFileKeyStore(tmp_path / "keys", b"test passphrase")


@pytest.fixture
def ca(tmp_path: Path, keys: EncryptedFileKeyStore) -> DevCertificateAuthority:
    return DevCertificateAuthority(tmp_path / "ca", keys)


@pytest.fixture
def old_ca(tmp_path: Path, keys: EncryptedFileKeyStore) -> DevCertificateAuthority:
    """A CA (and its TSA) created five years ago, so that the clock of a test can be set in the past."""
    return DevCertificateAuthority(tmp_path / "old-ca", keys, created_at=datetime.now(UTC) - CA_AGE)


@pytest.fixture
def report_pdf() -> bytes:
    return render_document_pdf(
        agency_name="Sở Thông tin và Truyền thông",
        code="01/BC-STTTT",
        issued_on=date(2026, 11, 24),
        type_name="Báo cáo",
        subject="Báo cáo tình hình ứng dụng công nghệ thông tin",
    )


NetworkCalls = Callable[[], AbstractContextManager[list[str]]]


@contextmanager
def _network_calls() -> Iterator[list[str]]:
    """Records name lookups and connections made inside the block, via the interpreter's audit events
    (an observer, not a mock: nothing is replaced). Audit hooks cannot be removed, so this one goes idle."""
    calls: list[str] = []
    recording = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if recording[0] and event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.connect"):
            calls.append(f"{event}{args[:2]}")

    sys.addaudithook(hook)
    try:
        yield calls
    finally:
        recording[0] = False


@pytest.fixture
def network_calls() -> NetworkCalls:
    """`with network_calls() as calls:` lists the network calls made inside the block."""
    return _network_calls


class Sign(Protocol):
    def __call__(
        self,
        ca: DevCertificateAuthority,
        keys: KeyStore,
        issued: IssuedCertificate,
        *,
        level: Level = Level.B_LT,
        at: datetime | None = None,
        pdf: bytes | None = None,
    ) -> bytes: ...


@pytest.fixture
def sign(report_pdf: bytes) -> Sign:
    """Signs `pdf` (default `report_pdf`) with `issued`'s key at `level`, as if at `at` (the claimed signing
    time and the TSA's clock), embedding the CA's current CRLs for B-LT."""

    def sign(
        ca: DevCertificateAuthority,
        keys: KeyStore,
        issued: IssuedCertificate,
        *,
        level: Level = Level.B_LT,
        at: datetime | None = None,
        pdf: bytes | None = None,
    ) -> bytes:
        signed, _ = sign_pdf(
            pdf or report_pdf,
            signer=keys.signer(issued.serial, issued.certificate, ca.chain),
            certificate=issued.certificate,
            reason="Ban hành",
            level=level,
            timestamper=ca.timestamper(at=at),
            trust=TrustData([ca.root], ca.crls()),
            signing_time=at,
        )
        return signed

    return sign


# SoftHSM2 (a PKCS#11 token in software) for the key-store tests. Missing, it is a failure with
# instructions, never a skip: `make setup` installs it (Debian package softhsm2).
# Where Debian, Fedora and Homebrew put the module.
SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)


@dataclass(frozen=True)
class SoftHsm:
    """An initialised SoftHSM2 token: the module to load, the token's label and its user PIN."""

    module: str
    label: str
    pin: str


@pytest.fixture
def softhsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsm:
    """A fresh SoftHSM2 token in this test's own directory (SOFTHSM2_CONF points at it)."""
    found = [module for module in SOFTHSM_MODULES if Path(module).exists()]
    if not found or not shutil.which("softhsm2-util"):
        pytest.fail(
            "SoftHSM2 is not installed: run `make setup` (it installs the Debian package softhsm2 with "
            "apt-get), or install softhsm2 with your package manager"
        )
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    token = SoftHsm(found[0], "lienthong-test", "246810")
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", token.label, "--so-pin", "13579", "--pin", token.pin],
        check=True,
        capture_output=True,
    )
    return token


@pytest.fixture
def token(softhsm: SoftHsm) -> Iterator[Pkcs11KeyStore]:
    """The SoftHSM2 token opened as a key store."""
    store = Pkcs11KeyStore(softhsm.module, softhsm.label, softhsm.pin)
    yield store
    store.close()


@pytest.fixture(params=["file", "softhsm2"])
def holder_keys(request: pytest.FixtureRequest, keys: EncryptedFileKeyStore) -> KeyStore:
    """Where the keys of the certificates the CA issues live: files, then a SoftHSM2 token."""
    if request.param == "file":
        return keys
    store: Pkcs11KeyStore = request.getfixturevalue("token")
    return store
