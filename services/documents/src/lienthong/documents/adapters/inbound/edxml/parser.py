"""Reads edXML messages from untrusted bytes: a size limit and a DTD refusal before parsing, a hardened lxml
parser (no entities, no network, libxml2's depth limit), then every field checked against QCVN 102 and
the rules of NĐ 30/2020. Anything else is refused with the result code of DOMAIN.md §3.

Both layouts are read into the same model (docs/edxml.md): the axis' (root `edXML`, the files in
`AttachmentEncoded` after the envelope) and lienthong's first (root `edXMLEnvelope`, the files in
`edXMLBody`). Elements are matched by namespace, so a prefix (`edXML:`) or none reads the same."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote

from lxml import etree

from lienthong.documents.adapters.inbound.edxml.builder import CID, DS, XLINK
from lienthong.documents.adapters.inbound.edxml.model import (
    ADMINISTRATIVE,
    NAMESPACE,
    Attachment,
    Business,
    Envelope,
    Message,
    Organ,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
)
from lienthong.documents.adapters.inbound.edxml.results import EdxmlRejected, ResultCode
from lienthong.documents.domain.attachments import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, BusinessType
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.numbering import NOTATION_LIMIT, NUMBER_LIMIT
from lienthong.documents.domain.outgoing import SUBJECT_LIMIT, Urgency
from lienthong.documents.domain.status import StatusCode
from lienthong.vietnamese.calendar import VIETNAM

# Base64 adds a third: the largest document (100 files of 50 MiB) would not fit a gRPC message anyway, so the
# limit is the 64 MiB the services accept.
MAX_EDXML_BYTES = 64 * 1024 * 1024
_ORGAN_ID = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
_DATE = re.compile(r"\d{4}/\d{2}/\d{2}")
_TIME = re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}")
_NUMBER = re.compile(r"\d+")
_DECLARED_ENCODING = re.compile(rb"""\A(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")
_TYPES_BY_NAME = {t.vietnamese_name: t for t in DocumentType}
_DOCUMENT_ID = re.compile(r"(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}),(\d{4}/\d{2}/\d{2}),(\d+/[^/\s]+)")


def split_document_id(text: str, where: str = "DocumentId") -> tuple[str, date, str]:
    """The issuing agency, issue date and code (`05/BC-STTTT`) of an edXML DocumentId; result 22 otherwise."""
    found = _DOCUMENT_ID.fullmatch(text)
    try:
        if found is None:
            raise ValueError
        return found[1], datetime.strptime(found[2], "%Y/%m/%d").date(), found[3]
    except ValueError:
        raise _nonconformant(f"{where} {text!r} is not OrganId,yyyy/MM/dd,Number/Notation") from None


def _invalid(reason: str) -> EdxmlRejected:
    return EdxmlRejected(ResultCode.INVALID_FILE, reason)


def _nonconformant(reason: str) -> EdxmlRejected:
    return EdxmlRejected(ResultCode.NOT_CONFORMANT, reason)


def _hardened_parser() -> etree.XMLParser:
    # huge_tree is on because without it libxml2 refuses any text node over 10 MB, and the base64 of an 8 MB
    # attachment is one (files of 50 MiB are allowed). What it guards against is bounded here already: DTDs
    # are refused before parsing (no entity bomb, nothing external), the byte limit caps memory, and libxml2
    # still stops at 2048 levels of nesting.
    # Comments and processing instructions are dropped while parsing, so the text around them is one text
    # node: the signature (canonicalised without comments) and what is read here are the same text, and a
    # comment slipped into a signed Subject cannot cut it short.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def read_xml(data: bytes, *, max_bytes: int = MAX_EDXML_BYTES) -> Any:
    """The root element, or result 10: empty, larger than `max_bytes`, not well-formed, or with a DTD."""
    if not data:
        raise _invalid("the file is empty")
    if len(data) > max_bytes:
        raise _invalid(f"the file has {len(data)} bytes; the limit is {max_bytes}")
    if b"\x00" in data or not _is_utf8(data):
        # edXML is UTF-8. Another encoding (UTF-16 above all) would hide a DTD from the check below.
        raise _invalid("the file is not UTF-8 text")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        # Refused before parsing: no DTD means no entity expansion (billion laughs) and no external fetch.
        raise _invalid("the file declares a DTD or entities; edXML has none")
    try:
        root = etree.fromstring(data, parser=_hardened_parser())
    except etree.XMLSyntaxError as error:
        raise _invalid(f"the file is not well-formed XML: {error}") from error
    if root.getroottree().docinfo.doctype:
        raise _invalid("the file declares a DTD; edXML has none")
    return root


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    declared = _DECLARED_ENCODING.match(data)
    return declared is None or declared[1].lower().replace(b"_", b"-") in (b"utf-8", b"utf8")


def parse_message(data: bytes, *, max_bytes: int = MAX_EDXML_BYTES) -> Message:
    """A document envelope or a status message; EdxmlRejected with the result code otherwise.

    The signature is only required to be present here (result 15 when missing); whether it is valid, and
    whose it is, the signing service decides."""
    parts = _parts(read_xml(data, max_bytes=max_bytes))
    header = parts.envelope.child("edXMLHeader")
    signed = header.element.find(f"{{{DS}}}Signature") is not None
    if not signed and not (parts.outer and parts.outer.element.find(f"{{{DS}}}Signature") is not None):
        raise EdxmlRejected(ResultCode.AUTHENTICATION_FAILED, "edXMLHeader carries no ds:Signature of the sender")
    if header.element.find(_tag("MessageHeader")) is not None:
        return _envelope(parts, header)
    if header.element.find(_tag("Status")) is not None:
        return _status(header.child("Status"))
    raise _nonconformant("edXMLHeader has neither a MessageHeader (document) nor a Status (status message)")


@dataclass(frozen=True)
class _Parts:
    """Where a layout keeps the envelope and the files. `outer` is the axis layout's root `edXML`, whose second
    child carries the files (`files`); lienthong's first layout has none, its files are in edXMLBody."""

    envelope: _Node
    outer: _Node | None
    files: _Node | None

    def attachment_encoded(self, body: _Node) -> _Node | None:
        if self.outer is not None:
            if body.element.find(_tag("AttachmentEncoded")) is not None:
                raise _nonconformant(
                    f"{body.path}/AttachmentEncoded: in the axis layout the files follow the envelope "
                    "as the second child of edXML"
                )
            return self.files
        found = body.element.find(_tag("AttachmentEncoded"))
        return None if found is None else _Node(found, f"{body.path}/AttachmentEncoded")


def _parts(root: Any) -> _Parts:
    if root.tag == _tag("edXMLEnvelope"):
        return _Parts(_Node(root, "edXMLEnvelope"), None, None)
    if root.tag != _tag("edXML"):
        raise _nonconformant(
            f"the root element is {root.tag}: an edXML message is edXML (the axis layout) or edXMLEnvelope "
            f"in namespace {NAMESPACE}"
        )
    outer = _Node(root, "edXML")
    envelopes = root.findall(_tag("edXMLEnvelope"))
    if len(envelopes) != 1:
        raise _nonconformant(f"edXML holds {len(envelopes)} edXMLEnvelope elements; a message is exactly one")
    files = root.findall(_tag("AttachmentEncoded"))
    if len(files) > 1:
        raise _nonconformant(f"edXML holds {len(files)} AttachmentEncoded elements; the files go in one")
    return _Parts(
        _Node(envelopes[0], "edXML/edXMLEnvelope"),
        outer,
        _Node(files[0], "edXML/AttachmentEncoded") if files else None,
    )


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


class _Node:
    """An element and its path, for reading children and naming the exact field that is wrong."""

    def __init__(self, element: Any, path: str) -> None:
        self.element = element
        self.path = path

    def child(self, name: str) -> _Node:
        found = self.element.find(_tag(name))
        if found is None:
            raise _nonconformant(f"{self.path}/{name} is missing")
        return _Node(found, f"{self.path}/{name}")

    def children(self, name: str) -> list[_Node]:
        return [_Node(e, f"{self.path}/{name}[{i}]") for i, e in enumerate(self.element.findall(_tag(name)), 1)]

    def optional(self, name: str) -> str:
        found = self.element.find(_tag(name))
        if found is None:
            return ""
        if len(found):
            raise _nonconformant(f"{self.path}/{name} must hold text, not elements")
        return str(found.text or "")

    def required(self, name: str, limit: int | None = None) -> str:
        text = self.child(name).element.text or ""
        if not text.strip():
            raise _nonconformant(f"{self.path}/{name} is empty")
        if limit is not None and len(text) > limit:
            raise _nonconformant(f"{self.path}/{name} has {len(text)} characters; the limit is {limit}")
        return str(text)

    def integer(self, name: str, allowed: range | None = None) -> int:
        text = self.optional(name).strip()
        if not text:
            return 0
        if not _NUMBER.fullmatch(text):
            raise _nonconformant(f"{self.path}/{name} must be a whole number, got {text!r}")
        value = int(text)
        if allowed is not None and value not in allowed:
            raise _nonconformant(f"{self.path}/{name} must be {allowed.start}..{allowed.stop - 1}, got {value}")
        return value

    def day(self, name: str, *, required: bool) -> date | None:
        text = self.required(name) if required else self.optional(name)
        if not text and not required:
            return None
        try:
            if not _DATE.fullmatch(text):
                raise ValueError
            return datetime.strptime(text, "%Y/%m/%d").date()
        except ValueError:
            raise _nonconformant(f"{self.path}/{name} must be a date yyyy/MM/dd, got {text!r}") from None

    def moment(self, name: str) -> datetime:
        text = self.required(name)
        try:
            if not _TIME.fullmatch(text):
                raise ValueError
            return datetime.strptime(text, "%Y/%m/%d %H:%M:%S").replace(tzinfo=VIETNAM)
        except ValueError:
            raise _nonconformant(f"{self.path}/{name} must be a time yyyy/MM/dd HH:mm:ss, got {text!r}") from None

    def organ(self) -> Organ:
        organ_id = self.required("OrganId")
        if not _ORGAN_ID.fullmatch(organ_id):
            raise _nonconformant(f"{self.path}/OrganId {organ_id!r} is not an identifier code NNN.NN.NN.XNN")
        return Organ(
            organ_id=organ_id,
            name=self.required("OrganName"),
            address=self.optional("OrganAdd"),
            email=self.optional("Email"),
            telephone=self.optional("Telephone"),
            fax=self.optional("Fax"),
            website=self.optional("Website"),
            in_charge=self.optional("OrganizationInCharge"),
        )

    def staff(self) -> StaffInfo:
        """Its StaffInfo, blank when there is none."""
        if self.element.find(_tag("StaffInfo")) is None:
            return StaffInfo()
        staff = self.child("StaffInfo")
        return StaffInfo(
            staff.optional("Department"), staff.optional("Staff"), staff.optional("Email"), staff.optional("Mobile")
        )


def _envelope(parts: _Parts, header: _Node) -> Envelope:
    message = header.child("MessageHeader")
    recipients = tuple(node.organ() for node in message.children("To"))
    if not recipients:
        raise _nonconformant(f"{message.path}/To is missing: a document has at least one recipient")
    code = message.child("Code")
    number = code.required("CodeNumber", NUMBER_LIMIT)
    if not _NUMBER.fullmatch(number):
        raise _nonconformant(f"{code.path}/CodeNumber must be digits, got {number!r}")
    notation = code.required("CodeNotation", NOTATION_LIMIT)
    if "/" in notation or any(c.isspace() for c in notation):
        raise _nonconformant(f"{code.path}/CodeNotation {notation!r} must not contain '/' or spaces")
    promulgation = message.child("PromulgationInfo")
    kind = message.child("DocumentType")
    if kind.integer("Type") != ADMINISTRATIVE:
        raise _nonconformant(f"{kind.path}/Type must be {ADMINISTRATIVE} (an administrative document)")
    type_name = kind.required("TypeName")
    if type_name not in _TYPES_BY_NAME:
        raise _nonconformant(f"{kind.path}/TypeName {type_name!r} is not one of the 29 types of NĐ 30/2020")
    signer = message.child("SignerInfo") if message.element.find(_tag("SignerInfo")) is not None else None
    other = message.child("OtherInfo")
    envelope = Envelope(
        sender=message.child("From").organ(),
        recipients=recipients,
        number=number,
        notation=notation,
        place=promulgation.optional("Place"),
        promulgation_date=_day(promulgation.day("PromulgationDate", required=True)),
        doc_type=_TYPES_BY_NAME[type_name],
        type_detail=kind.integer("TypeDetail"),
        subject=message.required("Subject", SUBJECT_LIMIT),
        content=message.optional("Content"),
        signer=SignerInfo(signer.optional("Competence"), signer.optional("Position"), signer.optional("FullName"))
        if signer
        else SignerInfo(),
        due_date=message.day("DueDate", required=False),
        to_places=tuple(str(node.element.text or "") for node in _optional_list(message, "ToPlaces", "Place")),
        priority=Urgency(other.integer("Priority", range(4))),
        sphere_of_promulgation=other.optional("SphereOfPromulgation"),
        typer_notation=other.optional("TyperNotation"),
        promulgation_amount=other.integer("PromulgationAmount"),
        page_amount=other.integer("PageAmount"),
        appendixes=tuple(str(node.element.text or "") for node in _optional_list(other, "Appendixes", "Appendix")),
        response_for=tuple(node.required("DocumentId") for node in message.children("ResponseFor")),
        steering_type=message.integer("SteeringType"),
        traces=_traces(header),
        business=_business(header.child("TraceHeaderList")),
        attachments=_attachments(parts, parts.envelope.child("edXMLBody")),
    )
    stated = message.required("DocumentId")
    if stated != envelope.document_id:
        raise _nonconformant(
            f"{message.path}/DocumentId is {stated!r}; From, PromulgationDate and Code make {envelope.document_id!r}"
        )
    return envelope


def _day(day: date | None) -> date:
    assert day is not None  # required=True never gives None
    return day


def _optional_list(node: _Node, wrapper: str, item: str) -> list[_Node]:
    return node.child(wrapper).children(item) if node.element.find(_tag(wrapper)) is not None else []


def _traces(header: _Node) -> tuple[TraceHeader, ...]:
    traces = header.child("TraceHeaderList")
    found = tuple(
        TraceHeader(node.required("OrganId"), node.moment("Timestamp")) for node in traces.children("TraceHeader")
    )
    if not found:
        raise _nonconformant(f"{traces.path}/TraceHeader is missing: the sender stamps the trace first")
    for trace in found:
        if not _ORGAN_ID.fullmatch(trace.organ_id):
            raise _nonconformant(f"{traces.path}/TraceHeader/OrganId {trace.organ_id!r} is not an identifier code")
    return found


def _business(traces: _Node) -> Business:
    if traces.element.find(_tag("Bussiness")) is None:
        return Business()
    node = traces.child("Bussiness")
    doc_type = BusinessType(node.integer("BussinessDocType", range(4)))
    acted_on = node.optional("DocumentId")
    if (doc_type is BusinessType.NEW) != (not acted_on):
        raise _nonconformant(
            f"{node.path}/DocumentId names the document revoked, updated or replaced, and only then is it given"
        )
    if acted_on:
        split_document_id(acted_on, f"{node.path}/DocumentId")
    paper = bool(node.integer("Paper", range(2)))
    return Business(doc_type, node.optional("BussinessDocReason"), acted_on, paper, node.staff())


def _attachments(parts: _Parts, body: _Node) -> tuple[Attachment, ...]:
    """The files, each bound to the one manifest Reference that names its ContentId (result 22 otherwise:
    the manifest is what the reader sees of the files, so none may be missing from it or from the message)."""
    manifest = body.child("edXMLManifest") if body.element.find(_tag("edXMLManifest")) is not None else None
    references = _references(manifest) if manifest else {}
    encoded = parts.attachment_encoded(body)
    nodes = encoded.children("Attachment") if encoded else []
    if len(nodes) > MAX_ATTACHMENTS:
        raise _nonconformant(
            f"{encoded.path if encoded else body.path} carries {len(nodes)} attachments; the limit is {MAX_ATTACHMENTS}"
        )
    attachments: list[Attachment] = []
    carried: dict[str, str] = {}
    for node in nodes:
        content_id = _content_id(node.required("ContentId"))
        if content_id in carried:
            raise _nonconformant(
                f"{node.path}/ContentId {content_id!r} is also the ContentId of {carried[content_id]}: "
                "each file has its own"
            )
        carried[content_id] = node.path
        reference = references.pop(content_id, None)
        if reference is None:
            raise _nonconformant(
                f"{node.path} (ContentId {content_id!r}) is named by no Reference of "
                f"{manifest.path if manifest else body.path + '/edXMLManifest'}: every file is listed in the manifest"
            )
        try:
            content = base64.b64decode("".join(node.optional("ContentTransferEncoded").split()), validate=True)
        except (binascii.Error, ValueError):
            raise _nonconformant(f"{node.path}/ContentTransferEncoded is not valid base64") from None
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise _nonconformant(f"{node.path} has {len(content)} bytes; the limit is {MAX_ATTACHMENT_BYTES}")
        name = _agreed(reference, node, "AttachmentName")
        if not name.strip():
            raise _nonconformant(f"{node.path}/AttachmentName is empty")
        attachments.append(
            Attachment(
                content_id=content_id,
                name=name,
                content_type=_agreed(reference, node, "ContentType"),
                description=_agreed(reference, node, "Description"),
                content=content,
            )
        )
    if references:
        content_id, reference = next(iter(references.items()))
        where = encoded.path if encoded else "the message"
        raise _nonconformant(f"{reference.path} names ContentId {content_id!r}, but {where} carries no such file")
    return tuple(attachments)


def _references(manifest: _Node) -> dict[str, _Node]:
    """The manifest's References by the ContentId they name: their ContentId (a `cid:` URL in the axis
    layout, plain in lienthong's first) and xlink:href (a `cid:` URL) name the same file when both are given."""
    named: dict[str, _Node] = {}
    for node in manifest.children("Reference"):
        href = node.element.get(f"{{{XLINK}}}href")
        if href is not None and not href.lower().startswith(CID):
            raise _nonconformant(f"{node.path}/@xlink:href {href!r} is not a cid: URL naming a file of the message")
        stated = node.optional("ContentId")
        ids = {_content_id(text) for text in (stated, href) if text and text.strip()}
        if not ids:
            raise _nonconformant(f"{node.path} names no file: it has neither a ContentId nor an xlink:href")
        if len(ids) > 1:
            raise _nonconformant(f"{node.path}: xlink:href {href!r} and ContentId {stated!r} name different files")
        [content_id] = ids
        if content_id in named:
            raise _nonconformant(
                f"{node.path} names ContentId {content_id!r} as {named[content_id].path} does: each file is listed once"
            )
        named[content_id] = node
    return named


def _content_id(text: str) -> str:
    """A ContentId as the model keeps it: a `cid:` URL (RFC 2392) decoded to the Content-ID it names."""
    return unquote(text[len(CID) :]) if text[: len(CID)].lower() == CID else text


def _agreed(reference: _Node, attachment: _Node, name: str) -> str:
    """A file's field as its Attachment states it, else as its Reference does; result 22 when they differ."""
    in_reference, in_attachment = reference.optional(name), attachment.optional(name)
    if in_reference and in_attachment and in_reference != in_attachment:
        raise _nonconformant(
            f"{attachment.path}/{name} is {in_attachment!r} but {reference.path}/{name} is {in_reference!r}: "
            "the manifest and the file disagree"
        )
    return in_attachment or in_reference


def _status(status: _Node) -> StatusMessage:
    text = status.required("StatusCode")
    try:
        code = StatusCode(text)
    except ValueError:
        codes = ", ".join(s.value for s in StatusCode)
        raise _nonconformant(f"{status.path}/StatusCode {text!r} is not one of {codes}") from None
    recipient = status.child("To").organ()
    answered = status.child("ResponseFor").required("DocumentId")
    issuer, _, _ = split_document_id(answered, f"{status.path}/ResponseFor/DocumentId")
    if issuer != recipient.organ_id:
        raise _nonconformant(
            f"{status.path}/To is {recipient.organ_id}, but the document answered was issued by {issuer}"
        )
    return StatusMessage(
        sender=status.child("From").organ(),
        recipient=recipient,
        document_id=answered,
        status=code,
        timestamp=status.moment("Timestamp"),
        description=status.optional("Description"),
        staff=status.staff(),
    )
