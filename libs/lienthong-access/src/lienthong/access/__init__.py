"""Authorisation: who calls (principals and roles), who may call each RPC for which agency, and who may do
what with a document. Pure: no I/O; the gRPC server and the use cases enforce it."""

from lienthong.access.documents import DocumentParties, act_for, approve_for, read_register, see_document
from lienthong.access.methods import RULES, Denial, Rule, agency_field, authorise_call
from lienthong.access.principals import (
    Identity,
    Principal,
    Role,
    ServicePrincipal,
    parse_identity,
    parse_principal,
)

__all__ = [
    "RULES",
    "Denial",
    "DocumentParties",
    "Identity",
    "Principal",
    "Role",
    "Rule",
    "ServicePrincipal",
    "act_for",
    "agency_field",
    "approve_for",
    "authorise_call",
    "parse_identity",
    "parse_principal",
    "read_register",
    "see_document",
]
