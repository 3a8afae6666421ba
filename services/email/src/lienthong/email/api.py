"""The gRPC face of the email service."""

from __future__ import annotations

import asyncio
from typing import Any

from lienthong.email.projections.outbox import NotificationRow, Outbox
from lienthong.email.v1 import email_pb2 as pb
from lienthong.email.v1 import email_pb2_grpc
from lienthong.grpcserver import timestamp_of

Context = Any  # grpc.aio.ServicerContext; errors travel as DomainError

_STATES = {
    "queued": pb.DELIVERY_STATE_QUEUED,
    "sent": pb.DELIVERY_STATE_SENT,
    "deferred": pb.DELIVERY_STATE_DEFERRED,
    "bounced": pb.DELIVERY_STATE_BOUNCED,
}


class EmailServicer(email_pb2_grpc.EmailServiceServicer):
    """Implements `lienthong.email.v1.EmailService`."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: Context
    ) -> pb.ListNotificationsResponse:
        rows = await asyncio.to_thread(self._outbox.of_agency, request.agency_code)
        return pb.ListNotificationsResponse(notifications=[_notification(row) for row in rows])


def _notification(row: NotificationRow) -> pb.Notification:
    return pb.Notification(
        id=row.id,
        agency_code=row.agency_code,
        to_address=row.to_address,
        subject=row.subject,
        state=_STATES[row.state],
        document_id=row.document_id,
        updated_at=timestamp_of(row.updated_at),
    )
