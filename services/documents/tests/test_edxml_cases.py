"""Hand-built edXML envelopes, valid and invalid, each with the result code and gRPC status it must get
(edxml_cases/cases.csv); a refused one leaves the event log and the blob store as they were."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import grpc
import pytest

from lienthong.documents.edxml.parser import MAX_EDXML_BYTES
from lienthong.documents.edxml.results import ResultCode
from lienthong.errors import DomainError

CASES = Path(__file__).parent / "edxml_cases"
ROWS = list(csv.DictReader((CASES / "cases.csv").open(encoding="utf-8")))
SENDER = "000.00.12.H41"


def test_the_table_covers_every_file_and_at_least_twenty_cases() -> None:
    assert sorted(row["file"] for row in ROWS) == sorted(p.name for p in CASES.glob("*.xml"))
    assert len(ROWS) >= 20


def prepared(row: dict[str, str], sealer: Any) -> bytes:
    data = (CASES / row["file"]).read_bytes()
    prepare = row["prepare"]
    if prepare == "sign":
        sender = data.split(b"<OrganId>", 1)[1].split(b"</OrganId>", 1)[0].decode()
        return sealer.seal(sender, data)
    if prepare == "tamper":
        return sealer.seal(SENDER, data).replace("quý IV".encode(), "quý III".encode())
    if prepare.startswith("sign_as:"):
        return sealer.seal(prepare.removeprefix("sign_as:"), data)
    assert prepare == "none", prepare
    return data


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
async def test_each_envelope_gets_its_result(
    row: dict[str, str], database_url: str, exchange_at: Any, sealer: Any, tmp_path: Path
) -> None:
    exchange, app, registers, _ = exchange_at(database_url, "recipient")
    data = prepared(row, sealer)
    before = app.recorder.max_notification_id()
    blobs_before = stored_files(tmp_path / "recipient")
    expected = ResultCode(int(row["result_code"]))
    max_bytes = int(row["max_bytes"] or MAX_EDXML_BYTES)

    if expected is ResultCode.SUCCESS:
        imported = await exchange.import_message(data, max_bytes=max_bytes)
        assert imported.incoming_ids
        for incoming_id in imported.incoming_ids:
            row_ = registers.incoming_by_id(incoming_id)
            assert row_ is not None
            assert (row_.status, row_.sender_code) == ("01", SENDER)
        return

    with pytest.raises(DomainError) as caught:
        await exchange.import_message(data, max_bytes=max_bytes)
    error = caught.value
    assert error.status is getattr(grpc.StatusCode, row["grpc_status"])
    assert error.reason.startswith(f"edXML result {expected.value} ("), error.reason
    assert app.recorder.max_notification_id() == before
    assert stored_files(tmp_path / "recipient") == blobs_before
