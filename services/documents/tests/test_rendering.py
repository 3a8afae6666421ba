"""The rendered page of an official document: a one-page PDF that PDF readers (pyHanko here) open."""

from __future__ import annotations

import io
from datetime import date

from pyhanko.pdf_utils.reader import PdfFileReader

from lienthong.documents.adapters.outbound.rendering import render_document_pdf


def rendered(subject: str = "Báo cáo tình hình ứng dụng công nghệ thông tin (quý IV)") -> bytes:
    return render_document_pdf(
        agency_name="Sở Thông tin và Truyền thông",
        code="01/BC-STTTT",
        issued_on=date(2026, 11, 4),
        type_name="Báo cáo",
        subject=subject,
    )


def test_the_document_is_a_one_page_a4_pdf() -> None:
    reader = PdfFileReader(io.BytesIO(rendered()), strict=True)
    [page] = [reader.root["/Pages"]["/Kids"][0].get_object()]
    assert reader.root["/Pages"]["/Count"] == 1
    assert [int(x) for x in page["/MediaBox"]] == [0, 0, 595, 842]


def test_the_page_shows_every_field_without_diacritics() -> None:
    reader = PdfFileReader(io.BytesIO(rendered()), strict=True)
    text = reader.root["/Pages"]["/Kids"][0].get_object()["/Contents"].get_object().data
    for shown in (
        b"(SO THONG TIN VA TRUYEN THONG)",
        b"(So: 01/BC-STTTT)",
        b"(Ngay 04 thang 11 nam 2026)",
        b"(BAO CAO)",
        b"(Bao cao tinh hinh ung dung cong nghe thong tin \\(quy IV\\))",
    ):
        assert shown in text


def test_a_long_subject_is_wrapped_inside_the_margins() -> None:
    subject = " ".join(["Quyết định phê duyệt kế hoạch chuyển đổi số"] * 6)
    reader = PdfFileReader(io.BytesIO(rendered(subject)), strict=True)
    text = reader.root["/Pages"]["/Kids"][0].get_object()["/Contents"].get_object().data
    shown = [line.removesuffix(b" Tj") for line in text.split(b"\n") if line.endswith(b" Tj")]
    assert len(shown) > 6  # five heading lines, then the subject on several
    assert max(len(line) for line in shown) <= 64  # about 450 points of 12-point Helvetica
