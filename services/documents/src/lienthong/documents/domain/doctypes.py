"""The 29 types of official document of NĐ 30/2020/NĐ-CP (Phụ lục III) and their abbreviations."""

from __future__ import annotations

import enum


class DocumentType(enum.Enum):
    """A document type (loại văn bản hành chính); member names mirror the protobuf enum `DOCUMENT_TYPE_<NAME>`.

    Values run 1..29 in the order of the decree and of the protobuf enum. `vietnamese_name` is the name
    printed on the document and sent as edXML `TypeName` ("Quyết định"); the decree lists nghị quyết and
    quyết định as "(cá biệt)", individual acts, as opposed to legal normative documents, which lienthong
    does not issue. `abbreviation` stands first in the notation (ký hiệu), "" for công văn and thư công.
    """

    def __new__(cls, value: int, vietnamese_name: str, abbreviation: str) -> DocumentType:
        member = object.__new__(cls)
        member._value_ = value
        member.vietnamese_name = vietnamese_name
        member.abbreviation = abbreviation
        return member

    vietnamese_name: str
    abbreviation: str  # "" for Công văn and Thư công, which carry none in the notation

    NGHI_QUYET = (1, "Nghị quyết", "NQ")  # nghị quyết cá biệt
    QUYET_DINH = (2, "Quyết định", "QĐ")  # quyết định cá biệt
    CHI_THI = (3, "Chỉ thị", "CT")
    QUY_CHE = (4, "Quy chế", "QC")
    QUY_DINH = (5, "Quy định", "QyĐ")
    THONG_CAO = (6, "Thông cáo", "TC")
    THONG_BAO = (7, "Thông báo", "TB")
    HUONG_DAN = (8, "Hướng dẫn", "HD")
    CHUONG_TRINH = (9, "Chương trình", "CTr")
    KE_HOACH = (10, "Kế hoạch", "KH")
    PHUONG_AN = (11, "Phương án", "PA")
    DE_AN = (12, "Đề án", "ĐA")
    DU_AN = (13, "Dự án", "DA")
    BAO_CAO = (14, "Báo cáo", "BC")
    BIEN_BAN = (15, "Biên bản", "BB")
    TO_TRINH = (16, "Tờ trình", "TTr")
    HOP_DONG = (17, "Hợp đồng", "HĐ")
    CONG_DIEN = (18, "Công điện", "CĐ")
    BAN_GHI_NHO = (19, "Bản ghi nhớ", "BGN")
    BAN_THOA_THUAN = (20, "Bản thỏa thuận", "BTT")
    GIAY_UY_QUYEN = (21, "Giấy ủy quyền", "GUQ")
    GIAY_MOI = (22, "Giấy mời", "GM")
    GIAY_GIOI_THIEU = (23, "Giấy giới thiệu", "GGT")
    GIAY_NGHI_PHEP = (24, "Giấy nghỉ phép", "GNP")
    PHIEU_GUI = (25, "Phiếu gửi", "PG")
    PHIEU_CHUYEN = (26, "Phiếu chuyển", "PC")
    PHIEU_BAO = (27, "Phiếu báo", "PB")
    CONG_VAN = (28, "Công văn", "")
    THU_CONG = (29, "Thư công", "")
