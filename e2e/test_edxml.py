"""edXML across the real services: the CLI exports a sealed envelope, the signing service verifies it, a
tampered copy is refused with result 15, and the genuine one is imported by the CLI as an arrived copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.signing.v1 import signing_pb2, signing_pb2_grpc

CLERK = (("x-lienthong-actor", "clerk@000.00.12.H44"),)
PROVINCE_CLERK = (("x-lienthong-actor", "clerk@000.00.00.H44"),)
PROVINCE = ids.RegisterAgencyRequest(code="000.00.00.H44", name="Ủy ban nhân dân tỉnh thử", short_name="UBND")
DEPARTMENT = ids.RegisterAgencyRequest(code="000.00.12.H44", name="Sở Thông tin và Truyền thông", short_name="STTTT")


def cli(platform: Platform, actor: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lienthong.cli.main", *arguments],
        env=platform.env() | {"LIENTHONG_ACTOR": actor},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_envelope_goes_out_and_comes_back_in_through_the_cli(
    platform: Platform, channels: dict[str, grpc.Channel], tmp_path: Path
) -> None:
    agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channels["identifiers"])
    agencies.RegisterAgency(PROVINCE, metadata=OPERATOR)
    agencies.RegisterAgency(DEPARTMENT, metadata=OPERATOR)
    documents = documents_pb2_grpc.DocumentsServiceStub(channels["documents"])
    draft = docs.CreateOutgoingRequest(
        sender_code=DEPARTMENT.code, type=docs.DOCUMENT_TYPE_BAO_CAO, subject="Báo cáo quý IV"
    )
    sent = documents.SendDocument(
        docs.SendDocumentRequest(document=draft, recipient_codes=[PROVINCE.code]), metadata=CLERK
    ).document

    envelope_file = tmp_path / "envelope.xml"
    exported = cli(platform, f"clerk@{DEPARTMENT.code}", "docs", "export-edxml", sent.id, str(envelope_file), "--xades")
    assert exported.returncode == 0, exported.stderr
    envelope = envelope_file.read_bytes()
    signing = signing_pb2_grpc.SigningServiceStub(channels["signing"])
    verdict = signing.VerifyXml(signing_pb2.VerifyXmlRequest(xml=envelope, expected_agency_code=DEPARTMENT.code))
    assert verdict.indication == signing_pb2.INDICATION_TOTAL_PASSED, verdict.reason
    assert verdict.signatures[0].signed_at.seconds > 0  # XAdES-BES declares its signing time

    tampered = envelope.replace("Báo cáo quý IV".encode(), "Báo cáo quý III".encode())
    with pytest.raises(grpc.RpcError) as caught:
        documents.ImportEdxml(docs.ImportEdxmlRequest(edxml=tampered), metadata=PROVINCE_CLERK)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert str(caught.value.details()).startswith("edXML result 15")

    imported = cli(platform, f"clerk@{PROVINCE.code}", "docs", "import-edxml", str(envelope_file))
    assert imported.returncode == 0, imported.stderr
    listed = documents.ListIncoming(docs.ListIncomingRequest(recipient_code=PROVINCE.code), metadata=PROVINCE_CLERK)
    incoming = listed.documents
    arrived = [d for d in incoming if d.id in imported.stdout]
    assert [(d.status, d.code, d.sender_code, d.subject) for d in arrived] == [
        (docs.STATUS_CODE_ARRIVED, "01/BC-STTTT", DEPARTMENT.code, "Báo cáo quý IV")
    ]
    content = documents.GetContent(docs.GetContentRequest(document_id=sent.id), metadata=CLERK)
    carried = documents.GetAttachment(
        docs.GetAttachmentRequest(document_id=arrived[0].id, sha256=content.sha256), metadata=PROVINCE_CLERK
    )
    assert carried.content == content.content_pdf
