"""Agency registry files: rows in, or AgencyFileError saying where and why (never another exception)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lienthong.cli.agency_files import AgencyFileError, read_rows, rows_of

HEADER = "code,name,short_name,address,email,contact\n"


def test_csv_rows_come_parents_first() -> None:
    data = (HEADER + "000.00.12.H41,Sở TTTT,STTTT,,,\n000.00.00.H41,UBND tỉnh,UBND,,,\n").encode()

    rows = rows_of(data, "agencies.csv", as_json=False)

    assert [row.code for row in rows] == ["000.00.00.H41", "000.00.12.H41"]
    assert rows[1].fields.name == "Sở TTTT"


def test_a_file_that_is_not_utf8_is_refused_with_the_byte_where_it_breaks(tmp_path: Path) -> None:
    # Found by fuzz/agency_files.py: a Windows-1258 or cut UTF-8 byte escaped as UnicodeDecodeError.
    path = tmp_path / "agencies.csv"
    path.write_bytes(HEADER.encode() + b"000.00.00.H41,UBND t\xe1\xbb\x89nh Ngh\xe1\xbb\x87 An\x9bUBND,,,,\n")

    with pytest.raises(AgencyFileError, match=r"agencies.csv: not UTF-8 text \(byte 78\)"):
        read_rows(path)


def test_json_nested_beyond_the_parser_s_depth_is_refused() -> None:
    with pytest.raises(AgencyFileError, match="not JSON"):
        rows_of(b"[" * 100_000, "agencies.json", as_json=True)


def test_a_header_without_the_required_columns_is_refused() -> None:
    with pytest.raises(AgencyFileError, match="the header lacks name, short_name"):
        rows_of(b"code\n000.00.00.H41\n", "agencies.csv", as_json=False)


def test_a_lone_carriage_return_in_a_field_ends_the_line_instead_of_crashing() -> None:
    # Found by fuzz/agency_files.py: a bare CR in an unquoted field raised csv.Error ("new-line character seen
    # in unquoted field"), which the command did not catch.
    data = HEADER.encode() + b"000.00.00.H41,UBND,UBND,Vinh\r000.00.12.H41,STTTT,STTTT,,,\n"

    rows = rows_of(data, "agencies.csv", as_json=False)

    assert [row.code for row in rows] == ["000.00.00.H41", "000.00.12.H41"]
    assert rows[0].fields.address == "Vinh"


def test_a_field_over_the_csv_module_s_limit_is_refused_with_its_line() -> None:
    data = HEADER.encode() + b'000.00.00.H41,"' + b"x" * 200_000 + b'",UBND,,,\n'

    with pytest.raises(AgencyFileError, match=r"agencies\.csv: the record after line 1 is not CSV: field larger"):
        rows_of(data, "agencies.csv", as_json=False)


@pytest.mark.parametrize("field", ["code", "name"])
def test_a_json_value_with_an_unpaired_surrogate_is_refused(field: str) -> None:
    # A JSON escape "\ud800" decodes to a lone surrogate, which protobuf refused with UnicodeEncodeError.
    record = {"code": "000.00.00.H41", "name": "UBND", "short_name": "UBND"} | {field: "\\ud800"}
    data = json.dumps([record]).replace("\\\\ud800", "\\ud800").encode()

    with pytest.raises(AgencyFileError, match=f"row 1, {field} holds an unpaired UTF-16 surrogate"):
        rows_of(data, "agencies.json", as_json=True)


def test_a_json_object_where_text_belongs_is_refused_and_a_number_is_written_out() -> None:
    with pytest.raises(AgencyFileError, match="row 1, name is a JSON list, not text"):
        rows_of(b'[{"code": "000.00.00.H41", "name": ["UBND"], "short_name": "UBND"}]', "a.json", as_json=True)

    rows = rows_of(
        b'[{"code": "000.00.00.H41", "name": "UBND", "short_name": "U", "contact": 2583}]', "a", as_json=True
    )

    assert rows[0].fields.contact == "2583"
