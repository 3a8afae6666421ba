"""gRPC stubs for the CLI, reaching each service at its configured address as the principal who acts.

Every service requires mutual TLS and takes the caller's identity from its client certificate. Who acts is
`--as` / `LIENTHONG_ACTOR` (`<role>@<identifier code>`, e.g. `leader@000.00.12.H41`), else a clerk of the
agency the command names, else the platform's operator. The certificate comes from:

- `LIENTHONG_TLS_CA`, `LIENTHONG_TLS_CERT`, `LIENTHONG_TLS_KEY` when set (an integrator's certificate of
  the platform CA): the caller is whoever it names; `--as` is then a request to act on behalf of someone,
  which only a service's certificate may make;
- otherwise the development CA `make run` created in `LIENTHONG_DATA_DIR` (default `var`), which issues
  a certificate for each principal on first use (`<data dir>/tls/<principal>.pem`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

# gRPC, the stubs and the TLS code are imported when a command first calls, not when the CLI starts.
if TYPE_CHECKING:
    import grpc

    from lienthong.audit.v1 import audit_pb2_grpc
    from lienthong.documents.v1 import documents_pb2_grpc, records_pb2_grpc
    from lienthong.email.v1 import email_pb2_grpc
    from lienthong.grpcserver.tls import TlsConfig
    from lienthong.identifiers.v1 import identifiers_pb2_grpc
    from lienthong.launcher.callers import ActingChannel
    from lienthong.reporting.v1 import reporting_pb2_grpc
    from lienthong.signing.v1 import signing_pb2_grpc

Metadata = tuple[tuple[str, str], ...]

DEFAULT_PORTS = {"identifiers": 50051, "documents": 50052, "signing": 50053, "email": 50054, "reporting": 50055}


def address_of(service: str) -> str:
    return os.environ.get(f"LIENTHONG_{service.upper()}_ADDR") or f"127.0.0.1:{DEFAULT_PORTS[service]}"


# The platform's operator when a command names no agency: the ICT department of the province `make run` loads
# (Sở Thông tin và Truyền thông of Khánh Hòa) unless LIENTHONG_OPERATOR_AGENCY names another.
DEMO_OPERATOR_AGENCY = "000.00.12.H41"


def default_actor() -> str:
    """Who acts when nobody is named: `--as` / `LIENTHONG_ACTOR`, else the platform's operator (agencies,
    mailboxes, certificates, reports)."""
    operator = f"operator@{os.environ.get('LIENTHONG_OPERATOR_AGENCY') or DEMO_OPERATOR_AGENCY}"
    return os.environ.get("LIENTHONG_ACTOR") or operator


def actor_metadata(agency_code: str = "") -> Metadata:
    """Who acts: `--as` / `LIENTHONG_ACTOR` (`<role>@<identifier code>`, e.g. `leader@000.00.12.H41`), else a
    clerk of the agency the command names, else the platform's operator. The channel turns it into the
    client certificate it presents (`_acting_channel`)."""
    from lienthong.grpcserver.authentication import ACTOR_METADATA_KEY

    if agency_code and not os.environ.get("LIENTHONG_ACTOR"):
        return ((ACTOR_METADATA_KEY, f"clerk@{agency_code}"),)
    return ((ACTOR_METADATA_KEY, default_actor()),)


def _integrator_tls() -> TlsConfig | None:
    from lienthong.grpcserver.tls import SETTINGS as TLS_SETTINGS
    from lienthong.grpcserver.tls import TlsConfig

    if any(os.environ.get(setting) for setting in TLS_SETTINGS):
        return TlsConfig.from_env()
    return None


def _development_credentials(principal: str) -> grpc.ChannelCredentials:
    from lienthong.grpcserver.tls import SETTINGS as TLS_SETTINGS
    from lienthong.grpcserver.tls import TlsConfig, TlsNotConfigured
    from lienthong.signing.adapters.outbound.platformtls import PlatformCaFiles, TlsDirectory

    data_dir = Path(os.environ.get("LIENTHONG_DATA_DIR", "var"))
    if not (data_dir / "signing" / "ca" / "root.pem").exists():
        raise TlsNotConfigured(
            f"no client certificate: set {', '.join(TLS_SETTINGS)} to yours, or start the platform with "
            f"`make run` so that its development CA exists in {data_dir} (LIENTHONG_DATA_DIR)"
        )
    try:
        files = TlsDirectory(data_dir / "tls", PlatformCaFiles(data_dir)).client(principal)
    except ValueError as error:
        raise TlsNotConfigured(f"no certificate for {principal!r}: {error}") from None
    return TlsConfig.from_files(files.ca, files.cert, files.key).channel_credentials()


def _acting_channel(address: str) -> ActingChannel:
    """With the development CA: each call presents the certificate of whoever acts. With an integrator's
    certificate: that one always, and the actor header only when `LIENTHONG_ACTOR` asks for it."""
    from lienthong.launcher.callers import ActingChannel

    integrator = _integrator_tls()
    if integrator is None:
        return ActingChannel(address, _development_credentials, default_actor())
    credentials = integrator.channel_credentials()
    keep = bool(os.environ.get("LIENTHONG_ACTOR"))
    return ActingChannel(address, lambda _: credentials, default_actor(), keep_header=keep)


@contextmanager
def channel(service: str) -> Iterator[Any]:
    with _acting_channel(address_of(service)) as opened:
        yield opened


@contextmanager
def documents() -> Iterator[documents_pb2_grpc.DocumentsServiceStub]:
    from lienthong.documents.v1 import documents_pb2_grpc

    with channel("documents") as ch:
        yield documents_pb2_grpc.DocumentsServiceStub(ch)


@contextmanager
def records() -> Iterator[records_pb2_grpc.RecordsServiceStub]:
    from lienthong.documents.v1 import records_pb2_grpc

    with channel("documents") as ch:
        yield records_pb2_grpc.RecordsServiceStub(ch)


@contextmanager
def identifiers() -> Iterator[identifiers_pb2_grpc.IdentifiersServiceStub]:
    from lienthong.identifiers.v1 import identifiers_pb2_grpc

    with channel("identifiers") as ch:
        yield identifiers_pb2_grpc.IdentifiersServiceStub(ch)


@contextmanager
def reporting() -> Iterator[reporting_pb2_grpc.ReportingServiceStub]:
    from lienthong.reporting.v1 import reporting_pb2_grpc

    with channel("reporting") as ch:
        yield reporting_pb2_grpc.ReportingServiceStub(ch)


@contextmanager
def email() -> Iterator[email_pb2_grpc.EmailServiceStub]:
    from lienthong.email.v1 import email_pb2_grpc

    with channel("email") as ch:
        yield email_pb2_grpc.EmailServiceStub(ch)


@contextmanager
def signing() -> Iterator[signing_pb2_grpc.SigningServiceStub]:
    from lienthong.signing.v1 import signing_pb2_grpc

    with channel("signing") as ch:
        yield signing_pb2_grpc.SigningServiceStub(ch)


AUDITED_SERVICES = ("identifiers", "documents", "signing", "email")


@contextmanager
def audit(service: str) -> Iterator[audit_pb2_grpc.AuditServiceStub]:
    """The audit API of one of `AUDITED_SERVICES` (each serves its own event store)."""
    from lienthong.audit.v1 import audit_pb2_grpc

    with channel(service) as ch:
        yield audit_pb2_grpc.AuditServiceStub(ch)
