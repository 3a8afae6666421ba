"""The signing service's configuration, from environment variables (beside the common ones of Settings).

| variable | default | meaning |
| --- | --- | --- |
| `LIENTHONG_SIGNING_KEY_PASSPHRASE` | a development value | encrypts the key files at rest; set from a secret in production |
| `LIENTHONG_SIGNING_LEVEL` | `B-LT` | PAdES level of a signature whose request names none (`B-B`, `B-T`, `B-LT`) |
| `LIENTHONG_SIGNING_TSA_URL` | unset | RFC 3161 time-stamping authority; unset: the development CA's own |
| `LIENTHONG_SIGNING_DEVCA_HTTP_ADDR` | unset | `host:port` where the development CA serves its TSA (`/tsa`) and CRLs |
| `LIENTHONG_SIGNING_TRUST_ANCHORS` | unset | PEM file of CA certificates trusted besides the development root |
| `LIENTHONG_SIGNING_PKCS11_MODULE` | unset | PKCS#11 module (.so): when set, signing keys live on that token |
| `LIENTHONG_SIGNING_PKCS11_TOKEN` | `lienthong` | label of the token |
| `LIENTHONG_SIGNING_PKCS11_PIN` | unset | the token's user PIN (required with a module) |
| `LIENTHONG_SIGNING_WORKERS` | `2` | worker processes that sign and verify (0: two threads of the service's own process) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from lienthong.signing.adapters.outbound.pades import Level

# Only for development: production sets LIENTHONG_SIGNING_KEY_PASSPHRASE from a secret.
DEVELOPMENT_PASSPHRASE = "lienthong-development-only"
# One worker process per core of a small node (2 cores): signing is CPU-bound, and each worker costs memory.
DEFAULT_WORKERS = 2


@dataclass(frozen=True)
class Pkcs11Config:
    module: str
    token: str
    pin: str


@dataclass(frozen=True)
class SigningConfig:
    passphrase: bytes
    level: Level
    tsa_url: str | None
    devca_http_addr: tuple[str, int] | None
    trust_anchors: tuple[x509.Certificate, ...]
    pkcs11: Pkcs11Config | None
    workers: int = DEFAULT_WORKERS

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SigningConfig:
        """Read and check the configuration; a wrong value stops the service with a message saying which."""
        level_name = env.get("LIENTHONG_SIGNING_LEVEL", Level.B_LT.value)
        levels = {level.value: level for level in Level}
        if level_name not in levels:
            raise ValueError(f"LIENTHONG_SIGNING_LEVEL={level_name!r}: expected one of {', '.join(levels)}")
        anchors_file = env.get("LIENTHONG_SIGNING_TRUST_ANCHORS")
        anchors = tuple(x509.load_pem_x509_certificates(Path(anchors_file).read_bytes())) if anchors_file else ()
        pkcs11 = None
        if module := env.get("LIENTHONG_SIGNING_PKCS11_MODULE"):
            pin = env.get("LIENTHONG_SIGNING_PKCS11_PIN")
            if not pin:
                raise ValueError("LIENTHONG_SIGNING_PKCS11_PIN is required with LIENTHONG_SIGNING_PKCS11_MODULE")
            pkcs11 = Pkcs11Config(module, env.get("LIENTHONG_SIGNING_PKCS11_TOKEN", "lienthong"), pin)
        workers = env.get("LIENTHONG_SIGNING_WORKERS", str(DEFAULT_WORKERS))
        if not workers.isdigit():
            raise ValueError(f"LIENTHONG_SIGNING_WORKERS={workers!r}: expected a number of processes (0 or more)")
        return cls(
            workers=int(workers),
            passphrase=env.get("LIENTHONG_SIGNING_KEY_PASSPHRASE", DEVELOPMENT_PASSPHRASE).encode(),
            level=levels[level_name],
            tsa_url=env.get("LIENTHONG_SIGNING_TSA_URL") or None,
            devca_http_addr=_address(env.get("LIENTHONG_SIGNING_DEVCA_HTTP_ADDR")),
            trust_anchors=anchors,
            pkcs11=pkcs11,
        )


def _address(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"LIENTHONG_SIGNING_DEVCA_HTTP_ADDR={value!r}: expected host:port")
    return host, int(port)
