"""The documents service's view of XML signing: the signing service seals and verifies edXML envelopes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from lienthong.documents.adapters.outbound.gateways import AS_DOCUMENTS, Verdict
from lienthong.errors import from_grpc_status
from lienthong.signing.v1 import signing_pb2, signing_pb2_grpc


class XmlSealer:
    """Has the signing service put the agency's enveloped XMLDSig on an envelope, and check one received."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = signing_pb2_grpc.SigningServiceStub(channel)

    async def seal_xml(self, agency_code: str, xml: bytes, xades: bool = False) -> bytes:
        request = signing_pb2.SignXmlRequest(agency_code=agency_code, xml=xml, xades=xades)
        response = await _call(self._stub.SignXml, request)
        return bytes(response.signed_xml)

    async def verify_xml(self, xml: bytes, agency_code: str) -> Verdict:
        request = signing_pb2.VerifyXmlRequest(xml=xml, expected_agency_code=agency_code)
        response = await _call(self._stub.VerifyXml, request)
        return Verdict(passed=response.indication == signing_pb2.INDICATION_TOTAL_PASSED, reason=response.reason)


async def _call(rpc: Callable[..., Awaitable[Any]], request: Any) -> Any:
    """Call the signing service; its refusal becomes the domain error with the same status and reason."""
    try:
        return await rpc(request, timeout=30, metadata=AS_DOCUMENTS)
    except grpc.aio.AioRpcError as error:
        raise from_grpc_status(error.code(), error.details() or "", "signing") from error
