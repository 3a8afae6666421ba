"""How a process connects to NATS, from the environment: its user, its password file, TLS; nothing set, plain."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from lienthong.relay.credentials import NatsCredentials
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory, platform_ca


def test_nothing_set_means_a_plain_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("USER", "PASSWORD_FILE", "CA", "CERT", "KEY"):
        monkeypatch.delenv(f"LIENTHONG_NATS_{variable}", raising=False)
    assert NatsCredentials.from_env().connect_options() == {}


def test_the_user_gets_its_password_from_the_file_and_its_own_inbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "password").write_text("p0123456789abcdef\n")
    monkeypatch.setenv("LIENTHONG_NATS_USER", "email")
    monkeypatch.setenv("LIENTHONG_NATS_PASSWORD_FILE", str(tmp_path / "password"))
    monkeypatch.delenv("LIENTHONG_NATS_CA", raising=False)
    credentials = NatsCredentials.from_env()
    assert credentials.connect_options() == {
        "user": "email",
        "password": "p0123456789abcdef",  # pragma: allowlist secret
        "inbox_prefix": "_INBOX_email",
    }
    assert "p0123456789abcdef" not in repr(credentials)


def test_a_ca_means_tls_that_verifies_the_server_against_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LIENTHONG_NATS_USER", raising=False)
    monkeypatch.delenv("LIENTHONG_NATS_CERT", raising=False)
    monkeypatch.delenv("LIENTHONG_NATS_KEY", raising=False)
    ca_file = TlsDirectory(tmp_path / "tls", platform_ca(tmp_path)).ca_file  # the dev platform CA
    monkeypatch.setenv("LIENTHONG_NATS_CA", str(ca_file))
    context = NatsCredentials.from_env().connect_options()["tls"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert len(context.get_ca_certs()) == 1  # that CA, not the system's


def test_half_a_configuration_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_NATS_USER", "email")
    monkeypatch.delenv("LIENTHONG_NATS_PASSWORD_FILE", raising=False)
    with pytest.raises(ValueError, match="LIENTHONG_NATS_PASSWORD_FILE"):
        NatsCredentials.from_env()
    monkeypatch.delenv("LIENTHONG_NATS_USER")
    monkeypatch.setenv("LIENTHONG_NATS_CERT", "/etc/lienthong/nats/tls.crt")
    monkeypatch.delenv("LIENTHONG_NATS_KEY", raising=False)
    with pytest.raises(ValueError, match="go together"):
        NatsCredentials.from_env()
