"""The signing service's configuration from the environment: defaults, and wrong values named."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from lienthong.signing.adapters.inbound.config import DEVELOPMENT_PASSPHRASE, Pkcs11Config, SigningConfig
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.pades import Level


def test_the_defaults_sign_b_lt_with_the_dev_ca_and_file_keys() -> None:
    config = SigningConfig.from_env({})
    assert (config.level, config.tsa_url, config.devca_http_addr, config.pkcs11) == (Level.B_LT, None, None, None)
    assert (config.passphrase, config.trust_anchors) == (DEVELOPMENT_PASSPHRASE.encode(), ())


def test_production_settings_are_read(tmp_path: Path, ca: DevCertificateAuthority) -> None:
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in ca.chain))
    config = SigningConfig.from_env(
        {
            "LIENTHONG_SIGNING_LEVEL": "B-T",
            "LIENTHONG_SIGNING_TSA_URL": "http://tsa.example.vn/tsa",
            "LIENTHONG_SIGNING_DEVCA_HTTP_ADDR": "127.0.0.1:50063",
            "LIENTHONG_SIGNING_TRUST_ANCHORS": str(anchors),
            "LIENTHONG_SIGNING_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
            "LIENTHONG_SIGNING_PKCS11_PIN": "1234",
        }
    )
    assert (config.level, config.tsa_url, config.devca_http_addr) == (
        Level.B_T,
        "http://tsa.example.vn/tsa",
        ("127.0.0.1", 50063),
    )
    assert config.trust_anchors == tuple(ca.chain)
    assert config.pkcs11 == Pkcs11Config("/usr/lib/softhsm/libsofthsm2.so", "lienthong", "1234")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LIENTHONG_SIGNING_LEVEL": "B-LTA"}, "LIENTHONG_SIGNING_LEVEL"),
        ({"LIENTHONG_SIGNING_DEVCA_HTTP_ADDR": "50063"}, "LIENTHONG_SIGNING_DEVCA_HTTP_ADDR"),
        ({"LIENTHONG_SIGNING_PKCS11_MODULE": "/x.so"}, "LIENTHONG_SIGNING_PKCS11_PIN"),
    ],
)
def test_a_wrong_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        SigningConfig.from_env(env)
