"""The console's configuration, from environment variables.

| variable | default | meaning |
| --- | --- | --- |
| `LIENTHONG_CONSOLE_ADDR` | `127.0.0.1:8480` | where the console's HTTP server listens |
| `LIENTHONG_CONSOLE_SIGN_IN` | `dev` | who is signed in: `dev` (a sign-in page; the dev CA issues the person a certificate), `header` (an OIDC proxy in front names the principal in a header), `client-cert` (a TLS-terminating proxy passes the person's client certificate in a header) |
| `LIENTHONG_CONSOLE_PRINCIPAL_HEADER` | unset | with `header`: the header the proxy sets to `<role>@<identifier code>`; required, the console refuses to start without it |
| `LIENTHONG_CONSOLE_CERT_HEADER` | unset | with `client-cert`: the header holding the URL-encoded PEM client certificate (nginx `$ssl_client_escaped_cert`); required likewise |
| `LIENTHONG_CONSOLE_SESSION_SECRET_FILE` | `<data dir>/console/session.key` | key that signs the dev sign-in cookie (created on first start) |
| `LIENTHONG_DATA_DIR` | `var` | where the dev CA is (`dev` sign-in) |
| `LIENTHONG_<SERVICE>_ADDR`, `LIENTHONG_TLS_*` | as for every service | where the services are; the console's own certificate (`header`, `client-cert`) |
"""

from __future__ import annotations

import enum
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ADDR = "127.0.0.1:8480"


class SignIn(enum.Enum):
    """How the console learns who is signed in."""

    DEV = "dev"
    HEADER = "header"
    CLIENT_CERT = "client-cert"


class ConsoleMisconfigured(RuntimeError):
    """The settings contradict each other or leave the console unable to tell who is signed in."""


@dataclass(frozen=True)
class ConsoleSettings:
    host: str
    port: int
    data_dir: Path
    sign_in: SignIn
    trusted_header: str  # the principal header (HEADER) or the certificate header (CLIENT_CERT); "" with DEV
    session_secret_file: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ConsoleSettings:
        host, _, port = (env.get("LIENTHONG_CONSOLE_ADDR") or DEFAULT_ADDR).rpartition(":")
        data_dir = Path(env.get("LIENTHONG_DATA_DIR", "var"))
        try:
            sign_in = SignIn(env.get("LIENTHONG_CONSOLE_SIGN_IN") or "dev")
        except ValueError:
            choices = ", ".join(mode.value for mode in SignIn)
            raise ConsoleMisconfigured(f"LIENTHONG_CONSOLE_SIGN_IN must be one of {choices}") from None
        header = ""
        if sign_in is SignIn.HEADER:
            header = _required(env, "LIENTHONG_CONSOLE_PRINCIPAL_HEADER", "the header the OIDC proxy sets")
        elif sign_in is SignIn.CLIENT_CERT:
            header = _required(env, "LIENTHONG_CONSOLE_CERT_HEADER", "the header holding the client certificate")
        secret = env.get("LIENTHONG_CONSOLE_SESSION_SECRET_FILE") or str(data_dir / "console" / "session.key")
        return cls(host or "127.0.0.1", int(port), data_dir, sign_in, header.lower(), Path(secret))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def session_secret(self) -> str:
        """The key of the dev sign-in cookie: read, or made on first start (mode 0600)."""
        if not self.session_secret_file.exists():
            self.session_secret_file.parent.mkdir(parents=True, exist_ok=True)
            self.session_secret_file.write_text(secrets.token_urlsafe(32))
            self.session_secret_file.chmod(0o600)
        return self.session_secret_file.read_text().strip()


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConsoleMisconfigured(
            f"{name} is not set: with LIENTHONG_CONSOLE_SIGN_IN={env.get('LIENTHONG_CONSOLE_SIGN_IN')} the console "
            f"trusts {what}, and trusts no header unless it is named"
        )
    return value
