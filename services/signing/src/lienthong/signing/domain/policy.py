"""Automatic signing: an agency's policy letting the documents service put the agency's seal on a document
at registration time without a person in the loop, and the record of verifications that failed."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from lienthong.errors import InvalidArgument

_POLICY_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/signing-policies")


def id_of_policy(agency_code: str) -> UUID:
    return uuid5(_POLICY_NAMESPACE, agency_code)


class SigningPolicy(Aggregate):
    """One agency's signing policy; every change is an event, and each signature it allows names the version
    that allowed it, so an auditor can tell which decision let a seal be used unattended."""

    @staticmethod
    def create_id(agency_code: str) -> UUID:
        return id_of_policy(agency_code)

    @event("Set")
    def __init__(self, agency_code: str, automatic_seal: bool, reason: str) -> None:
        self.agency_code = agency_code
        self.automatic_seal = automatic_seal
        self.reason = reason

    @classmethod
    def make(cls, agency_code: str, *, automatic_seal: bool, reason: str) -> SigningPolicy:
        if not reason.strip():
            raise InvalidArgument("a signing policy records why it was set: give a reason")
        return cls(agency_code, automatic_seal, reason.strip())

    def change(self, *, automatic_seal: bool, reason: str) -> None:
        if not reason.strip():
            raise InvalidArgument("a signing policy records why it was changed: give a reason")
        self._changed(automatic_seal, reason.strip())

    @event("Changed")
    def _changed(self, automatic_seal: bool, reason: str) -> None:
        self.automatic_seal = automatic_seal
        self.reason = reason

    @property
    def name(self) -> str:
        """Names this version of the policy in the signatures it allows, e.g. "automatic-seal/000.00.12.H41/v2"."""
        return f"automatic-seal/{self.agency_code}/v{self.version}"


class FailedVerification(Aggregate):
    """A verification that did not pass: counted by reporting (one aggregate each, so concurrent failures
    never contend)."""

    @event("Recorded")
    def __init__(self, document_sha256: str, indication: str, sub_indication: str, expected_agency_code: str) -> None:
        self.document_sha256 = document_sha256
        self.indication = indication
        self.sub_indication = sub_indication
        self.expected_agency_code = expected_agency_code
