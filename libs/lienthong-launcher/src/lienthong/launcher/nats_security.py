"""The embedded NATS server's users, passwords and TLS: what `make run` sets up for NATS on first start.

One password file per user (each service, and `admin` for operators' tools) under a directory of its own,
created once with mode 0600 and kept across restarts. The server's configuration holds the users and their
permissions (`lienthong.relay.permissions`) but no password: those reach nats-server through its environment.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from lienthong.relay import StreamNames
from lienthong.relay.credentials import NatsCredentials
from lienthong.relay.permissions import password_variable, server_authorization, users


@dataclass(frozen=True)
class ServerTls:
    """The server's certificate and key, and the CA its clients verify it against (and that signs client
    certificates, when `verify_clients`)."""

    cert_file: Path
    key_file: Path
    ca_file: Path
    verify_clients: bool = False

    def config(self) -> str:
        return (
            "tls {\n"
            f"  cert_file: {_quoted(self.cert_file)}\n"
            f"  key_file: {_quoted(self.key_file)}\n"
            f"  ca_file: {_quoted(self.ca_file)}\n"
            f"  verify: {'true' if self.verify_clients else 'false'}\n"
            "  timeout: 5\n"
            "}\n"
        )


def _quoted(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_password() -> str:
    """256 random bits as letters and digits, starting with a letter: nats-server parses the value of the
    environment variable a password comes from as a configuration token, and would read `6e3…` as a number."""
    return "p" + secrets.token_hex(32)


@dataclass(frozen=True)
class NatsSecurity:
    """Users with their password files in `directory`, permissions for instance `names`, TLS when given."""

    directory: Path
    names: StreamNames
    tls: ServerTls | None = None

    @classmethod
    def prepare(cls, directory: Path, names: StreamNames, tls: ServerTls | None = None) -> NatsSecurity:
        """Create the password files that do not exist yet (random, 0600, in a 0700 directory)."""
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        security = cls(directory, names, tls)
        for user in users():
            path = security.password_file(user)
            if not path.exists():
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as file:
                    file.write(new_password() + "\n")
        return security

    def password_file(self, user: str) -> Path:
        return self.directory / f"{user}.password"

    def server_config(self) -> str:
        """What nats-server's configuration adds: the users and permissions, and TLS."""
        return server_authorization(self.names) + (self.tls.config() if self.tls else "")

    def server_env(self) -> dict[str, str]:
        """The environment nats-server reads the passwords from."""
        return {password_variable(user): self.password_file(user).read_text().strip() for user in users()}

    def credentials(self, user: str) -> NatsCredentials:
        """How `user` connects (in this process)."""
        return NatsCredentials(
            user=user, password_file=self.password_file(user), ca_file=self.tls.ca_file if self.tls else None
        )

    def client_env(self, user: str) -> dict[str, str]:
        """The environment a process connecting as `user` gets (see `lienthong.relay.credentials`)."""
        env = {"LIENTHONG_NATS_USER": user, "LIENTHONG_NATS_PASSWORD_FILE": str(self.password_file(user))}
        if self.tls is not None:
            env["LIENTHONG_NATS_CA"] = str(self.tls.ca_file)
        return env
