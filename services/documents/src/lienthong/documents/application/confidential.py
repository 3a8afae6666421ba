"""Confidential documents for the use cases: new envelopes, envelopes opened for a caller's agency, data
keys wrapped for recipients, and files read and written through an envelope (or in clear when none)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Protocol
from uuid import UUID

from lienthong.documents.adapters.outbound.blobs import BlobStore
from lienthong.documents.application.envelope import OpenEnvelope, new_data_key, sealed_record, wrap, wrapped_key_of
from lienthong.errors import FailedPrecondition, PermissionDenied


class Custodian(Protocol):
    """Who keeps agencies' encryption keys (the signing service; see gateways.KeyCustodian)."""

    async def public_key(self, agency_code: str) -> str: ...

    async def unwrap(self, agency_code: str, wrapped_key: bytes, *, document_id: str, on_behalf_of: str) -> bytes: ...


class Vault:
    """Envelopes of confidential documents; FAILED_PRECONDITION for any of them when no custodian is set."""

    def __init__(self, custodian: Custodian | None, blobs: BlobStore) -> None:
        self._custodian = custodian
        self._blobs = blobs

    def _keeper(self) -> Custodian:
        if self._custodian is None:
            raise FailedPrecondition(
                "this documents service has no key custodian: it cannot keep confidential documents"
            )
        return self._custodian

    async def new(self, document_id: UUID, sender_code: str) -> tuple[OpenEnvelope, dict[str, str]]:
        """A fresh data key for the document, and it wrapped for the sender (agency code → wrapped key)."""
        data_key = new_data_key()
        public = await self._keeper().public_key(sender_code)
        return OpenEnvelope(document_id, data_key), {sender_code: wrap(public, data_key)}

    async def open(
        self, sealed: dict[str, Any], document_id: UUID, agency_code: str, on_behalf_of: str
    ) -> OpenEnvelope:
        """The document's envelope opened with the key wrapped for `agency_code`, for `on_behalf_of`."""
        wrapped = wrapped_key_of(sealed, agency_code)
        if wrapped is None:
            raise PermissionDenied(f"document {document_id} is confidential and was not addressed to {agency_code}")
        data_key = await self._keeper().unwrap(
            agency_code, wrapped, document_id=str(document_id), on_behalf_of=on_behalf_of
        )
        return OpenEnvelope(document_id, data_key)

    async def wrap_for(self, envelope: OpenEnvelope, agency_codes: Iterable[str]) -> dict[str, str]:
        """The envelope's data key wrapped for each agency."""
        return {code: wrap(await self._keeper().public_key(code), envelope.data_key) for code in agency_codes}

    @staticmethod
    def sealed(keys: dict[str, str], envelope: OpenEnvelope, fields: dict[str, Any]) -> dict[str, Any]:
        return sealed_record(keys, envelope.seal_text(fields))

    async def put(self, envelope: OpenEnvelope | None, item: str, content: bytes) -> str:
        """Store a file (encrypted as `item` of the document when it has an envelope); its blob digest."""
        stored = envelope.encrypt(item, content) if envelope else content
        return await asyncio.to_thread(self._blobs.put, stored)

    def put_now(self, envelope: OpenEnvelope | None, item: str, content: bytes) -> str:
        """`put`, from a worker thread."""
        return self._blobs.put(envelope.encrypt(item, content) if envelope else content)

    async def get(self, envelope: OpenEnvelope | None, item: str, digest: str) -> bytes:
        stored = await asyncio.to_thread(self._blobs.get, digest)
        return envelope.decrypt(item, stored) if envelope else stored
