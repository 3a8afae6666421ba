"""The outgoing document (văn bản đi): draft → registered → signed → sent, each step an event."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from lienthong.documents.domain.attachments import MAX_ATTACHMENTS, AttachmentRecord, BusinessType
from lienthong.errors import FailedPrecondition, InvalidArgument

SUBJECT_LIMIT = 500  # trích yếu, Phụ lục VI NĐ 30/2020

# PAdES levels a seal is recorded at. A seal made at B-T (the clerk waits only for that) becomes B-LT in its
# own step right after (LongTermValidated); a Signed event without a level predates that and was B-LT.
SEAL_B_T = "B-T"
SEAL_B_LT = "B-LT"


class OutgoingState(enum.Enum):
    """Where an outgoing document is in its life."""

    DRAFT = "draft"
    SUBMITTED = "submitted"  # trình ký: waiting for the leader's approval
    RETURNED = "returned"  # trả lại: sent back with comments, to be corrected and submitted again
    APPROVED = "approved"
    REGISTERED = "registered"
    SIGNED = "signed"
    SENT = "sent"


_BEFORE_REGISTRATION = frozenset(
    {OutgoingState.DRAFT, OutgoingState.SUBMITTED, OutgoingState.RETURNED, OutgoingState.APPROVED}
)


class Urgency(enum.Enum):
    """Độ khẩn; the value is the edXML Priority."""

    NORMAL = 0
    KHAN = 1
    THUONG_KHAN = 2
    HOA_TOC = 3


class Confidentiality(enum.Enum):
    """Độ mật."""

    NORMAL = 0
    MAT = 1
    TOI_MAT = 2
    TUYET_MAT = 3


def checked_subject(subject: str) -> str:
    """The subject (trích yếu) without surrounding spaces: present and at most 500 characters."""
    subject = subject.strip()
    if not subject:
        raise InvalidArgument("subject (trích yếu) is required")
    if len(subject) > SUBJECT_LIMIT:
        raise InvalidArgument(f"subject (trích yếu) has {len(subject)} characters; the limit is {SUBJECT_LIMIT}")
    return subject


class OutgoingDocument(Aggregate):
    """A document an agency issues. Commands check the rule, then record the event that changes state."""

    @event("Drafted")
    def __init__(
        self,
        id: UUID,  # eventsourcing's name; chosen before the draft: a confidential one's encryption is bound to it
        sender_code: str,
        doc_type: str,
        subject: str,
        urgency: str,
        confidentiality: str,
        content_sha256: str,
        attachments: list[dict[str, Any]] | None = None,
        business_type: str = "NEW",
        relates_to: str = "",
        relates_to_code: str = "",
        sealed: dict[str, Any] | None = None,
    ) -> None:
        # A confidential document's subject and file names here are placeholders; `sealed` holds them
        # encrypted, with the data key wrapped per agency (lienthong.documents.application.envelope).
        self.sealed: dict[str, Any] = dict(sealed or {})
        self.attachments = list(attachments or [])
        self.business_type = business_type
        self.relates_to = relates_to
        self.relates_to_code = relates_to_code
        self.sender_code = sender_code
        self.doc_type = doc_type
        self.subject = subject
        self.urgency = urgency
        self.confidentiality = confidentiality
        self.content_sha256 = content_sha256
        self.state = OutgoingState.DRAFT
        self.number = 0
        self.notation = ""
        self.code = ""
        self.issued_at: datetime | None = None
        self.certificate_serial = ""
        self.seal_policy = ""  # the signing policy that let the seal sign unattended, if it did
        self.seal_level = ""  # the PAdES level of the seal: B-T until made long-term, then B-LT
        self.leader_serial = ""  # the leader's personal certificate that signed before the seal, if one did
        self.leader_position = ""
        self.recipients: dict[str, str] = {}  # recipient code → incoming copy id
        self.recipient_status: dict[str, tuple[str, datetime]] = {}

    @classmethod
    def draft(
        cls,
        *,
        sender_code: str,
        doc_type: str,
        subject: str,
        urgency: Urgency,
        confidentiality: Confidentiality,
        content_sha256: str,
        attachments: list[AttachmentRecord] | None = None,
        business_type: BusinessType = BusinessType.NEW,
        relates_to: OutgoingDocument | None = None,
        sealed: dict[str, Any] | None = None,
        document_id: UUID | None = None,
    ) -> OutgoingDocument:
        """Draft a document, checking its subject (trích yếu): present and at most 500 characters; a
        revocation, update or replacement names an earlier document of the same agency that was sent.
        A confidential document comes `sealed`, its subject a placeholder (checked before it was sealed),
        under the `document_id` its encryption is bound to."""
        subject = checked_subject(subject)
        if (confidentiality is not Confidentiality.NORMAL) != bool(sealed):
            raise InvalidArgument("a confidential document, and only one, is stored encrypted")
        files = list(attachments or [])
        if len(files) > MAX_ATTACHMENTS:
            raise InvalidArgument(f"a document has at most {MAX_ATTACHMENTS} attachments, got {len(files)}")
        if (business_type is BusinessType.NEW) != (relates_to is None):
            raise InvalidArgument("a revocation, update or replacement names the earlier document, and only they do")
        if relates_to is not None:
            if relates_to.sender_code != sender_code:
                raise FailedPrecondition(f"document {relates_to.id} was issued by another agency")
            if relates_to.state is not OutgoingState.SENT:
                raise FailedPrecondition(f"document {relates_to.id} has not been sent; change the draft instead")
        return cls(
            document_id or uuid4(),
            sender_code,
            doc_type,
            subject,
            urgency.name,
            confidentiality.name,
            content_sha256,
            [f.as_dict() for f in files],
            business_type.name,
            str(relates_to.id) if relates_to else "",
            relates_to.code if relates_to else "",
            sealed or None,
        )

    def submit(self, *, by: str, at: datetime) -> None:
        """Submit the draft (or the corrected returned one) for approval."""
        if self.state not in (OutgoingState.DRAFT, OutgoingState.RETURNED):
            raise FailedPrecondition(
                f"document {self.id} is {self.state.value}; only a draft or a returned document is submitted"
            )
        self._submitted(by, at)

    @event("Submitted")
    def _submitted(self, by: str, at: datetime) -> None:
        self.state = OutgoingState.SUBMITTED

    def approve(self, *, by: str, comment: str, at: datetime) -> None:
        """The leader approves the submitted document."""
        self._check_submitted("approved")
        self._approved(by, comment.strip(), at)

    @event("Approved")
    def _approved(self, by: str, comment: str, at: datetime) -> None:
        self.state = OutgoingState.APPROVED

    def return_with_comments(self, *, by: str, comments: str, at: datetime) -> None:
        """The leader sends the submitted document back with comments (ý kiến) to correct."""
        self._check_submitted("returned")
        if not comments.strip():
            raise InvalidArgument("returning a document needs comments saying what to correct")
        self._returned(by, comments.strip(), at)

    @event("Returned")
    def _returned(self, by: str, comments: str, at: datetime) -> None:
        self.state = OutgoingState.RETURNED

    def _check_submitted(self, action: str) -> None:
        if self.state is not OutgoingState.SUBMITTED:
            raise FailedPrecondition(f"document {self.id} is {self.state.value}; only a submitted document is {action}")

    def check_registrable(self) -> None:
        """A draft (when the agency does not use approval here) or an approved document gets its number;
        a document waiting for approval or returned with comments does not."""
        if self.state is OutgoingState.SUBMITTED:
            raise FailedPrecondition(f"document {self.id} is waiting for approval; it is registered once approved")
        if self.state is OutgoingState.RETURNED:
            raise FailedPrecondition(f"document {self.id} was returned with comments; correct it and submit it again")
        if self.state not in (OutgoingState.DRAFT, OutgoingState.APPROVED):
            raise FailedPrecondition(f"document {self.id} is already registered as {self.code}")

    def register(self, *, number: int, notation: str, code: str, issued_at: datetime, content_sha256: str) -> None:
        """Give the draft its number and notation (văn thư đăng ký): only a draft can be registered."""
        self.check_registrable()
        self._registered(number, notation, code, issued_at, content_sha256)

    @event("Registered")
    def _registered(self, number: int, notation: str, code: str, issued_at: datetime, content_sha256: str) -> None:
        self.number = number
        self.notation = notation
        self.code = code
        self.issued_at = issued_at
        self.content_sha256 = content_sha256
        self.state = OutgoingState.REGISTERED

    def check_signable(self) -> None:
        """Only a registered, not yet signed document takes the agency's seal signature."""
        if self.state in _BEFORE_REGISTRATION:
            raise FailedPrecondition(f"document {self.id} is a draft: register it (number and notation) before signing")
        if self.state is not OutgoingState.REGISTERED:
            raise FailedPrecondition(f"document {self.code} is already signed")

    def check_leader_signable(self) -> None:
        """A leader signs the registered PDF once, before the agency's seal."""
        if self.state in _BEFORE_REGISTRATION:
            raise FailedPrecondition(f"document {self.id} is a draft: register it before the leader signs")
        if self.state is not OutgoingState.REGISTERED:
            raise FailedPrecondition(f"document {self.code} already carries the seal; a leader signs before it")
        if self.leader_serial:
            raise FailedPrecondition(f"document {self.code} is already signed by certificate {self.leader_serial}")

    def sign_as_leader(
        self, *, content_sha256: str, certificate_serial: str, position: str, by: str, signed_at: datetime
    ) -> None:
        """Record a leader's own signature (ký số cá nhân) on the registered PDF, before the seal."""
        self.check_leader_signable()
        if not position.strip():
            raise InvalidArgument("the leader's position (chức vụ) is required: it is shown on the signature")
        self._leader_signed(content_sha256, certificate_serial, position.strip(), by, signed_at)

    @event("LeaderSigned")
    def _leader_signed(
        self, content_sha256: str, certificate_serial: str, position: str, by: str, signed_at: datetime
    ) -> None:
        self.content_sha256 = content_sha256
        self.leader_serial = certificate_serial
        self.leader_position = position

    def sign(
        self,
        *,
        content_sha256: str,
        certificate_serial: str,
        signed_at: datetime,
        policy: str = "",
        level: str = SEAL_B_LT,
    ) -> None:
        """Record the agency's seal signature; `policy` names the signing policy version that let the seal
        sign unattended (automatic signing at registration), empty when a person had it signed; `level` is
        the seal's PAdES level (B-T: to be made long-term by `extend_to_long_term`)."""
        self.check_signable()
        self._signed(content_sha256, certificate_serial, signed_at, policy, level)

    @event("Signed")
    def _signed(
        self, content_sha256: str, certificate_serial: str, signed_at: datetime, policy: str = "", level: str = ""
    ) -> None:
        # `policy` and `level` have defaults: Signed events recorded before automatic signing existed carry no
        # policy, and those before the deferred B-LT step no level (they were B-LT).
        self.content_sha256 = content_sha256
        self.certificate_serial = certificate_serial
        self.seal_policy = policy
        self.seal_level = level or SEAL_B_LT
        self.state = OutgoingState.SIGNED

    @property
    def waits_for_long_term(self) -> bool:
        """Whether the seal is at B-T, its validation data not yet added."""
        return self.seal_level == SEAL_B_T

    def extend_to_long_term(self, *, content_sha256: str, based_on: str, at: datetime) -> None:
        """Record the sealed PDF made long-term (B-LT): `content_sha256` is the PDF with the validation data
        added to the one of `based_on`, the B-T PDF the seal was recorded with."""
        if not self.waits_for_long_term:
            raise FailedPrecondition(
                f"document {self.code or self.id} has no seal waiting to be made long-term"
                + (f" (its seal is {self.seal_level} already)" if self.seal_level else " (it is not sealed)")
            )
        if based_on != self.content_sha256:
            raise FailedPrecondition(
                f"document {self.code} has content {self.content_sha256}, not {based_on}: extend that one instead"
            )
        self._long_term_validated(content_sha256, based_on, at)

    @event("LongTermValidated")
    def _long_term_validated(self, content_sha256: str, based_on: str, at: datetime) -> None:
        self.content_sha256 = content_sha256
        self.seal_level = SEAL_B_LT

    def check_sendable(self) -> None:
        """Refuse, with the reason, a document that is not registered and signed, or already sent."""
        if self.state in _BEFORE_REGISTRATION:
            raise FailedPrecondition(
                f"document {self.id} is not registered: register it (number and notation) before sending"
            )
        if self.state is OutgoingState.REGISTERED:
            raise FailedPrecondition(
                f"document {self.code} is not signed: the agency's signature is required before sending"
            )
        if self.state is OutgoingState.SENT:
            raise FailedPrecondition(f"document {self.code} has already been sent")

    def send(
        self,
        *,
        recipients: dict[str, str],
        sent_at: datetime,
        addressed: dict[str, str] | None = None,
        wrapped_keys: dict[str, str] | None = None,
    ) -> None:
        """Send to `recipients` (recipient code → id of its incoming copy); `addressed` records the old codes
        the sender used that were routed to a successor (old code → recipient code); a confidential document
        carries its data key wrapped for each recipient (`wrapped_keys`, recipient code → wrapped key)."""
        self.check_sendable()
        if not recipients:
            raise InvalidArgument("at least one recipient identifier code is required")
        if self.sender_code in recipients:
            raise InvalidArgument(f"agency {self.sender_code} cannot send a document to itself")
        routed_from: dict[str, list[str]] = {}
        for old, new in (addressed or {}).items():
            routed_from.setdefault(new, []).append(old)
        keys = wrapped_keys or {}
        if self.sealed and set(keys) != set(recipients):
            raise FailedPrecondition(
                f"document {self.code} is confidential: its data key goes wrapped to each recipient"
            )
        listed = [
            {"recipient_code": code, "incoming_id": incoming, "addressed_to": sorted(routed_from.get(code, [code]))}
            | ({"wrapped_key": keys[code]} if code in keys else {})
            for code, incoming in sorted(recipients.items())
        ]
        self._sent(self.sender_code, listed, sent_at)

    @event("Sent")
    def _sent(self, sender_code: str, recipients: list[dict[str, Any]], sent_at: datetime) -> None:
        self.recipients = {r["recipient_code"]: r["incoming_id"] for r in recipients}
        if self.sealed:
            wrapped = {r["recipient_code"]: r["wrapped_key"] for r in recipients if "wrapped_key" in r}
            self.sealed = {**self.sealed, "keys": {**self.sealed["keys"], **wrapped}}
        self.recipient_status = {code: ("01", sent_at) for code in self.recipients}
        self.state = OutgoingState.SENT

    def check_recallable(self) -> None:
        """Only a sent document can be recalled (lấy lại)."""
        if self.state is not OutgoingState.SENT:
            raise FailedPrecondition(f"document {self.code or self.id} has not been sent; there is nothing to recall")

    def record_status(self, *, recipient_code: str, status: str, at: datetime) -> None:
        """A recipient's new status (from its incoming copy) for the sender's tracking."""
        if recipient_code not in self.recipients:
            raise FailedPrecondition(f"{recipient_code} is not a recipient of document {self.code}")
        self._status_changed(recipient_code, status, at)

    @event("RecipientStatusChanged")
    def _status_changed(self, recipient_code: str, status: str, at: datetime) -> None:
        self.recipient_status[recipient_code] = (status, at)
