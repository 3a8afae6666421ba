"""The platform's TLS certificates from the dev CA: what they name, how they chain, when they are reused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lienthong.grpcserver.principals import principal_of
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory, platform_ca


def _chain(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def test_a_service_certificate_names_the_service_and_its_hosts(tmp_path: Path, ca: DevCertificateAuthority) -> None:
    files = TlsDirectory(tmp_path / "tls", ca).server("documents", hosts=["documents.example.org"])

    leaf, issuing = _chain(files.cert)
    assert issuing == ca.issuing
    leaf.verify_directly_issued_by(ca.issuing)
    assert principal_of(leaf) == "service:documents"
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "documents", "lienthong-documents", "documents.example.org"} <= set(
        names.get_values_for_type(x509.DNSName)
    )
    assert "127.0.0.1" in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH} <= set(usages)
    key = serialization.load_pem_private_key(files.key.read_bytes(), None)
    assert key.public_key() == leaf.public_key()
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert _chain(files.ca) == [ca.root]


def test_a_client_certificate_names_its_principal_and_is_no_agency_seal(
    tmp_path: Path, ca: DevCertificateAuthority
) -> None:
    files = TlsDirectory(tmp_path / "tls", ca).client("clerk@000.00.12.H41")

    leaf = _chain(files.cert)[0]
    assert files.cert.name == "clerk@000.00.12.H41.pem"
    assert principal_of(leaf) == "clerk@000.00.12.H41"
    assert not leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    assert ca.seal_of("000.00.12.H41") is None


def test_a_malformed_principal_gets_no_certificate(tmp_path: Path, ca: DevCertificateAuthority) -> None:
    with pytest.raises(ValueError, match="not a principal"):
        TlsDirectory(tmp_path / "tls", ca).client("janitor@000.00.12.H41")


def test_certificates_are_reused_until_the_ca_changes(tmp_path: Path) -> None:
    first = TlsDirectory.of_platform(tmp_path).server("signing").cert.read_bytes()
    assert TlsDirectory.of_platform(tmp_path).server("signing").cert.read_bytes() == first
    assert TlsDirectory.of_platform(tmp_path).server("signing", hosts=["new.example"]).cert.read_bytes() != first

    other = tmp_path / "elsewhere"
    moved = TlsDirectory(tmp_path / "tls", platform_ca(other)).server("signing")
    assert _chain(moved.cert)[1] == platform_ca(other).issuing


def test_a_key_that_does_not_match_its_certificate_is_replaced(tmp_path: Path, ca: DevCertificateAuthority) -> None:
    tls = TlsDirectory(tmp_path / "tls", ca)
    first = tls.client("clerk@000.00.12.H41")
    first.key.write_bytes(tls.client("leader@000.00.12.H41").key.read_bytes())

    again = tls.client("clerk@000.00.12.H41")
    key = serialization.load_pem_private_key(again.key.read_bytes(), None)
    assert key.public_key() == _chain(again.cert)[0].public_key()
