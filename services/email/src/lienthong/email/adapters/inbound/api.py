"""The gRPC face of the email service."""

from __future__ import annotations

import asyncio
from typing import Any

from lienthong.consumer import LocalFollower
from lienthong.email.application.app import EmailApp
from lienthong.email.projections.mailboxes import MailboxRow, MailRegistry
from lienthong.email.projections.outbox import NotificationRow, Outbox
from lienthong.email.v1 import email_pb2 as pb
from lienthong.email.v1 import email_pb2_grpc
from lienthong.grpcserver import day_of, timestamp_of
from lienthong.identifiers_client import AgencyLookup

Context = Any  # grpc.aio.ServicerContext; errors travel as DomainError

_STATES = {
    "queued": pb.DELIVERY_STATE_QUEUED,
    "sending": pb.DELIVERY_STATE_SENDING,
    "sent": pb.DELIVERY_STATE_SENT,
    "deferred": pb.DELIVERY_STATE_DEFERRED,
    "bounced": pb.DELIVERY_STATE_BOUNCED,
}


class EmailServicer(email_pb2_grpc.EmailServiceServicer):
    """Implements `lienthong.email.v1.EmailService`."""

    def __init__(
        self, outbox: Outbox, app: EmailApp, registry: MailRegistry, follower: LocalFollower, mailboxes: AgencyLookup
    ) -> None:
        self._outbox = outbox
        self._app = app
        self._registry = registry
        self._follower = follower
        self._agencies = mailboxes

    async def ProvisionMailbox(
        self, request: pb.ProvisionMailboxRequest, context: Context
    ) -> pb.ProvisionMailboxResponse:
        await asyncio.to_thread(self._agencies.get, request.agency_code)  # NOT_FOUND for an unknown agency
        mailbox = await asyncio.to_thread(
            self._app.provision_mailbox, request.address, request.agency_code, request.holder
        )
        return pb.ProvisionMailboxResponse(mailbox=await self._after_change(mailbox.address))

    async def SuspendMailbox(self, request: pb.SuspendMailboxRequest, context: Context) -> pb.SuspendMailboxResponse:
        mailbox = await asyncio.to_thread(self._app.suspend_mailbox, request.address, request.reason)
        return pb.SuspendMailboxResponse(mailbox=await self._after_change(mailbox.address))

    async def SetMailboxPreferences(
        self, request: pb.SetMailboxPreferencesRequest, context: Context
    ) -> pb.SetMailboxPreferencesResponse:
        mailbox = await asyncio.to_thread(
            self._app.set_mailbox_preferences, request.address, list(request.kinds), digest=request.digest
        )
        return pb.SetMailboxPreferencesResponse(mailbox=await self._after_change(mailbox.address))

    async def DeleteMailbox(self, request: pb.DeleteMailboxRequest, context: Context) -> pb.DeleteMailboxResponse:
        mailbox = await asyncio.to_thread(self._app.delete_mailbox, request.address)
        return pb.DeleteMailboxResponse(mailbox=await self._after_change(mailbox.address))

    async def ListMailboxes(self, request: pb.ListMailboxesRequest, context: Context) -> pb.ListMailboxesResponse:
        rows = await asyncio.to_thread(self._registry.mailboxes_of, request.agency_code)
        return pb.ListMailboxesResponse(mailboxes=[_mailbox(row) for row in rows])

    async def GetMailUsage(self, request: pb.GetMailUsageRequest, context: Context) -> pb.GetMailUsageResponse:
        usage = await asyncio.to_thread(
            self._registry.usage,
            request.agency_code,
            day_of(request.from_day, "from_day"),
            day_of(request.to_day, "to_day"),
        )
        return pb.GetMailUsageResponse(
            mailboxes_provisioned=usage.mailboxes_provisioned,
            mailboxes_active=usage.mailboxes_active,
            sent=usage.sent,
            deferred=usage.deferred,
            bounced=usage.bounced,
        )

    async def _after_change(self, address: str) -> pb.Mailbox:
        await self._follower.caught_up()
        row = await asyncio.to_thread(self._registry.mailbox, address)
        assert row is not None  # the follower has just applied it
        return _mailbox(row)

    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: Context
    ) -> pb.ListNotificationsResponse:
        rows = await asyncio.to_thread(self._outbox.of_agency, request.agency_code)
        return pb.ListNotificationsResponse(notifications=[_notification(row) for row in rows])


_MAILBOX_STATES = {
    "active": pb.MAILBOX_STATE_ACTIVE,
    "suspended": pb.MAILBOX_STATE_SUSPENDED,
    "deleted": pb.MAILBOX_STATE_DELETED,
}


def _mailbox(row: MailboxRow) -> pb.Mailbox:
    return pb.Mailbox(
        address=row.address,
        agency_code=row.agency_code,
        holder=row.holder,
        state=_MAILBOX_STATES[row.state],
        provisioned_at=timestamp_of(row.provisioned_at),
        kinds=[kind for kind in row.kinds.split(",") if kind],
        digest=row.digest,
    )


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
