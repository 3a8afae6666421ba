"""edXML across the real services: the CLI exports a sealed envelope in the national axis' layout, the signing
service verifies it and so do tools that are not ours (xmllint, xmlsec1 with the dev CA's root as the only
trust), a tampered copy is refused with result 15, and the genuine one is imported by the CLI as an arrived
copy; the same document in lienthong's first layout (--layout envelope) is the same document."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
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


QCVN = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
# The independent checkers and the Debian packages `make setup` installs them from.
CHECKERS = {"xmllint": "libxml2-utils", "xmlsec1": "xmlsec1"}


def checker(name: str) -> str:
    """The tool's path; the test fails (never skips) when it is missing."""
    found = shutil.which(name)
    assert found, f"{name} is not installed: `make setup` installs it (Debian package {CHECKERS[name]})"
    return found


def xmlsec1_verify(file: Path, trusted_root: Path | None) -> subprocess.CompletedProcess[str]:
    """xmlsec1 taking the key only from KeyInfo's X509 certificate (never KeyValue), trusting `trusted_root`
    alone: the certificates in the message only build the path to it."""
    trust = ["--trusted-pem", str(trusted_root)] if trusted_root else []
    command = [checker("xmlsec1"), "--verify", "--enabled-key-data", "x509", *trust, str(file)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def independently_checked(file: Path, root: Path, stranger_root: Path) -> None:
    """xmllint reads it; xmlsec1 verifies it against the platform's root, and against no other."""
    linted = subprocess.run([checker("xmllint"), "--noout", str(file)], capture_output=True, text=True, check=False)
    assert linted.returncode == 0, linted.stderr
    verified = xmlsec1_verify(file, root)
    assert verified.returncode == 0, verified.stderr
    assert xmlsec1_verify(file, stranger_root).returncode != 0
    assert xmlsec1_verify(file, None).returncode != 0


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
    root, files = etree.fromstring(envelope)  # the axis layout: the envelope, then the files outside it
    assert (etree.fromstring(envelope).tag, root.tag, root.prefix) == (
        f"{{{QCVN}}}edXML",
        f"{{{QCVN}}}edXMLEnvelope",
        "edXML",
    )
    assert files.tag == f"{{{QCVN}}}AttachmentEncoded"
    trusted = platform.config.data_dir / "signing" / "ca" / "root.pem"
    stranger = tmp_path / "stranger-root.pem"
    stranger_ca = DevCertificateAuthority(tmp_path / "stranger-ca", EncryptedFileKeyStore(tmp_path / "keys", b"x"))
    stranger.write_bytes(stranger_ca.root.public_bytes(Encoding.PEM))
    independently_checked(envelope_file, trusted, stranger)
    signing = signing_pb2_grpc.SigningServiceStub(channels["signing"])
    verdict = signing.VerifyXml(signing_pb2.VerifyXmlRequest(xml=envelope, expected_agency_code=DEPARTMENT.code))
    assert verdict.indication == signing_pb2.INDICATION_TOTAL_PASSED, verdict.reason
    assert verdict.signatures[0].signed_at.seconds > 0  # XAdES-BES declares its signing time

    tampered = envelope.replace("Báo cáo quý IV".encode(), "Báo cáo quý III".encode())
    (tmp_path / "tampered.xml").write_bytes(tampered)
    assert xmlsec1_verify(tmp_path / "tampered.xml", trusted).returncode != 0
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

    # The same document in the other forms: a plain XMLDSig, and lienthong's first layout.
    for form, flags in (("plain", ()), ("first-layout", ("--layout", "envelope"))):
        other = tmp_path / f"{form}.xml"
        exported = cli(platform, f"clerk@{DEPARTMENT.code}", "docs", "export-edxml", sent.id, str(other), *flags)
        assert exported.returncode == 0, exported.stderr
        independently_checked(other, trusted, stranger)
        with pytest.raises(grpc.RpcError) as caught:  # already arrived, whatever the layout
            documents.ImportEdxml(docs.ImportEdxmlRequest(edxml=other.read_bytes()), metadata=PROVINCE_CLERK)
        assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS, caught.value.details()
    assert etree.fromstring((tmp_path / "first-layout.xml").read_bytes()).tag == f"{{{QCVN}}}edXMLEnvelope"
