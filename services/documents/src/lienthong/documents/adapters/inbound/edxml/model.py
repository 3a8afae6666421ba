"""The edXML messages as values: a document envelope and a status message (QCVN 102:2016, DOMAIN.md §3)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from lienthong.documents.domain.attachments import AttachmentKind, BusinessType
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Urgency
from lienthong.documents.domain.status import StatusCode

NAMESPACE = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
# edXML DocumentType/Type: 1 for an administrative document (văn bản hành chính), the only kind lienthong issues.
ADMINISTRATIVE = 1
# The kind of a file travels as its Description, in words another system can show.
KIND_DESCRIPTIONS = {
    AttachmentKind.MAIN_TEXT: "Văn bản chính",
    AttachmentKind.APPENDIX: "Phụ lục",
    AttachmentKind.ATTACHMENT: "Tài liệu kèm theo",
}


class Layout(enum.Enum):
    """How a message is laid out on the wire (docs/edxml.md); the parser reads both into the same model."""

    AXIS = "axis"  # the national axis' SDK: root edXML, edXML:edXMLEnvelope, files outside the envelope
    ENVELOPE = "envelope"  # lienthong's first layout (DOMAIN.md §3): root edXMLEnvelope, files in edXMLBody


def document_id(organ_id: str, promulgation_date: date, number: str, notation: str) -> str:
    """edXML DocumentId: `OrganId,yyyy/MM/dd,Number/Notation` (the sender, the issue date, the code)."""
    return f"{organ_id},{promulgation_date:%Y/%m/%d},{number}/{notation}"


@dataclass(frozen=True)
class Organ:
    """An agency as edXML names it (From, To)."""

    organ_id: str
    name: str
    address: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""
    in_charge: str = ""  # OrganizationInCharge: the agency above it (cơ quan chủ quản); written in the axis layout


@dataclass(frozen=True)
class SignerInfo:
    """Who signed: authority mark (TM., KT., ...), position and full name."""

    competence: str = ""
    position: str = ""
    full_name: str = ""


@dataclass(frozen=True)
class TraceHeader:
    """One agency the message passed through, and when."""

    organ_id: str
    timestamp: datetime


@dataclass(frozen=True)
class StaffInfo:
    """The person who acted on the document (the sender's clerk in a Bussiness, the recipient's in a status)."""

    department: str = ""
    staff: str = ""
    email: str = ""
    mobile: str = ""


@dataclass(frozen=True)
class Business:
    """edXML Bussiness: what the document does to an earlier one (DocumentId of that one), a paper copy."""

    doc_type: BusinessType = BusinessType.NEW
    reason: str = ""
    document_id: str = ""
    paper: bool = False
    staff: StaffInfo = field(default_factory=StaffInfo)  # written in the axis layout


@dataclass(frozen=True)
class Attachment:
    """A file carried base64-encoded in the body."""

    content_id: str
    name: str
    content_type: str
    description: str
    content: bytes

    @property
    def kind(self) -> AttachmentKind:
        for kind, description in KIND_DESCRIPTIONS.items():
            if description == self.description:
                return kind
        return AttachmentKind.ATTACHMENT


@dataclass(frozen=True)
class Envelope:
    """An official document as an edXML message."""

    sender: Organ
    recipients: tuple[Organ, ...]
    number: str
    notation: str
    promulgation_date: date
    doc_type: DocumentType
    subject: str
    traces: tuple[TraceHeader, ...]
    # DocumentType/TypeDetail: the sender's own sub-type, carried and not interpreted (written in the axis layout)
    type_detail: int = 0
    place: str = ""
    content: str = ""
    signer: SignerInfo = field(default_factory=SignerInfo)
    due_date: date | None = None
    to_places: tuple[str, ...] = ()
    priority: Urgency = Urgency.NORMAL
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: int = 0
    page_amount: int = 0
    appendixes: tuple[str, ...] = ()
    response_for: tuple[str, ...] = ()  # DocumentIds of the documents this one answers
    steering_type: int = 0
    business: Business = field(default_factory=Business)
    attachments: tuple[Attachment, ...] = ()

    @property
    def document_id(self) -> str:
        return document_id(self.sender.organ_id, self.promulgation_date, self.number, self.notation)

    @property
    def code(self) -> str:
        return f"{self.number}/{self.notation}"


@dataclass(frozen=True)
class StatusMessage:
    """A recipient's status of a document, sent back to its sender (edXML status)."""

    sender: Organ  # the recipient agency that reports
    recipient: Organ  # the agency that issued the document
    document_id: str  # DocumentId of the document answered
    status: StatusCode
    timestamp: datetime
    description: str = ""
    staff: StaffInfo = field(default_factory=StaffInfo)


Message = Envelope | StatusMessage
