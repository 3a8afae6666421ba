"""`lienthong certs`: certificates held by the signing service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lienthong.cli import clients
from lienthong.cli.calling import as_dict, call, console
from lienthong.signing.v1 import signing_pb2 as sig

app = typer.Typer(help="Certificates held by the signing service.", no_args_is_help=True)


@app.command("suspend")
def certs_suspend(serial: str, reason: Annotated[str, typer.Option(help="Why")] = "") -> None:
    """Stop a certificate from signing until it is reactivated."""
    with clients.signing() as stub:
        call(stub.SuspendCertificate, sig.SuspendCertificateRequest(serial=serial, reason=reason))
    console.print(f"certificate {serial} suspended")


@app.command("reactivate")
def certs_reactivate(serial: str) -> None:
    """Let a suspended certificate sign again."""
    with clients.signing() as stub:
        call(stub.ReactivateCertificate, sig.ReactivateCertificateRequest(serial=serial))
    console.print(f"certificate {serial} active again")


@app.command("revoke")
def certs_revoke(serial: str, reason: Annotated[str, typer.Option(help="Why")] = "") -> None:
    """Revoke a certificate for good (signatures made before stay valid)."""
    with clients.signing() as stub:
        call(stub.RevokeCertificate, sig.RevokeCertificateRequest(serial=serial, reason=reason))
    console.print(f"certificate {serial} revoked")


_KINDS = {
    "individual": sig.CERTIFICATE_KIND_INDIVIDUAL,
    "organisation": sig.CERTIFICATE_KIND_ORGANISATION,
    "sim-pki": sig.CERTIFICATE_KIND_SIM_PKI,
}


def _kind(name: str) -> sig.CertificateKind.ValueType:
    if name not in _KINDS:
        raise typer.BadParameter(f"kind must be one of {', '.join(_KINDS)}")
    return _KINDS[name]


def _print_request(request: sig.RegistrationRequest) -> None:
    state = sig.RegistrationState.Name(request.state).removeprefix("REGISTRATION_STATE_").lower()
    lead = f", lead time {request.lead_time.ToTimedelta()}" if request.HasField("lead_time") else ""
    console.print(f"request {request.id}: {state}{f', certificate {request.serial}' if request.serial else ''}{lead}")


@app.command("request")
def certs_request(
    agency: Annotated[str, typer.Option(help="Identifier code of the agency")],
    kind: Annotated[str, typer.Option(help="individual, organisation or sim-pki")] = "organisation",
    person_name: Annotated[str, typer.Option(help="The person's name (individual, sim-pki)")] = "",
    person_id: Annotated[str, typer.Option(help="The person's identifier (individual, sim-pki)")] = "",
    reason: Annotated[str, typer.Option(help="Why")] = "",
) -> None:
    """Record a certificate registration request; its lead time runs until a certificate fulfils it."""
    with clients.signing() as stub:
        response = call(
            stub.RequestCertificate,
            sig.RequestCertificateRequest(
                kind=_kind(kind), agency_code=agency, person_name=person_name, person_id=person_id, reason=reason
            ),
        )
    _print_request(response.request)


@app.command("issue")
def certs_issue(request_id: str) -> None:
    """Fulfil a registration request with a certificate of the development CA."""
    with clients.signing() as stub:
        response = call(stub.IssueRequestedCertificate, sig.IssueRequestedCertificateRequest(request_id=request_id))
    _print_request(response.request)


@app.command("import")
def certs_import(
    file: Annotated[Path, typer.Argument(help="PEM, DER, or PKCS#12 (.p12/.pfx) with its key")],
    kind: Annotated[str, typer.Option(help="individual, organisation or sim-pki")] = "organisation",
    agency: Annotated[str, typer.Option(help="Identifier code; default: the certificate's own")] = "",
    password: Annotated[str, typer.Option(help="PKCS#12 password")] = "",
    request_id: Annotated[str, typer.Option(help="The registration request it fulfils")] = "",
) -> None:
    """Register a certificate a CA delivered."""
    with clients.signing() as stub:
        response = call(
            stub.ImportCertificate,
            sig.ImportCertificateRequest(
                data=file.read_bytes(), password=password, kind=_kind(kind), agency_code=agency, request_id=request_id
            ),
        )
    key = " with its private key" if response.key_imported else ""
    console.print(f"certificate {response.certificate.serial} of {response.certificate.agency_code} imported{key}")


@app.command("import-crl")
def certs_import_crl(file: Annotated[Path, typer.Argument(help="A CA's CRL, PEM or DER")]) -> None:
    """Apply a CA's CRL: every registered certificate it lists is revoked as of the CRL's time."""
    with clients.signing() as stub:
        response = call(stub.ImportCrl, sig.ImportCrlRequest(crl=file.read_bytes()))
    console.print(
        f"{len(response.revoked_serials)} certificate(s) newly revoked: {', '.join(response.revoked_serials)}"
    )


@app.command("show")
def certs_show(serial: str) -> None:
    """A registered certificate and its state now."""
    with clients.signing() as stub:
        certificate = call(stub.GetCertificate, sig.GetCertificateRequest(serial=serial)).certificate
    console.print_json(data=as_dict(certificate))


@app.command("policy")
def certs_policy(
    agency: Annotated[str, typer.Argument(help="Identifier code of the agency")],
    automatic_seal: Annotated[
        bool, typer.Option("--automatic-seal/--no-automatic-seal", help="Let the seal sign at registration")
    ],
    reason: Annotated[str, typer.Option(help="Why (kept with the policy's history)")],
) -> None:
    """Set whether the agency's seal may sign documents unattended, at registration time."""
    with clients.signing() as stub:
        request = sig.SetSigningPolicyRequest(agency_code=agency, automatic_seal=automatic_seal, reason=reason)
        policy = call(stub.SetSigningPolicy, request).policy
    state = "allowed" if policy.automatic_seal else "not allowed"
    console.print(f"{policy.name}: automatic seal signatures {state} ({policy.reason})")
