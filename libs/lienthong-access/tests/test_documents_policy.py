"""The per-document policy and principals: an agency sees and acts only on its own documents, confidential
ones only their parties; callers are `<role>@<identifier code>` or `service:<name>`."""

from __future__ import annotations

import pytest

from lienthong.access import (
    DocumentParties,
    Identity,
    Role,
    ServicePrincipal,
    act_for,
    approve_for,
    parse_identity,
    parse_principal,
    read_register,
    see_document,
)
from lienthong.errors import PermissionDenied

SENDER, RECIPIENT, STRANGER = "000.00.12.H41", "000.00.00.H41", "000.00.07.H41"


def test_an_identity_is_a_role_at_an_identifier_code() -> None:
    assert parse_identity("clerk@000.00.12.H41") == Identity("000.00.12.H41", Role.CLERK)
    assert parse_identity("Leader@000.00.12.H41").role is Role.LEADER


@pytest.mark.parametrize(
    ("actor", "reason"),
    [
        ("anonymous", "does not name the agency"),
        ("someone@cli", "does not name the agency"),
        ("clerk@000.00.12", "does not name the agency"),
        ("janitor@000.00.12.H41", "no role lienthong knows"),
    ],
)
def test_a_caller_without_agency_and_role_is_denied(actor: str, reason: str) -> None:
    with pytest.raises(PermissionDenied, match=reason):
        parse_identity(actor)


def test_only_the_agency_acts_for_itself_and_only_a_leader_approves() -> None:
    clerk = Identity(SENDER, Role.CLERK)
    act_for(clerk, SENDER, "send documents")
    with pytest.raises(PermissionDenied, match=f"acts for agency {SENDER} and cannot send documents of {RECIPIENT}"):
        act_for(clerk, RECIPIENT, "send documents")
    with pytest.raises(PermissionDenied, match="only a leader may approve"):
        approve_for(clerk, SENDER, "approve documents")
    approve_for(Identity(SENDER, Role.LEADER), SENDER, "approve documents")
    with pytest.raises(PermissionDenied, match="is an auditor and cannot"):
        act_for(Identity(SENDER, Role.AUDITOR), SENDER, "send documents")


def test_a_confidential_document_is_seen_by_its_parties_only_auditors_included() -> None:
    normal = DocumentParties.of(SENDER, [RECIPIENT], "NORMAL")
    secret = DocumentParties.of(SENDER, [RECIPIENT], "MAT")
    auditor = Identity(STRANGER, Role.AUDITOR)
    for parties in (normal, secret):
        see_document(Identity(SENDER, Role.CLERK), parties, "it")
        see_document(Identity(RECIPIENT, Role.OFFICER), parties, "it")
        with pytest.raises(PermissionDenied, match="neither the sender nor a recipient"):
            see_document(Identity(STRANGER, Role.LEADER), parties, "it", as_auditor=True)
    see_document(auditor, normal, "it", as_auditor=True)
    with pytest.raises(PermissionDenied, match="confidential"):
        see_document(auditor, secret, "it", as_auditor=True)


def test_a_service_is_named_service_colon_name() -> None:
    assert parse_principal("service:documents") == ServicePrincipal("documents")
    assert parse_principal("operator@000.00.12.H41") == Identity("000.00.12.H41", Role.OPERATOR)
    with pytest.raises(PermissionDenied, match="does not name a service"):
        parse_principal("service:")


def test_an_operator_handles_no_documents() -> None:
    operator = Identity(SENDER, Role.OPERATOR)
    parties = DocumentParties.of(SENDER, [RECIPIENT], "NORMAL")
    for check in (
        lambda: act_for(operator, SENDER, "send documents"),
        lambda: read_register(operator, SENDER, "the registers"),
        lambda: see_document(operator, parties, "it", as_auditor=True),
    ):
        with pytest.raises(PermissionDenied, match="is an operator of the platform"):
            check()
