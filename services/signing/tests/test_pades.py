"""Seal-signing a document and verifying it: intact, trusted, not revoked and by the expected agency, or why not."""

from __future__ import annotations

import contextlib
import io
import re
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from lienthong.documents.adapters.outbound.rendering import render_document_pdf
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority, IssuedCertificate
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.adapters.outbound.pades import NotAPdf, TrustData, sign_pdf, verify_pdf
from lienthong.signing.domain.verification import Indication

AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"
PROVINCE = "000.00.00.H41"
HOUR = timedelta(hours=1)


def document() -> bytes:
    return render_document_pdf(
        agency_name=NAME,
        code="01/BC-STTTT",
        issued_on=date(2026, 11, 24),
        type_name="Báo cáo",
        subject="Báo cáo tình hình ứng dụng công nghệ thông tin",
    )


def seal(
    ca: DevCertificateAuthority,
    keys: EncryptedFileKeyStore,
    pdf: bytes,
    issued: IssuedCertificate,
    signing_time: datetime | None = None,
) -> bytes:
    signed, _ = sign_pdf(
        pdf,
        signer=keys.signer(issued.serial, issued.certificate, ca.chain),
        certificate=issued.certificate,
        reason="Ban hành 01/BC-STTTT",
        signing_time=signing_time,
    )
    return signed


def sealed(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> bytes:
    return seal(ca, keys, document(), ca.issue_seal(AGENCY, NAME))


def page_text(pdf: bytes) -> str:
    """Every content stream of the file, inflated, with PDF octal escapes (\\072 is ':') decoded."""
    texts = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        data = match.group(1)
        with contextlib.suppress(zlib.error):  # pyHanko compresses some streams, the rendered page is plain
            data = zlib.decompress(data)
        texts.append(re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), data).decode("latin-1"))
    return "\n".join(texts)


def test_a_sealed_document_passes_for_its_agency(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    report = verify_pdf(sealed(ca, keys), trust=TrustData([ca.root]), expected_agency_code=AGENCY)
    assert report.indication is Indication.TOTAL_PASSED
    [signature] = report.signatures
    assert (signature.field_name, signature.intact, signature.trusted) == ("AgencySeal", True, True)
    assert signature.certificate is not None
    assert signature.certificate.agency_code == AGENCY


def test_the_signature_declares_the_signing_time_given(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    issued = ca.issue_seal(AGENCY, NAME, now=now - 2 * HOUR)
    signed, signed_at = sign_pdf(
        document(),
        signer=keys.signer(issued.serial, issued.certificate, ca.chain),
        certificate=issued.certificate,
        reason="Ban hành",
        signing_time=now - HOUR,
    )
    [signature] = verify_pdf(signed, trust=TrustData([ca.root])).signatures
    assert signed_at == signature.signed_at == now - HOUR


def test_the_stamp_shows_the_signer_and_the_time_with_the_vietnam_offset(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    moment = datetime(2026, 11, 24, 3, 4, 5, tzinfo=UTC)
    signed = seal(ca, keys, document(), ca.issue_seal(AGENCY, NAME), signing_time=moment)
    text = page_text(signed)
    assert "Signed by: So Thong tin va Truyen thong" in text
    assert f"Agency code: {AGENCY}" in text
    assert "Time: 2026-11-24T10:04:05+07:00" in text


def test_a_persons_stamp_shows_their_name_position_and_time(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    leader = ca.issue_personal(AGENCY, NAME, "Nguyễn Văn An", "CCCVN-001089012345")
    signed, _ = sign_pdf(
        document(),
        signer=keys.signer(leader.serial, leader.certificate, ca.chain),
        certificate=leader.certificate,
        reason="Ký ban hành",
        signing_time=datetime(2026, 11, 24, 3, 4, 5, tzinfo=UTC),
        position="Giám đốc",
    )
    text = page_text(signed)
    assert "Signed by: Nguyen Van An" in text
    assert "Position: Giam doc" in text
    assert "Time: 2026-11-24T10:04:05+07:00" in text
    [field] = [name for name in ("Signature", "AgencySeal") if f"/T ({name})" in signed.decode("latin-1")]
    assert field == "Signature"


def test_verification_reaches_for_nothing_on_the_network(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, network_calls: Callable[[], ContextManager[list[str]]]
) -> None:
    signed = sealed(ca, keys)  # its certificate names a CRL address a fetching verifier would look up
    with network_calls() as calls:
        verify_pdf(signed, trust=TrustData([ca.root]), expected_agency_code=AGENCY)
    assert calls == []


def test_a_seal_of_another_agency_fails(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    report = verify_pdf(sealed(ca, keys), trust=TrustData([ca.root]), expected_agency_code=PROVINCE)
    assert report.indication is Indication.TOTAL_FAILED
    assert report.reason.startswith("NOT_SIGNED_BY_EXPECTED_AGENCY")
    assert PROVINCE in report.reason


def test_a_document_changed_after_signing_fails(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    signed = bytearray(sealed(ca, keys))
    position = signed.index(b"Bao cao tinh hinh")  # inside the signed byte range: the page's content stream
    signed[position] = ord("X")
    report = verify_pdf(bytes(signed), trust=TrustData([ca.root]), expected_agency_code=AGENCY)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, "HASH_FAILURE")
    assert report.signatures[0].intact is False


def test_a_page_replaced_by_a_later_update_fails(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed(ca, keys)))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 30 Tf 100 400 Td (FORGED) Tj ET"))
    writer.update_container(page)
    forged = io.BytesIO()
    writer.write(forged)  # type: ignore[no-untyped-call]
    report = verify_pdf(forged.getvalue(), trust=TrustData([ca.root]), expected_agency_code=AGENCY)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, "DISALLOWED_MODIFICATION")
    assert report.signatures[0].intact is True  # the signed revision itself is untouched


def test_an_unreadable_signature_fails_as_a_format_failure(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    signed = sealed(ca, keys).replace(b"/Contents <3082", b"/Contents <FFFF", 1)
    report = verify_pdf(signed, trust=TrustData([ca.root]), expected_agency_code=AGENCY)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, "FORMAT_FAILURE")


def test_a_seal_from_an_untrusted_ca_is_not_passed(
    tmp_path: Path, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    stranger = DevCertificateAuthority(tmp_path / "other-ca", keys)
    report = verify_pdf(sealed(stranger, keys), trust=TrustData([ca.root]), expected_agency_code=AGENCY)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")
    assert report.signatures[0].trusted is False


def test_without_trust_roots_nothing_is_trusted(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    # An empty list must not fall back to the operating system's trust store.
    report = verify_pdf(sealed(ca, keys), trust=TrustData([]), expected_agency_code=AGENCY)
    assert report.indication is Indication.INDETERMINATE


def test_a_seal_used_after_its_revocation_fails(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    now = datetime.now(UTC)
    issued = ca.issue_seal(AGENCY, NAME, now=now - 2 * HOUR)
    ca.revoke(issued.serial, at=now - HOUR)
    signed = seal(ca, keys, document(), issued, signing_time=now)
    report = verify_pdf(signed, trust=TrustData([ca.root], [ca.crl()]), expected_agency_code=AGENCY)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, "REVOKED")


def test_a_seal_revoked_after_signing_is_indeterminate_without_proof_of_time(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    now = datetime.now(UTC)
    issued = ca.issue_seal(AGENCY, NAME, now=now - 2 * HOUR)
    signed = seal(ca, keys, document(), issued, signing_time=now - 90 * timedelta(minutes=1))
    ca.revoke(issued.serial, at=now - HOUR)
    report = verify_pdf(signed, trust=TrustData([ca.root], [ca.crl()]), expected_agency_code=AGENCY)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, "REVOKED_NO_POE")


def test_a_crl_that_does_not_list_the_seal_leaves_it_passing(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    ca.revoke(ca.issue_seal(PROVINCE, "Ủy ban nhân dân tỉnh Quảng Nam").serial)
    report = verify_pdf(sealed(ca, keys), trust=TrustData([ca.root], [ca.crl()]), expected_agency_code=AGENCY)
    assert report.indication is Indication.TOTAL_PASSED


def test_a_second_seal_is_added_and_both_are_verified(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    province = ca.issue_seal(PROVINCE, "Ủy ban nhân dân tỉnh Quảng Nam")
    twice = seal(ca, keys, sealed(ca, keys), province)
    report = verify_pdf(twice, trust=TrustData([ca.root]), expected_agency_code=PROVINCE)
    assert report.indication is Indication.TOTAL_PASSED
    assert [(s.field_name, s.indication) for s in report.signatures] == [
        ("AgencySeal", Indication.TOTAL_PASSED),
        ("AgencySeal2", Indication.TOTAL_PASSED),
    ]


def test_an_unsigned_pdf_has_no_signature(ca: DevCertificateAuthority) -> None:
    report = verify_pdf(document(), trust=TrustData([ca.root]), expected_agency_code=None)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, "NO_SIGNATURE")


@pytest.mark.parametrize("content", [b"hello", b"", b"%PDF-1.7\nnot really a PDF"])
def test_bytes_that_are_not_a_pdf_are_refused(ca: DevCertificateAuthority, content: bytes) -> None:
    with pytest.raises(NotAPdf, match="PDF"):
        verify_pdf(content, trust=TrustData([ca.root]), expected_agency_code=None)


def test_signing_bytes_that_are_not_a_pdf_is_refused(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    with pytest.raises(NotAPdf):
        seal(ca, keys, b"hello", ca.issue_seal(AGENCY, NAME))


def test_a_key_that_does_not_belong_to_the_certificate_is_refused(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    issued = ca.issue_seal(AGENCY, NAME)
    other = ca.issue_seal(PROVINCE, "Ủy ban nhân dân tỉnh Quảng Nam")
    with pytest.raises(ValueError, match="does not belong"):
        keys.signer(other.serial, issued.certificate, ca.chain)
