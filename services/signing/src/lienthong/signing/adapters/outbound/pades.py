"""PAdES signatures on PDFs with pyHanko: sealing a document, and verifying every signature on it offline."""

from __future__ import annotations

import asyncio
import enum
import functools
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESStatus
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore, collect_validation_info
from pyhanko.sign.validation.errors import NoDSSFoundError, SignatureValidationError
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule

from lienthong.signing.adapters.outbound.devca import agency_code_of, person_of, serial_of
from lienthong.signing.adapters.outbound.keystore import asn1_certificate
from lienthong.signing.domain.verification import (
    DISALLOWED_MODIFICATION,
    EXPIRED,
    FORMAT_FAILURE,
    HASH_FAILURE,
    NO_CERTIFICATE_CHAIN_FOUND,
    NOT_YET_VALID,
    REVOKED,
    SIG_CRYPTO_FAILURE,
    Indication,
    SignatureReport,
    SignerCertificate,
    VerificationReport,
    overall,
)
from lienthong.vietnamese import without_diacritics
from lienthong.vietnamese.calendar import VIETNAM

SEAL_FIELD = "AgencySeal"
PERSON_FIELD = "Signature"  # an individual's signature, made before the agency's seal
# Where the visible stamp goes on the first page (PDF points, origin bottom-left of A4): bottom right,
# each further signature one box higher so stamps never overlap.
STAMP_BOX = (330, 40, 565, 110)
STAMP_STEP = 80
# The stamp uses a PDF standard font, which has no Vietnamese letters: names are written without diacritics.
STAMP_TEXT = "Signed by: %(seal)s\nAgency code: %(agency)s\nTime: %(vn_time)s\nReason: %(why)s"
# A person's signature also shows their position (chức vụ), as the signature block of a document does.
PERSON_STAMP_TEXT = "Signed by: %(seal)s\nPosition: %(position)s\nAgency code: %(agency)s\nTime: %(vn_time)s"


class _ExpectedOfflineEmbedding(logging.Filter):
    """Drops pyHanko's warning that B-LT data is embedded without fetching: offline is the point here, every
    CRL is handed over (and a B-LT signer refuses to sign, hard-fail, when one is missing)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_ExpectedOfflineEmbedding())


class NotAPdf(ValueError):
    """The bytes given are not a readable PDF."""


class NotExtendable(ValueError):
    """A signature of the PDF cannot be given long-term validation data: it has no timestamp (B-B), or its
    certificate (or its timestamp's) does not validate against the trust and CRLs at hand."""


class Level(enum.Enum):
    """PAdES baseline levels (ETSI EN 319 142-1) the service signs at."""

    B_B = "B-B"  # the signature alone: its time is only what the signer claims
    B_T = "B-T"  # plus an RFC 3161 timestamp: proof the signature existed at that time
    B_LT = "B-LT"  # plus certificates and CRLs in the PDF's DSS: verifiable offline, years later


@dataclass(frozen=True)
class TrustData:
    """What a verifier (or a B-LT signer, which embeds it) trusts and knows about revocation."""

    roots: Sequence[x509.Certificate]
    crls: Sequence[x509.CertificateRevocationList] = ()

    def context(self, **options: Any) -> ValidationContext:
        # allow_fetching=False keeps pyHanko off the network (no AIA, CRL or OCSP downloads).
        return ValidationContext(**self.kwargs(), allow_fetching=False, **options)

    def kwargs(self) -> dict[str, Any]:
        roots, crls = self._asn1
        return {"trust_roots": list(roots), "crls": list(crls)}

    @functools.cached_property
    def _asn1(self) -> tuple[list[asn1_x509.Certificate], list[asn1_crl.CertificateList]]:
        # Converted once per TrustData: an engine keeps one while its CRLs are current (engine.py). asn1crypto
        # objects are not thread-safe, so a TrustData stays with the thread that uses it.
        return (
            [asn1_certificate(root) for root in self.roots],
            [asn1_crl.CertificateList.load(c.public_bytes(serialization.Encoding.DER)) for c in self.crls],
        )


class ContainerSizes:
    """The room (bytes of hex) pyHanko reserves in a PDF for the signature container of one certificate at one
    level, kept after its first estimate. pyHanko estimates it by building a whole dummy CMS, timestamp
    included, before the real one: 29% of a signing worker's time in the profile of the 64-sender exchange.
    The dummy is the same for every document of that certificate and level (same chain, same timestamper, no
    revocation data in the CMS under PAdES), and the estimate keeps pyHanko's margin of 50%. One per engine,
    like the rest of its asn1crypto-built state (see engine.py)."""

    def __init__(self) -> None:
        self._sizes: dict[tuple[bytes, Level], int] = {}

    def get(self, certificate: x509.Certificate, level: Level) -> int | None:
        return self._sizes.get((certificate.fingerprint(hashes.SHA256()), level))

    def remember(self, certificate: x509.Certificate, level: Level, size: int) -> None:
        self._sizes[(certificate.fingerprint(hashes.SHA256()), level)] = size


class SignedPdf(NamedTuple):
    """The signed PDF (the original bytes plus an incremental update) and the signing time it declares."""

    pdf: bytes
    signed_at: datetime


def sign_pdf(
    pdf: bytes,
    *,
    signer: signers.Signer,
    certificate: x509.Certificate,
    reason: str,
    level: Level = Level.B_B,
    timestamper: TimeStamper | None = None,
    trust: TrustData | None = None,
    signing_time: datetime | None = None,
    position: str = "",
    sizes: ContainerSizes | None = None,
) -> SignedPdf:
    """Sign `pdf` with a PAdES signature (ETSI.CAdES.detached, SHA-256) at `level` in an incremental update,
    with a visible stamp on the first page naming the signer and the signing time in ISO 8601 with the
    Vietnam offset (+07:00). `signer` (from the key store) embeds the chain, so a verifier needs only the
    root. B-T and B-LT need `timestamper`; B-LT also `trust`, whose CRLs are embedded (nothing is fetched).
    `signing_time` defaults to now; `position` is the signer's position (chức vụ), shown on the stamp;
    `sizes` keeps the room reserved for the signature container, estimated once per certificate and level."""
    if level is not Level.B_B and timestamper is None:
        raise ValueError(f"a {level.value} signature needs a time-stamping authority")
    if level is Level.B_LT and trust is None:
        raise ValueError("a B-LT signature needs the trust roots and CRLs to embed")
    signed_at = signing_time or datetime.now(UTC)
    if signed_at.utcoffset() is None:
        raise ValueError("signing_time must carry a time zone")
    # The CMS signingTime (UTCTime) keeps whole seconds: return exactly what a verifier will read back.
    signed_at = signed_at.replace(microsecond=0)
    existing = _signature_field_names(_reader(pdf))
    field_name = _free_field_name(existing, SEAL_FIELD if person_of(certificate) is None else PERSON_FIELD)
    long_term = level is Level.B_LT and trust is not None
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        embed_validation_info=long_term,
        # require: a B-LT signature whose revocation data is missing would not be B-LT at all; the CRL of every
        # certificate below the root is used, hence embedded, whether or not the certificate says where it is.
        validation_context=trust.context(revocation_mode="require") if long_term and trust else None,
    )
    left, bottom, right, top = STAMP_BOX
    lift = STAMP_STEP * len(existing)
    reserved = sizes.get(certificate, level) if sizes is not None else None
    pdf_signer = _PdfSignerAt(
        metadata,
        signer=signer,
        timestamper=timestamper if level is not Level.B_B else None,
        signing_time=signed_at,
        estimated=None if sizes is None else functools.partial(sizes.remember, certificate, level),
        stamp_style=TextStampStyle(stamp_text=PERSON_STAMP_TEXT if position.strip() else STAMP_TEXT),
        new_field_spec=fields.SigFieldSpec(field_name, box=(left, bottom + lift, right, top + lift), on_page=0),
    )
    output = io.BytesIO()
    pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        output=output,
        bytes_reserved=reserved,
        appearance_text_params={
            "seal": _ascii(_signer_name_of(certificate)),
            "agency": agency_code_of(certificate) or "-",
            "vn_time": _vietnam(signed_at),
            "why": _ascii(reason),
            "position": _ascii(position.strip()),
        },
    )
    return SignedPdf(output.getvalue(), signed_at)


class LongTermPdf(NamedTuple):
    """A PDF whose signatures carry their validation data (B-LT), and whether an update had to be added."""

    pdf: bytes
    extended: bool


def extend_to_long_term(pdf: bytes, *, trust: TrustData) -> LongTermPdf:
    """Make every signature of `pdf` (each with its timestamp: B-T) long-term, B-LT: the certificates and
    CRLs that validate it and its timestamp are written to the PDF's DSS, with a VRI entry per signature, in
    one incremental update; the signed bytes stay as they are. Nothing is fetched: the CRLs are `trust`'s,
    and every certificate below a root needs one ("require"), as for a B-LT signature made in one go.
    A PDF that holds all of it already comes back unchanged (`extended` False)."""
    reader = _reader(pdf)
    found = [(name, embedded) for name, embedded in _signatures(reader)]
    damaged = [name for name, embedded in found if embedded is None]
    if damaged:
        raise NotAPdf(f"the signature container of {', '.join(damaged)} cannot be parsed")
    signatures = [embedded for _, embedded in found if embedded is not None and embedded.sig_object_type == "/Sig"]
    if not signatures:
        raise NotAPdf("the PDF carries no signature to extend")
    for embedded in signatures:
        if next(extract_tst_data_iter(embedded.signer_info, signed=False), None) is None:
            raise NotExtendable(
                f"signature {embedded.field_name} has no timestamp (it is B-B): only a B-T signature becomes B-LT"
            )
    context = trust.context(revocation_mode="require")
    collected = []
    for embedded in signatures:
        try:
            collected.append((embedded, asyncio.run(collect_validation_info(embedded, context))))
        except (PathBuildingError, PathValidationError) as error:
            raise NotExtendable(f"signature {embedded.field_name} does not validate: {error}") from error
    if _holds_all(_embedded_validation_data(reader), [path for _, paths in collected for path in paths], context):
        return LongTermPdf(pdf, False)
    writer = IncrementalPdfFileWriter.from_reader(reader)
    for embedded, paths in collected:
        DocumentSecurityStore.supply_dss_in_writer(
            writer, embedded.pkcs7_content.hex().encode("ascii"), validation_context=context, paths=paths
        )
    output = io.BytesIO()
    writer.write(output)  # type: ignore[no-untyped-call]
    return LongTermPdf(output.getvalue(), True)


def _holds_all(held: DocumentSecurityStore | None, paths: list[ValidationPath], context: ValidationContext) -> bool:
    """Whether the PDF's DSS has every certificate of `paths` below their roots and every CRL `context`
    used: a B-LT PDF (sealed so in one go, or extended before) needs nothing more."""
    if held is None:
        return False
    certificates = {certificate.issuer_serial for path in paths for certificate in list(path)[1:]}
    crls = {crl.dump() for crl in context.crls}
    held_crls = {ref.get_object().read_data(DecodePurpose.CRL) for ref in held.crls}
    return certificates <= set(held.certs) and crls <= held_crls


class _PdfSignerAt(signers.PdfSigner):
    """A PdfSigner whose signing time is given, not read from the clock: the time in the CMS signed
    attributes, in /M and on the stamp is then exactly the time the caller records. When pyHanko estimates the
    room for the signature container, `estimated` is told the size."""

    def __init__(
        self, *args: Any, signing_time: datetime, estimated: Callable[[int], None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time
        self._estimated = estimated

    def init_signing_session(self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        # pyHanko offers no parameter for this; every later step reads the session's system_time.
        session.system_time = self._signing_time
        if self._estimated is not None:
            # Nor a hook for its estimate (asked only when no bytes_reserved is given): the session's own
            # method, wrapped on this session alone, tells its answer.
            estimate, tell = session.estimate_signature_container_size, self._estimated

            async def estimate_and_tell(validation_info: Any, tight: bool = False) -> int:
                size: int = await estimate(validation_info, tight=tight)
                tell(size)
                return size

            session.estimate_signature_container_size = estimate_and_tell  # type: ignore[method-assign]
        return session


def verify_pdf(
    pdf: bytes,
    *,
    trust: TrustData,
    expected_agency_code: str | None = None,
    at: datetime | None = None,
    strict: bool = False,
) -> VerificationReport:
    """Verify every signature of `pdf` against `trust` and the validation data embedded in the PDF (B-LT),
    as of `at` (default now), offline: pyHanko fetches nothing. A certificate with no CRL here or in the PDF
    is not checked for revocation (soft-fail), unless `strict`: then every certificate below a root needs
    revocation data, as an auditor verifying a B-LT document years later would demand."""
    reader = _reader(pdf)
    embedded_data = _embedded_validation_data(reader)
    reports = []
    for field_name, embedded in _signatures(reader):
        if embedded is None:
            reports.append(_unreadable(field_name, "its signature container cannot be parsed"))
        elif embedded.sig_object_type == "/Sig":  # document timestamps (PAdES B-LTA) are not signatures
            reports.append(_verify(embedded, trust, embedded_data, at, "require" if strict else "soft-fail"))
    return overall(tuple(reports), expected_agency_code)


def _embedded_validation_data(reader: PdfFileReader) -> DocumentSecurityStore | None:
    try:
        return DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise NotAPdf(f"the PDF's document security store cannot be read: {error}") from error


def _signature_field_names(reader: PdfFileReader) -> set[str]:
    """Names of all signature fields, signed or empty: the new field must not reuse one."""
    try:
        return {name for name, _, _ in fields.enumerate_sig_fields(reader)}
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise NotAPdf(f"the PDF's signature fields cannot be read: {error}") from error


def _signatures(reader: PdfFileReader) -> list[tuple[str, EmbeddedPdfSignature | None]]:
    """Every filled signature field in signing order, None for one whose CMS cannot be parsed: unlike
    `reader.embedded_signatures`, one damaged signature does not hide the others (or raise)."""
    try:
        filled = list(fields.enumerate_sig_fields(reader, filled_status=True))
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise NotAPdf(f"the PDF's signature fields cannot be read: {error}") from error
    readable: list[EmbeddedPdfSignature] = []
    unreadable: list[tuple[str, EmbeddedPdfSignature | None]] = []
    for field_name, _, field in filled:
        try:
            readable.append(EmbeddedPdfSignature(reader, field, field_name))
        except (PdfError, ValueError, KeyError, TypeError):
            unreadable.append((field_name, None))
    readable.sort(key=lambda embedded: embedded.signed_revision)
    in_order: list[tuple[str, EmbeddedPdfSignature | None]] = [(e.field_name, e) for e in readable]
    return in_order + unreadable


def _unreadable(field_name: str, why: str) -> SignatureReport:
    return SignatureReport(
        field_name=field_name,
        indication=Indication.TOTAL_FAILED,
        sub_indication=FORMAT_FAILURE,
        intact=False,
        trusted=False,
        certificate=None,
        signed_at=None,
        detail=why,
    )


def _verify(
    embedded: EmbeddedPdfSignature,
    trust: TrustData,
    embedded_data: DocumentSecurityStore | None,
    at: datetime | None,
    revocation_mode: str,
) -> SignatureReport:
    known = _crl_issuers(trust, embedded_data)
    checked = revocation_mode == "soft-fail" and embedded.signer_cert.issuer in known

    def context(*, retroactive_revinfo: bool = False, **options: Any) -> ValidationContext:
        # A fresh context per validation: it caches paths and revocation answers. allow_fetching=False keeps
        # pyHanko off the network.
        kwargs = {
            **trust.kwargs(),
            "allow_fetching": False,
            "revinfo_policy": _revocation_policy(revocation_mode, checked, retroactive_revinfo),
            **options,
        }
        return embedded_data.as_validation_context(kwargs) if embedded_data else ValidationContext(**kwargs)

    try:
        status = validate_pdf_signature(embedded, context(moment=at))
        proven_at = _timestamped_at(status)
        if proven_at is not None and status.trust_problem_indic is not None:
            # A trusted timestamp proves the signature existed at its time: judge the certificate as it was
            # then (EN 319 102-1 past signature validation), with revocation data published since.
            status = validate_pdf_signature(
                embedded,
                context(moment=proven_at, retroactive_revinfo=True),
                ts_validation_context=context(moment=at),
            )
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as error:
        return _unreadable(embedded.field_name, f"the signature cannot be validated: {error}")
    certificate = x509.load_der_x509_certificate(status.signing_cert.dump())
    indication, sub_indication, detail = _judgement(status, certificate, proven_at)
    return SignatureReport(
        field_name=embedded.field_name,
        indication=indication,
        sub_indication=sub_indication,
        intact=bool(status.intact),
        trusted=bool(status.trusted),
        certificate=SignerCertificate(
            serial=serial_of(certificate),
            subject=certificate.subject.rfc4514_string(),
            agency_code=agency_code_of(certificate),
            person=person_of(certificate),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        ),
        signed_at=status.signer_reported_dt,
        timestamped_at=proven_at,
        chain=_chain(status),
        detail=detail,
    )


# Soft-fail, except that a signer's certificate whose issuer's CRL is at hand (given, or in the PDF's DSS)
# must be on it or not: pyHanko's own soft-fail checks a CRL only for a certificate that declares a
# distribution point, and the dev CA's certificates declare none (devca.py).
_CHECK_HELD_CRL = RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.CRL_REQUIRED,
    intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
)


def _revocation_policy(mode: str, crl_at_hand: bool, retroactive_revinfo: bool) -> CertRevTrustPolicy:
    checking = _CHECK_HELD_CRL if crl_at_hand else RevocationCheckingPolicy.from_legacy(mode)
    return CertRevTrustPolicy(checking, retroactive_revinfo=retroactive_revinfo)


def _crl_issuers(trust: TrustData, embedded_data: DocumentSecurityStore | None) -> list[asn1_x509.Name]:
    """The issuers of the CRLs a verification holds: given in `trust`, or embedded in the PDF's DSS."""
    crls = list(trust.kwargs()["crls"])
    if embedded_data is not None:
        crls += [
            asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)) for ref in embedded_data.crls
        ]
    return [crl.issuer for crl in crls]


def _chain(status: PdfSignatureStatus) -> tuple[str, ...]:
    path = status.validation_path
    if path is None:
        return ()
    return tuple(
        certificate.subject.human_friendly for certificate in reversed(list(path.iter_certs(include_root=True)))
    )


def _timestamped_at(status: PdfSignatureStatus) -> datetime | None:
    """The time of the signature's timestamp when the timestamp is intact and trusted, else None."""
    token = status.timestamp_validity
    if token is None or not (token.intact and token.valid and token.trusted):
        return None
    return token.timestamp


_INDICATIONS = {
    AdESStatus.PASSED: Indication.TOTAL_PASSED,
    AdESStatus.FAILED: Indication.TOTAL_FAILED,
    AdESStatus.INDETERMINATE: Indication.INDETERMINATE,
}

_UNTRUSTED_BECAUSE = {
    "NO_CERTIFICATE_CHAIN_FOUND": "the signer's certificate does not chain to a trusted root",
    "OUT_OF_BOUNDS_NO_POE": "the signer's certificate has expired or is not valid yet",
    "CHAIN_CONSTRAINTS_FAILURE": "a certificate of the chain may not be used this way (key usage, CA flag)",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": "the certificate chain does not validate",
}


def _judgement(
    status: PdfSignatureStatus, certificate: x509.Certificate, proven_at: datetime | None
) -> tuple[Indication, str, str]:
    """Indication, sub-indication (EN 319 102-1 names where pyHanko gives them) and why, for one signature.
    `proven_at` is the time of its trusted timestamp, if it has one."""
    if not status.intact:
        return Indication.TOTAL_FAILED, HASH_FAILURE, "the signed bytes were changed after signing"
    if not status.valid:
        return Indication.TOTAL_FAILED, SIG_CRYPTO_FAILURE, "the signature value does not match the signer's key"
    problem = status.trust_problem_indic
    revocation = status.revocation_details
    signed_at = proven_at or status.signer_reported_dt
    when = f"{'timestamped' if proven_at else 'claimed'} {_vietnam(signed_at)}" if signed_at else ""
    if problem is not None and revocation is not None:
        revoked = f"the certificate was revoked on {_vietnam(revocation.revocation_date)}"
        if not revocation.ca_revoked and signed_at is not None and revocation.revocation_date <= signed_at:
            # B-B carries no proof of when it was made, so pyHanko says REVOKED_NO_POE; but a signature that
            # itself claims a time after the revocation cannot be good under any proof: EN 319 102-1 REVOKED.
            return Indication.TOTAL_FAILED, REVOKED, revoked
        return _INDICATIONS[problem.status], problem.standard_name, f"{revoked}; nothing proves the signature is older"
    if problem is not None and signed_at is not None and problem.standard_name != NO_CERTIFICATE_CHAIN_FOUND:
        # The same reasoning for the validity period: made (by proof, or by its own claim) after the
        # certificate expired or before it started, the signature fails whatever else is shown.
        if signed_at > certificate.not_valid_after_utc:
            return Indication.TOTAL_FAILED, EXPIRED, f"the certificate had expired when the signature was made ({when})"
        if signed_at < certificate.not_valid_before_utc:
            return (
                Indication.TOTAL_FAILED,
                NOT_YET_VALID,
                f"the certificate was not valid yet when the signature was made ({when})",
            )
    if problem is not None:
        why = _UNTRUSTED_BECAUSE.get(problem.standard_name, "the signer's certificate is not trusted")
        return _INDICATIONS[problem.status], problem.standard_name, why
    if not status.bottom_line:
        return Indication.TOTAL_FAILED, DISALLOWED_MODIFICATION, "the document was changed after signing"
    return Indication.TOTAL_PASSED, "", "intact, and signed with a trusted certificate"


def _reader(pdf: bytes) -> PdfFileReader:
    if not pdf.startswith(b"%PDF-"):
        raise NotAPdf("the content is not a PDF (it does not start with %PDF-)")
    try:
        return PdfFileReader(io.BytesIO(pdf))
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise NotAPdf(f"the PDF cannot be read: {error}") from error


def _free_field_name(existing: set[str], prefix: str) -> str:
    name, counter = prefix, 1
    while name in existing:
        counter += 1
        name = f"{prefix}{counter}"
    return name


def _signer_name_of(certificate: x509.Certificate) -> str:
    """The person for an individual's certificate, the organisation for an agency seal."""
    subject = certificate.subject
    first = x509.NameOID.COMMON_NAME if person_of(certificate) else x509.NameOID.ORGANIZATION_NAME
    names = subject.get_attributes_for_oid(first) or subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def _ascii(text: str) -> str:
    # pyHanko writes any non-ASCII text as UTF-16, which a standard font shows as garbage.
    return without_diacritics(text).encode("ascii", "replace").decode() or "-"


def _vietnam(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")
