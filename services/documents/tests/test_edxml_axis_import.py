"""A message in the national axis' layout, built here with lxml alone (no lienthong code writes it), as the
axis' SDK and the gateways written against it lay it out: it imports with every field, and so does a status
message in the same wrapper."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from lxml import etree

from lienthong.documents.adapters.inbound.edxml.model import (
    Attachment,
    Business,
    Envelope,
    Organ,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
)
from lienthong.documents.adapters.inbound.edxml.parser import parse_message
from lienthong.documents.domain.attachments import BusinessType
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Urgency
from lienthong.documents.domain.status import StatusCode
from lienthong.vietnamese.calendar import VIETNAM

QCVN = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XLINK = "http://www.w3.org/1999/xlink"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
SENDER, RECIPIENT = "000.00.12.H41", "000.00.00.H41"
MAIN_TEXT = b"%PDF-1.7\n% the report itself\n%%EOF\n"
APPENDIX = b"%PDF-1.7\n% the appendix: one line per unit\n" * 40 + b"%%EOF\n"
FILES = (
    ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "05-BC-STTTT.pdf", "Văn bản chính", MAIN_TEXT),
    ("5b6c7d8e-0f1a-4b2c-8d3e-4f5a6b7c8d9e", "Phu luc 1.pdf", "Phụ lục", APPENDIX),
)


def element(parent: Any, name: str, text: str | None = None, attributes: dict[str, str] | None = None) -> Any:
    found = etree.SubElement(parent, f"{{{QCVN}}}{name}", attributes or {})
    if text is not None:
        found.text = text
    return found


def leaves(parent: Any, name: str, fields: list[tuple[str, str]]) -> Any:
    holder = element(parent, name)
    for field, text in fields:
        element(holder, field, text)
    return holder


def organ(parent: Any, name: str, organ_id: str, organ_name: str, in_charge: str) -> None:
    leaves(
        parent,
        name,
        [
            ("OrganId", organ_id),
            ("OrganizationInCharge", in_charge),
            ("OrganName", organ_name),
            ("OrganAdd", "Nha Trang, Khánh Hòa"),
            ("Email", f"vanthu.{organ_id}@khanhhoa.gov.vn"),
            ("Telephone", "0258 3822 000"),
            ("Fax", "0258 3822 001"),
            ("Website", "https://khanhhoa.gov.vn"),
        ],
    )


def wrapper() -> tuple[Any, Any, Any]:
    """Root edXML (default namespace, xsi and xsd declared) holding edXML:edXMLEnvelope and its header."""
    root = etree.Element(
        f"{{{QCVN}}}edXML",
        nsmap={
            None: QCVN,
            "xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsd": "http://www.w3.org/2001/XMLSchema",
        },
    )
    envelope = etree.SubElement(root, f"{{{QCVN}}}edXMLEnvelope", nsmap={"edXML": QCVN})
    return root, envelope, element(envelope, "edXMLHeader")


def signature_placeholder(header: Any) -> None:
    etree.SubElement(header, f"{{{DSIG}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DSIG})


def axis_document() -> bytes:
    root, envelope, header = wrapper()
    message = element(header, "MessageHeader")
    organ(message, "From", SENDER, "Sở Thông tin và Truyền thông tỉnh Khánh Hòa", "Ủy ban nhân dân tỉnh Khánh Hòa")
    organ(message, "To", RECIPIENT, "Ủy ban nhân dân tỉnh Khánh Hòa", "")
    organ(message, "To", "000.00.00.G22", "Ủy ban nhân dân tỉnh Khánh Hòa (bản lưu)", "")
    leaves(message, "Code", [("CodeNumber", "05"), ("CodeNotation", "BC-STTTT")])
    leaves(message, "PromulgationInfo", [("Place", "Khánh Hòa"), ("PromulgationDate", "2026/11/24")])
    leaves(message, "DocumentType", [("Type", "1"), ("TypeName", "Báo cáo"), ("TypeDetail", "7")])
    element(message, "Subject", "Báo cáo tình hình ứng dụng công nghệ thông tin quý IV")
    element(message, "Content", "Sở báo cáo UBND tỉnh kết quả quý IV.")
    leaves(
        message,
        "SignerInfo",
        [("Competence", "KT. GIÁM ĐỐC"), ("Position", "Phó Giám đốc"), ("FullName", "Nguyễn Văn A")],
    )
    element(message, "DueDate", "2026/12/05")
    leaves(message, "ToPlaces", [("Place", "Như trên"), ("Place", "Lưu: VT, KHTC")])
    other = leaves(
        message,
        "OtherInfo",
        [
            ("Priority", "2"),
            ("SphereOfPromulgation", "Trong tỉnh"),
            ("TyperNotation", "NVA"),
            ("PromulgationAmount", "3"),
            ("PageAmount", "12"),
        ],
    )
    leaves(other, "Appendixes", [("Appendix", "Phụ lục 1: số liệu từng đơn vị")])
    leaves(message, "ResponseFor", [("DocumentId", "000.00.00.H41,2026/10/02,118/UBND-KGVX")])
    element(message, "SteeringType", "1")
    element(message, "DocumentId", f"{SENDER},2026/11/24,05/BC-STTTT")
    traces = element(
        header,
        "TraceHeaderList",
        attributes={
            "id": "trace-9a1b",
            "version": "1.0",
            "mustUnderstand": "1",
            "actor": "http://schemas.xmlsoap.org/soap/actor/next",
        },
    )
    leaves(traces, "TraceHeader", [("OrganId", SENDER), ("Timestamp", "2026/11/24 09:15:00")])
    business = leaves(
        traces,
        "Bussiness",
        [
            ("BussinessDocType", "2"),
            ("BussinessDocReason", "Cập nhật số liệu quý IV"),
            ("DocumentId", f"{SENDER},2026/11/20,03/BC-STTTT"),
            ("Paper", "1"),
        ],
    )
    leaves(
        business,
        "StaffInfo",
        [
            ("Department", "Văn phòng Sở"),
            ("Staff", "Lê Thị C"),
            ("Mobile", "0905 000 111"),
            ("Email", "c@khanhhoa.gov.vn"),
        ],
    )
    signature_placeholder(header)
    manifest = element(element(envelope, "edXMLBody"), "edXMLManifest", attributes={"version": "1.0"})
    encoded = element(root, "AttachmentEncoded")  # the root's second child: outside the envelope
    for content_id, name, description, content in FILES:
        reference = etree.SubElement(
            manifest,
            f"{{{QCVN}}}Reference",
            {f"{{{XLINK}}}href": f"cid:{content_id}", f"{{{XLINK}}}role": "XLinkRole", f"{{{XLINK}}}type": "simple"},
            nsmap={"xlink": XLINK},
        )
        for field, text in (
            ("Description", description),
            ("AttachmentName", name),
            ("ContentType", "application/pdf"),
            ("ContentId", f"cid:{content_id}"),
        ):
            element(reference, field, text)
        leaves(
            encoded,
            "Attachment",
            [
                ("ContentType", "application/pdf"),
                ("ContentId", content_id),
                ("Description", description),
                ("ContentTransferEncoded", base64.encodebytes(content).decode("ascii")),  # lines of 76
                ("AttachmentName", name),
            ],
        )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


def organ_as_read(organ_id: str, name: str, in_charge: str) -> Organ:
    return Organ(
        organ_id=organ_id,
        name=name,
        address="Nha Trang, Khánh Hòa",
        email=f"vanthu.{organ_id}@khanhhoa.gov.vn",
        telephone="0258 3822 000",
        fax="0258 3822 001",
        website="https://khanhhoa.gov.vn",
        in_charge=in_charge,
    )


EXPECTED = Envelope(
    sender=organ_as_read(SENDER, "Sở Thông tin và Truyền thông tỉnh Khánh Hòa", "Ủy ban nhân dân tỉnh Khánh Hòa"),
    recipients=(
        organ_as_read(RECIPIENT, "Ủy ban nhân dân tỉnh Khánh Hòa", ""),
        organ_as_read("000.00.00.G22", "Ủy ban nhân dân tỉnh Khánh Hòa (bản lưu)", ""),
    ),
    number="05",
    notation="BC-STTTT",
    promulgation_date=date(2026, 11, 24),
    doc_type=DocumentType.BAO_CAO,
    subject="Báo cáo tình hình ứng dụng công nghệ thông tin quý IV",
    traces=(TraceHeader(SENDER, datetime(2026, 11, 24, 9, 15, tzinfo=VIETNAM)),),
    type_detail=7,
    place="Khánh Hòa",
    content="Sở báo cáo UBND tỉnh kết quả quý IV.",
    signer=SignerInfo("KT. GIÁM ĐỐC", "Phó Giám đốc", "Nguyễn Văn A"),
    due_date=date(2026, 12, 5),
    to_places=("Như trên", "Lưu: VT, KHTC"),
    priority=Urgency(2),
    sphere_of_promulgation="Trong tỉnh",
    typer_notation="NVA",
    promulgation_amount=3,
    page_amount=12,
    appendixes=("Phụ lục 1: số liệu từng đơn vị",),
    response_for=("000.00.00.H41,2026/10/02,118/UBND-KGVX",),
    steering_type=1,
    business=Business(
        BusinessType.UPDATE,
        "Cập nhật số liệu quý IV",
        f"{SENDER},2026/11/20,03/BC-STTTT",
        True,
        StaffInfo("Văn phòng Sở", "Lê Thị C", "c@khanhhoa.gov.vn", "0905 000 111"),
    ),
    attachments=tuple(
        Attachment(content_id, name, "application/pdf", description, content)
        for content_id, name, description, content in FILES
    ),
)


def test_the_parser_reads_every_field_of_the_axis_layout() -> None:
    assert parse_message(axis_document()) == EXPECTED


async def test_it_imports_with_every_field_the_platform_keeps(database_url: str, exchange_at: Any, sealer: Any) -> None:
    exchange, app, registers, blobs = exchange_at(database_url, "recipient")
    sealed = sealer.seal(SENDER, axis_document())

    [incoming_id] = (await exchange.import_message(sealed)).incoming_ids  # G22 is another system's

    copy = app.incoming(UUID(incoming_id))
    assert (copy.sender_code, copy.recipient_code, copy.code, copy.subject) == (
        SENDER,
        RECIPIENT,
        "05/BC-STTTT",
        EXPECTED.subject,
    )
    assert (copy.doc_type, copy.urgency, copy.business_type, copy.relates_to_code) == (
        "BAO_CAO",
        "THUONG_KHAN",
        "UPDATE",
        "03/BC-STTTT",
    )
    assert copy.edxml_document_id == f"{SENDER},2026/11/24,05/BC-STTTT"
    assert copy.trace == [[SENDER, "2026-11-24T09:15:00+07:00"]]
    assert [(f["name"], f["kind"], f["content_type"], f["size"]) for f in copy.attachments] == [
        ("05-BC-STTTT.pdf", "main_text", "application/pdf", len(MAIN_TEXT)),
        ("Phu luc 1.pdf", "appendix", "application/pdf", len(APPENDIX)),
    ]
    assert [blobs.get(f["sha256"]) for f in copy.attachments] == [MAIN_TEXT, APPENDIX]
    assert blobs.get(copy.envelope_sha256) == sealed
    row = registers.incoming_by_id(incoming_id)
    assert row is not None
    assert (row.status, row.code, row.sender_code) == ("01", "05/BC-STTTT", SENDER)


def axis_status() -> bytes:
    root, envelope, header = wrapper()
    status = element(header, "Status")
    organ(status, "From", RECIPIENT, "Ủy ban nhân dân tỉnh Khánh Hòa", "")
    organ(status, "To", SENDER, "Sở Thông tin và Truyền thông tỉnh Khánh Hòa", "Ủy ban nhân dân tỉnh Khánh Hòa")
    leaves(status, "ResponseFor", [("DocumentId", f"{SENDER},2026/11/24,01/BC-STTTT")])
    element(status, "StatusCode", "04")
    element(status, "Description", "Đã phân công xử lý")
    element(status, "Timestamp", "2026/11/25 14:30:00")
    leaves(
        status, "StaffInfo", [("Department", "Văn phòng UBND"), ("Staff", "Trần Thị B"), ("Email", ""), ("Mobile", "")]
    )
    signature_placeholder(header)
    element(envelope, "edXMLBody")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


async def test_a_status_in_the_axis_wrapper_reaches_the_sender(
    database_url: str, exchange_at: Any, sealer: Any, sent_within: Any, tmp_path: Path
) -> None:
    assert parse_message(axis_status()) == StatusMessage(
        sender=organ_as_read(RECIPIENT, "Ủy ban nhân dân tỉnh Khánh Hòa", ""),
        recipient=organ_as_read(
            SENDER, "Sở Thông tin và Truyền thông tỉnh Khánh Hòa", "Ủy ban nhân dân tỉnh Khánh Hòa"
        ),
        document_id=f"{SENDER},2026/11/24,01/BC-STTTT",
        status=StatusCode.ASSIGNED,
        timestamp=datetime(2026, 11, 25, 14, 30, tzinfo=VIETNAM),
        description="Đã phân công xử lý",
        staff=StaffInfo("Văn phòng UBND", "Trần Thị B"),
    )
    exchange, app, _, blobs = exchange_at(database_url, "sender")
    document_id = sent_within(app, blobs)
    exchange._follower.catch_up()

    answered = await exchange.import_message(sealer.seal(RECIPIENT, axis_status()))

    assert (answered.outgoing_id, answered.status) == (str(document_id), "04")
    assert app.outgoing(document_id).recipient_status[RECIPIENT] == ("04", datetime(2026, 11, 25, 7, 30, tzinfo=UTC))
