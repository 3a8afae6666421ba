"""The coarse policy: every RPC of every service has a rule, and the rules mean what they say."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import FileDescriptor

import lienthong.identifiers.v1
from lienthong.access import RULES, Identity, Role, ServicePrincipal, agency_field, authorise_call
from lienthong.errors import PermissionDenied

A, B = "000.00.12.H41", "000.00.00.H41"
PROTO = Path(lienthong.identifiers.v1.__path__[0]).parents[1]  # the generated package of every contract
FILES: list[FileDescriptor] = [
    importlib.import_module(".".join(path.relative_to(PROTO.parent).with_suffix("").parts)).DESCRIPTOR
    for path in sorted(PROTO.glob("*/v*/*_pb2.py"))
]
EVERY_METHOD = sorted(
    f"/{service.full_name}/{method.name}"
    for file in FILES
    for service in file.services_by_name.values()
    for method in service.methods
)


def test_every_rpc_in_the_contract_has_exactly_one_rule() -> None:
    assert {f.package for f in FILES} >= {"lienthong.documents.v1", "lienthong.audit.v1", "lienthong.signing.v1"}
    assert len(EVERY_METHOD) > 70
    assert [m for m in EVERY_METHOD if m not in RULES] == []
    assert [m for m in RULES if m not in EVERY_METHOD] == []  # no rule for an RPC that does not exist


@pytest.mark.parametrize("method", [m for m in EVERY_METHOD if agency_field(m)])
def test_the_agency_field_of_a_rule_is_a_string_field_of_the_request(method: str) -> None:
    service_name, name = method.strip("/").split("/")
    message = descriptor_pool.Default().FindServiceByName(service_name).FindMethodByName(name).input_type
    for part in agency_field(method).split("."):
        field = message.fields_by_name[part]
        message = field.message_type or message
    assert field.type == field.TYPE_STRING


def test_a_method_without_a_rule_is_refused() -> None:
    with pytest.raises(PermissionDenied, match="has no authorisation rule"):
        authorise_call("/lienthong.documents.v1.DocumentsService/DeleteEverything", Identity(A, Role.LEADER))


def test_a_caller_naming_no_principal_reaches_only_public_methods() -> None:
    authorise_call("/lienthong.identifiers.v1.IdentifiersService/GetAgency", "anonymous")
    authorise_call("/lienthong.signing.v1.SigningService/VerifyPdf", "someone@cli")
    with pytest.raises(
        PermissionDenied, match=r"GetContent is for clerks of the agency.*, and caller 'someone@cli' does"
    ):
        authorise_call("/lienthong.documents.v1.DocumentsService/GetContent", "someone@cli")


def test_staff_act_for_their_own_agency_only() -> None:
    method = "/lienthong.documents.v1.DocumentsService/ListIncoming"
    authorise_call(method, Identity(A, Role.CLERK), A)
    authorise_call(method, Identity(A, Role.CLERK), "")  # the use case takes the caller's own
    with pytest.raises(PermissionDenied, match=f"acts for agency {A} and may not call ListIncoming for agency {B}"):
        authorise_call(method, Identity(A, Role.CLERK), B)


def test_auditors_read_but_change_nothing_and_operators_handle_no_documents() -> None:
    authorise_call("/lienthong.documents.v1.DocumentsService/GetHistory", Identity(A, Role.AUDITOR))
    with pytest.raises(PermissionDenied, match=f"auditor@{A} may not call AcceptIncoming"):
        authorise_call("/lienthong.documents.v1.DocumentsService/AcceptIncoming", Identity(A, Role.AUDITOR))
    with pytest.raises(PermissionDenied, match=f"operator@{A} may not call GetContent"):
        authorise_call("/lienthong.documents.v1.DocumentsService/GetContent", Identity(A, Role.OPERATOR))


def test_only_a_leader_approves() -> None:
    method = "/lienthong.documents.v1.DocumentsService/ApproveOutgoing"
    authorise_call(method, Identity(A, Role.LEADER))
    with pytest.raises(PermissionDenied, match="it is for leaders of the agency"):
        authorise_call(method, Identity(A, Role.OFFICER))


def test_operators_keep_the_registry_for_every_agency() -> None:
    method = "/lienthong.identifiers.v1.IdentifiersService/LockAgency"
    authorise_call(method, Identity(A, Role.OPERATOR), B)
    with pytest.raises(PermissionDenied, match="it is for operators"):
        authorise_call(method, Identity(B, Role.LEADER), B)


def test_only_the_documents_service_signs_for_an_agency() -> None:
    method = "/lienthong.signing.v1.SigningService/SignPdf"
    authorise_call(method, ServicePrincipal("documents"), A)
    with pytest.raises(PermissionDenied, match="service:email may not call SignPdf; it is for service:documents"):
        authorise_call(method, ServicePrincipal("email"), A)
    with pytest.raises(PermissionDenied, match="may not call SignPdf"):
        authorise_call(method, Identity(A, Role.LEADER), A)
    authorise_call("/lienthong.signing.v1.SigningService/SignCheckpoint", ServicePrincipal("email"))
