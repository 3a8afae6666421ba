"""The development TSA signs each timestamp with its key loaded once, and its tokens verify."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from asn1crypto import tsp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign.timestamps import dummy_client

from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority


def test_a_timestamp_is_signed_without_loading_the_key_again_and_verifies_with_the_tsa_certificate(
    ca: DevCertificateAuthority, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_reload(*_: object, **__: object) -> None:
        raise AssertionError("the TSA key was loaded again for a timestamp")

    monkeypatch.setattr(dummy_client.serialization, "load_der_private_key", no_reload)
    message = hashlib.sha256(b"the seal's signature").digest()
    token = asyncio.run(ca.timestamper().async_timestamp(message, "sha256"))

    signed = token["content"]
    info = tsp.TSTInfo.load(signed["encap_content_info"]["content"].parsed.dump())
    assert info["message_imprint"]["hashed_message"].native == message
    signer = signed["signer_infos"][0]
    ca.tsa.public_key().verify(  # type: ignore[union-attr, call-arg]
        signer["signature"].native, signer["signed_attrs"].untag().dump(), PKCS1v15(), hashes.SHA256()
    )
