"""Certificates in the registry and each use of a seal key, as events an auditor can replay."""

from __future__ import annotations

import enum
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_CERTIFICATE_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/certificates")
_SEAL_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/agency-seals")


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
    ) -> None:
        self.serial = serial
        self.agency_code = agency_code
        self.kind = kind
        self.subject = subject
        self.not_before = not_before
        self.not_after = not_after
        self.pem = pem
        self.signatures = 0

    @event("SignatureMade")
    def record_signature(self, document_sha256: str, signed_sha256: str, reason: str, signed_at: datetime) -> None:
        """Every use of the key is on the record: which document, why, when."""
        self.signatures += 1


class AgencySeal(Aggregate):
    """Which certificate is an agency's seal: one per agency, so two concurrent issues cannot both win."""

    @staticmethod
    def create_id(agency_code: str) -> UUID:
        return id_of_seal(agency_code)

    @event("Assigned")
    def __init__(self, agency_code: str, serial: str) -> None:
        self.agency_code = agency_code
        self.serial = serial
