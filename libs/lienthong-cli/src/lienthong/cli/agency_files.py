"""Agency registry files: CSV or JSON rows `code, name, short_name, address, email, contact`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from lienthong.identifiers.v1 import identifiers_pb2 as ids

COLUMNS = ("code", "name", "short_name", "address", "email", "contact")


class AgencyFileError(ValueError):
    """The file cannot be read as an agency list; the message says where and why."""


def read_rows(path: Path) -> list[ids.ImportRow]:
    """The rows of a CSV or JSON file (by its extension), parents before children."""
    return rows_of(path.read_bytes(), str(path), as_json=path.suffix.lower() == ".json")


def rows_of(data: bytes, path: str, *, as_json: bool) -> list[ids.ImportRow]:
    """The rows of a CSV or JSON text named `path` in messages, parents before children; AgencyFileError otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise AgencyFileError(f"{path}: not UTF-8 text (byte {error.start}); save the file as UTF-8") from None
    records: Sequence[Mapping[str, object]] = _json_records(text, path) if as_json else _csv_records(text, path)
    rows = []
    for number, record in enumerate(records, start=1):
        values = {key: _text(record.get(key), f"{path}: row {number}, {key}") for key in COLUMNS}
        if not values["code"]:
            raise AgencyFileError(f"{path}: row {number} has no code")
        fields = ids.AgencyFields(**{key: value for key, value in values.items() if key != "code"})
        rows.append(ids.ImportRow(code=values["code"], fields=fields))
    # A code's level is the number of its set groups: parents (fewer) come first, file order otherwise.
    return sorted(rows, key=lambda row: sum(1 for group in row.code.split(".")[:3] if group.strip("0")))


def _text(value: object, where: str) -> str:
    """A cell as stripped text (a JSON number written out, null as empty); AgencyFileError for a JSON list or
    object, or an unpaired surrogate (JSON's `"\\ud800"`), which no protobuf string can carry."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise AgencyFileError(f"{where} is a JSON {'object' if isinstance(value, dict) else 'list'}, not text")
    text = str(value).strip()
    try:
        text.encode()
    except UnicodeEncodeError:
        raise AgencyFileError(f"{where} holds an unpaired UTF-16 surrogate, which is not a character") from None
    return text


def _csv_records(text: str, path: str) -> list[dict[str, str]]:
    # newline="" lets the csv module see line endings itself: a lone CR, or one inside quotes, is then a line
    # ending or a character of the field instead of an error.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        missing = {"code", "name", "short_name"} - set(reader.fieldnames or ())
        if missing:
            columns = ", ".join(COLUMNS)
            raise AgencyFileError(f"{path}: the header lacks {', '.join(sorted(missing))} (columns: {columns})")
        return list(reader)
    except csv.Error as error:
        raise AgencyFileError(f"{path}: the record after line {reader.line_num} is not CSV: {error}") from None


def _json_records(text: str, path: str) -> list[dict[str, object]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise AgencyFileError(f"{path}: not JSON: {error}") from None
    except RecursionError:
        raise AgencyFileError(f"{path}: not JSON: nested deeper than the parser follows") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise AgencyFileError(f"{path}: expected a JSON list of objects with {', '.join(COLUMNS)}")
    return data


def write_rows(agencies: list[ids.Agency], path: Path | None, as_json: bool) -> str:
    """The registry as CSV or JSON, written to `path` (returned as text when `path` is None)."""
    records = [{k: getattr(agency, k) for k in COLUMNS} | {"state": _state(agency)} for agency in agencies]
    if as_json:
        text = json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=[*COLUMNS, "state"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        text = out.getvalue()
    if path is not None:
        path.write_text(text, encoding="utf-8")
    return text


def _state(agency: ids.Agency) -> str:
    return ids.AgencyState.Name(agency.state).removeprefix("AGENCY_STATE_").lower()
