"""Status by mail: replies to arrival notifications, received over SMTP and turned into accept/refuse.

A reply is acted on only when its reply address carries a token that verifies for the notification it names,
it answers an arrival, and both its envelope sender and its From are a mailbox of the agency notified (the
address notified, or one of the agency's active official mailboxes). Anything else is rejected: answered 5xx
at the SMTP level (no bounce is generated towards a possibly forged sender), recorded as a Reply Rejected
event with the reason, logged, and nothing changes in the documents service. The From check is a second
line of defence only (SMTP senders are easily forged); the token is what authenticates a reply.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import secrets
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Protocol

from lienthong.email.adapters.outbound.sink import PortLearningController
from lienthong.email.application.app import EmailApp
from lienthong.email.domain.notification import Notification
from lienthong.email.domain.replies import (
    ForgedReply,
    Intent,
    MalformedReply,
    ReplyTokens,
    intent_of,
    notification_named,
)
from lienthong.email.domain.reply import Reply
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.errors import DomainError, NotFound, Unavailable
from lienthong.vietnamese import without_diacritics

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 1_000_000  # a decision is one line; attachments are not read


class DocumentDecisions(Protocol):
    """Where a decision goes (the documents service, acting as the agency)."""

    def accept(self, incoming_id: str, agency_code: str) -> None: ...

    def refuse(self, incoming_id: str, reason: str, agency_code: str) -> None: ...


def load_reply_secret(path: Path) -> bytes:
    """The reply secret from `path`, created (random, readable by the service's user only) when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_bytes().strip()


class ReplyDesk:
    """Checks a reply and applies its decision, or rejects it; answers as an SMTP server would."""

    def __init__(
        self, app: EmailApp, tokens: ReplyTokens, registry: MailRegistry, documents: DocumentDecisions
    ) -> None:
        self._app = app
        self._tokens = tokens
        self._registry = registry
        self._documents = documents

    def receive(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> str:
        """Act on one reply; return the SMTP answer (250 applied, 451 try later, 550 rejected)."""
        message = BytesParser(policy=email.policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
        message_id = str(message.get("Message-ID", "")).strip()
        from_address = parseaddr(str(message.get("From", "")))[1].strip().lower()
        reply_to = next((r for r in rcpt_tos if r.lower().startswith("reply+")), rcpt_tos[0] if rcpt_tos else "")
        try:
            notification = self._notification(reply_to)
            self._check_sender(notification, from_address, mail_from)
            intent = intent_of(_text_of(message))
        except (MalformedReply, ForgedReply) as error:
            return self._reject(message_id, from_address, reply_to, str(error))
        try:
            self._decide(notification, intent)
        except Unavailable as error:
            log.warning("reply %s not applied yet, documents unavailable: %s", message_id, error)
            return "451 4.3.0 the documents service is unavailable; try again later"
        except DomainError as error:
            return self._reject(message_id, from_address, reply_to, f"the documents service refused it: {error}")
        reply = Reply(message_id, from_address, reply_to)
        decision = "accept" if intent.accept else "refuse"
        reply.apply_to(notification.id, notification.document_id, notification.agency_code, decision, intent.reason)
        self._app.save(reply)
        log.info("reply %s from %s: %s document %s", message_id, from_address, decision, notification.document_id)
        return f"250 2.0.0 reply applied: document {'accepted' if intent.accept else 'refused'}"

    def _notification(self, reply_to: str) -> Notification:
        notification_id = notification_named(reply_to)
        try:
            notification = self._app.notification(notification_id)
        except NotFound:
            raise ForgedReply("the reply token names no notification") from None
        self._tokens.check(reply_to, notification.id, notification.document_id, notification.agency_code)
        if notification.kind != "arrived":
            raise MalformedReply("only the notification of an arrived document can be answered")
        return notification

    def _check_sender(self, notification: Notification, from_address: str, mail_from: str) -> None:
        mailboxes = {notification.to_address.lower()} | {
            row.address for row in self._registry.mailboxes_of(notification.agency_code) if row.state == "active"
        }
        for address in (from_address, mail_from.strip().lower()):
            if address not in mailboxes:
                raise ForgedReply(
                    f"the reply comes from {address or 'no address'}, not a mailbox of agency {notification.agency_code}"
                )

    def _decide(self, notification: Notification, intent: Intent) -> None:
        if intent.accept:
            self._documents.accept(notification.document_id, notification.agency_code)
        else:
            self._documents.refuse(notification.document_id, intent.reason, notification.agency_code)

    def _reject(self, message_id: str, from_address: str, reply_to: str, reason: str) -> str:
        reply = Reply(message_id, from_address, reply_to)
        reply.reject(reason)
        self._app.save(reply)
        log.warning("reply %s from %s to %s rejected: %s", message_id, from_address, reply_to, reason)
        ascii_reason = without_diacritics(reason).encode("ascii", "replace").decode()
        return f"550 5.7.1 reply rejected: {ascii_reason}"


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        raise MalformedReply("the reply has no plain-text part to read the decision from")
    return str(body.get_content())


class _Handler:
    def __init__(self, desk: ReplyDesk, domain: str) -> None:
        self._desk = desk
        self._suffix = "@" + domain.lower()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if not (address.lower().startswith("reply+") and address.lower().endswith(self._suffix)):
            return "550 5.1.1 not a reply address of this platform"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        return await asyncio.to_thread(self._desk.receive, envelope.mail_from, list(envelope.rcpt_tos), content)


class ReplyListener:
    """The inbound SMTP server replies are delivered to (the MX of the reply domain points here)."""

    def __init__(self, desk: ReplyDesk, domain: str, host: str, port: int) -> None:
        self._controller = PortLearningController(
            _Handler(desk, domain), hostname=host, port=port, data_size_limit=MAX_REPLY_BYTES
        )

    @property
    def port(self) -> int:
        port: int = self._controller.port
        return port

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
