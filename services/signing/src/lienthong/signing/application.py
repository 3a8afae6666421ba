"""The signing application: the certificate registry, agency seals, and the record of every signature."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from lienthong.errors import NotFound
from lienthong.eventstore import StoredApplication
from lienthong.signing.devca import DevCertificateAuthority, IssuedCertificate
from lienthong.signing.domain.certificate import (
    AgencySeal,
    Certificate,
    CertificateKind,
    CertificateState,
    id_of_certificate,
    id_of_seal,
)


class SigningApp(StoredApplication):
    """Certificates issued by the development CA and the signatures made with their keys."""

    name = "Signing"

    def seal_of(self, agency_code: str) -> Certificate | None:
        """The agency's seal certificate, if it has one."""
        try:
            seal: AgencySeal = self.repository.get(id_of_seal(agency_code))
        except AggregateNotFoundError:
            return None
        certificate: Certificate = self.repository.get(id_of_certificate(seal.serial))
        return certificate

    def issue_seal(self, ca: DevCertificateAuthority, agency_code: str, agency_name: str) -> Certificate:
        """The agency's usable seal certificate, issued now if it has none or its seal was revoked or expired
        (idempotent, safe under concurrency). A suspended seal is not replaced: it is refused until reactivated."""
        existing = self.seal_of(agency_code)
        now = datetime.now(UTC)
        if existing is not None and existing.state_at(now) not in (CertificateState.REVOKED, CertificateState.EXPIRED):
            return existing
        issued = ca.issue_seal(agency_code, agency_name)
        certificate = _registered(issued, agency_code)
        if existing is not None:
            seal: AgencySeal = self.repository.get(id_of_seal(agency_code))
            seal.reassign(issued.serial)
        else:
            seal = AgencySeal(agency_code, issued.serial)
        try:
            self.save(certificate, seal)
        except IntegrityError:
            # Another request issued the agency's seal first: that one stands.
            winner = self.seal_of(agency_code)
            assert winner is not None
            return winner
        return certificate

    def certificate(self, serial: str) -> Certificate | None:
        try:
            certificate: Certificate = self.repository.get(id_of_certificate(serial))
        except AggregateNotFoundError:
            return None
        return certificate

    def change_certificate(self, serial: str, change: Callable[[Certificate], None]) -> Certificate:
        certificate = self.certificate(serial)
        if certificate is None:
            raise NotFound(f"no certificate has serial {serial}")
        change(certificate)
        self.save(certificate)
        return certificate

    def record_signature(self, serial: str, *, document: bytes, signed: bytes, reason: str, at: datetime) -> None:
        certificate: Certificate = self.repository.get(id_of_certificate(serial))
        certificate.record_signature(
            document_sha256=hashlib.sha256(document).hexdigest(),
            signed_sha256=hashlib.sha256(signed).hexdigest(),
            reason=reason,
            signed_at=at,
        )
        self.save(certificate)


def _registered(issued: IssuedCertificate, agency_code: str) -> Certificate:
    cert = issued.certificate
    return Certificate(
        serial=issued.serial,
        agency_code=agency_code,
        kind=CertificateKind.ORGANISATION.value,
        subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    )
