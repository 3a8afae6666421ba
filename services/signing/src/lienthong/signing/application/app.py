"""The signing application: the certificate registry, agency seals, and the record of every signature."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from lienthong.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound
from lienthong.eventstore import StoredApplication
from lienthong.signing.adapters.inbound.imports import DeliveredCertificate, Revocation, issued_by
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority, agency_code_of, person_of, serial_of
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore, KeyStore
from lienthong.signing.domain.certificate import (
    AgencySeal,
    Certificate,
    CertificateKind,
    CertificateState,
    RegistrationRequest,
    id_of_certificate,
    id_of_seal,
)
from lienthong.signing.domain.policy import FailedVerification, SigningPolicy, id_of_policy

# A signature's record loses to a concurrent change of its certificate (another replica) at most this often.
RECORD_ATTEMPTS = 10


class SigningApp(StoredApplication):
    """Certificates issued by the development CA and the signatures made with their keys."""

    name = "Signing"
    # A seal's certificate takes an event for every signature it makes (thousands a year), and each seal
    # reads it twice (its state, then the record of the signature). Cached, it is read forward from the
    # version held (the library's fast-forward: only newer events, from whichever replica), not replayed.
    env = {"AGGREGATE_CACHE_MAXSIZE": "10000"}  # noqa: RUF012 - the eventsourcing library's class attribute

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One lock per certificate: this process records the signatures of a certificate one after another.
        self._recording_locks: dict[str, threading.Lock] = {}
        self._recording_guard = threading.Lock()

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
        certificate = _registered(issued.certificate, agency_code)
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

    def request_certificate(
        self, *, kind: str, agency_code: str, person_name: str, person_id: str, reason: str, at: datetime
    ) -> RegistrationRequest:
        """Record a registration request; its lead time runs until a certificate fulfils it."""
        request = RegistrationRequest.make(
            kind=kind, agency_code=agency_code, person_name=person_name, person_id=person_id, reason=reason, at=at
        )
        self.save(request)
        return request

    def registration_request(self, request_id: UUID) -> RegistrationRequest:
        try:
            request: RegistrationRequest = self.repository.get(request_id)
        except AggregateNotFoundError:
            raise NotFound(f"no certificate registration request has id {request_id}") from None
        if not isinstance(request, RegistrationRequest):
            raise NotFound(f"no certificate registration request has id {request_id}")
        return request

    def register(
        self,
        certificate: x509.Certificate,
        *,
        kind: CertificateKind,
        agency_code: str,
        origin: str,
        request: RegistrationRequest | None = None,
        at: datetime,
    ) -> Certificate:
        """Put a certificate the dev CA issued, or one imported, in the registry (and fulfil its request)."""
        if self.certificate(serial_of(certificate)) is not None:
            raise FailedPrecondition(f"certificate {serial_of(certificate)} is in the registry already")
        registered = _registered(certificate, agency_code, kind, origin)
        changed: list[Certificate | RegistrationRequest] = [registered]
        if request is not None:
            request.fulfil(serial=registered.serial, issued_at=at, not_before=registered.not_before)
            changed.append(request)
        self.save(*changed)
        return registered

    def issue_requested(
        self, ca: DevCertificateAuthority, request: RegistrationRequest, agency_name: str, at: datetime
    ) -> Certificate:
        """Fulfil a request with a certificate of the development CA: the agency's seal (its current one if
        it has one), or a new personal certificate."""
        if request.serial is not None:
            raise FailedPrecondition(f"the request was fulfilled already, by certificate {request.serial}")
        if request.kind == CertificateKind.ORGANISATION.value:
            seal = self.issue_seal(ca, request.agency_code, agency_name)
            request.fulfil(serial=seal.serial, issued_at=at, not_before=seal.not_before)
            self.save(request)
            return seal
        issued = ca.issue_personal(
            request.agency_code,
            agency_name,
            request.person_name,
            request.person_id,
            sim_pki=request.kind == CertificateKind.SIM_PKI.value,
            now=at,
        )
        kind = CertificateKind(request.kind)
        return self.register(
            issued.certificate, kind=kind, agency_code=request.agency_code, origin="issued", request=request, at=at
        )

    def import_certificate(
        self,
        delivered: DeliveredCertificate,
        *,
        kind: CertificateKind,
        agency_code: str | None,
        request: RegistrationRequest | None,
        issuers: Sequence[x509.Certificate],
        keys: KeyStore,
        at: datetime,
    ) -> Certificate:
        """Register a certificate a trusted CA delivered; a PKCS#12 key goes into the (file) key store."""
        certificate = delivered.certificate
        if not issued_by(certificate, issuers):
            raise InvalidArgument(f"certificate {certificate.subject.rfc4514_string()} is not from a trusted CA")
        code = agency_code or agency_code_of(certificate)
        if not code:
            raise InvalidArgument("the certificate names no agency: give the agency identifier code")
        if request is not None and (request.agency_code, request.kind) != (code, kind.value):
            raise FailedPrecondition("the certificate does not match the request it should fulfil")
        if delivered.key is not None:
            if not isinstance(keys, EncryptedFileKeyStore):
                raise FailedPrecondition("keys live on a PKCS#11 token: import the key with the token's own tools")
            keys.put(serial_of(certificate), delivered.key)
        return self.register(certificate, kind=kind, agency_code=code, origin="imported", request=request, at=at)

    def signer_of(self, agency_code: str, serial: str) -> Certificate:
        """A personal certificate that may sign for the agency: registered and bound to it."""
        certificate = self.certificate(serial.lower())
        if certificate is None:
            raise NotFound(f"no certificate has serial {serial}")
        if certificate.agency_code != agency_code or certificate.person is None:
            raise FailedPrecondition(f"certificate {serial} is not a personal certificate of agency {agency_code}")
        return certificate

    def apply_revocations(self, revocations: Sequence[Revocation], issuer: x509.Name) -> list[str]:
        """Revoke every registered certificate of `issuer` a CRL lists, with the CRL's time and reason;
        returns the serials newly revoked (a second import of the same CRL changes nothing)."""
        revoked = []
        for entry in revocations:
            certificate = self.certificate(entry.serial)
            if certificate is None or certificate.revoked_at is not None:
                continue
            if x509.load_pem_x509_certificate(certificate.pem.encode()).issuer != issuer:
                continue  # same serial from another CA: not this certificate
            certificate.revoke(reason=f"listed on the CA's CRL ({entry.reason})", at=entry.at)
            self.save(certificate)
            revoked.append(entry.serial)
        return revoked

    def record_signature(
        self, serial: str, *, document: bytes, signed: bytes, reason: str, at: datetime, policy: str = ""
    ) -> None:
        """Put a signature on its certificate's record. Concurrent seals of one agency all append to the same
        certificate: this process records them one at a time, and a conflict with another replica is retried
        on the certificate read again."""
        document_sha256 = hashlib.sha256(document).hexdigest()
        signed_sha256 = hashlib.sha256(signed).hexdigest()
        with self._recording(serial):
            for attempt in range(1, RECORD_ATTEMPTS + 1):
                certificate: Certificate = self.repository.get(id_of_certificate(serial))
                certificate.record_signature(
                    document_sha256=document_sha256,
                    signed_sha256=signed_sha256,
                    reason=reason,
                    signed_at=at,
                    policy=policy,
                )
                try:
                    self.save(certificate)
                    return
                except IntegrityError:
                    if attempt == RECORD_ATTEMPTS:
                        raise Conflict(
                            f"the signature could not be recorded on certificate {serial}: "
                            f"{RECORD_ATTEMPTS} concurrent changes won; retry"
                        ) from None

    def _recording(self, serial: str) -> threading.Lock:
        with self._recording_guard:
            return self._recording_locks.setdefault(serial, threading.Lock())

    def set_policy(self, agency_code: str, *, automatic_seal: bool, reason: str) -> SigningPolicy:
        """Set (or change) whether the agency's seal may sign unattended; each change is an event."""
        policy = self.policy_of(agency_code)
        if policy is None:
            policy = SigningPolicy.make(agency_code, automatic_seal=automatic_seal, reason=reason)
        else:
            policy.change(automatic_seal=automatic_seal, reason=reason)
        self.save(policy)
        return policy

    def policy_of(self, agency_code: str) -> SigningPolicy | None:
        try:
            policy: SigningPolicy = self.repository.get(id_of_policy(agency_code))
        except AggregateNotFoundError:
            return None
        return policy

    def automatic_seal_policy(self, agency_code: str) -> SigningPolicy:
        """The policy that allows an unattended seal signature for the agency; refused without one."""
        policy = self.policy_of(agency_code)
        if policy is None or not policy.automatic_seal:
            raise FailedPrecondition(f"agency {agency_code} has no signing policy allowing automatic seal signatures")
        return policy

    def record_failed_verification(self, pdf: bytes, indication: str, sub_indication: str, expected: str) -> None:
        self.save(FailedVerification(hashlib.sha256(pdf).hexdigest(), indication, sub_indication, expected))


def _registered(
    certificate: x509.Certificate,
    agency_code: str,
    kind: CertificateKind = CertificateKind.ORGANISATION,
    origin: str = "issued",
) -> Certificate:
    return Certificate(
        serial=serial_of(certificate),
        agency_code=agency_code,
        kind=kind.value,
        subject=certificate.subject.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        person=person_of(certificate),
        origin=origin,
    )
