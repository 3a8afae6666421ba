"""Accepting and refusing an incoming document in the documents service, as the agency a reply came from."""

from __future__ import annotations

import grpc

from lienthong.documents.v1 import documents_pb2, documents_pb2_grpc
from lienthong.email.adapters.outbound.channels import BlockingChannel
from lienthong.errors import from_grpc_status
from lienthong.grpcserver import ACTOR_METADATA_KEY


def reply_actor(agency_code: str) -> str:
    """Who the documents service records as acting: the agency's văn thư (clerk), whose official mailbox the
    reply came from (the email service's Reply events keep the message itself). The email service names them
    in x-lienthong-actor, which the documents service honours because the caller's certificate is a service's."""
    return f"clerk@{agency_code}"


class IncomingDocuments:
    """AcceptIncoming / RefuseIncoming over a blocking channel (the caller is a worker thread)."""

    def __init__(self, address: str) -> None:
        self._channel = BlockingChannel(address)
        self._stub = documents_pb2_grpc.DocumentsServiceStub(self._channel.channel)

    def accept(self, incoming_id: str, agency_code: str) -> None:
        request = documents_pb2.AcceptIncomingRequest(incoming_id=incoming_id)
        self._call(self._stub.AcceptIncoming, request, agency_code)

    def refuse(self, incoming_id: str, reason: str, agency_code: str) -> None:
        request = documents_pb2.RefuseIncomingRequest(incoming_id=incoming_id, reason=reason)
        self._call(self._stub.RefuseIncoming, request, agency_code)

    def _call(self, method: grpc.UnaryUnaryMultiCallable, request: object, agency_code: str) -> None:  # type: ignore[type-arg]
        try:
            method(request, metadata=((ACTOR_METADATA_KEY, reply_actor(agency_code)),), timeout=30)
        except grpc.RpcError as error:
            raise from_grpc_status(error.code(), error.details() or "", "documents") from error

    def close(self) -> None:
        self._channel.close()
