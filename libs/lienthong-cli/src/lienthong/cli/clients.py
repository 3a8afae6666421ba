"""gRPC stubs for the CLI, reaching each service at its configured address and naming the actor."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from lienthong.audit.v1 import audit_pb2_grpc
from lienthong.documents.v1 import documents_pb2_grpc, records_pb2_grpc
from lienthong.email.v1 import email_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.reporting.v1 import reporting_pb2_grpc
from lienthong.signing.v1 import signing_pb2_grpc

DEFAULT_PORTS = {"identifiers": 50051, "documents": 50052, "signing": 50053, "email": 50054, "reporting": 50055}


def address_of(service: str) -> str:
    return os.environ.get(f"LIENTHONG_{service.upper()}_ADDR") or f"127.0.0.1:{DEFAULT_PORTS[service]}"


# The platform's operator when a command names no agency: the ICT department of the province `make run` loads
# (Sở Thông tin và Truyền thông of Khánh Hòa) unless LIENTHONG_OPERATOR_AGENCY names another.
DEMO_OPERATOR_AGENCY = "000.00.12.H41"


def actor_metadata(agency_code: str = "") -> tuple[tuple[str, str], ...]:
    """Who acts: `LIENTHONG_ACTOR` (`<role>@<identifier code>`, e.g. `leader@000.00.12.H41`), else a clerk of
    the agency the command names, else the platform's operator (agencies, mailboxes, certificates, reports).
    A header the services believe only until mutual TLS, where the client certificate names the caller."""
    operator = f"operator@{os.environ.get('LIENTHONG_OPERATOR_AGENCY') or DEMO_OPERATOR_AGENCY}"
    fallback = f"clerk@{agency_code}" if agency_code else operator
    return (("x-lienthong-actor", os.environ.get("LIENTHONG_ACTOR") or fallback),)


@contextmanager
def channel(service: str) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(address_of(service)) as ch:
        yield ch


@contextmanager
def documents() -> Iterator[documents_pb2_grpc.DocumentsServiceStub]:
    with channel("documents") as ch:
        yield documents_pb2_grpc.DocumentsServiceStub(ch)


@contextmanager
def records() -> Iterator[records_pb2_grpc.RecordsServiceStub]:
    with channel("documents") as ch:
        yield records_pb2_grpc.RecordsServiceStub(ch)


@contextmanager
def identifiers() -> Iterator[identifiers_pb2_grpc.IdentifiersServiceStub]:
    with channel("identifiers") as ch:
        yield identifiers_pb2_grpc.IdentifiersServiceStub(ch)


@contextmanager
def reporting() -> Iterator[reporting_pb2_grpc.ReportingServiceStub]:
    with channel("reporting") as ch:
        yield reporting_pb2_grpc.ReportingServiceStub(ch)


@contextmanager
def email() -> Iterator[email_pb2_grpc.EmailServiceStub]:
    with channel("email") as ch:
        yield email_pb2_grpc.EmailServiceStub(ch)


@contextmanager
def signing() -> Iterator[signing_pb2_grpc.SigningServiceStub]:
    with channel("signing") as ch:
        yield signing_pb2_grpc.SigningServiceStub(ch)


AUDITED_SERVICES = ("identifiers", "documents", "signing", "email")


@contextmanager
def audit(service: str) -> Iterator[audit_pb2_grpc.AuditServiceStub]:
    """The audit API of one of `AUDITED_SERVICES` (each serves its own event store)."""
    with channel(service) as ch:
        yield audit_pb2_grpc.AuditServiceStub(ch)
