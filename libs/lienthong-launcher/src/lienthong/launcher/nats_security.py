"""The embedded NATS server's users, passwords and TLS: what `make run` sets up for NATS on first start.

TLS with certificates of the platform CA (`lienthong.signing.adapters.outbound.platformtls`, the signing service's dev CA in
development): the server presents `nats`'s, and requires every client to present one of the CA's too.

One password file per user (each service, and `admin` for operators' tools) under a directory of its own,
created once with mode 0600 and kept across restarts. The server's configuration holds the users and their
permissions (`lienthong.relay.permissions`) but no password: those reach nats-server through its environment.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lienthong.grpcserver.principals import service_principal
from lienthong.relay import StreamNames
from lienthong.relay.credentials import NatsCredentials
from lienthong.relay.permissions import password_variable, server_authorization, users
from lienthong.relay.topology import ADMIN, ROLES
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory, TlsFiles


@dataclass(frozen=True)
class NatsTls:
    """Certificates of the platform CA: the server's, and the client certificate each user presents (nats-server
    verifies it chains to the CA; the password still says who the user is)."""

    server: TlsFiles
    clients: Mapping[str, TlsFiles]

    @classmethod
    def issue(cls, directory: TlsDirectory) -> NatsTls:
        """The server's certificate `nats` (for 127.0.0.1 and localhost) and each user's, issued if missing:
        a service presents its own service certificate, operators' tools `service:admin`'s."""
        clients = {service: directory.server(service) for service in ROLES}
        clients[ADMIN] = directory.client(service_principal(ADMIN))
        return cls(directory.server("nats"), clients)

    def config(self) -> str:
        return (
            "tls {\n"
            f"  cert_file: {_quoted(self.server.cert)}\n"
            f"  key_file: {_quoted(self.server.key)}\n"
            f"  ca_file: {_quoted(self.server.ca)}\n"
            "  verify: true\n"
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
    tls: NatsTls | None = None

    @classmethod
    def prepare(cls, directory: Path, names: StreamNames, tls: NatsTls | None = None) -> NatsSecurity:
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
        files = self.tls.clients[user] if self.tls else None
        return NatsCredentials(
            user=user,
            password_file=self.password_file(user),
            ca_file=files.ca if files else None,
            cert_file=files.cert if files else None,
            key_file=files.key if files else None,
        )

    def client_env(self, user: str) -> dict[str, str]:
        """The environment a process connecting as `user` gets (see `lienthong.relay.credentials`)."""
        env = {"LIENTHONG_NATS_USER": user, "LIENTHONG_NATS_PASSWORD_FILE": str(self.password_file(user))}
        if self.tls is not None:
            files = self.tls.clients[user]
            env.update(
                LIENTHONG_NATS_CA=str(files.ca), LIENTHONG_NATS_CERT=str(files.cert), LIENTHONG_NATS_KEY=str(files.key)
            )
        return env


def embedded_nats_security(data_dir: Path, names: StreamNames) -> NatsSecurity:
    """What `make run` uses: password files in `<data dir>/nats-credentials`, certificates of the platform's
    dev CA in `<data dir>/tls` (the signing service's CA, created here if the platform is new)."""
    tls = NatsTls.issue(TlsDirectory.of_platform(data_dir))
    return NatsSecurity.prepare(data_dir / "nats-credentials", names, tls)
