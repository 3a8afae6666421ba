"""The TLS files of a service or caller: its certificate and key, and the CA certificates it trusts.

Every server requires TLS and a client certificate of the platform CA; every call to another service
presents the calling service's own certificate. Paths come from `LIENTHONG_TLS_CA`, `LIENTHONG_TLS_CERT`
and `LIENTHONG_TLS_KEY` (settings.py); `make run` points them at `<data dir>/tls` (the dev CA's
certificates, lienthong.signing.adapters.outbound.platformtls), Kubernetes at files mounted from Secrets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

SETTINGS = ("LIENTHONG_TLS_CA", "LIENTHONG_TLS_CERT", "LIENTHONG_TLS_KEY")


class TlsNotConfigured(RuntimeError):
    """The TLS files are not set, or cannot be read."""


@dataclass(frozen=True)
class TlsConfig:
    """PEM contents: the CA certificates to trust, own certificate chain, own private key."""

    ca: bytes
    cert: bytes
    key: bytes

    @classmethod
    def from_files(cls, ca: Path, cert: Path, key: Path) -> TlsConfig:
        contents = []
        for setting, path in zip(SETTINGS, (ca, cert, key), strict=True):
            try:
                contents.append(path.read_bytes())
            except OSError as error:
                raise TlsNotConfigured(f"{setting}={path}: cannot read it ({error.strerror})") from None
        return cls(*contents)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TlsConfig:
        """The files the environment names; TlsNotConfigured naming the missing settings otherwise."""
        missing = [setting for setting in SETTINGS if not env.get(setting)]
        if missing:
            raise TlsNotConfigured(
                f"mutual TLS is required: set {', '.join(missing)} (PEM files: the platform CA certificates, "
                "this program's certificate chain, its private key); `make run` creates them under <data dir>/tls"
            )
        ca, cert, key = (Path(env[setting]) for setting in SETTINGS)
        return cls.from_files(ca, cert, key)

    def server_credentials(self) -> grpc.ServerCredentials:
        """Serve with own certificate; accept only callers presenting a certificate the CA issued."""
        return grpc.ssl_server_credentials([(self.key, self.cert)], root_certificates=self.ca, require_client_auth=True)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """Call a server whose certificate the CA issued, presenting own certificate."""
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca, private_key=self.key, certificate_chain=self.cert
        )
