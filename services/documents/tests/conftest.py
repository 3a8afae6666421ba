"""Fixtures of the documents tests, on a real store and registers:
- use cases with the agency registry and the PAdES signer replaced by fakes;
- the edXML exchange, with an agency registry in memory and XML sealing done in-process by the signing
  service's own module with a development CA (no servers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from lienthong.access import Identity, parse_identity
from lienthong.consumer import LocalFollower
from lienthong.documents.adapters.outbound.blobs import BlobStore, LocalBlobStore
from lienthong.documents.adapters.outbound.gateways import Seal, Verdict
from lienthong.documents.adapters.outbound.rendering import render_document_pdf
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.application.edxml_exchange import EdxmlExchange
from lienthong.documents.application.envelope import sealed_record
from lienthong.documents.application.usecases import DocumentUseCases
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.documents.projections.registers import Registers
from lienthong.errors import FailedPrecondition, NotFound, Unavailable
from lienthong.eventstore import current_actor, store_environment
from lienthong.identifiers_client import AgencyInfo
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.adapters.outbound.xmldsig import NotXml, sign_xml, verify_xml
from lienthong.signing.application.encryption import EncryptionKeys
from lienthong.signing.domain.custody import authorise_unwrap
from lienthong.signing.domain.verification import Indication

SIGNATURE = b"\n%%signed by the fake seal\n"
LONG_TERM = b"\n%%validation data of the fake seal\n"


class FakeDirectory:
    """Every well-formed code is an active agency; nobody was reorganised."""

    async def get(self, code: str) -> AgencyInfo:
        return AgencyInfo(code, f"Cơ quan {code}", "STTTT", True, "active")

    async def resolve(self, code: str) -> tuple[AgencyInfo, list[str]]:
        return await self.get(code), [code]


class FakeSigner:
    """Appends a marker instead of a PAdES signature, and accepts only PDFs that carry it. `policies` maps an
    agency to the name of its signing policy allowing automatic seals; like the signing service, it refuses
    an automatic seal the agency's policy does not allow. `seals` lists (agency, automatic) per seal; a
    person's signature appends a marker naming the certificate and position."""

    def __init__(self) -> None:
        self.policies: dict[str, str] = {}
        self.seals: list[tuple[str, bool]] = []
        self.verifications = 0
        self.extensions = 0
        self.down = False

    async def sign_personally(self, agency_code: str, pdf: bytes, reason: str, *, serial: str, position: str) -> Seal:
        marker = f"\n%%signed by {serial} as {position}\n".encode()
        return Seal(pdf + marker, serial, datetime.now(UTC))

    async def automatic_seal_policy(self, agency_code: str) -> str:
        return self.policies.get(agency_code, "")

    async def seal(
        self, agency_code: str, pdf: bytes, reason: str, *, automatic: bool = False, long_term_later: bool = False
    ) -> Seal:
        policy = self.policies.get(agency_code, "") if automatic else ""
        if automatic and not policy:
            raise FailedPrecondition(f"agency {agency_code} has no signing policy allowing automatic seal signatures")
        self.seals.append((agency_code, automatic))
        return Seal(pdf + SIGNATURE, "0a1b", datetime.now(UTC), policy, "B-T" if long_term_later else "B-LT")

    async def extend_to_long_term(self, pdf: bytes) -> bytes:
        """The sealed PDF with a marker standing for the DSS update; UNAVAILABLE while `down`."""
        if self.down:
            raise Unavailable("signing service failed (UNAVAILABLE): the fake is down")
        if not pdf.endswith(SIGNATURE):
            raise FailedPrecondition("the PDF carries no seal to extend")
        self.extensions += 1
        return pdf + LONG_TERM

    async def verify(self, pdf: bytes, agency_code: str) -> Verdict:
        self.verifications += 1
        return Verdict(pdf.endswith((SIGNATURE, SIGNATURE + LONG_TERM)), "no seal")


class LocalCustodian:
    """What the signing service's GetEncryptionKey/UnwrapDataKey do, called in-process by the documents
    service (the trusted caller), with agencies' keys in an encrypted file store of the test's own.
    `unwrapped` lists (agency, on behalf of) per key opened."""

    def __init__(self, directory: Path) -> None:
        self.keys = EncryptionKeys(EncryptedFileKeyStore(directory, b"test passphrase"))
        self.unwrapped: list[tuple[str, str]] = []

    async def public_key(self, agency_code: str) -> str:
        public = self.keys.public_key(agency_code)
        return public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")

    async def unwrap(self, agency_code: str, wrapped_key: bytes, *, document_id: str, on_behalf_of: str) -> bytes:
        authorise_unwrap("service:documents", on_behalf_of, agency_code)
        self.unwrapped.append((agency_code, on_behalf_of))
        return self.keys.unwrap(agency_code, wrapped_key)


@pytest.fixture
def custodian(tmp_path: Path) -> LocalCustodian:
    return LocalCustodian(tmp_path / "encryption-keys")


@pytest.fixture
def store(database_url: str) -> DocumentsApp:
    return DocumentsApp(store_environment("documents", database_url))


@pytest.fixture
def signer() -> FakeSigner:
    return FakeSigner()


@pytest.fixture
def usecases(store: DocumentsApp, tmp_path: Path, signer: FakeSigner, custodian: LocalCustodian) -> DocumentUseCases:
    app = store
    registers = Registers(app.engine)
    follower = LocalFollower(app, registers, service="documents")
    return DocumentUseCases(
        app,
        registers,
        follower,
        LocalBlobStore(tmp_path / "blobs"),
        FakeDirectory(),  # type: ignore[arg-type]
        signer,  # type: ignore[arg-type]
        custodian=custodian,
    )


SENDER_CLERK, RECIPIENT_CLERK = "clerk@000.00.12.H41", "clerk@000.00.00.H41"

AGENCIES = {
    "000.00.12.H41": AgencyInfo(
        "000.00.12.H41", "Sở Thông tin và Truyền thông", "STTTT", True, "active", parent_code="000.00.00.H41"
    ),
    "000.00.00.H41": AgencyInfo("000.00.00.H41", "Ủy ban nhân dân tỉnh Khánh Hòa", "UBND", True, "active"),
    "000.00.07.H41": AgencyInfo("000.00.07.H41", "Sở Nội vụ", "SNV", False, "locked"),
}


class MemoryDirectory:
    """The agency registry: three agencies of Khánh Hòa, one of them locked."""

    async def get(self, code: str) -> AgencyInfo:
        if code not in AGENCIES:
            raise NotFound(f"no agency has code {code}")
        return AGENCIES[code]

    async def resolve(self, code: str) -> tuple[AgencyInfo, list[str]]:
        agency = await self.get(code)
        if not agency.active:
            raise FailedPrecondition(f"agency {code} is locked and cannot receive documents")
        return agency, [code]


class LocalSealer:
    """What the signing service's SignXml/VerifyXml do, called in-process."""

    def __init__(self, directory: Path) -> None:
        self.keys = EncryptedFileKeyStore(directory / "keys", b"test passphrase")
        self.ca = DevCertificateAuthority(directory / "ca", self.keys)

    def seal(self, agency_code: str, xml: bytes, xades: bool = False) -> bytes:
        issued = self.ca.issue_seal(agency_code, f"Cơ quan {agency_code}")
        signer = self.keys.signer(issued.serial, issued.certificate, self.ca.chain)
        signed, _ = sign_xml(xml, signer=signer, certificate=issued.certificate, chain=self.ca.chain, xades=xades)
        return signed

    async def seal_xml(self, agency_code: str, xml: bytes, xades: bool = False) -> bytes:
        return self.seal(agency_code, xml, xades)

    async def verify_xml(self, xml: bytes, agency_code: str) -> Verdict:
        try:
            report = verify_xml(xml, trust_roots=[self.ca.root], expected_agency_code=agency_code)
        except NotXml as error:
            return Verdict(False, str(error))
        return Verdict(report.indication is Indication.TOTAL_PASSED, report.reason)


@pytest.fixture
def sealer(tmp_path: Path) -> LocalSealer:
    return LocalSealer(tmp_path / "signing")


ExchangeFactory = Callable[[str, str], tuple[EdxmlExchange, DocumentsApp, Registers, BlobStore]]


@pytest.fixture
def exchange_at(tmp_path: Path, sealer: LocalSealer) -> ExchangeFactory:
    """An exchange on its own database and blob directory (one per platform in a test)."""

    def make(database_url: str, name: str) -> tuple[EdxmlExchange, DocumentsApp, Registers, BlobStore]:
        app = DocumentsApp(store_environment("documents", database_url))
        registers = Registers(app.engine)
        follower = LocalFollower(app, registers, service="documents")
        blobs = LocalBlobStore(tmp_path / name / "blobs")
        side = RECIPIENT_CLERK if name == "recipient" else SENDER_CLERK

        def identity() -> Identity:
            """The clerk of the side's agency, unless the test names another caller (event_context)."""
            actor = current_actor()
            return parse_identity(side if actor == "system" else actor)

        exchange = EdxmlExchange(app, registers, follower, blobs, MemoryDirectory(), sealer, identity=identity)
        return exchange, app, registers, blobs

    return make


SENDER, RECIPIENT = "000.00.12.H41", "000.00.00.H41"
ISSUED = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SentWithin = Callable[..., UUID]


def send_within(app: DocumentsApp, blobs: BlobStore, confidentiality: Confidentiality = Confidentiality.NORMAL) -> UUID:
    """A report of the department sent to the province within the platform: 01/BC-STTTT of 24 November 2026,
    whose edXML DocumentId is 000.00.12.H41,2026/11/24,01/BC-STTTT (on a fresh store)."""
    pdf = render_document_pdf(
        agency_name="Sở TT&TT", code="01/BC-STTTT", issued_on=date(2026, 11, 24), type_name="Báo cáo", subject="Báo cáo"
    )
    sha = blobs.put(pdf)
    # A confidential one comes sealed (which keys and ciphertext does not matter to the exchange).
    confidential = confidentiality is not Confidentiality.NORMAL
    document = app.create_outgoing(
        sealed=sealed_record({SENDER: "a2V5"}, "dGV4dA==") if confidential else None,
        sender_code=SENDER,
        doc_type=DocumentType.BAO_CAO,
        subject="Báo cáo tình hình ứng dụng công nghệ thông tin quý IV",
        urgency=Urgency.THUONG_KHAN,
        confidentiality=confidentiality,
        content_sha256=sha,
    )
    app.register_outgoing(document.id, agency_short_name="STTTT", issued_at=ISSUED, content_for=lambda d, c: sha)
    app.sign_outgoing(document.id, content_sha256=sha, certificate_serial="01", signed_at=ISSUED)
    wrapped = {RECIPIENT: "a2V5"} if confidential else None
    app.send_outgoing(document.id, routes={RECIPIENT: RECIPIENT}, sent_at=ISSUED, wrapped_keys=wrapped)
    return document.id


@pytest.fixture
def sent_within() -> SentWithin:
    """`sent_within(app, blobs, confidentiality=NORMAL)`: the id of a document sent within the platform."""
    return send_within
