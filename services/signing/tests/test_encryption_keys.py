"""Agencies' encryption keys for confidential documents: made once, kept encrypted, opened only for the
agency's own members (or the documents service on their behalf), through the servicer's two calls."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lienthong.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from lienthong.eventstore import event_context
from lienthong.identifiers_client import AgencyRegistry
from lienthong.signing.adapters.inbound.api import SigningServicer
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.application.app import SigningApp
from lienthong.signing.application.encryption import OAEP, EncryptionKeys
from lienthong.signing.domain.custody import authorise_unwrap
from lienthong.signing.v1 import signing_pb2 as pb

AGENCY, OTHER = "000.00.00.H41", "000.00.12.H41"
DATA_KEY = bytes(range(32))


class NoRegistry(AgencyRegistry):
    """Encryption keys need no agency names: a registry that is never asked."""

    def __init__(self) -> None:
        pass


@pytest.fixture
def encryption(tmp_path: Path) -> EncryptionKeys:
    return EncryptionKeys(EncryptedFileKeyStore(tmp_path / "encryption", b"test passphrase"))


@pytest.fixture
def servicer(
    app: SigningApp, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, encryption: EncryptionKeys
) -> SigningServicer:
    return SigningServicer(app, ca, keys, NoRegistry(), timestamper=ca.timestamper, encryption=encryption)


def wrapped_for(servicer: SigningServicer, agency_code: str) -> bytes:
    answer = asyncio.run(servicer.GetEncryptionKey(pb.GetEncryptionKeyRequest(agency_code=agency_code), None))
    public = serialization.load_pem_public_key(answer.public_key_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 3072
    assert len(answer.key_id) == 64
    return public.encrypt(DATA_KEY, OAEP)


def unwrap(servicer: SigningServicer, caller: str, agency_code: str, wrapped: bytes, on_behalf_of: str = "") -> bytes:
    request = pb.UnwrapDataKeyRequest(
        agency_code=agency_code, wrapped_key=wrapped, document_id="d", on_behalf_of=on_behalf_of
    )
    with event_context(caller):
        return asyncio.run(servicer.UnwrapDataKey(request, None)).data_key


def test_an_agency_key_is_made_once_and_kept_encrypted(encryption: EncryptionKeys, tmp_path: Path) -> None:
    first = encryption.public_key(AGENCY)
    assert encryption.public_key(AGENCY) == first
    assert encryption.public_key(OTHER) != first
    stored = (tmp_path / "encryption" / "enc0000000H41.key.pem").read_bytes()
    assert stored.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


def test_the_agency_itself_or_the_documents_service_for_a_member_opens_a_key(servicer: SigningServicer) -> None:
    wrapped = wrapped_for(servicer, AGENCY)
    assert unwrap(servicer, f"clerk@{AGENCY}", AGENCY, wrapped) == DATA_KEY
    assert unwrap(servicer, "service:documents", AGENCY, wrapped, on_behalf_of=f"officer@{AGENCY}") == DATA_KEY


def test_anyone_else_is_refused(servicer: SigningServicer) -> None:
    wrapped = wrapped_for(servicer, AGENCY)
    with pytest.raises(PermissionDenied, match="only that agency's members"):
        unwrap(servicer, f"clerk@{OTHER}", AGENCY, wrapped)
    with pytest.raises(PermissionDenied, match="only that agency's members"):
        unwrap(servicer, "anonymous", AGENCY, wrapped, on_behalf_of=f"clerk@{AGENCY}")  # only a trusted service relays
    with pytest.raises(PermissionDenied, match=f"does not act for agency {AGENCY}"):
        unwrap(servicer, "service:documents", AGENCY, wrapped, on_behalf_of=f"clerk@{OTHER}")
    with pytest.raises(PermissionDenied, match="nobody"):
        unwrap(servicer, "service:documents", AGENCY, wrapped)


def test_a_key_wrapped_for_another_agency_or_altered_does_not_open(servicer: SigningServicer) -> None:
    wrapped = wrapped_for(servicer, AGENCY)
    wrapped_for(servicer, OTHER)
    with pytest.raises(InvalidArgument, match=f"not wrapped for agency {OTHER}"):
        unwrap(servicer, f"clerk@{OTHER}", OTHER, wrapped)
    altered = bytes([wrapped[0] ^ 1]) + wrapped[1:]
    with pytest.raises(InvalidArgument, match="not wrapped"):
        unwrap(servicer, f"clerk@{AGENCY}", AGENCY, altered)
    with pytest.raises(NotFound, match="no encryption key"):
        unwrap(servicer, "clerk@000.00.99.H41", "000.00.99.H41", wrapped)
    with pytest.raises(InvalidArgument, match="identifier code"):
        unwrap(servicer, "clerk@H41", "H41", wrapped)


def test_a_service_without_encryption_keys_says_so(
    app: SigningApp, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    bare = SigningServicer(app, ca, keys, NoRegistry(), timestamper=ca.timestamper)
    with pytest.raises(FailedPrecondition, match="no encryption keys"):
        asyncio.run(bare.GetEncryptionKey(pb.GetEncryptionKeyRequest(agency_code=AGENCY), None))


def test_the_custody_rule_reads_the_agency_from_the_caller() -> None:
    authorise_unwrap(f"leader@{AGENCY}", "", AGENCY)
    authorise_unwrap(f"auditor@{AGENCY}", "", AGENCY)  # its own agency's documents
    with pytest.raises(PermissionDenied):
        authorise_unwrap(f"@{AGENCY}", "", AGENCY)  # no role: not a member's name
