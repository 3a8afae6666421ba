"""A generated, realistic demo province (Khánh Hòa, H41): its People's Committee, departments with their
units, and district-level localities with their communes — a few hundred agencies, always the same."""

from __future__ import annotations

import random
import unicodedata

from lienthong.identifiers.v1 import identifiers_pb2 as ids

DOMAIN = "khanhhoa.gov.vn"
LETTER, NUMBER = "H", 41

# Sở and ban of a province: (number, name, short name). 12 is the Sở TT&TT of the demo document.
DEPARTMENTS = [
    (1, "Văn phòng Ủy ban nhân dân tỉnh", "VPUBND"),
    (2, "Sở Nội vụ", "SNV"),
    (3, "Sở Tư pháp", "STP"),
    (4, "Sở Kế hoạch và Đầu tư", "SKHĐT"),
    (5, "Sở Tài chính", "STC"),
    (6, "Sở Công Thương", "SCT"),
    (7, "Sở Nông nghiệp và Phát triển nông thôn", "SNNPTNT"),
    (8, "Sở Giao thông vận tải", "SGTVT"),
    (9, "Sở Xây dựng", "SXD"),
    (10, "Sở Tài nguyên và Môi trường", "STNMT"),
    (11, "Sở Lao động - Thương binh và Xã hội", "SLĐTBXH"),
    (12, "Sở Thông tin và Truyền thông tỉnh Khánh Hòa", "STTTT"),
    (13, "Sở Văn hóa và Thể thao", "SVHTT"),
    (14, "Sở Du lịch", "SDL"),
    (15, "Sở Khoa học và Công nghệ", "SKHCN"),
    (16, "Sở Giáo dục và Đào tạo", "SGDĐT"),
    (17, "Sở Y tế", "SYT"),
    (18, "Sở Ngoại vụ", "SNgV"),
    (19, "Thanh tra tỉnh", "TTr"),
    (20, "Ban Dân tộc", "BDT"),
]
UNITS = [
    (1, "Văn phòng", "VP"),
    (2, "Thanh tra", "TTr"),
    (3, "Phòng Kế hoạch - Tài chính", "KHTC"),
    (4, "Phòng Tổ chức cán bộ", "TCCB"),
    (5, "Phòng Pháp chế", "PC"),
    (6, "Trung tâm Công nghệ thông tin", "TTCNTT"),
]
# District-level localities: (number, name, short name, communes).
LOCALITIES = [
    (30, "Thành phố Nha Trang", "NhaTrang", 27),
    (31, "Thành phố Cam Ranh", "CamRanh", 15),
    (32, "Thị xã Ninh Hòa", "NinhHoa", 27),
    (33, "Huyện Vạn Ninh", "VanNinh", 13),
    (34, "Huyện Diên Khánh", "DienKhanh", 18),
    (35, "Huyện Khánh Vĩnh", "KhanhVinh", 14),
    (36, "Huyện Khánh Sơn", "KhanhSon", 8),
    (37, "Huyện Cam Lâm", "CamLam", 14),
    (38, "Huyện Trường Sa", "TruongSa", 3),
]
_COMMUNE_WORDS = [
    "Vĩnh",
    "Ninh",
    "Diên",
    "Cam",
    "Vạn",
    "Khánh",
    "Phước",
    "Xuân",
    "Tân",
    "Sơn",
    "Hòa",
    "Thạnh",
    "Lương",
    "Thắng",
    "Phú",
    "An",
    "Bình",
    "Lộc",
    "Trung",
    "Hải",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
]

PROVINCE_CODE = f"000.00.00.{LETTER}{NUMBER}"


def _code(level4: int, level3: int, level2: int) -> str:
    return f"{level4:03d}.{level3:02d}.{level2:02d}.{LETTER}{NUMBER}"


def _email(short_name: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", short_name.replace("Đ", "D")) if c.isalnum())
    return f"vanthu.{plain.lower()}@{DOMAIN}"


def _row(code: str, name: str, short_name: str, address: str) -> ids.ImportRow:
    return ids.ImportRow(
        code=code,
        fields=ids.AgencyFields(name=name, short_name=short_name, address=address, email=_email(short_name)),
    )


def demo_province() -> list[ids.ImportRow]:
    """Every agency of the demo province, parents before children; the same list on every call."""
    chooser = random.Random(41)  # fixed: importing the demo twice must change nothing
    rows = [
        ids.ImportRow(
            code=PROVINCE_CODE,
            fields=ids.AgencyFields(
                name="Ủy ban nhân dân tỉnh Khánh Hòa",
                short_name="UBND",
                address="01 Trần Phú, Nha Trang, Khánh Hòa",
                email=f"vanthu@{DOMAIN}",
            ),
        )
    ]
    for number, name, short in DEPARTMENTS:
        rows.append(_row(_code(0, 0, number), name, short, "Nha Trang, Khánh Hòa"))
    for number, name, short, _ in LOCALITIES:
        rows.append(_row(_code(0, 0, number), f"Ủy ban nhân dân {name[0].lower()}{name[1:]}", f"UBND{short}", name))
    for number, _, department_short in DEPARTMENTS:
        for unit, unit_name, unit_short in UNITS:
            rows.append(
                _row(_code(0, unit, number), unit_name, f"{unit_short}{department_short}"[:20], "Nha Trang, Khánh Hòa")
            )
    for number, locality, short, communes in LOCALITIES:
        used: set[str] = set()
        for commune in range(1, communes + 1):
            while True:
                words = " ".join(chooser.sample(_COMMUNE_WORDS, 2))
                if words not in used:
                    used.add(words)
                    break
            kind = "Phường" if locality.startswith(("Thành phố", "Thị xã")) and commune % 2 else "Xã"
            rows.append(
                _row(
                    _code(0, commune, number),
                    f"Ủy ban nhân dân {kind.lower()} {words}",
                    f"UBND{short[:8]}{commune:02d}",
                    f"{kind} {words}, {locality}",
                )
            )
    return rows
