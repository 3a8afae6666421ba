"""edXML round trip: whatever the domain fields, building an envelope and parsing it back gives them all back."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from lienthong.documents.domain.attachments import AttachmentKind, BusinessType
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Urgency
from lienthong.documents.domain.status import StatusCode
from lienthong.documents.edxml.builder import envelope_xml, status_xml
from lienthong.documents.edxml.model import (
    KIND_DESCRIPTIONS,
    Attachment,
    Business,
    Envelope,
    Organ,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
    document_id,
)
from lienthong.documents.edxml.parser import parse_message

# Text XML 1.0 can carry unchanged: no control characters (a parser turns \r into \n), no lone surrogates.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
WORDS = TEXT.filter(lambda text: text.strip() != "")
CODES = st.from_regex(r"\A\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}\Z")
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=0)
)
ORGANS = st.builds(Organ, CODES, WORDS, TEXT, TEXT, TEXT, TEXT, TEXT)
NOTATIONS = st.from_regex(r"\A[A-ZĐa-z]{1,8}(-[A-ZĐa-z]{1,8}){0,2}\Z")
BUSINESS = st.one_of(
    st.builds(Business, st.just(BusinessType.NEW), TEXT, st.just(""), st.booleans()),
    st.builds(
        Business,
        st.sampled_from([BusinessType.REVOKE, BusinessType.UPDATE, BusinessType.REPLACE]),
        TEXT,
        st.builds(document_id, CODES, DAYS, st.integers(1, 9999).map(lambda n: f"{n:02d}"), NOTATIONS),
        st.booleans(),
    ),
)
ATTACHMENTS = st.lists(
    st.builds(
        Attachment,
        st.just(""),
        WORDS,
        st.sampled_from(["application/pdf", "application/vnd.oasis.opendocument.text", ""]),
        st.one_of(st.sampled_from(list(KIND_DESCRIPTIONS.values())), TEXT),
        st.binary(max_size=300),
    ),
    max_size=4,
).map(
    lambda files: tuple(
        Attachment(f"file{i}", f.name, f.content_type, f.description, f.content) for i, f in enumerate(files)
    )
)
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


@settings(max_examples=150, deadline=None)
@given(ENVELOPES)
def test_an_envelope_keeps_every_field_through_xml(envelope: Envelope) -> None:
    assert parse_message(envelope_xml(envelope)) == envelope


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
        staff=draw(st.builds(StaffInfo, TEXT, TEXT, TEXT, TEXT)),
    )


@settings(max_examples=100, deadline=None)
@given(status_messages())
def test_a_status_message_keeps_every_field_through_xml(message: StatusMessage) -> None:
    assert parse_message(status_xml(message)) == message


def test_the_kind_of_a_file_travels_as_its_description() -> None:
    for kind, description in KIND_DESCRIPTIONS.items():
        assert Attachment("c", "a.pdf", "application/pdf", description, b"x").kind is kind
    assert Attachment("c", "a.pdf", "", "ghi chú", b"x").kind is AttachmentKind.ATTACHMENT


def test_a_large_attachment_fits_in_a_text_node() -> None:
    envelope = Envelope(
        sender=Organ("000.00.12.H41", "Sở TT&TT"),
        recipients=(Organ("000.00.00.H41", "UBND tỉnh"),),
        number="01",
        notation="BC-STTTT",
        promulgation_date=date(2026, 11, 24),
        doc_type=DocumentType.BAO_CAO,
        subject="Báo cáo",
        traces=(TraceHeader("000.00.12.H41", datetime(2026, 11, 24, 2, tzinfo=UTC)),),
        attachments=(Attachment("content", "bc.pdf", "application/pdf", "Văn bản chính", b"%PDF" * 3_000_000),),
    )
    assert parse_message(envelope_xml(envelope)) == envelope


def test_a_comment_slipped_into_a_field_cannot_cut_its_text_short() -> None:
    # Canonical XML without comments (what the signature covers) reads "quý IV" whole; so must the parser.
    envelope = Envelope(
        sender=Organ("000.00.12.H41", "Sở TT&TT"),
        recipients=(Organ("000.00.00.H41", "UBND tỉnh"),),
        number="01",
        notation="BC-STTTT",
        promulgation_date=date(2026, 11, 24),
        doc_type=DocumentType.BAO_CAO,
        subject="Báo cáo quý IV",
        traces=(TraceHeader("000.00.12.H41", datetime(2026, 11, 24, 2, tzinfo=UTC)),),
    )
    xml = envelope_xml(envelope).replace("quý IV".encode(), "quý<!-- not signed --> IV<?pi x?>".encode())
    parsed = parse_message(xml)
    assert isinstance(parsed, Envelope)
    assert parsed.subject == "Báo cáo quý IV"
