"""Writes edXML messages with lxml: every element in the QCVN 102 namespace, a signature placeholder in the
header where the signing service puts the agency's enveloped XMLDSig."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from lxml import etree

from lienthong.documents.edxml.model import ADMINISTRATIVE, NAMESPACE, Envelope, Organ, StatusMessage
from lienthong.vietnamese.calendar import VIETNAM

DS = "http://www.w3.org/2000/09/xmldsig#"
DATE_FORMAT = "%Y/%m/%d"  # yyyy/MM/dd
TIME_FORMAT = "%Y/%m/%d %H:%M:%S"  # yyyy/MM/dd HH:mm:ss, Vietnam time


def edxml_date(day: date | None) -> str:
    return f"{day:%Y/%m/%d}" if day else ""


def edxml_time(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime(TIME_FORMAT)


def _add(parent: Any, tag: str, text: str | int | None = None) -> Any:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    if text is not None:
        element.text = str(text)
    return element


def _organ(parent: Any, tag: str, organ: Organ) -> None:
    element = _add(parent, tag)
    _add(element, "OrganId", organ.organ_id)
    _add(element, "OrganName", organ.name)
    _add(element, "OrganAdd", organ.address)
    _add(element, "Email", organ.email)
    _add(element, "Telephone", organ.telephone)
    _add(element, "Fax", organ.fax)
    _add(element, "Website", organ.website)


def _root() -> tuple[Any, Any]:
    root = etree.Element(f"{{{NAMESPACE}}}edXMLEnvelope", nsmap={None: NAMESPACE})
    return root, _add(root, "edXMLHeader")


def _finish(root: Any, header: Any) -> bytes:
    etree.SubElement(header, f"{{{DS}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DS})
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def envelope_xml(envelope: Envelope) -> bytes:
    """The unsigned envelope, with `<ds:Signature Id="placeholder"/>` at the end of edXMLHeader."""
    root, header = _root()
    message = _add(header, "MessageHeader")
    _organ(message, "From", envelope.sender)
    for organ in envelope.recipients:
        _organ(message, "To", organ)
    code = _add(message, "Code")
    _add(code, "CodeNumber", envelope.number)
    _add(code, "CodeNotation", envelope.notation)
    promulgation = _add(message, "PromulgationInfo")
    _add(promulgation, "Place", envelope.place)
    _add(promulgation, "PromulgationDate", edxml_date(envelope.promulgation_date))
    kind = _add(message, "DocumentType")
    _add(kind, "Type", ADMINISTRATIVE)
    _add(kind, "TypeName", envelope.doc_type.vietnamese_name)
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
    for trace in envelope.traces:
        element = _add(traces, "TraceHeader")
        _add(element, "OrganId", trace.organ_id)
        _add(element, "Timestamp", edxml_time(trace.timestamp))
    business = _add(traces, "Bussiness")  # sic: the standard's spelling
    _add(business, "BussinessDocType", envelope.business.doc_type.value)
    _add(business, "BussinessDocReason", envelope.business.reason)
    _add(business, "DocumentId", envelope.business.document_id)
    _add(business, "Paper", int(envelope.business.paper))
    body = _add(root, "edXMLBody")
    manifest = _add(body, "edXMLManifest")
    for attachment in envelope.attachments:
        reference = _add(manifest, "Reference")
        _add(reference, "ContentId", attachment.content_id)
        _add(reference, "ContentType", attachment.content_type)
        _add(reference, "Description", attachment.description)
        _add(reference, "AttachmentName", attachment.name)
    encoded = _add(body, "AttachmentEncoded")
    for attachment in envelope.attachments:
        element = _add(encoded, "Attachment")
        _add(element, "ContentId", attachment.content_id)
        _add(element, "AttachmentName", attachment.name)
        _add(element, "ContentType", attachment.content_type)
        _add(element, "Description", attachment.description)
        # As the national axis's gateways read it: the base64 text itself in ContentTransferEncoded.
        _add(element, "ContentTransferEncoded", base64.b64encode(attachment.content).decode("ascii"))
    return _finish(root, header)


def status_xml(message: StatusMessage) -> bytes:
    """The unsigned status message, with the signature placeholder at the end of edXMLHeader."""
    root, header = _root()
    status = _add(header, "Status")
    _organ(status, "From", message.sender)
    _organ(status, "To", message.recipient)
    _add(_add(status, "ResponseFor"), "DocumentId", message.document_id)
    _add(status, "StatusCode", message.status.value)
    _add(status, "Description", message.description)
    _add(status, "Timestamp", edxml_time(message.timestamp))
    staff = _add(status, "StaffInfo")
    _add(staff, "Department", message.staff.department)
    _add(staff, "Staff", message.staff.staff)
    _add(staff, "Email", message.staff.email)
    _add(staff, "Mobile", message.staff.mobile)
    _add(root, "edXMLBody")
    return _finish(root, header)
