"""Writes edXML messages with lxml, in either layout (docs/edxml.md): every element in the QCVN 102 namespace,
and a signature placeholder in edXMLHeader where the signing service puts the agency's enveloped XMLDSig,
whose Reference URI="" covers the whole message, files included, in both layouts.

- `Layout.AXIS` (the default), as the national axis' SDK writes it: root `edXML` (default namespace, xsi and
  xsd declared) holding `edXML:edXMLEnvelope`, whose `edXMLManifest` names each file by an xlink
  `Reference` (`cid:` URL), and after it `AttachmentEncoded` with the files themselves.
- `Layout.ENVELOPE`, lienthong's first layout, unchanged: root `edXMLEnvelope`, files in `edXMLBody`."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from lxml import etree

from lienthong.documents.adapters.inbound.edxml.model import (
    ADMINISTRATIVE,
    NAMESPACE,
    Attachment,
    Envelope,
    Layout,
    Organ,
    StaffInfo,
    StatusMessage,
)
from lienthong.vietnamese.calendar import VIETNAM

DS = "http://www.w3.org/2000/09/xmldsig#"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
PREFIX = "edXML"  # the axis layout's prefix for the envelope and everything in it
MANIFEST_VERSION = "1.0"
# TraceHeaderList's SOAP-style attributes in the axis layout: the header is for the next hop to understand.
TRACE_VERSION = "1.0"
NEXT_ACTOR = "http://schemas.xmlsoap.org/soap/actor/next"
CID = "cid:"  # RFC 2392: a Content-ID as a URL
# What a cid: URL may carry unescaped (RFC 3986 unreserved, sub-delims, ":" and "@" besides "/").
_CID_SAFE = "/!$&'()*+,;=:@"
DATE_FORMAT = "%Y/%m/%d"  # yyyy/MM/dd
TIME_FORMAT = "%Y/%m/%d %H:%M:%S"  # yyyy/MM/dd HH:mm:ss, Vietnam time


def edxml_date(day: date | None) -> str:
    return f"{day:%Y/%m/%d}" if day else ""


def edxml_time(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime(TIME_FORMAT)


def cid_url(content_id: str) -> str:
    """The `cid:` URL of a file's ContentId (RFC 2392), as a manifest Reference names it."""
    return CID + quote(content_id, safe=_CID_SAFE)


def xlink_role(attachment: Attachment) -> str:
    """What a manifest Reference says the file is for: its kind, as a URN."""
    return f"urn:lienthong:edxml:{attachment.kind.name.lower().replace('_', '-')}"


def _add(parent: Any, tag: str, text: str | int | None = None) -> Any:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    if text is not None:
        element.text = str(text)
    return element


def _organ(parent: Any, tag: str, organ: Organ, layout: Layout) -> None:
    element = _add(parent, tag)
    _add(element, "OrganId", organ.organ_id)
    if layout is Layout.AXIS:
        _add(element, "OrganizationInCharge", organ.in_charge)
    _add(element, "OrganName", organ.name)
    _add(element, "OrganAdd", organ.address)
    _add(element, "Email", organ.email)
    _add(element, "Telephone", organ.telephone)
    _add(element, "Fax", organ.fax)
    _add(element, "Website", organ.website)


def _staff(parent: Any, staff: StaffInfo) -> None:
    element = _add(parent, "StaffInfo")
    _add(element, "Department", staff.department)
    _add(element, "Staff", staff.staff)
    _add(element, "Email", staff.email)
    _add(element, "Mobile", staff.mobile)


def _root(layout: Layout) -> tuple[Any, Any, Any]:
    """The root, the edXMLEnvelope (the same element in lienthong's first layout) and its edXMLHeader."""
    if layout is Layout.AXIS:
        root = etree.Element(f"{{{NAMESPACE}}}edXML", nsmap={None: NAMESPACE, "xsi": XSI, "xsd": XSD})
        envelope = etree.SubElement(root, f"{{{NAMESPACE}}}edXMLEnvelope", nsmap={PREFIX: NAMESPACE})
    else:
        root = envelope = etree.Element(f"{{{NAMESPACE}}}edXMLEnvelope", nsmap={None: NAMESPACE})
    return root, envelope, _add(envelope, "edXMLHeader")


def _finish(root: Any, header: Any) -> bytes:
    etree.SubElement(header, f"{{{DS}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DS})
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def envelope_xml(envelope: Envelope, layout: Layout = Layout.AXIS) -> bytes:
    """The unsigned envelope, with `<ds:Signature Id="placeholder"/>` at the end of edXMLHeader."""
    root, outer, header = _root(layout)
    message = _add(header, "MessageHeader")
    _organ(message, "From", envelope.sender, layout)
    for organ in envelope.recipients:
        _organ(message, "To", organ, layout)
    code = _add(message, "Code")
    _add(code, "CodeNumber", envelope.number)
    _add(code, "CodeNotation", envelope.notation)
    promulgation = _add(message, "PromulgationInfo")
    _add(promulgation, "Place", envelope.place)
    _add(promulgation, "PromulgationDate", edxml_date(envelope.promulgation_date))
    kind = _add(message, "DocumentType")
    _add(kind, "Type", ADMINISTRATIVE)
    _add(kind, "TypeName", envelope.doc_type.vietnamese_name)
    if layout is Layout.AXIS:
        _add(kind, "TypeDetail", envelope.type_detail)
    _add(message, "Subject", envelope.subject)
    _add(message, "Content", envelope.content)
    signer = _add(message, "SignerInfo")
    _add(signer, "Competence", envelope.signer.competence)
    _add(signer, "Position", envelope.signer.position)
    _add(signer, "FullName", envelope.signer.full_name)
    _add(message, "DueDate", edxml_date(envelope.due_date))
    places = _add(message, "ToPlaces")
    for place in envelope.to_places:
        _add(places, "Place", place)
    other = _add(message, "OtherInfo")
    _add(other, "Priority", envelope.priority.value)
    _add(other, "SphereOfPromulgation", envelope.sphere_of_promulgation)
    _add(other, "TyperNotation", envelope.typer_notation)
    _add(other, "PromulgationAmount", envelope.promulgation_amount)
    _add(other, "PageAmount", envelope.page_amount)
    appendixes = _add(other, "Appendixes")
    for appendix in envelope.appendixes:
        _add(appendixes, "Appendix", appendix)
    for answered in envelope.response_for:
        _add(_add(message, "ResponseFor"), "DocumentId", answered)
    _add(message, "SteeringType", envelope.steering_type)
    _add(message, "DocumentId", envelope.document_id)
    traces = _add(header, "TraceHeaderList")
    if layout is Layout.AXIS:
        traces.attrib.update(
            {
                "id": _trace_list_id(envelope),
                "version": TRACE_VERSION,
                "mustUnderstand": "1",
                "actor": NEXT_ACTOR,
            }
        )
    for trace in envelope.traces:
        element = _add(traces, "TraceHeader")
        _add(element, "OrganId", trace.organ_id)
        _add(element, "Timestamp", edxml_time(trace.timestamp))
    business = _add(traces, "Bussiness")  # sic: the standard's spelling
    _add(business, "BussinessDocType", envelope.business.doc_type.value)
    _add(business, "BussinessDocReason", envelope.business.reason)
    _add(business, "DocumentId", envelope.business.document_id)
    _add(business, "Paper", int(envelope.business.paper))
    if layout is Layout.AXIS:
        _staff(business, envelope.business.staff)
    _files(root, _add(outer, "edXMLBody"), envelope.attachments, layout)
    return _finish(root, header)


def _trace_list_id(envelope: Envelope) -> str:
    """An XML id for TraceHeaderList that the same document always gets: the builder stays a pure function."""
    return "trace-" + hashlib.sha256(envelope.document_id.encode()).hexdigest()[:16]


# The fields of a file as each layout orders them in its manifest Reference and in its Attachment.
_REFERENCE_FIELDS = {
    Layout.AXIS: ("Description", "AttachmentName", "ContentType", "ContentId"),
    Layout.ENVELOPE: ("ContentId", "ContentType", "Description", "AttachmentName"),
}
_ATTACHMENT_FIELDS = {
    Layout.AXIS: ("ContentType", "ContentId", "Description", "ContentTransferEncoded", "AttachmentName"),
    Layout.ENVELOPE: ("ContentId", "AttachmentName", "ContentType", "Description", "ContentTransferEncoded"),
}


def _files(root: Any, body: Any, attachments: tuple[Attachment, ...], layout: Layout) -> None:
    """The manifest in edXMLBody, then the files: after the envelope in the axis layout (which names them by
    cid: URL and xlink, and leaves AttachmentEncoded out when there is none), in edXMLBody in the first."""
    axis = layout is Layout.AXIS
    manifest = _add(body, "edXMLManifest")
    if axis:
        manifest.set("version", MANIFEST_VERSION)
    for attachment in attachments:
        fields = _fields_of(attachment)
        if axis:  # xlink declared on each Reference, as the SDK does
            fields["ContentId"] = cid_url(attachment.content_id)
            link = {f"{{{XLINK}}}href": fields["ContentId"], f"{{{XLINK}}}role": xlink_role(attachment)}
            reference = etree.SubElement(
                manifest, f"{{{NAMESPACE}}}Reference", link | {f"{{{XLINK}}}type": "simple"}, nsmap={"xlink": XLINK}
            )
        else:
            reference = _add(manifest, "Reference")
        for name in _REFERENCE_FIELDS[layout]:
            _add(reference, name, fields[name])
    if axis and not attachments:
        return
    encoded = _add(root if axis else body, "AttachmentEncoded")
    for attachment in attachments:
        element = _add(encoded, "Attachment")
        # As the national axis's gateways read it: the base64 text itself in ContentTransferEncoded.
        fields = _fields_of(attachment) | {"ContentTransferEncoded": base64.b64encode(attachment.content).decode()}
        for name in _ATTACHMENT_FIELDS[layout]:
            _add(element, name, fields[name])


def _fields_of(attachment: Attachment) -> dict[str, str]:
    return {
        "ContentId": attachment.content_id,
        "AttachmentName": attachment.name,
        "ContentType": attachment.content_type,
        "Description": attachment.description,
    }


def status_xml(message: StatusMessage, layout: Layout = Layout.AXIS) -> bytes:
    """The unsigned status message, with the signature placeholder at the end of edXMLHeader."""
    root, outer, header = _root(layout)
    status = _add(header, "Status")
    _organ(status, "From", message.sender, layout)
    _organ(status, "To", message.recipient, layout)
    _add(_add(status, "ResponseFor"), "DocumentId", message.document_id)
    _add(status, "StatusCode", message.status.value)
    _add(status, "Description", message.description)
    _add(status, "Timestamp", edxml_time(message.timestamp))
    _staff(status, message.staff)
    _add(outer, "edXMLBody")
    return _finish(root, header)
