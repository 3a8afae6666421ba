"""How a process proves who it is to NATS and checks it talks to the platform's NATS: a user whose password
is read from a file, and TLS verified against the platform CA (optionally with a client certificate).

Read from `LIENTHONG_NATS_USER`, `LIENTHONG_NATS_PASSWORD_FILE`, `LIENTHONG_NATS_CA`, `LIENTHONG_NATS_CERT`
and `LIENTHONG_NATS_KEY`; all unset (a development NATS without auth, such as the machine's test server), the
connection is plain, as before.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lienthong.relay.topology import inbox_prefix


@dataclass(frozen=True)
class NatsCredentials:
    user: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None  # the CA the server's certificate must chain to
    cert_file: Path | None = None  # a client certificate, for a server that asks for one
    key_file: Path | None = None

    @classmethod
    def from_env(cls) -> NatsCredentials:
        def path(variable: str) -> Path | None:
            value = os.environ.get(variable)
            return Path(value) if value else None

        credentials = cls(
            user=os.environ.get("LIENTHONG_NATS_USER") or None,
            password_file=path("LIENTHONG_NATS_PASSWORD_FILE"),
            ca_file=path("LIENTHONG_NATS_CA"),
            cert_file=path("LIENTHONG_NATS_CERT"),
            key_file=path("LIENTHONG_NATS_KEY"),
        )
        if credentials.user and credentials.password_file is None:
            raise ValueError("LIENTHONG_NATS_USER is set without LIENTHONG_NATS_PASSWORD_FILE")
        if bool(credentials.cert_file) != bool(credentials.key_file):
            raise ValueError("LIENTHONG_NATS_CERT and LIENTHONG_NATS_KEY go together")
        return credentials

    def connect_options(self) -> dict[str, Any]:
        """Keyword arguments for `nats.connect`; the password file is read now, so a rotated password is used
        by the next connection."""
        options: dict[str, Any] = {}
        if self.user:
            assert self.password_file is not None
            options["user"] = self.user
            options["password"] = self.password_file.read_text().strip()
            options["inbox_prefix"] = inbox_prefix(self.user)
        if self.ca_file:
            context = ssl.create_default_context(cafile=str(self.ca_file))
            if self.cert_file and self.key_file:
                context.load_cert_chain(str(self.cert_file), str(self.key_file))
            options["tls"] = context
        return options

    def __repr__(self) -> str:  # never the password, which is not held here anyway: only where it is
        return f"NatsCredentials(user={self.user!r}, password_file={self.password_file!r}, ca_file={self.ca_file!r})"
