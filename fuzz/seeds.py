"""Where the seed corpora come from: the inputs the unit tests already use."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDXML_CASES = ROOT / "services/documents/tests/edxml_cases"

VALID_CODES = ("000.00.00.H41", "000.00.12.H41", "000.01.12.H41", "001.01.12.H41", "000.00.00.G14", " 000.00.31.k01 ")

AGENCY_CSV = (
    "code,name,short_name,address,email,contact\n"
    "000.00.00.H41,UBND tỉnh Nghệ An,UBND,Vinh,vanthu@nghean.gov.vn,0238\n"
    "000.00.12.H41,Sở Thông tin và Truyền thông,STTTT,,,\n"
)

AGENCY_JSON = '[{"code": "000.00.00.H41", "name": "UBND tỉnh Nghệ An", "short_name": "UBND", "email": ""}]'


def edxml_cases() -> list[bytes]:
    """Every edXML case file, valid and refused alike."""
    return [path.read_bytes() for path in sorted(EDXML_CASES.glob("*.xml"))]
