"""Principals: what a well-formed one is, and which a certificate names."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lienthong.grpcserver.principals import check_principal, is_service, principal_of, principal_uri


@pytest.mark.parametrize("principal", ["clerk@000.00.12.H41", "operator@000.00.00.G22", "service:documents"])
def test_well_formed_principals(principal: str) -> None:
    assert check_principal(principal) == principal


@pytest.mark.parametrize(
    "principal", ["", "anonymous", "janitor@000.00.12.H41", "clerk@12.H41", "service:", "service:Doc", "clerk@x"]
)
def test_malformed_principals_are_refused(principal: str) -> None:
    with pytest.raises(ValueError, match="not a principal"):
        check_principal(principal)


def test_only_services_are_services() -> None:
    assert is_service("service:email")
    assert not is_service("leader@000.00.12.H41")


def _certificate(common_name: str, uris: list[str]) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if uris:
        sans = x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri) for uri in uris])
        builder = builder.add_extension(sans, critical=False)
    return builder.sign(key, hashes.SHA256())


def test_the_principal_is_read_from_the_uri_name_only() -> None:
    assert principal_of(_certificate("x", [principal_uri("clerk@000.00.12.H41")])) == "clerk@000.00.12.H41"
    assert principal_of(_certificate("service:documents", [])) is None
    assert principal_of(_certificate("x", ["urn:lienthong:principal:root"])) is None
    two = [principal_uri("clerk@000.00.12.H41"), principal_uri("service:signing")]
    assert principal_of(_certificate("x", two)) is None
