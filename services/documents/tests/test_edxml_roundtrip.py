"""edXML round trip: whatever the domain fields, building an envelope in either layout and parsing it back gives
back every field the layout carries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from lienthong.documents.adapters.inbound.edxml.builder import envelope_xml, status_xml
from lienthong.documents.adapters.inbound.edxml.model import (
    KIND_DESCRIPTIONS,
    NAMESPACE,
    Attachment,
    Business,
    Envelope,
    Layout,
    Organ,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
    document_id,
)
from lienthong.documents.adapters.inbound.edxml.parser import parse_message
from lienthong.documents.domain.attachments import AttachmentKind, BusinessType
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Urgency
from lienthong.documents.domain.status import StatusCode

# Text XML 1.0 can carry unchanged: no control characters (a parser turns \r into \n), no lone surrogates.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
WORDS = TEXT.filter(lambda text: text.strip() != "")
CODES = st.from_regex(r"\A\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}\Z")
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=0)
)
ORGANS = st.builds(Organ, CODES, WORDS, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT)
STAFF = st.builds(StaffInfo, TEXT, TEXT, TEXT, TEXT)
NOTATIONS = st.from_regex(r"\A[A-ZĐa-z]{1,8}(-[A-ZĐa-z]{1,8}){0,2}\Z")
BUSINESS = st.one_of(
    st.builds(Business, st.just(BusinessType.NEW), TEXT, st.just(""), st.booleans(), STAFF),
    st.builds(
        Business,
        st.sampled_from([BusinessType.REVOKE, BusinessType.UPDATE, BusinessType.REPLACE]),
        TEXT,
        st.builds(document_id, CODES, DAYS, st.integers(1, 9999).map(lambda n: f"{n:02d}"), NOTATIONS),
        st.booleans(),
        STAFF,
    ),
)
# Content-IDs as senders make them (RFC 2392 addr-spec, uuids), with what a cid: URL must escape ("%").
CONTENT_IDS = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._%@-]{0,30}\Z")
ATTACHMENTS = st.lists(
    st.builds(
        Attachment,
        CONTENT_IDS,
        WORDS,
        st.sampled_from(["application/pdf", "application/vnd.oasis.opendocument.text", ""]),
        st.one_of(st.sampled_from(list(KIND_DESCRIPTIONS.values())), TEXT),
        st.binary(max_size=300),
    ),
    max_size=4,
    unique_by=lambda attachment: attachment.content_id,
).map(tuple)
ENVELOPES = st.builds(
    Envelope,
    sender=ORGANS,
    recipients=st.lists(ORGANS, min_size=1, max_size=3).map(tuple),
    number=st.integers(1, 99_999).map(lambda n: f"{n:02d}"),
    notation=NOTATIONS,
    promulgation_date=DAYS,
    doc_type=st.sampled_from(DocumentType),
    subject=WORDS,
    traces=st.lists(st.builds(TraceHeader, CODES, MOMENTS), min_size=1, max_size=3).map(tuple),
    type_detail=st.integers(0, 10_000),
    place=TEXT,
    content=TEXT,
    signer=st.builds(SignerInfo, TEXT, TEXT, TEXT),
    due_date=st.none() | DAYS,
    to_places=st.lists(TEXT, max_size=3).map(tuple),
    priority=st.sampled_from(Urgency),
    sphere_of_promulgation=TEXT,
    typer_notation=TEXT,
    promulgation_amount=st.integers(0, 10_000),
    page_amount=st.integers(0, 10_000),
    appendixes=st.lists(TEXT, max_size=3).map(tuple),
    response_for=st.lists(st.builds(document_id, CODES, DAYS, st.just("01"), NOTATIONS), max_size=2).map(tuple),
    steering_type=st.integers(0, 9),
    business=BUSINESS,
    attachments=ATTACHMENTS,
)


def as_first_layout_carries_it(envelope: Envelope) -> Envelope:
    """What lienthong's first layout keeps of an envelope: it has no OrganizationInCharge, TypeDetail or
    Bussiness/StaffInfo (the axis layout has them)."""
    return replace(
        envelope,
        sender=replace(envelope.sender, in_charge=""),
        recipients=tuple(replace(organ, in_charge="") for organ in envelope.recipients),
        type_detail=0,
        business=replace(envelope.business, staff=StaffInfo()),
    )


@settings(max_examples=150, deadline=None)
@given(ENVELOPES)
def test_an_envelope_keeps_every_field_through_the_axis_layout(envelope: Envelope) -> None:
    assert parse_message(envelope_xml(envelope, Layout.AXIS)) == envelope


@settings(max_examples=100, deadline=None)
@given(ENVELOPES)
def test_an_envelope_keeps_every_field_of_the_first_layout_through_it(envelope: Envelope) -> None:
    assert parse_message(envelope_xml(envelope, Layout.ENVELOPE)) == as_first_layout_carries_it(envelope)


@st.composite
def status_messages(draw: st.DrawFn) -> StatusMessage:
    issuer = draw(ORGANS)  # a status goes back to the agency that issued the document
    return StatusMessage(
        sender=draw(ORGANS),
        recipient=issuer,
        document_id=document_id(issuer.organ_id, draw(DAYS), "05", draw(NOTATIONS)),
        status=draw(st.sampled_from(StatusCode)),
        timestamp=draw(MOMENTS),
        description=draw(TEXT),
        staff=draw(STAFF),
    )


@settings(max_examples=100, deadline=None)
@given(status_messages())
def test_a_status_message_keeps_every_field_through_the_axis_layout(message: StatusMessage) -> None:
    assert parse_message(status_xml(message, Layout.AXIS)) == message


@settings(max_examples=100, deadline=None)
@given(status_messages())
def test_a_status_message_keeps_every_field_of_the_first_layout_through_it(message: StatusMessage) -> None:
    without_in_charge = replace(
        message, sender=replace(message.sender, in_charge=""), recipient=replace(message.recipient, in_charge="")
    )
    assert parse_message(status_xml(message, Layout.ENVELOPE)) == without_in_charge


def test_the_kind_of_a_file_travels_as_its_description() -> None:
    for kind, description in KIND_DESCRIPTIONS.items():
        assert Attachment("c", "a.pdf", "application/pdf", description, b"x").kind is kind
    assert Attachment("c", "a.pdf", "", "ghi chú", b"x").kind is AttachmentKind.ATTACHMENT


# A report with no file, the base of the fixed examples below.
REPORT = Envelope(
    sender=Organ("000.00.12.H41", "Sở TT&TT"),
    recipients=(Organ("000.00.00.H41", "UBND tỉnh"),),
    number="01",
    notation="BC-STTTT",
    promulgation_date=date(2026, 11, 24),
    doc_type=DocumentType.BAO_CAO,
    subject="Báo cáo quý IV",
    traces=(TraceHeader("000.00.12.H41", datetime(2026, 11, 24, 2, tzinfo=UTC)),),
)


@pytest.mark.parametrize("layout", Layout)
def test_a_large_attachment_fits_in_a_text_node(layout: Layout) -> None:
    large = Attachment("content", "bc.pdf", "application/pdf", "Văn bản chính", b"%PDF" * 3_000_000)
    envelope = replace(REPORT, attachments=(large,))
    assert parse_message(envelope_xml(envelope, layout)) == envelope


@pytest.mark.parametrize("layout", Layout)
def test_a_comment_slipped_into_a_field_cannot_cut_its_text_short(layout: Layout) -> None:
    # Canonical XML without comments (what the signature covers) reads "quý IV" whole; so must the parser.
    xml = envelope_xml(REPORT, layout).replace("quý IV".encode(), "quý<!-- not signed --> IV<?pi x?>".encode())
    parsed = parse_message(xml)
    assert isinstance(parsed, Envelope)
    assert parsed.subject == "Báo cáo quý IV"


def relabelled(xml: bytes, prefix: str | None) -> bytes:
    """The same message with every QCVN 102 element under `prefix` (None: the default namespace), declared once
    on the root: what another writer of the same layout may send."""

    def copy(element: Any, parent: Any) -> Any:
        others = {key: uri for key, uri in element.nsmap.items() if uri != NAMESPACE and key is not None}
        if parent is None:
            made = etree.Element(element.tag, dict(element.attrib), nsmap=others | {prefix: NAMESPACE})
        else:
            made = etree.SubElement(parent, element.tag, dict(element.attrib), nsmap=others)
        made.text, made.tail = element.text, element.tail
        for child in element:
            copy(child, made)
        return made

    return bytes(etree.tostring(copy(etree.fromstring(xml), None), xml_declaration=True, encoding="UTF-8"))


TWO_FILES = replace(
    REPORT,
    sender=Organ("000.00.12.H41", "Sở TT&TT", in_charge="UBND tỉnh Khánh Hòa"),
    attachments=(
        Attachment("content", "bc.pdf", "application/pdf", "Văn bản chính", b"%PDF-1.7"),
        Attachment("2f1c@khanhhoa.gov.vn", "pl.pdf", "application/pdf", "Phụ lục", b"%PDF-1.7 appendix"),
    ),
)


@pytest.mark.parametrize("prefix", [None, "edXML", "q"], ids=["unprefixed", "edXML", "another prefix"])
@pytest.mark.parametrize("layout", Layout)
def test_either_layout_reads_the_same_prefixed_or_not(layout: Layout, prefix: str | None) -> None:
    expected = TWO_FILES if layout is Layout.AXIS else as_first_layout_carries_it(TWO_FILES)
    xml = relabelled(envelope_xml(TWO_FILES, layout), prefix)
    assert (b"<q:" in xml, b"<edXML:" in xml) == (prefix == "q", prefix == "edXML")
    assert parse_message(xml) == expected


def test_the_axis_layout_is_the_sdks() -> None:
    """Root edXML in the default namespace with xsi and xsd, the envelope under the edXML prefix, a manifest
    of xlink References by cid:, the files outside the envelope with their ContentId bare."""
    xml = envelope_xml(TWO_FILES)
    root = etree.fromstring(xml)
    ns = {"e": NAMESPACE, "xlink": "http://www.w3.org/1999/xlink"}
    assert (root.tag, root.prefix, sorted(k or "" for k in root.nsmap)) == (
        f"{{{NAMESPACE}}}edXML",
        None,
        ["", "xsd", "xsi"],
    )
    envelope, files = root
    assert (envelope.tag, envelope.prefix) == (f"{{{NAMESPACE}}}edXMLEnvelope", "edXML")
    assert (files.tag, files.prefix) == (f"{{{NAMESPACE}}}AttachmentEncoded", None)
    traces = envelope.find("e:edXMLHeader/e:TraceHeaderList", ns)
    assert sorted(traces.attrib) == ["actor", "id", "mustUnderstand", "version"]
    assert (
        envelope.find("e:edXMLHeader/e:MessageHeader/e:From/e:OrganizationInCharge", ns).text == "UBND tỉnh Khánh Hòa"
    )
    assert envelope.find("e:edXMLHeader/e:MessageHeader/e:DocumentType/e:TypeDetail", ns).text == "0"
    manifest = envelope.find("e:edXMLBody/e:edXMLManifest", ns)
    assert manifest.get("version") == "1.0"
    references = [
        (r.get(f"{{{ns['xlink']}}}href"), r.get(f"{{{ns['xlink']}}}type"), r.findtext("e:ContentId", namespaces=ns))
        for r in manifest
    ]
    assert references == [
        ("cid:content", "simple", "cid:content"),
        ("cid:2f1c@khanhhoa.gov.vn", "simple", "cid:2f1c@khanhhoa.gov.vn"),
    ]
    assert [a.findtext("e:ContentId", namespaces=ns) for a in files] == ["content", "2f1c@khanhhoa.gov.vn"]
    assert [[etree.QName(c).localname for c in a] for a in files] == [
        ["ContentType", "ContentId", "Description", "ContentTransferEncoded", "AttachmentName"]
    ] * 2


WRITTEN = Path(__file__).parent / "edxml_written"  # what the builder wrote before the axis layout (issue #19)
CASES = Path(__file__).parent / "edxml_cases"


def test_the_first_layout_is_written_byte_for_byte_as_before() -> None:
    envelope = parse_message((CASES / "valid_document.xml").read_bytes())
    status = parse_message((CASES / "status_bad_code.xml").read_bytes().replace(b">07<", b">03<"))
    assert isinstance(envelope, Envelope)
    assert isinstance(status, StatusMessage)
    assert envelope_xml(envelope, Layout.ENVELOPE) == (WRITTEN / "first_layout_valid_document.xml").read_bytes()
    assert status_xml(status, Layout.ENVELOPE) == (WRITTEN / "first_layout_status.xml").read_bytes()
