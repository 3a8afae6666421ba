"""Hand-built edXML messages in both layouts, valid and invalid, each with the result code and gRPC status it
must get, and for the newer ones words its reason must contain (edxml_cases/cases.csv); a refused one leaves
the event log and the blob store as they were."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import grpc
import pytest
from lxml import etree

from lienthong.documents.adapters.inbound.edxml.model import NAMESPACE, StatusMessage
from lienthong.documents.adapters.inbound.edxml.parser import MAX_EDXML_BYTES, parse_message
from lienthong.documents.adapters.inbound.edxml.results import ResultCode
from lienthong.errors import DomainError
from lienthong.eventstore import event_context

CASES = Path(__file__).parent / "edxml_cases"
ROWS = list(csv.DictReader((CASES / "cases.csv").open(encoding="utf-8")))
SENDER = "000.00.12.H41"


# Part of a file's base64 text in the axis cases (" test " of the hand-built PDF), and that part changed.
FILE_TEXT, CHANGED_FILE_TEXT = b"IHRlc3Qg", b"IHRmc3Qg"


def test_the_table_covers_every_file_and_at_least_twenty_cases() -> None:
    assert sorted(row["file"] for row in ROWS) == sorted(p.name for p in CASES.glob("*.xml"))
    assert len(ROWS) >= 20
    assert sum(row["file"].startswith("axis_") for row in ROWS) >= 10


def sender_of(data: bytes) -> str:
    """The OrganId of the message's From, in either layout."""
    return str(etree.fromstring(data).findtext(f".//{{{NAMESPACE}}}From/{{{NAMESPACE}}}OrganId"))


def prepared(row: dict[str, str], sealer: Any) -> bytes:
    data = (CASES / row["file"]).read_bytes()
    prepare = row["prepare"]
    if prepare == "sign":
        return sealer.seal(sender_of(data), data)
    if prepare == "tamper":
        return sealer.seal(SENDER, data).replace("quý IV".encode(), "quý III".encode())
    if prepare == "tamper_file":
        sealed = sealer.seal(SENDER, data)
        assert sealed.count(FILE_TEXT) == 1
        return sealed.replace(FILE_TEXT, CHANGED_FILE_TEXT)
    if prepare.startswith("sign_as:"):
        return sealer.seal(prepare.removeprefix("sign_as:"), data)
    assert prepare == "none", prepare
    return data


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
async def test_each_envelope_gets_its_result(
    row: dict[str, str], database_url: str, exchange_at: Any, sealer: Any, sent_within: Any, tmp_path: Path
) -> None:
    exchange, app, registers, blobs = exchange_at(database_url, "recipient")
    data = prepared(row, sealer)
    before = app.recorder.max_notification_id()
    blobs_before = stored_files(tmp_path / "recipient")
    expected = ResultCode(int(row["result_code"]))
    max_bytes = int(row["max_bytes"] or MAX_EDXML_BYTES)

    if expected is ResultCode.SUCCESS and isinstance(parse_message(data), StatusMessage):
        # The status answers 01/BC-STTTT, which the department sent from here; its clerk records it.
        document_id = sent_within(app, blobs)
        exchange._follower.catch_up()  # the status finds the document in the registers
        with event_context(f"clerk@{SENDER}"):
            answered = await exchange.import_message(data, max_bytes=max_bytes)
        assert (answered.outgoing_id, answered.status) == (str(document_id), "03")
        assert app.outgoing(document_id).recipient_status["000.00.00.H41"][0] == "03"
        return
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
    assert row["reason contains"] in error.reason
    assert app.recorder.max_notification_id() == before
    assert stored_files(tmp_path / "recipient") == blobs_before
