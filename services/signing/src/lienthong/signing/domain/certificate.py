"""Certificates in the registry and each use of a seal key, as events an auditor can replay."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from lienthong.errors import FailedPrecondition, InvalidArgument

_CERTIFICATE_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/certificates")
_SEAL_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/agency-seals")


class CertificateState(enum.Enum):
    """Where a certificate is in its life (DOMAIN.md §4); expiry follows from the validity period."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"


class CertificateKind(enum.Enum):
    INDIVIDUAL = "individual"
    ORGANISATION = "organisation"
    SIM_PKI = "sim_pki"


def id_of_certificate(serial: str) -> UUID:
    return uuid5(_CERTIFICATE_NAMESPACE, serial)


def id_of_seal(agency_code: str) -> UUID:
    return uuid5(_SEAL_NAMESPACE, agency_code)


class Certificate(Aggregate):
    """A certificate the signing service holds the key of."""

    @staticmethod
    def create_id(serial: str) -> UUID:
        return id_of_certificate(serial)

    @event("Issued")
    def __init__(
        self,
        serial: str,
        agency_code: str,
        kind: str,
        subject: str,
        not_before: datetime,
        not_after: datetime,
        pem: str,
        person: str | None = None,
        origin: str = "issued",
    ) -> None:
        self.serial = serial
        self.agency_code = agency_code
        self.kind = kind
        # The person an individual's or SIM PKI holder's certificate is bound to; None for a seal.
        self.person = person
        # "issued" by the development CA, or "imported" (PEM, DER, PKCS#12) from a real CA.
        self.origin = origin
        self.subject = subject
        self.not_before = not_before
        self.not_after = not_after
        self.pem = pem
        self.signatures = 0
        # (from, to) periods of suspension; revocation time. Kept to judge signatures at their signing time.
        self.suspensions: list[tuple[datetime, datetime | None]] = []
        self.revoked_at: datetime | None = None

    def record_signature(
        self, *, document_sha256: str, signed_sha256: str, reason: str, signed_at: datetime, policy: str = ""
    ) -> None:
        """Every use of the key is on the record: which document, why, when, and for an automatic signature
        the policy that allowed it; only a usable key signs."""
        state = self.state_at(signed_at)
        if state is not CertificateState.ACTIVE:
            raise FailedPrecondition(f"certificate {self.serial} is {state.value.replace('_', ' ')}; it cannot sign")
        self._signature_made(document_sha256, signed_sha256, reason, signed_at, policy)

    @event("SignatureMade")
    def _signature_made(
        self, document_sha256: str, signed_sha256: str, reason: str, signed_at: datetime, policy: str = ""
    ) -> None:
        self.signatures += 1

    def state_at(self, moment: datetime) -> CertificateState:
        """The certificate's state at `moment`: what a signature made then is judged by."""
        if self.revoked_at is not None and moment >= self.revoked_at:
            return CertificateState.REVOKED
        if moment < self.not_before:
            return CertificateState.NOT_YET_VALID
        if moment > self.not_after:
            return CertificateState.EXPIRED
        for start, end in self.suspensions:
            if start <= moment and (end is None or moment < end):
                return CertificateState.SUSPENDED
        return CertificateState.ACTIVE

    def suspend(self, *, reason: str, at: datetime) -> None:
        if self.state_at(at) is not CertificateState.ACTIVE:
            raise FailedPrecondition(
                f"certificate {self.serial} is {self.state_at(at).value}; only an active one is suspended"
            )
        self._suspended(reason.strip(), at)

    @event("Suspended")
    def _suspended(self, reason: str, at: datetime) -> None:
        self.suspensions.append((at, None))

    def reactivate(self, *, at: datetime) -> None:
        if self.state_at(at) is not CertificateState.SUSPENDED:
            raise FailedPrecondition(
                f"certificate {self.serial} is {self.state_at(at).value}; only a suspended one is reactivated"
            )
        self._reactivated(at)

    @event("Reactivated")
    def _reactivated(self, at: datetime) -> None:
        start, _ = self.suspensions[-1]
        self.suspensions[-1] = (start, at)

    def revoke(self, *, reason: str, at: datetime) -> None:
        """Revoke for good: signatures made from `at` on fail, earlier ones keep passing."""
        if self.revoked_at is not None:
            raise FailedPrecondition(f"certificate {self.serial} is revoked already")
        self._revoked(reason.strip(), at)

    @event("Revoked")
    def _revoked(self, reason: str, at: datetime) -> None:
        self.revoked_at = at


class AgencySeal(Aggregate):
    """Which certificate is an agency's seal: one per agency, so two concurrent issues cannot both win."""

    @staticmethod
    def create_id(agency_code: str) -> UUID:
        return id_of_seal(agency_code)

    @event("Assigned")
    def __init__(self, agency_code: str, serial: str) -> None:
        self.agency_code = agency_code
        self.serial = serial

    @event("Reassigned")
    def reassign(self, serial: str) -> None:
        """A new seal certificate replaces one that was revoked or expired."""
        self.serial = serial


class RequestState(enum.Enum):
    REQUESTED = "requested"
    FULFILLED = "fulfilled"


class RegistrationRequest(Aggregate):
    """A request to register a certificate (đăng ký chứng thư số) for an agency's seal, a person or a SIM PKI
    holder. Registration is slow today: the request records when it was made and when its certificate became
    usable, so that the lead time can be reported."""

    @event("Requested")
    def __init__(
        self, kind: str, agency_code: str, person_name: str, person_id: str, reason: str, requested_at: datetime
    ) -> None:
        self.kind = kind
        self.agency_code = agency_code
        self.person_name = person_name
        self.person_id = person_id
        self.reason = reason
        self.requested_at = requested_at
        self.serial: str | None = None
        self.active_from: datetime | None = None

    @classmethod
    def make(
        cls, *, kind: str, agency_code: str, person_name: str, person_id: str, reason: str, at: datetime
    ) -> RegistrationRequest:
        """A new request, checked: a personal certificate names its person, a seal names none."""
        if kind not in {k.value for k in CertificateKind}:
            raise InvalidArgument(f"{kind!r} is not a certificate kind")
        if not agency_code:
            raise InvalidArgument("a certificate request names the agency it is bound to")
        personal = kind != CertificateKind.ORGANISATION.value
        if personal and not (person_name.strip() and person_id.strip()):
            raise InvalidArgument("a personal or SIM PKI certificate request names the person and their identifier")
        if not personal and (person_name.strip() or person_id.strip()):
            raise InvalidArgument("an agency seal request names no person")
        return cls(kind, agency_code, person_name.strip(), person_id.strip(), reason.strip(), at)

    @property
    def state(self) -> RequestState:
        return RequestState.REQUESTED if self.serial is None else RequestState.FULFILLED

    @property
    def lead_time(self) -> timedelta | None:
        """From the request to the moment its certificate could first sign; None while it is pending."""
        return None if self.active_from is None else self.active_from - self.requested_at

    def fulfil(self, *, serial: str, issued_at: datetime, not_before: datetime) -> None:
        """The certificate was issued (or imported) for this request; it is active from its start of validity."""
        if self.serial is not None:
            raise FailedPrecondition(f"the request was fulfilled already, by certificate {self.serial}")
        self._fulfilled(serial, issued_at, max(issued_at, not_before))

    @event("Fulfilled")
    def _fulfilled(self, serial: str, issued_at: datetime, active_from: datetime) -> None:
        self.serial = serial
        self.active_from = active_from
